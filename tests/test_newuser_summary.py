"""summary.txt and the report's summary read by a researcher new to dendritemr (issues 10, 13):
what a paper quotes (metal per route, charge passed) and what 'no short' means."""

from __future__ import annotations

import pytest

from dendritemr.pipeline import summary_text
from dendritemr.report.html import _stages, _summary


def _doc(cycler: bool, short_h=None, li6: bool = True) -> dict:
    doc = {
        "study": {"name": "s"},
        "time_h": [-0.4, 1.0, 3.5],
        "metal_umol": {
            "total": [1.0, 2.0, 7.25],
            "total_err": [0.1, 0.1, 0.5],
            "interface": [0.5, 1.5, 6.0] if li6 else [None] * 3,
            "interface_err": [0.1, 0.1, 0.375] if li6 else [None] * 3,
            "bulk": [0.5, 0.5, 1.25] if li6 else [None] * 3,
            "bulk_err": [0.1, 0.1, 0.25] if li6 else [None] * 3,
        },
        "x6_metal": [None, None, 0.8],
        "x6_metal_err": [None, None, 0.01],
        "interface_fraction": [None, None, 0.83],
        "interface_fraction_err": [None, None, 0.05],
        "short_circuit_h": short_h,
        "short_circuit_err_h": None if short_h is None else 0.01,
        "stages": [],
        "not_computed": [],
    }
    if cycler:
        doc["cycler"] = {
            "clock": ["time zero recorded in the file"],
            "record_h": [-1.0474363105256796e-10, 45.09327],
            "charge_mAh": [None, 0.4, 1.489],
            "charge_mAh_cm2": [None, 1.0, 3.7225],
            "dense_li_um": [None, 4.85, 18.06],
        }
        doc["short"] = {"time_h": short_h, "soft_shorts": []}
    return doc


def test_no_short_in_a_cycler_record_is_not_n_a():
    """'short circuit: n/a' read as 'not computed' for a cell whose 45 h record was searched."""
    text = summary_text(_doc(cycler=True))
    assert "short circuit: none detected in the cycler record (0.00 to 45.09 h)" in text
    html = _summary(_doc(cycler=True))
    assert "none detected" in html and "no cycler file" not in html


def test_without_a_cycler_file_no_short_is_said_to_be_not_computed():
    text = summary_text(_doc(cycler=False))
    assert "short circuit: n/a (no cycler file: shorts are found in the voltage)" in text
    html = _summary(_doc(cycler=False))
    assert "n/a (no cycler file)" in html and "none detected" not in html


def test_a_short_is_given_with_its_error():
    assert "short circuit: 33.6 h +- 0.01 h" in summary_text(_doc(cycler=True, short_h=33.647))


def test_metal_per_route_and_charge_at_the_end():
    text = summary_text(_doc(cycler=True))
    assert "dendritic metal by route at the end: interface 6 umol +- 0.38 umol, " in text
    assert "bulk 1.25 umol +- 0.25 umol" in text
    assert "charge passed by 3.50 h: 1.49 mAh (3.72 mAh/cm2, 18.1 um of dense Li)" in text


def test_no_route_line_without_6li_and_no_charge_line_without_a_cycler():
    text = summary_text(_doc(cycler=False, li6=False))
    assert "by route" not in text and "charge passed" not in text


def test_report_route_column_gives_the_interface_share_not_known():
    """The stage table's route column said 'known' for every stage of a 6Li study."""
    doc = {
        "stages": [
            {
                "name": "interface-growth",
                "start_h": 0.0,
                "end_h": 2.0,
                "rates": {"total_umol_per_h": 4.5, "interface_share": 0.875},
                "route": "known",
            },
            {"name": "shorted", "start_h": 2.0, "end_h": 2.0, "rates": {}, "route": "n/a"},
            {
                "name": "mixed-growth",
                "start_h": 2.0,
                "end_h": 3.0,
                "rates": {"total_umol_per_h": 1.0},
                "route": "unknown (no 6Li data)",
            },
        ]
    }
    html = _stages(doc)
    assert "<td>interface 88 %, bulk 12 %</td>" in html
    assert "<td>known</td>" not in html
    assert "<td>unknown (no 6Li data)</td>" in html and "<td>n/a</td>" in html


def _relative_doc(first: float, first_err: float, ratio) -> dict:
    doc = _doc(cycler=False, li6=False)
    doc["metal_umol"] = {"total": [None] * 3, "total_err": [None] * 3}
    doc["metal_relative"] = {
        "total": [first, 0.02, 0.0347],
        "total_stat_err": [first_err, 0.005, 0.0055],
        "growth": [0.0, 0.02 - first, 0.0347 - first],
        "growth_err": [0.0, 0.006, 0.0064],
        "ratio_to_first": [None if ratio is None else 1.0, None, ratio],
        "ratio_to_first_err": [None if ratio is None else 0.0, None, 0.5],
        "primary": True,
    }
    return doc


def test_relative_growth_ratio_only_where_it_means_something():
    """'xn/a of the first value' (first value 0) and 'x42 +- 2.4e+02' (first value within its
    error of 0) read as numbers; the ratio is now given only for a first value > 2 SE."""
    none = "no ratio to the first value (the first is not 2 standard errors above 0)"
    assert none in summary_text(_relative_doc(0.0, 0.0034, None))
    assert none in summary_text(_relative_doc(0.000882, 0.005, 42.0))
    text = summary_text(_relative_doc(0.0125, 0.004, 2.776))
    assert "x2.78 +- 0.5 of the first value" in text and "n/a of" not in text


def test_report_relative_growth_ratio_only_where_it_means_something():
    assert "of the first value" not in _summary(_relative_doc(0.0, 0.0034, None))
    assert "of the first value" not in _summary(_relative_doc(0.000882, 0.005, 42.0))
    assert "(× 2.78 ± 0.5 of the first value)" in _summary(_relative_doc(0.0125, 0.004, 2.776))


def test_report_summary_gives_the_charge_passed():
    html = _summary(_doc(cycler=True) | {"cycler": _doc(cycler=True)["cycler"] | {
        "covered": [False, True, True]}})  # fmt: skip
    assert "charge passed by 3.5 h / mAh" in html
    assert "1.49 (3.72 mAh cm⁻², 18.1 µm of dense Li)" in html
    assert "charge passed" not in _summary(_doc(cycler=False))


def test_calibration_time_is_on_the_study_clock():
    """results.json quantification.calibration.li7.time_h said 0.0 (hours since the first
    spectrum) for the TEGDME calibration spectrum at -0.42 h of time_h."""
    import numpy as np

    from dendritemr.pipeline import _on_study_clock

    calib = {"li7": {"method": "electrode", "time_index": 2, "time_h": 0.1613}, "k": {"k": 1.0}}
    got = _on_study_clock(calib, np.array([-0.423, -0.3405, -0.2599, 0.0628]))
    assert got["li7"]["time_h"] == -0.2599 and got["k"] == {"k": 1.0}


@pytest.mark.slow
def test_one_spectrum_study_says_why_there_are_no_stages(tmp_path, li7_dir):
    """A study of one real 7Li experiment: not_computed said 'quantification gave none' while
    it gave an amount, and summary.txt printed a growth of '0 +- 0 ... x1 +- 0 of the first
    value ... (no umol: not calibrated)' beside the umol amount. ~10 s."""
    from dendritemr.pipeline import analyze

    study = tmp_path / "study"
    study.mkdir()
    (study / "study.toml").write_text(
        f'[nmr.li7]\npath = "{li7_dir / "7"}"\n[cell]\nelectrode_area_cm2 = 0.4\n'
    )
    doc = analyze(study, tmp_path / "res")
    assert len(doc["time_h"]) == 1 and doc["metal_umol"]["total"][0] > 0
    assert doc["metal_relative"]["primary"] is False  # umol exist: not 'not calibrated'
    assert (
        "stages: fewer than 3 time points with a metal amount (1 of 1): a growth stage needs "
        "a trajectory" in doc["not_computed"]
    )
    text = (tmp_path / "res" / "summary.txt").read_text()
    assert "metal growth" not in text and "not calibrated" not in text
    assert "dendritic metal at the end: " in text and " umol +- " in text
