"""The report's MRI series panel: map totals and penetration depths with their error bands,
the NMR series' dendritic total beside the map totals (report/figures.py, MRI code)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from dendritemr.report.figures import mri_panels


def _arr(v):
    return np.asarray(v, float)


def test_series_panel_shows_totals_depths_and_their_errors():
    hours = np.array([1.0, 4.0, 8.0])
    z = np.linspace(-0.1, 0.4, 6)
    ds = xr.Dataset(
        {
            "metal_umol": (("scan", "lateral", "z_mm"), np.ones((3, 2, 6)), {"units": "umol"}),
            "profile_umol": (("scan", "z_mm"), np.ones((3, 6)), {"units": "umol"}),
            "total_umol": ("scan", [0.5, 2.0, 4.5], {"units": "umol"}),
            "total_umol_err": ("scan", [0.2, 0.3, 0.4], {"units": "umol"}),
            "depth_b_um": ("scan", [0.0, 40.0, 120.0], {"units": "um"}),
            "depth_b_um_err": ("scan", [5.0, 12.0, 20.0], {"units": "um"}),
            "depth_a_um": ("scan", [0.0, 0.0, 20.0], {"units": "um"}),
            "depth_a_um_err": ("scan", [5.0, 5.0, 9.0], {"units": "um"}),
            "z_b_mm": ("scan", [0.0, 0.0, 0.0], {"units": "mm"}),
        },
        coords={"z_mm": z, "hours": ("scan", hours)},
    )
    doc = {
        "time_h": [0.5, 2.0, 6.0, 9.0],
        "metal_umol": {"total": [0.4, 1.0, 3.5, 5.0], "total_err": [0.1, 0.1, 0.2, 0.2]},
        "stages": [],
    }
    panels = {p.key: p for p in mri_panels(doc, {"mri": ds})}
    fig = panels["mri-series"].figure
    lines = {t.name: t for t in fig.data if t.fill is None}
    bands = {t.name: t for t in fig.data if t.fill == "toself"}
    assert set(lines) == {"total_umol", "depth_b_um", "depth_a_um", "NMR total (dendritic)"}
    np.testing.assert_array_equal(_arr(lines["total_umol"].y), ds["total_umol"].values)
    np.testing.assert_array_equal(_arr(lines["depth_b_um"].x), hours)
    # the depth band spans depth +- its error (upper edge forward, lower edge backward)
    band = _arr(bands["depth_b_um ±1 SE"].y)
    np.testing.assert_allclose(band[:3], [5.0, 52.0, 140.0])
    np.testing.assert_allclose(band[3:], [100.0, 28.0, -5.0])
    np.testing.assert_array_equal(_arr(lines["NMR total (dendritic)"].y), [0.4, 1.0, 3.5, 5.0])
    assert lines["NMR total (dendritic)"].yaxis == lines["total_umol"].yaxis
    assert lines["depth_b_um"].yaxis != lines["total_umol"].yaxis
