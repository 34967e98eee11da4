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
from dendritemr.mri.nmr_shape import dendritic_lines, dendritic_shape, scan_shape

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
    # at the first significant point: its shape; before it (the 0 h point has 1.5 +- 1.4):
    # none, the CSI's own model choice (a later point's shape read first images 35-45 % low)
    first = dendritic_shape(ds, np.datetime64("2026-01-01T01:00", "ns"))
    np.testing.assert_allclose(first, [(11.0, 6.0, 8.0), (-3.0, 3.0, 2.0)], atol=1e-9)
    assert dendritic_shape(ds, np.datetime64("2026-01-01T00:59", "ns")) is None
    # after the last: held at the last (3 h)
    late = dendritic_shape(ds, np.datetime64("2026-01-01T09:00", "ns"))
    np.testing.assert_allclose(late, [(11.0, 10.0, 20.0), (-3.0, 3.0, -2.0)], atol=1e-9)
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
    assert dendritic_shape(ds, np.datetime64("2026-01-01T00:00", "ns")) is None  # 1.5 < 6
    first = dendritic_shape(ds, np.datetime64("2026-01-01T01:00", "ns"))
    np.testing.assert_allclose(first, [(11.0, 6.0, 6.0), (-3.0, 3.0, 2.0)], atol=1e-9)


def test_scan_shape_says_where_its_shape_came_from():
    areas = np.array([[1.0, 0.5], [8.0, 2.0], [20.0, -2.0]])
    table = dendritic_lines(_decomposition(areas, 1.0))
    assert table["significant"].values.tolist() == [False, True, True]
    assert table["line"].values.tolist() == ["microstructure", "comb_0"]
    t = table["time"].values
    mid = scan_shape(table, np.datetime64("2026-01-01T01:30", "ns"))
    assert mid.reason == "interpolated" and mid.nmr_times == (t[1], t[2])
    np.testing.assert_allclose(mid.lines, [(11.0, 7.0, 11.0), (-3.0, 3.0, 1.0)], atol=1e-9)
    assert scan_shape(table, t[1]).reason == "at a significant point"
    held = scan_shape(table, np.datetime64("2026-01-02", "ns"))
    assert held.reason == "held after the last significant point" and held.nmr_times == (t[2],)
    early = scan_shape(table, np.datetime64("2025-12-31", "ns"))
    assert early.lines is None and early.reason == "no significant dendritic 7Li before the scan"
    none = scan_shape(dendritic_lines(_decomposition(areas, 10.0)), t[2])
    assert none.lines is None and none.reason == "no significant dendritic 7Li in the series"
    assert scan_shape(None, t[0]).reason == "no dendritic lines in the series fit"
    # no electrode line in the fit: no table
    no_el = _decomposition(areas, 1.0).assign_coords(
        component=["electrode_x", "microstructure", "comb_0", "electrolyte"]
    )
    assert dendritic_lines(no_el) is None


def _series_fit(ref_ppm: float) -> xr.Dataset:
    """A series fit as ``quant.decompose`` returns it (the variables ``dendritic_lines`` reads)
    for the generator's cell, its ppm reference ``ref_ppm`` off the CSI's: electrode 251 ppm,
    8 ppm wide; at 1 h and 3 h two dendritic lines whose offsets, widths and 7Li areas move
    linearly so that at 2 h they are the generator's (+11 ppm 5 ppm wide, +5 ppm 14 ppm wide,
    70:30); at 0 h no significant dendritic 7Li; a comb line of no area; 6Li rows."""
    comps = ["electrode", "microstructure", "microstructure_2", "comb_0", "electrolyte"]
    t = np.array(["2026-01-01T00:00", "2026-01-01T01:00", "2026-01-01T03:00"], "datetime64[ns]")
    area = np.zeros((2, 3, 5))
    area[0, :, 0], area[0, :, 4], area[1] = 400.0, 900.0, 30.0
    area[0, 1, 1:3], area[0, 2, 1:3] = (5.0, 3.0), (9.0, 3.0)  # 2 h: 7 : 3
    offsets = np.array([[0.0, 10.0, 4.0, -6.0, -249.5], [0.0, 10.5, 4.5, -6.0, -249.5],
                        [0.0, 11.5, 5.5, -6.0, -249.5]])  # fmt: skip
    centre = 251.0 + ref_ppm + offsets
    width = np.broadcast_to(np.array([8.0, 4.0, 12.0, 3.0, 6.0]), (2, 3, 5)).copy()
    width[0, 1, 1:3], width[0, 2, 1:3] = (4.5, 13.0), (5.5, 15.0)  # 2 h: 5 and 14 ppm
    return xr.Dataset(
        {
            "area": (("nucleus", "time", "component"), area),
            "area_err": (("nucleus", "time", "component"), np.full((2, 3, 5), 0.5)),
            "center": (("time", "component"), centre),
            "width": (("nucleus", "time", "component"), width),
        },
        coords={"nucleus": ["7Li", "6Li"], "time": t, "component": comps},
    )


@pytest.mark.parametrize("seed", [6101, 6102, 6103])
def test_nmr_derived_shape_recovers_the_metal(seed):
    """A scan at 2 h (window 1.5-2.5 h) between the series' 1 h and 3 h points: the pipeline's
    rule (``pipeline.mri_metal_shapes``) interpolates the two-line shape, read with the NMR's
    ppm reference 3 ppm off; held in the fit of the generator's noisy CSI, the total is
    within 2 SE of the known amount (and the SE is not inflated)."""
    from dendritemr.pipeline import mri_metal_shapes

    ds = _series_fit(-3.0)
    t0 = ds["time"].values[0]
    win = [("1", t0 + np.timedelta64(90, "m"), t0 + np.timedelta64(150, "m"))]
    shapes, sources, used = mri_metal_shapes(
        dendritic_lines(ds), win, lambda t: (t - t0) / np.timedelta64(1, "h")
    )
    assert sources == ["NMR series, interpolated (1.00, 3.00 h)"] and used == [[1.0, 3.0]]
    w = np.array(shapes[0])[:, 2]
    np.testing.assert_allclose(np.array(shapes[0])[:, :2], [(11, 5), (5, 14), (-6, 3)])
    np.testing.assert_allclose(w / w.sum(), [0.7, 0.3, 0.0])
    truth = 0.3 * truth_map(seed)
    fit = metal_map(
        image_of(generate(truth, 0.6, seed)),
        CsiModel(calibration_umol_per_signal=1.0, metal_shape_lines=shapes[0]),
    )
    assert fit.attrs["metal_model"] == "nmr"
    total, err = float(fit["total_umol"]), float(fit["total_umol_err"])
    assert 0 < err < 0.1 * truth.sum()
    assert abs(total - truth.sum()) < 2 * err


def test_nmr_derived_shape_noise_free_is_exact():
    # the same scan noise-free: the interpolated shape is the generator's, the total exact to
    # 0.1 % (the 1 h point's shape alone reads 0.35 % low: small, the CSI's total is not very
    # sensitive to moderate shape changes, which is why the interpolation rule matters little)
    from dendritemr.mri.nmr_shape import scan_shape

    truth = 0.3 * truth_map(6101)
    lines = scan_shape(dendritic_lines(_series_fit(-3.0)), np.datetime64("2026-01-01T02:00"))
    fit = metal_map(
        image_of(generate(truth, 0.0, 6101)),
        CsiModel(calibration_umol_per_signal=1.0, metal_shape_lines=lines.lines),
    )
    assert float(fit["total_umol"]) == pytest.approx(truth.sum(), rel=1e-3)
