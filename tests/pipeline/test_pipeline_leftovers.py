"""Leftovers of the issue-13 new-user pass in ``pipeline.analyze`` (stop 13).

Studies from :mod:`pipegen` (a few lines of numpy): 6 spectra 0.5 h apart whose dendritic line
grows from 0.10 to 0.30 electrode-line units, a numbered folder that is not an experiment, and a
cycler record that either covers the spectra or lies 10 h after them.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pipegen import T0, write_cycler, write_series, write_study

from dendritemr.errors import DataError
from dendritemr.pipeline import analyze, summary_text, warnings_list


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("leftovers")
    write_series(root / "data" / "7Li", n=6)
    (root / "data" / "7Li" / "99").mkdir()  # not an experiment: study.toml and reader see it
    return root


def _run(root, name: str, offset_h: float, hours: float):
    cyc = root / f"{name}.csv"
    write_cycler(cyc, T0 + dt.timedelta(hours=offset_h), hours)
    study = write_study(root / name, root / "data" / "7Li", cyc)
    doc = analyze(study, root / f"{name}-out")
    return doc, (root / f"{name}-out" / "summary.txt").read_text()


@pytest.fixture(scope="module")
def disjoint(data):
    """The cycler record starts 10 h after the first spectrum and lasts 2 h."""
    return _run(data, "disjoint", 10.0, 2.0)


@pytest.fixture(scope="module")
def covering(data):
    """The cycler record starts 1 h before the first spectrum and lasts 6 h."""
    return _run(data, "covering", -1.0, 6.0)


def test_a_warning_seen_by_two_steps_is_listed_once(disjoint):
    doc, summary = disjoint
    rows = [w for w in doc["warnings"] if "not read as part of the series: 99" in w["message"]]
    assert len(rows) == 1 and rows[0]["count"] == 1, doc["warnings"]
    assert rows[0]["step"] == "study.toml"
    assert "times)" not in summary  # it said '(2 times)': the study check and the reader


def test_warnings_list_counts_within_one_step_not_across_steps():
    rec = [
        {"step": "study.toml", "category": "RuntimeWarning", "message": "a"},
        {"step": "nmr.li7", "category": "RuntimeWarning", "message": "a"},
        {"step": "mri", "category": "UserWarning", "message": "b"},
        {"step": "mri", "category": "UserWarning", "message": "b"},
        {"step": "mri maps", "category": "UserWarning", "message": "b"},
        {"step": "mri maps", "category": "UserWarning", "message": "b"},
        {"step": "mri maps", "category": "UserWarning", "message": "b"},
    ]
    rows = warnings_list(rec)
    assert [(r["step"], r["message"], r["count"]) for r in rows] == [
        ("study.toml", "a", 1),
        ("mri", "b", 3),
    ]


def test_no_spectrum_in_the_cycler_record_is_a_one_line_warning(disjoint, data):
    doc, summary = disjoint
    rows = [w for w in doc["warnings"] if "no NMR acquisition lies inside" in w["message"]]
    assert len(rows) == 1, doc["warnings"]
    msg = rows[0]["message"]
    assert msg.startswith(str(data / "disjoint.csv") + ": ") and "\n" not in msg
    assert rows[0]["step"] == "cycler" and rows[0]["count"] == 1
    # the record 0-2 h on the cycling clock, the spectra from -10 h (their ends 2.5 h later)
    assert "(0.00 to 2.00 h on the cycling clock, the spectra -10.0" in msg
    assert "to -7.50 h)" in msg
    assert msg in summary
    assert all(c is False for c in doc["cycler"]["covered"])


def test_a_covering_cycler_record_gives_no_such_warning(covering):
    doc, summary = covering
    assert not any("no NMR acquisition" in w["message"] for w in doc["warnings"])
    assert all(doc["cycler"]["covered"])
    assert doc["time_h"][0] == pytest.approx(1.0, abs=0.01)  # 1 h after the current started


def test_analyze_from_python_refuses_out_in_raw_data(data):
    """The CLI refused ``--out`` in or below raw data; ``pipeline.analyze`` did not."""
    study = write_study(data / "raw-out", data / "data" / "7Li")
    for out in (
        data / "data" / "7Li" / "results",  # in the series folder
        data / "data" / "7Li" / "2" / "results",  # in one experiment
        data / "data" / "7Li" / "3",  # an experiment itself
    ):
        with pytest.raises(DataError) as err:
            analyze(study, out)
        msg = str(err.value)
        assert "\n" not in msg and "raw data are never written to" in msg
        assert str(out) in msg
        assert not (data / "data" / "7Li" / "results").exists()
        assert not (data / "data" / "7Li" / "2" / "results").exists()
    assert sorted(p.name for p in (data / "data" / "7Li" / "3").iterdir()) == ["acqus", "fid"]


def test_one_spectrum_summary_gives_its_value_and_why_no_growth(tmp_path):
    write_series(tmp_path / "one", n=1)
    # without an electrode area: relative to the electrode line, truth 0.10 (pipegen)
    doc = analyze(write_study(tmp_path / "rel", tmp_path / "one" / "1", area=None), tmp_path / "r")
    summary = (tmp_path / "r" / "summary.txt").read_text()
    rel, err = doc["metal_relative"]["total"][0], doc["metal_relative"]["total_stat_err"][0]
    assert abs(rel - 0.10) < 3 * err + 0.005
    line = next(s for s in summary.splitlines() if s.startswith("dendritic metal relative"))
    assert f"{rel:.3g} +- {err:.2g}" in line
    assert "metal growth" not in summary  # one value: no growth (it printed '0 +- 0')
    assert "stages: none (one time point: no growth or stages)" in summary
    page = (tmp_path / "r" / "report.html").read_text()  # the report's summary says it too
    assert "no growth stages: one time point: no growth or stages" in page
    assert "n/a (one time point: no growth or stages)" in page
    assert "of the first value)" not in page  # it showed '0 ± 0 (× 1 ± 0 of the first value)'
    # with an area: umol, and no 'stall 0.00 - 0.00 h' beside 'fewer than 3 time points'
    doc = analyze(write_study(tmp_path / "cal", tmp_path / "one" / "1"), tmp_path / "c")
    summary = (tmp_path / "c" / "summary.txt").read_text()
    assert doc["metal_umol"]["total"][0] > 0 and doc["stages"] == []
    assert "stages: none (one time point: no growth or stages)" in summary
    assert "(1 of 1)" in " ".join(doc["not_computed"])
    written = json.loads((tmp_path / "c" / "results.json").read_text())
    assert summary_text(written) == summary
