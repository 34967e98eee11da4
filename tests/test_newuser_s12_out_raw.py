"""New-user test (stop 12): no command writes its --out into raw instrument data.

A study names its data by path, often outside the study folder (the README's TEGDME tour reads
``../shared/data/real/...`` in place). ``analyze STUDY --out DATA/7Li/1/results`` wrote the
results folder into a TopSpin experiment of that series (only "inside the study folder" was
refused), and ``simulate --out DATA/7Li/2/sim`` started simulating into it.
"""

from __future__ import annotations

import hashlib

import pytest
from click.testing import CliRunner

from dendritemr.cli import main


@pytest.fixture()
def outside_data(tmp_path):
    from dendritemr.sim.synthetic_series import SyntheticSeries, write_series

    series = tmp_path / "data" / "7Li"
    write_series(series, SyntheticSeries(n_spectra=3, td=1024), seed=5)
    study = tmp_path / "study"
    study.mkdir()
    (study / "study.toml").write_text(f'[nmr.li7]\npath = "{series.as_posix()}"\n')
    return study, series


def _digest(folder):
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        h.update(p.relative_to(folder).as_posix().encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def test_out_inside_a_series_named_from_outside_the_study_is_refused(outside_data):
    study, series = outside_data
    before = _digest(series)
    exp = series / "1"
    cases = {
        # in an experiment: the folder holding the results is raw data
        ("analyze", exp / "results"): "lies in a raw data folder (it holds acqus)",
        # below an experiment
        ("analyze", exp / "pdata" / "res"): f"lies in a raw data folder {exp} (it holds acqus)",
        # in the series folder (numbered experiments)
        ("analyze", series / "results"): "lies in a raw data folder (experiment 1 holds acqus)",
        ("simulate", series / "2" / "sim"): "lies in a raw data folder (it holds acqus)",
        ("demo", series / "demo-out"): "lies in a raw data folder (experiment 1 holds acqus)",
    }
    for (command, out), why in cases.items():
        args = [command, "--out", str(out)]
        if command == "analyze":
            args.insert(1, str(study))
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 2, (command, res.output)
        assert res.output.strip() == f"error: {out}: {why}: raw data are never written to"
        assert not out.exists()
    assert _digest(series) == before


def test_process_out_beside_the_series_is_still_written(outside_data, tmp_path):
    _, series = outside_data
    out = tmp_path / "data" / "spectra.nc"  # beside the series folder, not in it
    res = CliRunner().invoke(main, ["process", str(series / "1"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.is_file()
