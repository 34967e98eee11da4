"""analyze: simulated and real studies end to end; bad input leaves nothing behind."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from dendritemr.cli import main
from dendritemr.errors import DataError
from dendritemr.model import load
from dendritemr.physics import get_nucleus
from dendritemr.pipeline import _with_reference_t1, analyze, blas_threads, reference_t1
from dendritemr.results_schema import load_results
from dendritemr.study import load_study

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "li7-insitu-LiLi-TEGDME"
TEGDME_7LI = REAL / "2023-08-11_jana_insituLiLiTEGDME-02_galv"
TEGDME_TXT = (
    REAL
    / "LiLiTEGDMEinsitu_02"
    / "eChem"
    / "jr862_11_08_23_insitu-impedance-LiLi_1MLiTFSI_TEGDME-1mA_03_GCPL_C05.txt"
)


@pytest.fixture(scope="module")
def small_study(tmp_path_factory, small_study_changes):
    """A 300 um pellet at 0.6 mA/cm2 that shorts after ~5 h (seconds to simulate), with the
    study.toml that simulate writes (docs/study-format.md: the two must agree)."""
    from dendritemr.sim.presets import load_preset
    from dendritemr.sim.study import simulate

    scenario = load_preset("high-current").updated(**small_study_changes)
    out = tmp_path_factory.mktemp("sim") / "study"
    truth = simulate(scenario, out, seed=3)
    assert (out / "study.toml").is_file()
    return out, truth


@pytest.mark.slow
def test_simulated_study_short_and_schema(small_study, tmp_path):
    folder, truth = small_study
    doc = analyze(folder, tmp_path / "res")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "res").stat().st_mode & 0o777 == 0o777 & ~umask  # not mkdtemp's 0700
    assert truth["short_circuit_h"] is not None
    # the short within one acquisition interval (0.5 h) and within 2 of its own errors
    interval = float(np.median(np.diff(doc["time_h"])))
    err = doc["short_circuit_h"] - truth["short_circuit_h"]
    assert abs(err) <= interval
    assert abs(err) <= 2 * doc["short_circuit_err_h"] + 1 / 60
    # NMR time points on the cycling clock: the 7Li mid-points of the truth
    np.testing.assert_allclose(doc["time_h"], truth["time_h"], atol=2 / 3600)
    # current per spectrum: the simulated 0.6 mA/cm2 on 1 cm2 until the short
    cur = np.array([c for c in doc["cycler"]["current_mA"] if c is not None])
    np.testing.assert_allclose(cur, 0.6, rtol=1e-6)
    charge = np.array(doc["cycler"]["charge_mAh"], dtype=float)
    np.testing.assert_allclose(charge, 0.6 * np.array(doc["time_h"]), rtol=1e-3)
    # image acquisition windows on the same clock, with the current and charge over each
    mri = doc["mri_images"]
    assert len(mri["time_h"]) == len(truth["mri"]) >= 2
    np.testing.assert_allclose(mri["time_h"], [m["time_h"] for m in truth["mri"]], atol=2 / 3600)
    covered = [i for i, t in enumerate(mri["time_h"]) if t < truth["short_circuit_h"]]
    np.testing.assert_allclose([mri["current_mA"][i] for i in covered], 0.6, rtol=1e-6)
    written = load_results(tmp_path / "res" / "results.json")
    assert written["score"]["short_circuit_agrees"] == 1.0
    assert {p.name for p in (tmp_path / "res").iterdir()} >= {
        "results.json",
        "summary.txt",
        "timeline.nc",
        "cycler.nc",
    }
    assert not list(tmp_path.glob(".res*"))  # no temporary folders left
    # the report and the fitted spectra it shows (data, model and residual per nucleus)
    assert (tmp_path / "res" / "report.html").is_file()
    spectra = load(tmp_path / "res" / "spectra.nc")
    for nuc in ("7Li", "6Li"):
        data, model = spectra[f"spectrum_{nuc}"].values, spectra[f"model_{nuc}"].values
        assert data.shape == (len(doc["time_h"]), spectra.sizes[f"ppm_{nuc}"])
        np.testing.assert_allclose(spectra[f"residual_{nuc}"].values, data - model)
        # the model explains the spectrum: residual power far below the signal power
        assert np.sum(np.abs(data - model) ** 2) < 0.05 * np.sum(np.abs(data) ** 2)
        # reduced chi-square with the measured noise, per spectrum (the report's fit panel):
        # the simulator's lines are Lorentzian, so it is near 1
        redchi = spectra[f"redchi_{nuc}"].values
        assert redchi.shape == (len(doc["time_h"]),)
        assert 0.5 < np.median(redchi) < 3.0
    timeline = load(tmp_path / "res" / "timeline.nc")
    assert not [d for d in timeline.dims if str(d).startswith("ppm")]
    # the cycler record reads back (its hours are not mistaken for CF time units)
    cyc = load(tmp_path / "res" / "cycler.nc")
    assert cyc["hours"].attrs["units"] == "h"
    assert cyc.sizes["hours"] == cyc["voltage_V"].size > 0


@pytest.mark.slow
def test_cycler_record_that_misses_the_spectra_is_said(small_study, tmp_path):
    """A cycler start a week late put every spectrum before the record and results.json said
    nothing (the report warned); now not_computed does."""
    import shutil

    folder, _ = small_study
    study = tmp_path / "study"
    shutil.copytree(folder, study)
    text = (study / "cycler.csv").read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("# start:"))
    start = dt.datetime.fromisoformat(line.split(":", 1)[1].strip())
    later = f"# start: {(start + dt.timedelta(days=7)).isoformat()}"
    (study / "cycler.csv").write_text(text.replace(line, later))
    doc = analyze(study, tmp_path / "res")
    n = len(doc["time_h"])
    notes = [m for m in doc["not_computed"] if "outside the cycler record" in m]
    assert len(notes) == 1 and notes[0].startswith(f"{n} of {n} NMR acquisitions")
    assert "clock_offset_s" in notes[0]


def test_t1_from_the_references_recovers_the_simulated_t1(small_study):
    """simulate writes a relaxed reference and one at the in situ D1; their area ratio gives
    the T1 the simulator used (the study's [t1_s], written from the scenario)."""
    folder, _ = small_study
    study = load_study(folder)
    t1, record, notes = reference_t1(study, force=True)
    assert notes == []
    for role, nuc in (("li7", "7Li"), ("li6", "6Li")):
        got = record[nuc]["electrolyte"]
        true = study.t1_s[role]["electrolyte"]
        assert abs(got["t1_s"] - true) <= max(3 * got["t1_err_s"], 0.02 * true)
        assert t1[role]["electrolyte"] == got["t1_s"]
    # 7Li metal relaxes in ~0.15 s, far shorter than TR: its ratio is 1, no value
    assert all(v["t1_s"] is None for v in record["7Li"].values() if v["ratio"] > 0.99)
    # without a [t1_s] the measurement fills it in; given values take precedence
    no_t1 = dataclasses.replace(study, t1_s={"li7": {"electrolyte": 0.7}})
    merged, used = _with_reference_t1(no_t1, t1)
    assert merged.t1_s["li7"]["electrolyte"] == 0.7
    assert merged.t1_s["li6"]["electrolyte"] == t1["li6"]["electrolyte"]
    assert ("li6", "electrolyte") in used and ("li7", "electrolyte") not in used


@pytest.mark.slow
@pytest.mark.skipif(not TEGDME_TXT.is_file(), reason="shared real data not present")
def test_real_tegdme_7li_only_runs_and_says_what_is_missing(tmp_path):
    study = tmp_path / "tegdme"
    study.mkdir()
    (study / "study.toml").write_text(
        f"""
[study]
name = "TEGDME"
[cell]
electrode_area_cm2 = 0.4
[nmr.li7]
path = "{TEGDME_7LI}"
[cycler]
path = "{TEGDME_TXT}"
format = "eclab-txt"
start = "2023-08-11T12:40:15"
timezone = "Europe/London"
current_mA = 0.4
"""
    )
    result = CliRunner().invoke(main, ["analyze", str(study), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    doc = load_results(tmp_path / "out" / "results.json")
    assert len(doc["time_h"]) == 50
    # expno 1's scans' mid-point 11:30:06.9 UTC (its audit window's middle, 11:29:59.7, holds
    # the 14.3 s of automatic tuning before the scans); current on at 11:40:15 BST-1h + 907.6 s
    # = 11:55:22.6 UTC
    assert doc["time_h"][0] == pytest.approx(-(25 * 60 + 15.7) / 3600, abs=2 / 3600)
    assert doc["cycler"]["cycling_start_utc"].startswith("2023-08-11T11:55:22.6")
    i = [c for c in doc["cycler"]["current_mA"] if c is not None]
    assert i and all(abs(c - 0.4) < 1e-9 for c in i)
    # charge at the last mid-point: 0.4 mA x its time since the current started
    assert doc["cycler"]["charge_mAh"][-1] == pytest.approx(0.4 * doc["time_h"][-1], rel=1e-3)
    assert all(x is None for x in doc["x6_metal"])
    assert all(x is None for x in doc["interface_fraction"])
    assert any("no 6Li data" in s for s in doc["not_computed"])
    assert all(s["route"] != "known" for s in doc["stages"] if s["name"] != "stall")
    assert "no 6Li data" in result.output
    # the polarisation drop from ~24 h (on the cycler clock: 0.25 h later) is a partial short
    partial = [x for x in doc["short"]["soft_shorts"] if x["kind"] == "partial"]
    assert len(partial) == 1 and 23.0 < partial[0]["start_h"] < 25.0
    # the report exists and states what needs 6Li data
    html = (tmp_path / "out" / "report.html").read_text()
    assert "no 6Li data" in html
    assert 'src="http' not in html and "src='http" not in html


def _experiment(folder: Path, nucleus: str, field_t: float = 7.05) -> None:
    folder.mkdir(parents=True)
    bf1 = get_nucleus(nucleus).gamma * field_t / (2 * math.pi) / 1e6
    (folder / "acqus").write_text(
        f"##TITLE= t\n##$NUC1= <{nucleus}>\n##$BF1= {bf1:.6f}\n##$TD= 16\n##END=\n"
    )
    (folder / "fid").write_bytes(b"\0" * 64)


@pytest.mark.parametrize(
    ("cycler_text", "li6_nucleus", "message"),
    [
        ("voltage/V,current/mA\n0.1,0.3\n0.2,0.3\n", "6Li", "no time column"),
        ("time/parsec,Ewe/V\n0,0.1\n1,0.1\n", "6Li", "unknown unit 'parsec'"),
        ("time/s,Ewe/V,I/mA\n0,0.1,1\n10,0.1,1\n5,0.1,1\n", "6Li", "non-monotonic time"),
        ("time/s,Ewe/V,I/mA\n0,0.1,1\n10,0.1,1\n", "7Li", "[nmr.li6] data are 7Li, not 6Li"),
    ],
)
def test_bad_input_one_line_error_and_no_output(tmp_path, cycler_text, li6_nucleus, message):
    study = tmp_path / "study"
    _experiment(study / "7Li" / "1", "7Li")
    _experiment(study / "6Li" / "1", li6_nucleus)
    (study / "cycler.csv").write_text(cycler_text)
    (study / "study.toml").write_text(
        '[nmr.li7]\npath = "7Li"\n[nmr.li6]\npath = "6Li"\n'
        '[cycler]\npath = "cycler.csv"\nstart = "2026-01-01T00:00:00"\n'
    )
    with pytest.raises(DataError) as info:
        analyze(study, tmp_path / "out")
    assert message in str(info.value) and "\n" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]
    result = CliRunner().invoke(main, ["analyze", str(study), "--out", str(tmp_path / "out")])
    assert result.exit_code != 0 and message in result.output
    errors = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and message in errors[0]  # progress labels may precede it
    assert not (tmp_path / "out").exists()


def test_out_inside_study_or_foreign_folder_refused(tmp_path):
    study = tmp_path / "study"
    _experiment(study / "7Li" / "1", "7Li")
    (study / "study.toml").write_text('[nmr.li7]\npath = "7Li"\n')
    with pytest.raises(DataError, match="inside the study folder"):
        analyze(study, study / "results")
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    with pytest.raises(DataError, match="not replaced"):
        analyze(study, foreign)
    assert (foreign / "notes.txt").read_text() == "keep"
    assert json.loads("{}") == {}


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (None, "no study.toml"),
        ("[nmr.li7]\npath = 'nowhere'\n", "[nmr.li7] path 'nowhere' does not exist"),
        ("[nmr.li7]\npath = '7Li'\n[cell]\narea = 1\n", "[cell] unknown key 'area'"),
        ("[nmr.li7\npath = '7Li'\n", "invalid TOML"),
        ("[nmr.li7]\npath = '7Li'\n[nmr.li6]\npath = '7Li'\n", "data are 7Li, not 6Li"),
        ("[nmr.li7]\npath = '7Li'\n[isotopes]\nx6_electrode = 1.5\n", "must lie in (0, 1)"),
        ("[nmr.li7]\npath = '6Li'\n", "data are 6Li, not 7Li"),
    ],
)
def test_broken_study_folders_one_line_no_output(tmp_path, toml, message):
    study = tmp_path / "study"
    _experiment(study / "7Li" / "1", "7Li")
    _experiment(study / "6Li" / "1", "6Li")
    if toml is not None:
        (study / "study.toml").write_text(toml)
    out = tmp_path / "results" / "run"
    result = CliRunner().invoke(main, ["analyze", str(study), "--out", str(out)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]  # nothing written


def test_blas_threads_limits_and_restores():
    """analyze runs its fits on one BLAS thread by default (AnalyzeOptions.blas_threads)."""
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas():
        return [
            i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"
        ]

    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        before = blas()
        assert before and all(n == 2 for n in before)
        with blas_threads(1):
            assert all(n == 1 for n in blas())
        assert blas() == before
        with blas_threads(None):
            assert blas() == before
