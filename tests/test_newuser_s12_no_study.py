"""New-user test (stop 12): `analyze` given a folder that is not a study says what it is.

`dendritemr analyze demo-out --out r` (the demo's folder, not its study/), `analyze
RESULTS`, and `analyze` of the TopSpin series itself (the TEGDME data folder, before writing
a study.toml) all said only 'no study.toml in the study folder'.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from dendritemr.cli import main
from dendritemr.errors import DataError
from dendritemr.study import load_study


def _said(folder, tmp_path):
    res = CliRunner().invoke(main, ["analyze", str(folder), "--out", str(tmp_path / "r")])
    assert res.exit_code == 2
    assert not (tmp_path / "r").exists()
    lines = res.output.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_demo_folder_results_folder_and_raw_series(tmp_path):
    from dendritemr.sim.synthetic_series import SyntheticSeries, write_series

    demo = tmp_path / "demo-out"
    (demo / "study").mkdir(parents=True)
    (demo / "study" / "study.toml").write_text('[nmr.li7]\npath = "7Li"\n')
    (demo / "results").mkdir()
    (demo / "results" / "results.json").write_text('{"schema": "dendritemr.results/1"}')
    series = tmp_path / "data" / "7Li"
    write_series(series, SyntheticSeries(n_spectra=2, td=512), seed=2)
    tail = " (docs/study-format.md)"
    assert _said(demo, tmp_path) == (
        f"error: {demo / 'study.toml'}: no study.toml in the study folder: "
        f"{demo / 'study'} holds one" + tail
    )
    assert _said(demo / "results", tmp_path) == (
        f"error: {demo / 'results' / 'study.toml'}: no study.toml in the study folder: this is "
        "a results folder that `analyze` wrote" + tail
    )
    assert _said(series, tmp_path) == (
        f"error: {series / 'study.toml'}: no study.toml in the study folder: this is a TopSpin "
        f"series, raw data: describe it in a study.toml of a folder of its own ([nmr.li7] path "
        f"= '{series}')" + tail
    )
    assert "this is a TopSpin experiment, raw data" in _said(series / "1", tmp_path)


def test_a_plain_empty_folder_keeps_the_short_message(tmp_path):
    with pytest.raises(DataError) as err:
        load_study(tmp_path)
    assert str(err.value) == (
        f"{tmp_path / 'study.toml'}: no study.toml in the study folder (docs/study-format.md)"
    )
