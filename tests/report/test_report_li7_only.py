"""A 7Li-only study's report says at the top what could not be computed without 6Li data (the
analysis' own sentence), and its summary's per-route and isotope rows say why they are n/a."""

from __future__ import annotations

import re

from reportgen import synthetic_inputs

from dendritemr.report.figures import build_panels
from dendritemr.report.html import NO_6LI, no_li6_sentence, render_html

SAID = (
    "no 6Li data: x6 of the metal, the interface fraction, the metal per route and route-named "
    "stages cannot be computed; metal amounts assume the metal has the electrode's isotope "
    "composition"
)


def _li7_only():
    doc, ds = synthetic_inputs(li6=False)
    n = len(doc["time_h"])
    doc["not_computed"] = ["electrode calibrated at x6 0.0759 (not measured)", SAID]
    for route in ("interface", "bulk"):  # as the pipeline writes a 7Li-only study
        doc["metal_umol"][route] = [None] * n
        doc["metal_umol"][f"{route}_err"] = [None] * n
    return doc, ds


def _summary_rows(page: str) -> dict[str, str]:
    table = page.split("<table id='summary'>", 1)[1].split("</table>", 1)[0]
    return dict(re.findall(r"<tr><th>(.*?)</th><td class='num'>(.*?)</td></tr>", table))


def test_li7_only_report_states_what_needs_6li():
    doc, ds = _li7_only()
    assert no_li6_sentence(doc) == SAID
    page = render_html(doc, ds)
    box = page.split("<div class='absent' id='no-li6'>", 1)[1].split("</div>", 1)[0]
    # the analysis' sentence, capitalised, before the summary table
    assert "No 6Li data: x6 of the metal, the interface fraction, the metal per route" in box
    assert page.index("id='no-li6'") < page.index("<table id='summary'>")
    assert "[nmr.li6]" in box and "[isotopes]" in box
    rows = _summary_rows(page)
    for row in (
        "dendritic metal, interface, last value / µmol",
        "dendritic metal, bulk, last value / µmol",
        "x(⁶Li) of the metal, last value",
        "interface fraction, last value",
    ):
        assert rows[row] == NO_6LI, (row, rows[row])
    # 0.3 * 8.25 + 0.5 * 4.25 = 4.6 umol, error 0.05 + 0.02 * 8
    assert rows["dendritic metal, total, last value / µmol"] == "4.6 ± 0.21"
    # the x6 panel gives the analysis' sentence once (it was repeated inside brackets)
    iso = next(p for p in build_panels(doc, ds) if p.key == "isotopes")
    assert iso.figure is None and iso.note == SAID[0].upper() + SAID[1:]


def test_a_study_with_6li_has_no_such_box():
    doc, ds = synthetic_inputs()
    doc["not_computed"] = [SAID]  # even with the sentence: finite x6 values rule
    assert no_li6_sentence(doc) is None
    page = render_html(doc, ds)
    assert "id='no-li6'" not in page and NO_6LI not in page


def test_li7_only_captions_say_only_what_the_figures_show():
    from dendritemr.report.static import captions

    doc, ds = _li7_only()
    doc["stages"] = [
        {"name": "mixed-growth", "start_h": 0.0, "end_h": 4.0},
        {"name": "mixed-growth", "start_h": 4.0, "end_h": 8.5},
    ]
    doc["short_circuit_h"] = None
    # a soft short long after the last spectrum (the TEGDME tour: 23.8-27.9 h, spectra to 3.7 h)
    doc["short"] = {"soft_shorts": [{"kind": "partial", "start_h": 23.8, "end_h": 27.9}]}
    text = captions(doc, ds)["overview"]
    assert "(b) dendritic Li metal n(Li⁰) in µmol. Bands: ±1 standard error." in text
    assert "fractions" not in text and "per growth route" not in text
    assert "soft short" not in text  # outside the overview's time span
    assert "Dotted grey lines: boundaries between consecutive stages of one name." in text
