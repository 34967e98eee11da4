"""Command line: info, process; bad input -> one line, exit 2, no output file."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from dendritemr.cli import main
from dendritemr.model import load


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_info_on_real_series(li7_dir):
    res = run("info", li7_dir)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["nucleus"] == "7Li" and doc["shape"] == {"time": 50, "t2": 6144}
    assert doc["first"].endswith("+01:00")
    assert doc["field_t"] == pytest.approx(7.049, abs=2e-3)


def test_process_synthetic_series_recovers_truth(synthetic_study, tmp_path):
    folder, truth = synthetic_study
    out = tmp_path / "out.nc"
    res = run("process", folder, "--out", out, "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["n_spectra"] == 8 and doc["nucleus"] == "7Li"
    metal = np.array(doc["regions"]["metal"]["area"])
    true_metal = np.array(truth["areas"]["electrode"]) + np.array(truth["areas"]["microstructure"])
    # relative growth of the metal integral equals the truth within 1 %
    np.testing.assert_allclose(metal / metal[0], true_metal / true_metal[0], rtol=0.01)
    saved = load(out)
    assert saved["spectrum"].dims == ("time", "ppm")
    assert saved["area"].sel(region="metal").values == pytest.approx(metal)


def test_process_several_expnos_given_explicitly(synthetic_study, tmp_path):
    folder, _ = synthetic_study
    res = run("process", folder / "1", folder / "2", folder / "3", "--out", tmp_path / "o.nc")
    assert res.exit_code == 0, res.output
    assert "3 7Li spectra" in res.output


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("truncate", "fid: truncated"),
        ("no_acqus", "no acqus file"),
        ("garbage_acqus", "not a TopSpin JCAMP-DX parameter file"),
        ("wrong_td", "fid: larger than TD allows"),
    ],
)
def test_bad_input_one_line_error_exit_2_no_output(synthetic_study, tmp_path, damage, message):
    folder, _ = synthetic_study
    exp = tmp_path / "1"
    shutil.copytree(folder / "1", exp)
    if damage == "truncate":
        (exp / "fid").write_bytes((exp / "fid").read_bytes()[:500])
    elif damage == "no_acqus":
        (exp / "acqus").unlink()
    elif damage == "garbage_acqus":
        (exp / "acqus").write_bytes(b"\xff\xfe")
    elif damage == "wrong_td":
        text = (exp / "acqus").read_text().replace("##$TD= 4096", "##$TD= 2048")
        (exp / "acqus").write_text(text)
    out = tmp_path / "out.nc"
    res = run("process", exp, "--out", out)
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and message in lines[0] and str(exp) in lines[0]
    assert not out.exists()


def test_empty_and_foreign_folders(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    res = run("process", empty, "--out", tmp_path / "o.nc")
    assert res.exit_code == 2 and "empty folder" in res.output
    res = run("info", tmp_path / "nothing-here")
    assert res.exit_code == 2 and "no such file or folder" in res.output


def test_process_topspin_mode_reproduces_topspin_integrals(li7_dir, tmp_path):
    from dendritemr.io.bruker import read_pdata
    from dendritemr.nmr import integrate_regions

    out = tmp_path / "ts.nc"
    res = run(
        "process",
        li7_dir / "1",
        li7_dir / "40",
        "--out",
        out,
        "--mode",
        "topspin",
        "--region",
        "metal=200:300",
        "--region",
        "electrolyte=-30:30",
        "--json",
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    regions = {"metal": (200.0, 300.0), "electrolyte": (-30.0, 30.0)}
    refs = [
        integrate_regions(read_pdata(li7_dir / str(e) / "pdata" / "1"), regions) for e in (1, 40)
    ]
    for name in regions:
        ours = np.array(doc["regions"][name]["area"])
        theirs = np.array([float(r["area"].sel(region=name)[0]) for r in refs])
        # TopSpin's abs baseline finds its points its own way: absolute integrals within 6 %,
        # their change over the run within 1 %
        np.testing.assert_allclose(ours, theirs, rtol=0.06)
        assert ours[1] / ours[0] == pytest.approx(theirs[1] / theirs[0], rel=0.01)
