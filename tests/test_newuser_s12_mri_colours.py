"""New-user test (stop 12): the MRI per-scan panel tells its quantities apart.

Colours were numbered per row of the panel, so the first quantity of each row was black:
'metal in the image' (umol row) and 'penetration depth from B' (um row) had one legend style,
and the depths took the route colours (interface blue, bulk orange) of the other panels.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from dendritemr.report.figures import build_panels
from dendritemr.report.style import COLORS


def _inputs():
    z = np.linspace(-0.5, 0.5, 16)
    lat = np.linspace(-1.0, 1.0, 4)
    maps = np.array(
        [(k + 1) * np.exp(-((z - 0.3) ** 2) / 0.01) * np.ones((4, 1)) for k in range(3)]
    )
    mri = xr.Dataset(
        {
            "metal_umol": (("scan", "lateral_mm", "z_mm"), maps, {"units": "umol"}),
            "profile_umol": (("scan", "z_mm"), maps.sum(axis=1), {"units": "umol"}),
            "total_umol": ("scan", maps.sum(axis=(1, 2)), {"units": "umol"}),
            "total_umol_err": ("scan", [0.2, 0.3, 0.4]),
            "depth_b_um": ("scan", [40.0, 110.0, 250.0], {"units": "um"}),
            "depth_b_um_err": ("scan", [5.0, 6.0, 7.0]),
            "depth_a_um": ("scan", [0.0, 10.0, 30.0], {"units": "um"}),
            "depth_a_um_err": ("scan", [2.0, 2.0, 3.0]),
        },
        coords={"z_mm": z, "lateral_mm": lat, "hours": ("scan", [1.0, 4.0, 8.0])},
    )
    t = np.linspace(0.5, 8.0, 6)
    doc = {
        "schema": "dendritemr.results/1",
        "time_h": t.tolist(),
        "metal_umol": {"total": (2.0 * t).tolist(), "total_err": [0.1] * t.size},
    }
    return doc, {"mri": mri}


def test_each_mri_quantity_has_its_own_colour_and_none_is_a_route_colour():
    doc, ds = _inputs()
    panel = next(p for p in build_panels(doc, ds) if p.key == "mri-series")
    lines = {tr.name: tr for tr in panel.figure.data if tr.mode == "lines+markers"}
    assert set(lines) == {
        "metal in the image",
        "penetration depth from B",
        "penetration depth from A",
        "NMR total (dendritic)",
    }
    colours = {name: tr.line.color for name, tr in lines.items()}
    assert len(set(colours.values())) == 4, colours
    assert colours["metal in the image"] == COLORS["total"]
    assert colours["penetration depth from B"] == COLORS["depth_b"]
    assert colours["penetration depth from A"] == COLORS["depth_a"]
    routes = {COLORS["interface"], COLORS["bulk"]}
    assert not routes & {colours["penetration depth from B"], colours["penetration depth from A"]}
    # the plotted depths are the dataset's (the um row)
    np.testing.assert_allclose(
        np.asarray(lines["penetration depth from B"].y, float), [40.0, 110.0, 250.0]
    )
