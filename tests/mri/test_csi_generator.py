"""Metal maps recovered from CSI made by a small independent numpy generator (not the simulator).

The generator writes k-space directly: known Lorentzian lines per voxel (metal at the centre
of each voxel's share of a pellet), an electrolyte line uniform over the pellet (analytic box
transform), two bulk electrodes seen through the skin-depth weight ``exp(-2 (1 + i) s / delta)``
beyond the faces (a fine midpoint sum), complex Gaussian noise of known sigma. The fit must
return the amounts, their standard errors (pulls of unit spread), the total and the pellet faces.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from dendritemr.mri.csi import CsiModel, metal_map
from dendritemr.mri.profiles import penetration_depths
from dendritemr.mri.recon import reconstruction_operator
from dendritemr.physics import field_from_larmor, skin_depth_for

BF1, SW, O1, NF = 116.64, 80000.0, 130.0 * 116.64, 128
NZ, NX = 32, 4
FOV_Z, FOV_X = 0.5, 0.06  # mm
Z_B, Z_A = -0.1503, 0.1497  # pellet faces (mm, image coordinates)
# skin depth of 7Li at this field and 298.15 K (the fit's default temperature), mm
DELTA = float(skin_depth_for("7Li", field_from_larmor("7Li", BF1), temperature_k=298.15)) * 1e3


def _fid(ppm, fwhm):
    t = np.arange(NF) / SW
    return np.exp((2j * np.pi * (ppm * BF1 - O1) - np.pi * fwhm * BF1) * t)


def generate(
    metal: np.ndarray,
    sigma: float,
    seed: int,
    electrode: float = 40.0,
    amorphous: np.ndarray | None = None,
):
    """k-space ``(NX, NZ, NF)`` of a cell with ``metal`` ``(NX, NZ)`` amounts at pixel centres.

    ``amorphous``: per voxel, the amorphous (256 ppm, 14 ppm wide) part of ``metal``; the rest
    is crystalline (262 ppm, 5 ppm). None: 30 % of every voxel."""
    kz = (np.arange(NZ) - NZ // 2) / FOV_Z
    kx = (np.arange(NX) - NX // 2) / FOV_X
    zc = (np.arange(NZ) - NZ // 2) * FOV_Z / NZ
    # a voxel's metal sits at the centre of its share of the pellet (the face pixels are cut)
    dz = FOV_Z / NZ
    zc = (np.clip(zc - dz / 2, Z_B, Z_A) + np.clip(zc + dz / 2, Z_B, Z_A)) / 2
    xc = (np.arange(NX) - NX // 2) * FOV_X / NX
    k = np.zeros((NX, NZ, NF), complex)
    # metal: one crystalline and one broader amorphous line, fixed 70:30 (free shapes in the fit)
    f_metal = 0.7 * _fid(262.0, 5.0) + 0.3 * _fid(256.0, 14.0)
    ph = np.exp(-2j * np.pi * (kx[:, None, None, None] * xc[None, None, :, None]))
    ph = ph * np.exp(-2j * np.pi * (kz[None, :, None, None] * zc[None, None, None, :]))
    if amorphous is None:
        k += np.einsum("xzab,ab->xz", ph, metal)[..., None] * f_metal
    else:
        for amount, fid in ((metal - amorphous, _fid(262.0, 5.0)), (amorphous, _fid(256.0, 14.0))):
            k += np.einsum("xzab,ab->xz", ph, amount)[..., None] * fid
    # electrolyte: uniform box over the pellet, laterally uniform (kx = 0 only)
    with np.errstate(invalid="ignore", divide="ignore"):
        box = (np.exp(-2j * np.pi * kz * Z_A) - np.exp(-2j * np.pi * kz * Z_B)) / (-2j * np.pi * kz)
    box[kz == 0] = Z_A - Z_B
    k[NX // 2] += 2000.0 * (box / (Z_A - Z_B))[:, None] * _fid(1.5, 6.0)
    # electrodes: skin-depth weighted metal beyond each face (midpoint rule, 0.05 um steps)
    s = (np.arange(4000) + 0.5) * 5e-5
    w = np.exp(-2 * (1 + 1j) * s / DELTA)
    w = w / w.sum()  # unit amount; the -45 degree lag of bulk metal goes into the amplitude
    for face, side in ((Z_B, -1), (Z_A, +1)):
        prof = np.exp(-2j * np.pi * kz[:, None] * (face + side * s)[None, :]) @ w
        k[NX // 2] += electrode * np.exp(-1j * np.pi / 4) * prof[:, None] * _fid(251.0, 8.0)
    rng = np.random.default_rng(seed)
    k += sigma * (rng.standard_normal(k.shape) + 1j * rng.standard_normal(k.shape))
    return k


def image_of(k: np.ndarray) -> xr.DataArray:
    data = reconstruction_operator(("ky", "kx", "t2"), k.shape)(k)
    return xr.DataArray(
        data,
        dims=("y", "x", "ppm"),
        coords={
            "y": (np.arange(NX) - NX // 2) * FOV_X / NX,
            "x": (np.arange(NZ) - NZ // 2) * FOV_Z / NZ,
        },
        attrs={"sw_hz": SW, "o1_hz": O1, "bf1_mhz": BF1, "nucleus": "7Li", "source": "generator"},
    )


def truth_map(seed: int) -> np.ndarray:
    """Metal per pixel: a filament from B 6 pixels deep plus scattered grains (amounts 0.3-2)."""
    rng = np.random.default_rng(seed)
    zc = (np.arange(NZ) - NZ // 2) * FOV_Z / NZ
    inside = np.nonzero((zc > Z_B) & (zc < Z_A))[0]
    m = np.zeros((NX, NZ))
    m[1, inside[:6]] = rng.uniform(0.8, 2.0, 6)
    for _ in range(5):
        m[rng.integers(NX), rng.choice(inside[8:-2])] += rng.uniform(0.3, 1.5)
    return m


# the generator's metal has two lines (fixed 70:30): fitted with two shared metal shapes
GIVEN = CsiModel(calibration_umol_per_signal=1.0, metal_lines=2)


@pytest.mark.parametrize("seed", [101, 202])
def test_generator_map_total_and_errors(seed):
    truth = truth_map(seed)
    sigma = 0.2  # image noise ~0.006 per pixel against amounts of 0.3-2
    ds = metal_map(image_of(generate(truth, sigma, seed)), GIVEN)
    est, err = ds["metal_umol"].values, ds["metal_umol_err"].values
    assert ds.attrs["z_b_mm"] == pytest.approx(Z_B, abs=0.002)
    assert ds.attrs["z_a_mm"] == pytest.approx(Z_A, abs=0.002)
    r = np.corrcoef(est.ravel(), truth.ravel())[0, 1]
    assert r > 0.99
    total, total_err = float(ds["total_umol"]), float(ds["total_umol_err"])
    assert abs(total - truth.sum()) < max(3 * total_err, 0.02 * truth.sum())
    # standard errors from the measured noise: pulls over the pellet of about unit spread
    inside = err > 0
    pulls = (est - truth)[inside] / err[inside]
    assert 0.6 < pulls.std() < 1.5
    # the filament from B: 6 pixels deep, front at the 6th pixel centre (within one pixel)
    depth = penetration_depths(ds)["depth_b_um"]
    pix = FOV_Z / NZ * 1e3
    zc = (np.arange(NZ) - NZ // 2) * FOV_Z / NZ
    first = np.nonzero(zc > Z_B)[0][0]
    assert abs(depth - (zc[first + 5] - Z_B) * 1e3) <= pix


def test_generator_noise_free_is_exact():
    truth = truth_map(7)
    ds = metal_map(image_of(generate(truth, 0.0, 7)), GIVEN)
    np.testing.assert_allclose(ds["metal_umol"].values, truth, atol=0.02 * truth.max())


def truth_two_fronts(seed: int, depth_a: int, depth_b: int) -> np.ndarray:
    """Filaments growing from both faces: ``depth_a`` pixels from A, ``depth_b`` from B."""
    rng = np.random.default_rng(seed)
    zc = (np.arange(NZ) - NZ // 2) * FOV_Z / NZ
    inside = np.nonzero((zc > Z_B) & (zc < Z_A))[0]
    m = np.zeros((NX, NZ))
    lat_a, lat_b = rng.choice(NX, 2, replace=False)
    m[lat_a, inside[::-1][:depth_a]] = rng.uniform(0.6, 1.6, depth_a)
    m[lat_b, inside[:depth_b]] = rng.uniform(0.6, 1.6, depth_b)
    return m


@pytest.mark.parametrize(("seed", "depth_a", "depth_b"), [(303, 7, 2), (404, 4, 0)])
def test_generator_front_from_a(seed, depth_a, depth_b):
    # metal that grows from A: the walk from A's face finds its tip (within one pixel), the
    # walk from B stops at B's own (shorter or absent) filament
    truth = truth_two_fronts(seed, depth_a, depth_b)
    ds = metal_map(image_of(generate(truth, 0.2, seed)), GIVEN)
    fronts = penetration_depths(ds)
    pix = FOV_Z / NZ * 1e3
    zc = (np.arange(NZ) - NZ // 2) * FOV_Z / NZ
    inside = np.nonzero((zc > Z_B) & (zc < Z_A))[0]
    tip_a = (Z_A - zc[inside[-depth_a]]) * 1e3
    tip_b = (zc[inside[depth_b - 1]] - Z_B) * 1e3 if depth_b else 0.0
    assert abs(fronts["depth_a_um"] - tip_a) <= pix
    assert abs(fronts["depth_b_um"] - tip_b) <= pix
    total, total_err = float(ds["total_umol"]), float(ds["total_umol_err"])
    assert abs(total - truth.sum()) < max(3 * total_err, 0.02 * truth.sum())


def test_visibility_from_the_phase_of_each_voxel():
    # thick filaments (radius 0.4-1.7 skin depths) lag and shrink: signal N v(a) per voxel
    # (exact cylinder visibility); the fit reads each voxel's phase, inverts it for v and
    # returns the amount N; thin voxels stay at v = 1
    from dendritemr.physics import cylinder_visibility

    rng = np.random.default_rng(606)
    truth = truth_map(606)
    radius = np.zeros_like(truth)
    thick = np.argwhere(truth > 0.5)[rng.permutation(int((truth > 0.5).sum()))[:5]]
    for (i, j), a in zip(thick, np.linspace(0.4, 1.7, len(thick)), strict=True):
        radius[i, j] = a * DELTA * 1e-3
    v = np.asarray(cylinder_visibility(radius, DELTA * 1e-3))
    model = CsiModel(
        calibration_umol_per_signal=1.0, metal_shape="mixture", visibility_from_phase=True
    )
    exact = metal_map(image_of(generate(truth * v, 0.0, 606)), model)
    np.testing.assert_allclose(exact["metal_umol"].values, truth, atol=0.02 * truth.max())
    sel = radius > 0
    np.testing.assert_allclose(exact["visibility"].values[sel], np.abs(v[sel]), rtol=0.02)
    np.testing.assert_allclose(exact["filament_size_um"].values[sel], radius[sel] * 1e6, rtol=0.05)
    # with noise: the total within 3 SE, where assuming v = 1 undercounts the thick voxels
    noisy = metal_map(image_of(generate(truth * v, 0.2, 607)), model)
    total, err = float(noisy["total_umol"]), float(noisy["total_umol_err"])
    assert abs(total - truth.sum()) < 3 * err
    thin = metal_map(
        image_of(generate(truth * v, 0.2, 607)),
        CsiModel(calibration_umol_per_signal=1.0, metal_shape="mixture"),
    )
    assert truth.sum() - float(thin["total_umol"]) > 5 * float(thin["total_umol_err"])
    est = noisy["visibility"].values[sel]
    assert np.all(np.abs(est - np.abs(v[sel])) < 0.05)


def test_auto_metal_total_of_two_populations_noise_free():
    # crystalline + amorphous metal (70:30, the generator's default): the BIC finds a free line
    # (not the electrode's) and the amounts come from the two-line mixture, exact to 1 %;
    # one Lorentzian (the former amounts) misses the broad line's tails, > 4 % low
    truth = truth_map(808)
    image = image_of(generate(truth, 0.0, 808))
    auto = metal_map(image, CsiModel(calibration_umol_per_signal=1.0))
    assert auto.attrs["metal_model_detected"] == "single"
    assert auto.attrs["metal_model"] == "mixture"
    assert float(auto["total_umol"]) == pytest.approx(truth.sum(), rel=0.01)
    one = metal_map(image, CsiModel(calibration_umol_per_signal=1.0, metal_shape="single"))
    assert float(one["total_umol"]) < 0.96 * truth.sum()


def test_shapes_refined_on_all_columns():
    # the metal's composition differs between columns: crystalline in columns 0 and 3 (the two
    # a 2-column refinement uses), 60 % amorphous in columns 1 and 2. The shared shapes must
    # describe the whole image: refined on every column the total is exact to 1.5 %; on
    # columns 0 and 3 alone the amorphous line is not seen and the total is > 4 % low
    truth = truth_map(909)
    amorphous = np.zeros_like(truth)
    amorphous[1:3] = 0.6 * truth[1:3]
    truth[1:3] *= 2.0  # the amorphous columns hold more of the metal
    amorphous[1:3] *= 2.0
    image = image_of(generate(truth, 0.0, 909, amorphous=amorphous))
    model = CsiModel(calibration_umol_per_signal=1.0, metal_shape="mixture")
    every = metal_map(image, model)
    assert float(every["total_umol"]) == pytest.approx(truth.sum(), rel=0.015)
    some = metal_map(image, CsiModel(**{**model.__dict__, "refine_columns": 2}))
    assert float(some["total_umol"]) < 0.96 * truth.sum()


@pytest.mark.parametrize("seed", [11, 12])
def test_mixture_of_one_line_keeps_a_first_order_error(seed):
    # crystalline metal only, fitted as a two-line mixture: the two lines can nearly coincide,
    # a direction the data hardly fix. The shapes' error is propagated to first order (steps
    # within 1 % of each parameter's range), so the total's SE stays near the one-line fit's
    # instead of following a secant across the whole range; the total within 3 SE
    truth = truth_map(seed)
    amorphous = np.zeros_like(truth)
    image = image_of(generate(truth, 0.4, seed, amorphous=amorphous))
    mix = metal_map(image, CsiModel(calibration_umol_per_signal=1.0, metal_shape="mixture"))
    one = metal_map(image, CsiModel(calibration_umol_per_signal=1.0, metal_shape="single"))
    err, err_one = float(mix["total_umol_err"]), float(one["total_umol_err"])
    assert err < 1.6 * err_one
    assert abs(float(mix["total_umol"]) - truth.sum()) < 3 * err
