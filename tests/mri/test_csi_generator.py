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


def generate(metal: np.ndarray, sigma: float, seed: int, electrode: float = 40.0):
    """k-space ``(NX, NZ, NF)`` of a cell with ``metal`` ``(NX, NZ)`` amounts at pixel centres."""
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
    k += np.einsum("xzab,ab->xz", ph, metal)[..., None] * f_metal
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
