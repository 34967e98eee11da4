"""CSI fit pieces against analytic truth, and one small simulated study end to end."""

from __future__ import annotations

import numpy as np
import pytest
from small_csi import simulate_small_csi_study

from dendritemr.mri.csi import (
    SpectralAxis,
    _box_kspace,
    electrode_response,
    fit_lines,
    line_shapes,
    locate_pellet,
)
from dendritemr.mri.recon import reconstruction_operator

AXIS = SpectralAxis(n=128, sw_hz=80000.0, o1_hz=15165.5, bf1_mhz=116.658)


def test_line_shape_is_the_exact_discrete_lorentzian():
    # DFT of a sampled damped exponential = geometric series (tails and wrap-around included)
    c, w = 1.5, 6.0
    g = line_shapes(AXIS, [c], [w])[0]
    n = AXIS.n
    r = np.exp(
        (2j * np.pi * (c * AXIS.bf1_mhz - AXIS.o1_hz) - np.pi * w * AXIS.bf1_mhz) / AXIS.sw_hz
    )
    k = np.arange(n) - n // 2  # centred DFT index, then reversed (high ppm first)
    series = (1 - r**n) / (1 - r * np.exp(-2j * np.pi * k / n))
    np.testing.assert_allclose(g, series[::-1], rtol=1e-10, atol=1e-12)


def test_fit_lines_recovers_two_lines_with_noise():
    rng = np.random.default_rng(4)
    truth = line_shapes(AXIS, [1.5, 255.0], [6.0, 9.0])
    y = 100 * truth[0] + (3 - 2j) * truth[1]
    y = y + 0.05 * (rng.normal(size=AXIS.n) + 1j * rng.normal(size=AXIS.n))
    c, w, a = fit_lines(AXIS, y, [4.0, 250.0], [4.0, 5.0])
    assert c == pytest.approx([1.5, 255.0], abs=0.3)
    assert w == pytest.approx([6.0, 9.0], abs=0.6)
    assert a[1] == pytest.approx(3 - 2j, abs=0.15)


def test_locate_pellet_on_an_analytic_box():
    n, fov = 48, 1.2
    k = (np.arange(n) - n // 2) / fov
    profile = reconstruction_operator(("kz",), (n,))(_box_kspace(k, -0.4137, 0.3712)).real
    zb, za, height = locate_pellet(profile / fov, fov)
    assert zb == pytest.approx(-0.4137, abs=1e-4) and za == pytest.approx(0.3712, abs=1e-4)


def test_electrode_response_sums_to_one_object():
    # the response of a unit electrode integrates to N (IDFT x N of a unit k = 0 value)
    r = electrode_response(64, 1.2, -0.5, 0.014, -1)
    assert r.sum() == pytest.approx(64.0, rel=1e-9)
    assert np.argmax(np.abs(r)) in (5, 6)  # next to the face at -0.5 mm (pixels of 18.75 um)


@pytest.fixture(scope="module")
def small_csi_study(tmp_path_factory):
    out = tmp_path_factory.mktemp("csi") / "s"
    return out, simulate_small_csi_study(out, seed=6, every_h=4.5)


@pytest.mark.slow
def test_simulated_csi_metal_map(small_csi_study):
    from dendritemr.mri.commands import analyse_scans, scan_folders

    study, truth = small_csi_study
    maps, series = analyse_scans(scan_folders(study / "mri"), 1.0)
    assert len(maps) == len(truth["mri"]) == 2
    for m in maps:  # the pellet (300 um, centred) found from the LLZO box
        assert m.attrs["z_b_mm"] == pytest.approx(-0.150, abs=0.002)
        assert m.attrs["z_a_mm"] == pytest.approx(0.150, abs=0.002)
    last, true_last = maps[-1], np.array(truth["mri"][-1]["metal_umol_map"])
    est = last["metal_umol"].values.T
    r = np.corrcoef(est.ravel(), true_last.ravel())[0, 1]
    # at the simulator's SNR 50 the map is noise-limited: r must come close to the best that
    # its own standard errors allow, sqrt(var(truth) / (var(truth) + mean SE^2))
    se2 = float((last["metal_umol_err"].values ** 2).mean())
    r_max = np.sqrt(true_last.var() / (true_last.var() + se2))
    assert r > r_max - 0.15
    assert abs(float(last["total_umol"]) - true_last.sum()) < 3 * float(last["total_umol_err"])
    assert series["depth_b_um"].values[-1] > 0  # metal from B is found


@pytest.mark.slow
def test_mri_dataset_for_the_pipeline(small_csi_study):
    from dendritemr.mri.series import mri_dataset

    study, truth = small_csi_study
    ds = mri_dataset(study / "mri", 1.0)
    n = len(truth["mri"])
    assert ds.sizes["time"] == n and ds["metal_umol"].dims == ("time", "lateral", "z_mm")
    assert ds["metal_umol"].shape[1:] == np.array(truth["mri"][0]["metal_umol_map"]).T.shape
    # profiles are the lateral sums of the maps, totals their sums
    np.testing.assert_allclose(ds["profile_umol"], ds["metal_umol"].sum("lateral"), atol=1e-12)
    np.testing.assert_allclose(ds["total_umol"], ds["metal_umol"].sum(("lateral", "z_mm")))
    assert np.all(np.diff(ds["time"].values).astype(float) > 0)
    # the 7Li image counts 7Li: metal with x6 = 0.5 is (1 - 0.0759) / 0.5 times the amount
    half = mri_dataset(study / "mri", 1.0, x6_metal=[0.5] * n, x6_electrode=0.0759)
    ratio = float(half["total_umol"][-1] / ds["total_umol"][-1])
    assert ratio == pytest.approx((1 - 0.0759) / 0.5, rel=1e-6)
    with pytest.raises(ValueError, match="x6_metal has 1 values"):
        mri_dataset(study / "mri", 1.0, x6_metal=[0.5])
