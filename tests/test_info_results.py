"""`dendritemr info` on the NetCDF results of `analyze`: what the file holds, not 'image'."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr
from click.testing import CliRunner

from dendritemr.cli import main
from dendritemr.model.storage import save


def _info(path) -> dict:
    res = CliRunner().invoke(main, ["info", str(path)])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_info_names_a_timeline_and_its_variables(tmp_path):
    hours = np.array([0.5, 1.0, 1.5, 12.25])
    ds = xr.Dataset(
        {
            "metal_umol": ("time", [0.1, 0.4, 0.9, 3.0]),
            "metal_umol_err": ("time", [0.05] * 4),
            "x6_metal": ("time", [0.95, 0.9, 0.8, 0.5]),
        },
        coords={"time": np.arange(4), "hours": ("time", hours)},
    )
    doc = _info(save(ds, tmp_path / "timeline.nc"))
    assert doc["kind"].startswith("timeline")
    assert doc["variables"]["x6_metal"] == ["time"]
    assert doc["shape"] == {"time": 4}
    assert doc["time_h"] == [0.5, 12.25]


def test_info_names_a_cycler_record(tmp_path):
    ds = xr.Dataset(
        {"current_mA": ("hours", [0.0, 0.3, 0.3]), "voltage_V": ("hours", [0.0, 0.05, 0.06])},
        coords={"hours": [0.0, 1.0, 2.0]},
        attrs={"source": "cycler.csv"},
    )
    doc = _info(save(ds, tmp_path / "cycler.nc"))
    assert doc["kind"].startswith("cycler record")
    assert doc["source"] == "cycler.csv" and doc["time_h"] == [0.0, 2.0]
