"""The calibration, processing history and citations of the report in words a researcher can
use: the 7Li calibration and K with their errors and sources, detection records as tables with
their criterion, and the references of the methods the results show were used."""

from __future__ import annotations

from reportgen import synthetic_inputs

from dendritemr.physics.citations import REFERENCES, reset
from dendritemr.report import inputs as I
from dendritemr.report.html import render_html

CALIBRATION = {  # as pipeline.analyze writes it (demo study, seed 3)
    "model": "BIC on the series mean: 0 micro: 45116.7; 1 micro: 4738.6",
    "k": {"k": 548.3, "rel_err": 0.0007395},
    "k_line": "reference 'natural-abundance Li | LLZO | Li cell', electrolyte line, x6 0.0759",
    "li7": {
        "c7_signal_per_umol": 35500000.0,
        "rel_err": 0.00524,
        "method": "electrode",
        "time_index": 0,
        "time_h": 0.009279,
        "face_area_cm2": 2.0,
        "skin_depth_um": 14.33,
        "deff_over_delta": 0.3536,
        "visible_7li_umol": 36.51,
        "x6_electrode": 0.5318,
    },
    "atoms_from": "6Li + 7Li areas",
}


def _block(page: str, start: str) -> str:
    return page.split(start, 1)[1].split("</table>", 1)[0]


def test_calibration_in_words_with_errors_and_sources():
    doc, ds = synthetic_inputs()
    doc["quantification"]["calibration"] = CALIBRATION
    doc["quantification"]["t1"] = {"measured": {"7Li": "1.2 s"}, "used": [], "method": "ratio"}
    table = _block(render_html(doc, ds), "<table id='calibration'>")
    assert "⁷Li signal per µmol of ⁷Li atoms (C₇)</th><td>3.55e+07 ± 0.52 %" in table
    assert "spectrum 1 (0.00928 h)" in table and "36.5 µmol of visible ⁷Li" in table
    assert "⁷Li skin depth 14.3 µm" in table and "x(⁶Li) of the electrode 0.532" in table
    assert "K = C₆/C₇</th><td>548.3 ± 0.074 %" in table
    assert "from reference &#x27;natural-abundance Li | LLZO | Li cell&#x27;" in table
    assert "c7_signal_per_umol" not in table and ">k_line<" not in table
    assert "T₁ used for the saturation factors</th><td>measured: 7Li: 1.2 s; used: none" in table


def test_detection_records_are_tables_with_their_criterion():
    doc, ds = synthetic_inputs()
    doc["stage_detection"] = {
        "boundaries_h": [5.509, 6.509],
        "window_h": 1.0,
        "criterion": "exact optimal partitioning, BIC penalty 2 ln n",
    }
    doc["short"] = {"time_h": 7.0, "soft_shorts": [{"kind": "partial", "start_h": 2.0}]}
    page = render_html(doc, ds)
    stage = _block(page, "<table id='stage-detection' class='record'>")
    assert "<th>boundaries_h</th><td>5.509, 6.509</td>" in stage
    assert "<pre>" not in page.split("Processing history", 1)[1]  # no JSON dumps
    before = page.split("<table id='stage-detection'", 1)[0]
    assert before.endswith("<p class='note'>exact optimal partitioning, BIC penalty 2 ln n</p>")
    short = _block(page, "<table id='short-detection' class='record'>")
    assert "<th>soft_shorts</th><td>(1) kind: partial; start_h: 2.0</td>" in short


def test_citations_list_the_methods_the_results_used():
    doc, ds = synthetic_inputs()
    doc.pop("citations")
    doc["quantification"]["calibration"] = CALIBRATION
    doc["stage_detection"] = {"criterion": "exact optimal partitioning, BIC penalty 2 ln n"}
    doc["mri_images"] = {"time_h": [1.0, 4.0, 8.0], "total_umol": [1.0, None, 3.0]}
    reset()  # what an analysis read back from disk has: nothing registered in this process
    keys = I.methods_used(doc, ds)
    # synthetic reduced chi-squares are 1.0-1.1: no Birge scaling
    assert keys == [
        "harris2001",
        "bhattacharyya2010",
        "landau_emcm",
        "crc_resistivity",
        "schwarz1978",
        "jackson2005",
        "chandrashekar2012",
        "ilott2014",
    ]
    ds["spectra"]["redchi_7Li"].values[3] = 5.0
    assert I.methods_used(doc, ds)[-1] == "birge1932"
    page = render_html(doc, ds)
    refs = _block(page.replace("</ol>", "</table>"), "<ol class='refs' id='citations'>")
    assert str(REFERENCES["jackson2005"]) in refs
    assert "(used for: exact optimal partitioning (growth-stage change points))" in refs
    # no metal, no BIC, no MRI, no fit record: the shift axis convention only; no data: none
    assert I.methods_used({"time_h": [0.0]}) == ["harris2001"]
    assert I.methods_used({}) == []


def test_static_figures_get_draft_captions(tmp_path):
    from dendritemr.report import write_report

    doc, ds = synthetic_inputs()
    doc["mri_images"] = {"time_h": [1.0, 4.0, 8.0], "metal_model": ["mixture", "nmr", "nmr"]}
    page = write_report(tmp_path, doc, ds).read_text(encoding="utf-8")
    text = (tmp_path / "figures" / "captions.md").read_text(encoding="utf-8")
    heads = [line for line in text.splitlines() if line.startswith("## ")]
    assert heads[0] == "## overview (overview.png, overview.pdf)" and len(heads) == 7
    assert "(b) dendritic Li metal n(Li⁰) in µmol per growth route (interface, bulk)" in text
    assert "Dashed red line: short circuit at 7.00 h." in text
    assert "8 of 9 spectra from 0.2 to 8.2 h" in text  # synthetic: 9 spectra, 0.25-8.25 h
    # the MRI caption names each scan's metal line model, filled/open markers explained
    mri = text.split("## mri (mri.png, mri.pdf)", 1)[1]
    assert "1.00 h: metal line model 'mixture', chosen by this scan's own fit" in mri
    assert "4.00 h: metal line shape from the ⁷Li NMR series" in mri
    assert "(filled markers in (c))" in mri
    # the page shows each caption under its files
    assert "Draft captions: figures/captions.md." in page
    assert (
        "8.00 h: metal line shape from the ⁷Li NMR series" in page.split("id='static-figures'")[1]
    )
