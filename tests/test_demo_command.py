"""dendritemr demo: simulate -> analyze (the same code path) -> report, scored against truth."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from dendritemr.cli import main
from dendritemr.demo import demo_table, run_demo
from dendritemr.errors import DataError
from dendritemr.pipeline import AnalyzeOptions, run_study
from dendritemr.results_schema import load_results
from dendritemr.study import load_study


@pytest.mark.slow
def test_demo_writes_study_results_report_and_scores_against_truth(tmp_path, small_study_changes):
    out = tmp_path / "demo"
    out.mkdir()
    run = run_demo(
        out, "high-current", seed=4, show_progress=False, scenario_changes=small_study_changes
    )
    assert sorted(p.name for p in out.iterdir()) == ["demo.json", "results", "study"]
    doc = load_results(out / "results" / "results.json")
    truth = json.loads((out / "study" / "ground_truth.json").read_text())
    # the same numbers as a plain `analyze` of the study: results.json is that run's
    assert doc["time_h"] == run.doc["time_h"]
    assert (out / "results" / "report.html").is_file()
    assert (out / "results" / "spectra.nc").is_file()
    # the score in results.json is the score of this analysis against the study's truth
    assert doc["score"]["short_circuit_agrees"] == 1.0
    assert truth["short_circuit_h"] is not None
    assert abs(doc["short_circuit_h"] - truth["short_circuit_h"]) <= float(
        np.median(np.diff(doc["time_h"]))
    )
    # the references this analysis used, not the simulator's (the registry is reset first):
    # the same keys as an analysis of the study alone in a fresh registry
    from dendritemr.physics import citations

    assert set(doc["citations"]) <= set(citations.REFERENCES)
    citations.reset()
    again = run_study(load_study(out / "study"), AnalyzeOptions(n_boot=0))[0]
    assert doc["citations"] == again["citations"]
    table = demo_table(run)
    assert f"{truth['short_circuit_h']:10.3f}" in table  # the truth is printed beside the result
    assert "stages (h since the current started)" in table
    assert all(name in table for name, _ in run.steps_s)
    steps = json.loads((out / "demo.json").read_text())["steps_s"]
    assert steps[0][0].startswith("simulate") and all(s > 0 for _, s in steps)


def test_out_that_is_a_file_is_one_line_and_writes_nothing(tmp_path):
    target = tmp_path / "afile"
    target.write_text("mine")
    res = CliRunner().invoke(main, ["demo", "--out", str(target)])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "not a folder" in lines[0]
    assert target.read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_foreign_folder_is_refused_untouched(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    with pytest.raises(DataError, match="not an earlier demo run"):
        run_demo(out, show_progress=False)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_unknown_preset_leaves_no_folder(tmp_path):
    out = tmp_path / "new" / "demo"
    res = CliRunner().invoke(main, ["demo", "--out", str(out), "--preset", "nonsense"])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "unknown preset" in lines[0]
    assert not out.exists()


def _earlier_run(out):
    (out / "study").mkdir(parents=True)
    (out / "study" / "study.toml").write_text("earlier study")
    (out / "results").mkdir()
    (out / "results" / "results.json").write_text("earlier results")
    (out / "demo.json").write_text("earlier demo")


def _interrupted_simulate(scenario, study, **kw):
    study.mkdir(parents=True)
    (study / "half-written").write_text("x")
    raise KeyboardInterrupt


def _assert_earlier_run_back(out):
    assert sorted(p.name for p in out.iterdir()) == ["demo.json", "results", "study"]
    assert (out / "study" / "study.toml").read_text() == "earlier study"
    assert not (out / "study" / "half-written").exists()
    assert (out / "results" / "results.json").read_text() == "earlier results"
    assert (out / "demo.json").read_text() == "earlier demo"


def test_an_interrupted_run_puts_the_earlier_run_back(tmp_path, monkeypatch):
    """Ctrl-C during a second demo lost the first one (it was deleted before the new run)."""
    import dendritemr.sim.study

    out = tmp_path / "demo"
    _earlier_run(out)
    monkeypatch.setattr(dendritemr.sim.study, "simulate", _interrupted_simulate)
    with pytest.raises(KeyboardInterrupt):
        run_demo(out, show_progress=False)
    _assert_earlier_run_back(out)


def test_an_earlier_run_left_aside_by_a_killed_run_is_put_back(tmp_path, monkeypatch):
    """A run killed outright (no cleanup) leaves its partial entries and the earlier run in
    .previous-run: the next run starts by putting the earlier run back."""
    import dendritemr.sim.study
    from dendritemr.demo import PREVIOUS_RUN

    out = tmp_path / "demo"
    _earlier_run(out / PREVIOUS_RUN)
    (out / "study").mkdir()
    (out / "study" / "half-written").write_text("x")
    monkeypatch.setattr(dendritemr.sim.study, "simulate", _interrupted_simulate)
    with pytest.raises(KeyboardInterrupt):
        run_demo(out, show_progress=False)
    _assert_earlier_run_back(out)


def test_stage_rows_put_analysis_and_truth_on_one_time_axis():
    """Stages were printed side by side by row: one missed stage shifted every later row."""
    from dendritemr.demo import stage_rows

    def st(*spec):
        return [{"name": n, "start_h": a, "end_h": b} for n, a, b in spec]

    found = st(("stall", 0.0, 5.5), ("bulk-nucleation", 5.5, 6.5), ("stall", 6.5, 30.0))
    true = st(
        ("interface-growth", 0.0, 1.0),
        ("stall", 1.0, 5.5),
        ("bulk-nucleation", 5.5, 7.0),
        ("stall", 7.0, 30.0),
    )
    rows = stage_rows(found, true)
    assert rows[1:] == [
        "  *   0.00 -   1.00  stall             interface-growth",
        "      1.00 -   5.50  stall             stall",
        "      5.50 -   6.50  bulk-nucleation   bulk-nucleation",
        "  *   6.50 -   7.00  stall             bulk-nucleation",
        "      7.00 -  30.00  stall             stall",
    ]
