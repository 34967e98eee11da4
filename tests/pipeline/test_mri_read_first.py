"""A truncated MRI scan is found before the line fits (stop 13: the demo study with one
truncated ParaVision fid failed after 42 s of quantifying; the cycler is read first for the
same reason)."""

from __future__ import annotations

import pytest

from dendritemr.errors import DataError
from dendritemr.pipeline import analyze
from dendritemr.sim.presets import load_preset
from dendritemr.sim.study import simulate


def test_truncated_mri_scan_fails_before_quantifying(tmp_path, small_study_changes):
    study = tmp_path / "study"
    simulate(load_preset("high-current").updated(**small_study_changes), study, seed=3)
    scans = sorted((study / "mri").iterdir(), key=lambda p: int(p.name))
    assert len(scans) >= 2
    fid = scans[1] / "fid"
    fid.write_bytes(fid.read_bytes()[:3000])
    steps: list[str] = []
    with pytest.raises(DataError) as err:
        analyze(study, tmp_path / "res", progress=steps.append)
    assert str(err.value).startswith(f"{fid}: ") and "\n" not in str(err.value)
    assert "MRI times" in steps and "quantifying" not in steps
    assert not (tmp_path / "res").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["study"]  # no temporary folder either
