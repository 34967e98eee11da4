"""`dendritemr info` on analyze's NetCDF files: the MRI maps (which also hold a metal total per
scan) are not called a timeline."""

import numpy as np
import xarray as xr

from dendritemr.process import describe


def test_mri_maps_and_timeline_are_told_apart():
    t = np.arange(3.0)
    timeline = xr.Dataset({"metal_umol": ("time", t)}, coords={"hours": ("time", t)})
    mri = xr.Dataset(
        {"metal_umol": ("scan", t), "profile_umol": (("scan", "z_mm"), np.ones((3, 4)))}
    )
    assert describe(timeline)["kind"].startswith("timeline")
    assert describe(mri)["kind"] == "MRI metal maps (analyze)"
