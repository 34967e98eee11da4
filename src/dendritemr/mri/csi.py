"""Chemical-shift images -> metal maps with uncertainties (7Li CSI of a Li|electrolyte|Li cell).

Model of the reconstructed CSI ``D(l, z, f)`` (``l`` lateral pixel, ``z`` pixel across the cell,
``f`` spectral point), fitted column by column (one lateral pixel at a time)::

    D(l, z, f) = sum_z' b_lz' [z = z'] g_LLZO(f)                   every pixel: electrolyte line
               + sum_z' (m1_lz' g_1(f) + m2_lz' g_2(f)) [z = z']   pixels inside the pellet: metal
               + E_Bl R_B(z) g_E(f) + E_Al R_A(z) g_E(f)           electrodes, outside the pellet

- Line shapes ``g`` are shared by all pixels: each is the reconstructed spectrum of a sampled,
  truncated, damped exponential FID (:func:`line_shapes`), i.e. the exact discrete line of the
  same reconstruction chain, so the LLZO line's Lorentzian tails, its truncation wiggles and the
  periodic wrap-around of the DFT are all modelled where they fall into the metal window.
  Their positions and widths come from fits of summed spectra (variable projection,
  :func:`fit_lines`): LLZO from the whole image, the electrode line from the pixels outside the
  pellet, two metal lines (crystalline and amorphous or BMS-shifted populations) from the
  pixels inside.
- The pellet (z_B, z_A) is located from the LLZO amplitude profile: a box whose k-space
  ``(exp(-2 pi i k z_A) - exp(-2 pi i k z_B)) / (-2 pi i k)`` goes through the same
  reconstruction (:func:`locate_pellet`).
- Electrode responses ``R_B``, ``R_A``: the skin-depth profile ``exp(-2 (1 + i) s / delta)`` into
  the metal beyond each surface (science.md section 3; ``delta`` from
  :func:`dendritemr.physics.skin_depth_for`), Fourier encoded at the sampled k and
  reconstructed, so their ringing into the pellet pixels is subtracted rather than counted as
  dendrites.
- Amounts: amplitudes are converted to k-space units (an object of amplitude ``A`` gives
  ``A N_z N_x`` in its pixel); the electrodes calibrate the scale
  (:func:`dendritemr.quant.amounts.calibrate_electrode`: face area x effective skin depth);
  each pixel's metal is divided by its skin-depth visibility (1 for sub-delta filaments, or the
  cylinder visibility of a given filament radius, :func:`dendritemr.physics.cylinder_visibility`)
  and by its 7Li fraction (the 7Li image counts 7Li; ``x6_metal`` and ``x6_electrode`` convert).
- Uncertainties: the linear least-squares covariance of each column with the residual variance,
  propagated to each pixel, to the total, and combined with the calibration's relative error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.optimize
import xarray as xr

from dendritemr.errors import DataError, ProcessingError
from dendritemr.mri.recon import reconstruction_operator
from dendritemr.physics import (
    LI6_NATURAL_FRACTION,
    LI_KNIGHT_SHIFT_PPM,
    LLZO_SHIFT_PPM,
    cylinder_visibility,
    field_from_larmor,
    skin_depth_for,
)

__all__ = [
    "SpectralAxis",
    "line_shapes",
    "fit_lines",
    "locate_pellet",
    "electrode_response",
    "CsiModel",
    "metal_map",
]


@dataclasses.dataclass(frozen=True)
class SpectralAxis:
    """Spectral sampling of a CSI: ``n`` points, ``sw_hz``, carrier ``o1_hz``, ``bf1_mhz``."""

    n: int
    sw_hz: float
    o1_hz: float
    bf1_mhz: float

    def ppm(self) -> np.ndarray:
        """ppm of each reconstructed point (high to low, as :mod:`dendritemr.mri.recon`)."""
        hz = np.fft.fftshift(np.fft.fftfreq(self.n, 1.0 / self.sw_hz))[::-1]
        return (hz + self.o1_hz) / self.bf1_mhz


def line_shapes(axis: SpectralAxis, centre_ppm: Sequence[float], fwhm_ppm: Sequence[float]):
    """Reconstructed spectra ``(n_lines, n)`` of unit-amplitude Lorentzian FIDs.

    FID ``exp((2 pi i (nu - o1) - pi fwhm) t)`` at ``t = k / sw``, ``k = 0 .. n - 1`` (Hz from the
    ppm values times ``bf1_mhz``), through :func:`dendritemr.mri.recon.reconstruction_operator`
    (unnormalised DFT, high ppm first).
    """
    c = np.atleast_1d(np.asarray(centre_ppm, float))
    w = np.atleast_1d(np.asarray(fwhm_ppm, float))
    t = np.arange(axis.n) / axis.sw_hz
    rate = 2j * np.pi * (c * axis.bf1_mhz - axis.o1_hz) - np.pi * np.abs(w) * axis.bf1_mhz
    fids = np.exp(rate[:, None] * t[None, :])
    return reconstruction_operator(("line", "t2"), fids.shape)(fids)


def _varpro(y: np.ndarray, basis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Complex amplitudes and residual of ``y ~ basis.T @ a`` (basis ``(p, n)``)."""
    a, *_ = np.linalg.lstsq(basis.T, y, rcond=None)
    return a, y - basis.T @ a


def fit_lines(
    axis: SpectralAxis,
    spectrum: np.ndarray,
    centre_ppm: Sequence[float],
    fwhm_ppm: Sequence[float],
    fixed: Sequence[np.ndarray] = (),
    window_ppm: float = 40.0,
    max_fwhm_ppm: float = 60.0,
    min_fwhm_ppm: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit line positions and widths to one spectrum (complex amplitudes eliminated).

    Parameters
    ----------
    axis : spectral sampling; spectrum : complex ``(n,)``.
    centre_ppm, fwhm_ppm : starting values; each centre may move by ``window_ppm``.
    fixed : shapes ``(n,)`` with free amplitudes but no free parameters (lines already known).

    Returns
    -------
    centres, fwhms (ppm), amplitudes (complex; the free lines first, then ``fixed``).
    """
    c0 = np.asarray(centre_ppm, float)
    w0 = np.asarray(fwhm_ppm, float)
    fixed_arr = np.array(fixed).reshape(-1, axis.n) if len(fixed) else np.zeros((0, axis.n))
    min_w = 0.2 * axis.sw_hz / axis.n / axis.bf1_mhz if min_fwhm_ppm is None else min_fwhm_ppm

    def basis(p):
        return np.vstack([line_shapes(axis, p[: c0.size], p[c0.size :]), fixed_arr])

    def resid(p):
        _, r = _varpro(spectrum, basis(p))
        return np.concatenate([r.real, r.imag])

    lo = np.concatenate([c0 - window_ppm, np.full(w0.size, min_w)])
    hi = np.concatenate([c0 + window_ppm, np.full(w0.size, max_fwhm_ppm)])
    p0 = np.clip(np.concatenate([c0, w0]), lo + 1e-9, hi - 1e-9)
    sol = scipy.optimize.least_squares(resid, p0, bounds=(lo, hi), x_scale="jac", max_nfev=200)
    a, _ = _varpro(spectrum, basis(sol.x))
    return sol.x[: c0.size], sol.x[c0.size :], a


def _box_kspace(k: np.ndarray, z0: float, z1: float) -> np.ndarray:
    """Fourier transform of the indicator of ``z0 < z < z1`` at spatial frequencies ``k``."""
    out = np.empty(k.shape, complex)
    zero = k == 0
    kk = k[~zero]
    out[~zero] = (np.exp(-2j * np.pi * kk * z1) - np.exp(-2j * np.pi * kk * z0)) / (
        -2j * np.pi * kk
    )
    out[zero] = z1 - z0
    return out


def _recon_1d(profile_k: np.ndarray) -> np.ndarray:
    return reconstruction_operator(("kz",), profile_k.shape)(profile_k)


def locate_pellet(profile: np.ndarray, fov_mm: float) -> tuple[float, float, float]:
    """Pellet faces ``(z_B, z_A)`` (mm, image coordinates) and height from an LLZO profile.

    ``profile``: real LLZO amplitude per pixel along z (``(j - N // 2) fov / N``); fitted with a
    box of free height and faces, encoded at the sampled k and reconstructed (so its Gibbs
    ringing is part of the model). ``z_B`` is the face at lower z.

    Raises
    ------
    ProcessingError : no LLZO signal to locate the pellet from.
    """
    n = profile.size
    z = (np.arange(n) - n // 2) * fov_mm / n
    k = (np.arange(n) - n // 2) / fov_mm
    half = np.max(profile) / 2
    inside = np.nonzero(profile > half)[0]
    if not np.isfinite(half) or half <= 0 or inside.size < 2:
        raise ProcessingError("no LLZO signal to locate the pellet from")
    p0 = [z[inside[0]], z[inside[-1]]]

    def model(p):
        shape = _recon_1d(_box_kspace(k, p[0], p[1])).real / fov_mm
        h = np.dot(shape, profile) / max(np.dot(shape, shape), 1e-300)
        return shape, h

    def resid(p):
        shape, h = model(p)
        return h * shape - profile

    sol = scipy.optimize.least_squares(resid, p0, x_scale=fov_mm / n)
    zb, za = sorted(sol.x)
    return float(zb), float(za), float(model([zb, za])[1])


def electrode_response(
    n: int, fov_mm: float, surface_mm: float, delta_mm: float, side: int
) -> np.ndarray:
    """Reconstructed response ``(n,)`` of a bulk electrode face at ``surface_mm``.

    The metal lies at ``surface + side * s`` (``side = -1``: below the surface, as electrode B
    at the low-z face; ``+1`` above), seen with the linear-response weight
    ``exp(-2 (1 + i) s / delta)`` (science.md section 3), normalised to sum 1 (the complex
    visibility stays in the fitted amplitude).
    """
    k = (np.arange(n) - n // 2) / fov_mm
    s = np.arange(0.0, 8 * delta_mm, delta_mm / 40)
    w = np.exp(-2.0 * (1.0 + 1.0j) * s / delta_mm)
    w /= w.sum()
    prof = np.exp(-2j * np.pi * k[:, None] * (surface_mm + side * s)[None, :]) @ w
    return _recon_1d(prof)


class _ColumnSolver:
    """Linear part of the model for given line shapes, solved pixel-block by pixel-block.

    Local bases (LLZO everywhere; LLZO + metal lines inside the pellet) are eliminated by
    projection; the two electrode amplitudes per column follow from a 2 x 2 system (Schur
    complement), then the local amplitudes from the data minus the electrodes.
    """

    def __init__(self, data, g_llzo, inside, fov_mm, faces_mm, delta_mm):
        self.data = data  # (n_lat, n_z, n_f)
        self.g_llzo = g_llzo
        self.inside = inside
        self.fov_mm, self.faces_mm, self.delta_mm = fov_mm, faces_mm, delta_mm
        self.elec_cov_unit = 0.0
        self.mixture = None

    def solve(self, axis, prm, n_m):
        """``prm``: metal centres, widths; B's and A's electrode centre, width; face shifts (mm)."""
        g_m = line_shapes(axis, prm[:n_m], prm[n_m : 2 * n_m])
        if self.mixture is not None:  # one composite metal shape, fixed line ratio
            g_m = (self.mixture @ g_m)[None, :]
        e = prm[2 * n_m : 2 * n_m + 4]
        g_e = line_shapes(axis, e[0::2], e[1::2])  # (2, n_f): B, A
        n_lat, n_z, n_f = self.data.shape
        z_b, z_a = self.faces_mm[0] + prm[-2], self.faces_mm[1] + prm[-1]
        self.resp = np.stack(
            [
                electrode_response(n_z, self.fov_mm, z_b, self.delta_mm, -1),
                electrode_response(n_z, self.fov_mm, z_a, self.delta_mm, +1),
            ],
            axis=1,
        )  # (n_z, 2)
        g_in = np.vstack([self.g_llzo, g_m]).T  # (n_f, 1 + n_m)
        g_out = self.g_llzo[:, None]
        pinv_in, pinv_out = np.linalg.pinv(g_in), np.linalg.pinv(g_out)

        def project(x, g, pinv):  # (I - G G^+) x along the last axis, O(n_f) per row
            return x - (x @ pinv.T) @ g.T

        pe = np.where(
            self.inside[:, None, None],
            project(g_e, g_in, pinv_in)[None],
            project(g_e, g_out, pinv_out)[None],
        )  # (n_z, 2, n_f): electrode lines after removing the local bases
        cols = self.resp[:, :, None] * pe  # (n_z, 2, n_f)
        a = np.einsum("zif,zjf->ij", cols.conj(), cols)  # (2, 2)
        py = np.where(
            self.inside[None, :, None],
            project(self.data, g_in, pinv_in),
            project(self.data, g_out, pinv_out),
        )  # projected data (n_lat, n_z, n_f)
        b = np.einsum("zif,lzf->li", cols.conj(), py)
        elec = np.linalg.solve(a, b.T).T  # (n_lat, 2)
        ainv = np.linalg.inv(a)
        self.elec_cov_unit = float(ainv[0, 0].real + ainv[1, 1].real)
        rest = self.data - np.einsum("zi,li,if->lzf", self.resp, elec, g_e)
        local = np.zeros((n_lat, n_z, 1 + g_m.shape[0]), complex)
        local[:, self.inside] = rest[:, self.inside] @ pinv_in.T
        local[:, ~self.inside, :1] = rest[:, ~self.inside] @ pinv_out.T
        fit = np.where(
            self.inside[None, :, None],
            local @ g_in.T,
            local[:, :, :1] @ g_out.T,
        )
        cov_in = np.linalg.inv(g_in.conj().T @ g_in)
        return local, elec, cov_in, rest - fit


@dataclasses.dataclass
class CsiModel:
    """Settings of the CSI metal fit (see the module docstring).

    Attributes
    ----------
    electrode_area_cm2 : face area of each electrode exposed to B1 (cm2); the calibration.
    temperature_k : cell temperature (K), for the skin depth.
    x6_metal, x6_electrode : 6Li fraction of the dendritic metal and of the electrode surface.
    filament_radius_um : radius of the metal filaments (None: sub-skin-depth, visibility 1);
        a scalar or a ``(lateral, z)`` map.
    deff_over_delta : |effective depth| / delta of the electrodes (None: linear response 0.354).
    llzo_ppm, metal_ppm, electrode_ppm, fwhm_ppm : starting line positions and widths.
    calibration_umol_per_signal : skip the electrode calibration and use this scale instead.
    metal_lines : number of shared metal line shapes (crystalline and amorphous: 2).
    composite : one amplitude per pixel for the metal lines together, in the ratio fitted to the
        summed spectrum of the pellet (lower noise); ``False``: one amplitude per line and pixel.
    metal_window_ppm, metal_fwhm_range_ppm : bounds of the metal lines (Knight shift +- BMS
        shifts, science.md section 3: cells show 245-275 ppm; widths of a few to tens of ppm).
    face_shift_pixels : how far the electrode faces may move from the LLZO box faces (pixels).
    """

    electrode_area_cm2: float | None = None
    temperature_k: float = 298.15
    x6_metal: float = LI6_NATURAL_FRACTION
    x6_electrode: float = LI6_NATURAL_FRACTION
    filament_radius_um: Any = None
    deff_over_delta: float | None = None
    llzo_ppm: float = LLZO_SHIFT_PPM
    metal_ppm: tuple[float, float] = (LI_KNIGHT_SHIFT_PPM, LI_KNIGHT_SHIFT_PPM - 6.0)
    electrode_ppm: float = LI_KNIGHT_SHIFT_PPM - 9.0
    fwhm_ppm: tuple[float, float, float, float] = (6.0, 5.0, 14.0, 8.0)
    calibration_umol_per_signal: float | None = None
    metal_lines: int = 1
    composite: bool = True
    metal_window_ppm: float = 15.0
    metal_fwhm_range_ppm: tuple[float, float] = (3.0, 30.0)
    face_shift_pixels: float = 0.05


def _squeeze_image(image: xr.DataArray, across: str) -> tuple[np.ndarray, str | None]:
    if "ppm" not in image.dims:
        raise DataError(
            image.attrs.get("source", "image"), "CSI without a spectral dimension (ppm)"
        )
    if across not in image.dims:
        raise DataError(image.attrs.get("source", "image"), f"no spatial dimension {across!r}")
    extra = [d for d in image.dims if d not in ("ppm", across)]
    lateral = [d for d in extra if d in ("x", "y", "z")]
    batch = [d for d in extra if d not in lateral]
    for d in batch:
        if image.sizes[d] != 1:
            raise ProcessingError(f"metal_map takes one image; dimension {d} has {image.sizes[d]}")
    if len(lateral) > 1:
        raise ProcessingError(f"metal_map takes 1D or 2D CSI, got spatial dims {lateral}")
    img = image.isel({d: 0 for d in batch})
    order = [*lateral, across, "ppm"]
    data = np.asarray(img.transpose(*order).values)
    if not lateral:
        data = data[None]
    return data, (lateral[0] if lateral else None)


def metal_map(image: xr.DataArray, model: CsiModel | None = None, across: str = "x") -> xr.Dataset:
    """Fit a reconstructed 7Li CSI (:func:`dendritemr.mri.recon.reconstruct`) -> metal map.

    Parameters
    ----------
    image : complex, dims ``(across, ppm)`` or ``(lateral, across, ppm)`` (size-1 ``repetition``
        / ``slice`` allowed); attrs ``sw_hz``, ``o1_hz``, ``bf1_mhz``, ``nucleus``, ``fov_m``.
    model : fit settings (:class:`CsiModel`); ``electrode_area_cm2`` is needed for amounts.
    across : the image dimension running across the cell (electrode B at low values).

    Returns
    -------
    xarray.Dataset
        ``metal_umol`` and ``metal_umol_err`` (umol per pixel, dims ``(lateral, z_mm)``; zero
        outside the pellet), ``llzo`` (LLZO amplitude per pixel, a.u.), ``total_umol`` and
        ``total_umol_err`` (scalars; the error includes the calibration), attrs: pellet faces
        ``z_b_mm``, ``z_a_mm``, line parameters, ``noise_umol`` (median pixel SE), calibration.

    Raises
    ------
    DataError : no spectral dimension. ProcessingError : no LLZO signal (pellet not found),
        calibration impossible (no electrode area), more than one image.
    """
    model = model or CsiModel()
    data, lateral = _squeeze_image(image, across)
    attrs = image.attrs
    n_lat, n_z, n_f = data.shape
    try:
        axis = SpectralAxis(
            n_f, float(attrs["sw_hz"]), float(attrs["o1_hz"]), float(attrs["bf1_mhz"])
        )
        fov_mm = float(
            np.ptp(image[across].values) * n_z / (n_z - 1)
            if n_z > 1
            else float(attrs["fov_m"][0]) * 1e3
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(attrs.get("source", "image"), f"CSI attributes missing: {exc}") from exc
    z_mm = (np.arange(n_z) - n_z // 2) * fov_mm / n_z
    nucleus = str(attrs.get("nucleus", "7Li")) or "7Li"
    field_t = float(field_from_larmor(nucleus, axis.bf1_mhz))
    delta_mm = float(skin_depth_for(nucleus, field_t, temperature_k=model.temperature_k)) * 1e3

    # 1. LLZO (and a rough metal) from the whole image
    fl, fm1, fm2, fe = model.fwhm_ppm
    total = data.sum(axis=(0, 1))
    c, w, _ = fit_lines(
        axis,
        total,
        [model.llzo_ppm, model.metal_ppm[0], model.metal_ppm[1]],
        [fl, fm1, fm2],
        window_ppm=25.0,
    )
    g_llzo = line_shapes(axis, c[:1], w[:1])[0]
    rough = line_shapes(axis, c[1:], w[1:])
    # 2. pellet faces from the LLZO profile
    basis = np.vstack([g_llzo, rough])
    amps = np.linalg.lstsq(basis.T, data.reshape(-1, n_f).T, rcond=None)[0]
    llzo_amp = amps[0].reshape(n_lat, n_z)
    phase = np.angle(llzo_amp.sum())
    z_b, z_a, _ = locate_pellet((llzo_amp * np.exp(-1j * phase)).real.sum(axis=0), fov_mm)
    inside = (z_mm > z_b) & (z_mm < z_a)
    if inside.sum() < 1:
        raise ProcessingError("no pixel inside the pellet")
    # 3. electrode line from the pixels outside the pellet (at least one pixel away)
    pix = fov_mm / n_z
    outside = (z_mm < z_b - pix) | (z_mm > z_a + pix)
    if outside.any():
        ce, we, _ = fit_lines(
            axis,
            data[:, outside].sum(axis=(0, 1)),
            [model.electrode_ppm],
            [fe],
            fixed=[g_llzo],
            window_ppm=30.0,
        )
    else:
        ce, we = np.array([model.electrode_ppm]), np.array([fe])
    g_e = line_shapes(axis, ce, we)[0]
    # 4. metal lines from the pixels inside (electrode ringing as a fixed-shape component)
    cm, wm, a_m = fit_lines(
        axis,
        data[:, inside].sum(axis=(0, 1)),
        list(model.metal_ppm[: model.metal_lines]),
        [fm1, fm2][: model.metal_lines],
        fixed=[g_llzo, g_e],
        window_ppm=model.metal_window_ppm,
        min_fwhm_ppm=model.metal_fwhm_range_ppm[0],
        max_fwhm_ppm=model.metal_fwhm_range_ppm[1],
    )
    # 5. all pixels at once: electrode and metal line shapes refined by variable projection
    # metal may appear one pixel beyond each face: the band-limited image of metal lying just
    # inside (between pixel centres) leaks there; it is folded back onto the inside pixel
    support = (z_mm > z_b - pix) & (z_mm < z_a + pix)
    idx_in = np.nonzero(support)[0]
    n_in = idx_in.size
    n_m = cm.size
    solver = _ColumnSolver(data, g_llzo, support, fov_mm, (z_b, z_a), delta_mm)
    # shared shapes are refined on at most 8 lateral columns (all columns for the amplitudes)
    cols_used = np.unique(np.linspace(0, n_lat - 1, min(n_lat, 8)).round().astype(int))
    refiner = _ColumnSolver(data[cols_used], g_llzo, support, fov_mm, (z_b, z_a), delta_mm)
    if model.composite and n_m > 1 and abs(a_m[:n_m].sum()) > 0:
        solver.mixture = refiner.mixture = a_m[:n_m] / a_m[:n_m].sum()
    n_amp = 1 if solver.mixture is not None else n_m

    def resid(prm):
        res = refiner.solve(axis, prm, n_m)[-1]
        return np.concatenate([res.real.ravel(), res.imag.ravel()])

    prm0 = np.concatenate([cm, wm, ce, we, ce, we, [0.0, 0.0]])
    min_w = 0.2 * axis.sw_hz / axis.n / axis.bf1_mhz
    c_lo = np.asarray(model.metal_ppm[:n_m]) - model.metal_window_ppm
    c_hi = np.asarray(model.metal_ppm[:n_m]) + model.metal_window_ppm
    m_lo, m_hi = model.metal_fwhm_range_ppm
    e_lo, e_hi = prm0[2 * n_m] - 10, prm0[2 * n_m] + 10
    shift = fov_mm / n_z * model.face_shift_pixels  # electrode faces refined (fraction of a pixel)
    lo = np.concatenate([c_lo, np.full(n_m, m_lo), [e_lo, min_w, e_lo, min_w, -shift, -shift]])
    hi = np.concatenate([c_hi, np.full(n_m, m_hi), [e_hi, 60.0, e_hi, 60.0, shift, shift]])
    prm0 = np.clip(prm0, lo + 1e-6, hi - 1e-6)
    sol = scipy.optimize.least_squares(resid, prm0, bounds=(lo, hi), x_scale="jac", max_nfev=12)
    prm = sol.x
    cm, wm = prm[:n_m], prm[n_m : 2 * n_m]
    ce, we = prm[2 * n_m : 2 * n_m + 4 : 2], prm[2 * n_m + 1 : 2 * n_m + 4 : 2]
    face_shift_um = prm[-2:] * 1e3
    local, elec, cov_in, res = solver.solve(axis, prm, n_m)
    dof = res.size // n_lat - (n_z + n_amp * n_in + 2)
    var_c = (np.abs(res) ** 2).sum(axis=(1, 2)) / dof  # complex noise variance per column
    llzo_coef = local[:, :, 0].T  # (n_z, n_lat)
    phase = np.angle(llzo_coef.sum())
    rot = np.exp(-1j * phase)
    metal_c = (local[:, idx_in, 1:].sum(axis=2) * rot).T  # (n_in, n_lat)
    pix_var_unit = np.full(n_in, 0.5 * float(np.real(cov_in[1:, 1:].sum())))
    tot_var_unit = float(pix_var_unit.sum())
    e_b, e_a = elec[:, 0], elec[:, 1]
    elec_var = float(np.mean(var_c) * solver.elec_cov_unit / n_lat)
    # 6. amounts: k-space units, calibration, isotope fraction, visibility
    to_k = 1.0 / (n_z * n_lat)
    elec_k = float(np.mean(np.abs(e_b)) + np.mean(np.abs(e_a)))
    f7_metal = 1.0 - model.x6_metal
    f7_elec = 1.0 - model.x6_electrode
    cal_rel = 0.0
    if model.calibration_umol_per_signal is not None:
        umol_per_k = float(model.calibration_umol_per_signal)
        cal = {"method": "given", "umol_per_signal": umol_per_k}
    else:
        if not model.electrode_area_cm2 or model.electrode_area_cm2 <= 0:
            raise ProcessingError("metal amounts need electrode_area_cm2 (the calibration)")
        from dendritemr.quant.amounts import calibrate_electrode

        calib = calibrate_electrode(
            elec_k,
            float(np.sqrt(elec_var)),
            2.0 * model.electrode_area_cm2,
            nucleus=nucleus,
            field_t=field_t,
            deff_over_delta=model.deff_over_delta,
            temperature_k=model.temperature_k,
        )
        # signal of 1 umol of 7Li-bearing metal: s * f7; electrodes carry f7_elec of their Li
        umol_per_k = f7_elec / (calib.signal_per_umol * f7_metal)
        cal_rel = calib.rel_err
        cal = {"method": "electrode", "signal_per_umol": calib.signal_per_umol, "rel_err": cal_rel}
    if model.filament_radius_um is None:
        vis = np.ones((n_lat, n_in))
    else:
        radius = np.broadcast_to(np.asarray(model.filament_radius_um, float), (n_lat, n_z))
        v = cylinder_visibility(radius * 1e-6, delta_mm * 1e-3)
        vis = np.abs(np.asarray(v))[:, idx_in]  # (support pixels: folded after division)
    metal = np.zeros((n_lat, n_z))
    var = np.zeros((n_lat, n_z))
    metal[:, idx_in] = metal_c.real.T * to_k * umol_per_k / vis
    var[:, idx_in] = var_c[:, None] * pix_var_unit[None, :] * (to_k * umol_per_k / vis) ** 2
    first, last = np.nonzero(inside)[0][[0, -1]]
    for j in idx_in:
        if not inside[j]:
            target = first if j < first else last
            metal[:, target] += metal[:, j]
            var[:, target] += var[:, j]
            metal[:, j] = var[:, j] = 0.0
    err = np.sqrt(var)
    total_umol = float(metal.sum())
    stat = float(np.sqrt(var_c.sum() * tot_var_unit)) * to_k * umol_per_k
    total_err = float(np.hypot(stat, cal_rel * abs(total_umol)))
    lat_name = lateral or "lateral"
    lat_coord = image[lateral].values if lateral else np.zeros(1)
    coords = {"z_mm": ("z_mm", z_mm, {"units": "mm"}), lat_name: (lat_name, lat_coord)}
    ds = xr.Dataset(
        {
            "metal_umol": ((lat_name, "z_mm"), metal, {"units": "umol"}),
            "metal_umol_err": ((lat_name, "z_mm"), err, {"units": "umol"}),
            "llzo": ((lat_name, "z_mm"), (llzo_coef * rot).real.T * to_k, {"units": "a.u."}),
            "total_umol": ((), total_umol, {"units": "umol"}),
            "total_umol_err": ((), total_err, {"units": "umol"}),
        },
        coords=coords,
    )
    ds.attrs.update(
        {
            "z_b_mm": z_b,
            "electrode_face_shift_um": [float(v) for v in face_shift_um],
            "z_a_mm": z_a,
            "pixel_mm": pix,
            "skin_depth_um": delta_mm * 1e3,
            "field_t": field_t,
            "llzo_line_ppm": [float(c[0]), float(w[0])],
            "electrode_line_ppm": [[float(a), float(b)] for a, b in zip(ce, we, strict=True)],
            "metal_lines_ppm": [[float(a), float(b)] for a, b in zip(cm, wm, strict=True)],
            "electrode_signal": elec_k,
            "calibration": str(cal),
            "noise_umol": float(np.median(err[:, inside])),
            "source": str(attrs.get("source", "")),
            "time_mid": str(attrs.get("time_mid", "")),
        }
    )
    return ds
