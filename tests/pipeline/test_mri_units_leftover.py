"""mri.nc's lateral coordinate keeps its units (stop 13 leftover: ``y`` had units '1').

The CSI comes from the MRI tests' independent numpy generator (``tests/mri/
test_csi_generator.py``: k-space of known lines per voxel), its image axes in mm as the
ParaVision reader and the reconstruction give them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from dendritemr.model import load, save
from dendritemr.mri.csi import metal_map

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mri"))
from test_csi_generator import GIVEN, generate, image_of, truth_map  # noqa: E402


def test_lateral_axis_keeps_mm_through_the_map_and_the_file(tmp_path):
    image = image_of(generate(truth_map(5), 0.2, 5))
    image = image.assign_coords(y=image["y"].assign_attrs(units="mm"))
    image = image.assign_coords(x=image["x"].assign_attrs(units="mm"))
    ds = metal_map(image, GIVEN)
    assert ds["y"].attrs["units"] == "mm"
    np.testing.assert_array_equal(ds["y"].values, image["y"].values)
    back = load(save(ds, tmp_path / "mri.nc"))
    assert back["y"].attrs["units"] == "mm" and back["z_mm"].attrs["units"] == "mm"
