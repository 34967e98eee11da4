"""The metal line shape held fixed from elsewhere (the NMR series' dendritic 7Li lines).

CSI from the independent numpy generator of ``test_csi_generator`` (crystalline 262 ppm, 5 ppm
wide, and amorphous 256 ppm, 14 ppm wide, metal next to an electrode line at 251 ppm), and a
hand-made decomposition dataset for :func:`dendritemr.mri.nmr_shape.dendritic_shape`.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from test_csi_generator import BF1, generate, image_of, truth_map

from dendritemr.errors import ProcessingError
from dendritemr.mri.csi import CsiModel, metal_map
from dendritemr.mri.nmr_shape import dendritic_shape

# the generator's metal as offsets from its electrode line (251 ppm): 70 % +11 ppm 5 ppm wide,
# 30 % +5 ppm 14 ppm wide
TRUE_LINES = ((11.0, 5.0, 0.7), (5.0, 14.0, 0.3))


def _shifted(image: xr.DataArray, ppm: float) -> xr.DataArray:
    """The same data read with a ppm reference ``ppm`` higher (every line moves by ``ppm``)."""
    out = image.copy()
    out.attrs = {**image.attrs, "o1_hz": image.attrs["o1_hz"] + ppm * BF1}
    return out


def test_fixed_shape_exact_under_a_reference_offset():
    # noise-free, the ppm reference 2.5 ppm off: the shape placed on the CSI's own electrode
    # line gives the total to 0.5 %; the crystalline line alone (a wrong shape) > 4 % low
    truth = truth_map(4711)
    image = _shifted(image_of(generate(truth, 0.0, 4711)), 2.5)
    ds = metal_map(image, CsiModel(calibration_umol_per_signal=1.0, metal_shape_lines=TRUE_LINES))
    assert ds.attrs["metal_model"] == "nmr"
    assert ds.attrs["electrode_line_ppm"][0] == pytest.approx(253.5, abs=0.05)
    assert float(ds["total_umol"]) == pytest.approx(truth.sum(), rel=0.005)
    wrong = metal_map(
        image, CsiModel(calibration_umol_per_signal=1.0, metal_shape_lines=((11.0, 5.0, 1.0),))
    )
    assert float(wrong["total_umol"]) < 0.96 * truth.sum()


@pytest.mark.parametrize("seed", [5150, 5151])
def test_fixed_shape_with_noise(seed):
    # with noise (sigma 0.6 on k-space, a weak metal signal): the total within 2.5 SE
    truth = 0.3 * truth_map(seed)
    ds = metal_map(
        image_of(generate(truth, 0.6, seed)),
        CsiModel(calibration_umol_per_signal=1.0, metal_shape_lines=TRUE_LINES),
    )
    total, err = float(ds["total_umol"]), float(ds["total_umol_err"])
    assert 0 < err < 0.2 * truth.sum()
    assert abs(total - truth.sum()) < 2.5 * err


def test_fixed_shape_refuses_weights_without_a_positive_sum():
    image = image_of(generate(truth_map(3), 0.0, 3))
    with pytest.raises(ProcessingError, match="weights"):
        metal_map(
            image,
            CsiModel(calibration_umol_per_signal=1.0, metal_shape_lines=((5.0, 5.0, -1.0),)),
        )


def _decomposition(areas_li7: np.ndarray, errs: float) -> xr.Dataset:
    comps = ["electrode", "microstructure", "comb_0", "electrolyte"]
    t = np.array(["2026-01-01T00:00", "2026-01-01T01:00", "2026-01-01T03:00"], "datetime64[ns]")
    area = np.zeros((2, 3, 4))
    area[0, :, 0] = 100.0
    area[0, :, 1:3] = areas_li7
    area[0, :, 3] = 50.0
    area[1] = 7.0
    centre = np.array(
        [[250.0, 260.0, 247.0, 1.0], [250.5, 261.5, 247.5, 1.0], [251.0, 262.0, 248.0, 1.0]]
    )
    width = np.broadcast_to(np.array([8.0, 6.0, 3.0, 5.0]), (2, 3, 4)).copy()
    width[0, 2, 1] = 10.0
    return xr.Dataset(
        {
            "area": (("nucleus", "time", "component"), area),
            "area_err": (("nucleus", "time", "component"), np.full((2, 3, 4), errs)),
            "center": (("time", "component"), centre),
            "width": (("nucleus", "time", "component"), width),
        },
        coords={"nucleus": ["7Li", "6Li"], "time": t, "component": comps},
    )


def test_dendritic_shape_from_a_decomposition():
    areas = np.array([[1.0, 0.5], [8.0, 2.0], [20.0, -2.0]])  # first point below 3 SE
    ds = _decomposition(areas, 1.0)
    # half way between the 1 h and 3 h points: offsets from the electrode, widths, areas
    lines = dendritic_shape(ds, np.datetime64("2026-01-01T02:00", "ns"))
    np.testing.assert_allclose(lines, [(11.0, 8.0, 14.0), (-3.0, 3.0, 0.0)], atol=1e-9)
    # before the first significant point: that point's shape (the 0 h point has 1.5 +- 1.4)
    early = dendritic_shape(ds, np.datetime64("2026-01-01T00:00", "ns"))
    np.testing.assert_allclose(early, [(11.0, 6.0, 8.0), (-3.0, 3.0, 2.0)], atol=1e-9)
    # nothing significant anywhere: no shape
    assert dendritic_shape(_decomposition(areas, 10.0), np.datetime64("2026-01-01", "ns")) is None


def test_dendritic_shape_uses_the_group_error():
    # a comb's lines trade area: their errors in quadrature (10 each) hide a group area of 8
    # whose own error (the covariance summed, 2) makes it significant from the 1 h point
    areas = np.array([[1.0, 0.5], [6.0, 2.0], [20.0, -2.0]])
    ds = _decomposition(areas, 10.0)
    assert dendritic_shape(ds, np.datetime64("2026-01-01", "ns")) is None
    group = np.zeros((2, 3, 3))
    group[0, :, 1] = areas.sum(axis=1)
    ds["group_area"] = (("nucleus", "time", "group"), group)
    ds["group_area_err"] = (("nucleus", "time", "group"), np.full((2, 3, 3), 2.0))
    ds = ds.assign_coords(group=["electrode", "microstructure", "electrolyte"])
    early = dendritic_shape(ds, np.datetime64("2026-01-01T00:00", "ns"))
    np.testing.assert_allclose(early, [(11.0, 6.0, 6.0), (-3.0, 3.0, 2.0)], atol=1e-9)
