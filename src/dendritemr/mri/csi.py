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
  pellet, the metal line from the pixels inside; then all are refined on every voxel of a few
  columns. The metal line model is chosen per map by the Bayesian information criterion
  (``CsiModel.metal_shape``): the electrode's own line (flat interface metal has the plate's
  shift) or a free line (optionally a crystalline + amorphous mixture), so a free line that
  only fits noise at low SNR is not kept.
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
  each pixel's metal is divided by its skin-depth visibility (1 for sub-delta filaments, the
  cylinder visibility of a given filament radius, :func:`dendritemr.physics.cylinder_visibility`,
  or estimated per voxel from the phase of its metal, :mod:`dendritemr.mri.visibility`)
  and by its 7Li fraction (the 7Li image counts 7Li; ``x6_metal`` and ``x6_electrode`` convert).
- Uncertainties: the linear least-squares covariance of each column with the residual variance,
  propagated to each pixel, to the total, and combined with the calibration's relative error.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.optimize
import xarray as xr

from dendritemr.backend import blas_threads
from dendritemr.errors import DataError, ProcessingError
from dendritemr.mri.recon import reconstruction_operator
from dendritemr.mri.visibility import visibility_from_phase
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
    ``exp(-a s)``, ``a = 2 (1 + i) / delta`` (science.md section 3), normalised to a unit
    amount (the complex visibility stays in the fitted amplitude). Its Fourier transform is
    analytic: ``exp(-2 pi i k surface) a / (a + 2 pi i k side)``.
    """
    k = (np.arange(n) - n // 2) / fov_mm
    a = 2.0 * (1.0 + 1.0j) / delta_mm
    prof = np.exp(-2j * np.pi * k * surface_mm) * a / (a + 2j * np.pi * k * side)
    return _recon_1d(prof)


def pixel_boxes(
    z_mm: np.ndarray, z_b: float, z_a: float, min_fraction: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each pixel's share of the pellet: ``(pixel index, lower edge, upper edge)`` (mm).

    Pixel ``j`` owns ``[z_j - dz/2, z_j + dz/2]`` (the nearest-centre binning of a metal map);
    the boxes are cut at the faces ``z_b < z < z_a``. Slivers thinner than ``min_fraction`` of a
    pixel go to their neighbour inside.
    """
    dz = float(z_mm[1] - z_mm[0]) if z_mm.size > 1 else 1.0
    lo = np.maximum(z_mm - dz / 2, z_b)
    hi = np.minimum(z_mm + dz / 2, z_a)
    keep = np.nonzero(hi - lo > min_fraction * dz)[0]
    if keep.size == 0:
        raise ProcessingError("no pixel inside the pellet")
    lo, hi = lo[keep].copy(), hi[keep].copy()
    lo[0], hi[-1] = z_b, z_a
    return keep, lo, hi


def box_responses(n: int, fov_mm: float, lo_mm: np.ndarray, hi_mm: np.ndarray) -> np.ndarray:
    """Reconstructed images ``(n, n_box)`` of unit amounts spread uniformly over boxes (mm).

    Each box's k-space (:func:`_box_kspace` over its width) at the sampled ``k`` goes through
    the reconstruction, so the band-limited point-spread (Gibbs ringing into neighbours and
    beyond the faces) is the model's, not an error. A unit amount gives a sum of ``n``.
    """
    k = (np.arange(n) - n // 2) / fov_mm
    ks = np.stack([_box_kspace(k, a, b) / (b - a) for a, b in zip(lo_mm, hi_mm, strict=True)], 1)
    return reconstruction_operator(("kz", "box"), ks.shape)(ks)


def point_responses(n: int, fov_mm: float, z_mm: np.ndarray) -> np.ndarray:
    """Reconstructed images ``(n, n_points)`` of unit point amounts at ``z_mm`` (mm).

    At a pixel centre the response is 1 x ``n`` in that pixel (plus the imaginary part of the
    unpaired Nyquist frequency); elsewhere the periodic sinc of the band-limited encoding.
    """
    k = (np.arange(n) - n // 2) / fov_mm
    ks = np.exp(-2j * np.pi * k[:, None] * np.asarray(z_mm)[None, :])
    return reconstruction_operator(("kz", "box"), ks.shape)(ks)


def lateral_box_gain(n: int) -> np.ndarray:
    """Transfer ``sinc(k / n)`` of pixel-box binning at the lateral frequencies ``k`` (centred).

    A laterally periodic object sampled at ``n`` frequencies over its period reconstructs as its
    density convolved with the periodic sinc; dividing by this gain in the lateral frequency
    domain turns the image into amounts per pixel box (exact for a density uniform within each
    box). Gains lie in ``[2/pi, 1]``.
    """
    return np.sinc((np.arange(n) - n // 2) / n)


def _lateral_deconvolve(values: np.ndarray) -> np.ndarray:
    """Per-pixel-box amounts from image amounts along axis 0 (see :func:`lateral_box_gain`)."""
    n = values.shape[0]
    if n < 2:
        return values
    gain = lateral_box_gain(n)
    spec = np.fft.fftshift(np.fft.fft(values, axis=0), axes=0)
    spec /= gain.reshape((n,) + (1,) * (values.ndim - 1))
    return np.fft.ifft(np.fft.ifftshift(spec, axes=0), axis=0).real


class _KroneckerSolver:
    """Linear part of the CSI model for given line shapes, solved for every column at once.

    Unknowns per column (real): metal amounts per pellet box and metal line (real amplitudes:
    sub-skin-depth metal is in phase with the electrolyte), optionally their imaginary parts,
    and the complex amplitudes of the two electrodes; the electrolyte amplitude of every pixel
    (complex) is eliminated by projecting each spectrum onto the complement of the LLZO line.
    Every other term is a product ``spatial(z) x spectral(f)``, so the normal matrix is built
    from the small spatial and spectral Gram matrices (the data never form a design matrix).
    """

    def __init__(self, data, boxes, resp, complex_metal=False, electrode_phase_deg=None):
        self.data = data  # (n_lat, n_z, n_f), LLZO phase removed
        self.boxes = boxes  # (n_z, n_box) box responses
        self.resp = resp  # (n_z, 2) electrode responses (B, A)
        self.complex_metal = complex_metal
        self.e_phases = (
            (1.0, 1j)
            if electrode_phase_deg is None
            else (np.exp(1j * np.radians(electrode_phase_deg)),)
        )

    def solve(self, g_llzo, g_metal, g_elec):
        """Solve for shapes ``g_llzo (n_f)``, ``g_metal (K, n_f)``, ``g_elec (2, n_f)``.

        Returns
        -------
        theta : (n_lat, n_unknowns) real; layout: metal ``(n_box, K)`` real parts, then (if
            ``complex_metal``) their imaginary parts, then electrodes B, A (re, im).
        gram_inv : (n_unknowns, n_unknowns) inverse of the real normal matrix.
        residual : (n_lat, n_z, n_f) complex, the LLZO-projected residual.
        llzo : (n_lat, n_z) complex LLZO amplitudes.
        """
        norm = np.linalg.norm(g_llzo)
        u = g_llzo / norm
        key = g_llzo.tobytes()
        if getattr(self, "_key", None) != key:  # LLZO-projected data, cached per LLZO shape
            self._key = key
            self._llzo_data = self.data @ u.conj()
            self._pdata = self.data - self._llzo_data[..., None] * u

        def proj(x):
            return x - (x @ u.conj())[..., None] * u

        n_box, n_k = self.boxes.shape[1], g_metal.shape[0]
        spec_raw = np.vstack([g_metal, g_elec])
        spec = proj(spec_raw)  # (K + 2, n_f)
        sp = np.hstack([self.boxes, self.resp])  # (n_z, n_box + 2)
        # unknowns: (spatial vector, spectral line, phase factor) of each real amplitude
        m_ph = (1.0, 1j) if self.complex_metal else (1.0,)
        jj, kk = np.meshgrid(np.arange(n_box), np.arange(n_k), indexing="ij")
        n_e, n_el = len(self.e_phases), self.resp.shape[1]  # phases, electrode terms
        e_sp = np.repeat(n_box + np.arange(n_el), n_e)
        e_sf = np.repeat(n_k + np.arange(n_el), n_e)
        si = np.concatenate([np.tile(jj.ravel(), len(m_ph)), e_sp])
        fi = np.concatenate([np.tile(kk.ravel(), len(m_ph)), e_sf])
        ph = np.concatenate([np.repeat(m_ph, n_box * n_k), np.tile(self.e_phases, n_el)])
        zz = sp.conj().T @ sp  # spatial Gram
        ff = spec.conj() @ spec.T  # spectral Gram
        gram = (ph.conj()[:, None] * ph[None, :] * zz[si][:, si] * ff[fi][:, fi]).real
        ys = self.data @ spec.conj().T  # (n_lat, n_z, K + 2)
        yzs = np.matmul(sp.conj().T[None], ys)  # (n_lat, n_sp, K + 2)
        rhs = (ph.conj()[None, :] * yzs[:, si, fi]).real  # (n_lat, n_unknowns)
        gram_inv = np.linalg.inv(gram)
        theta = rhs @ gram_inv.T
        coef = np.zeros((self.data.shape[0], sp.shape[1], spec.shape[0]), complex)
        n_m = len(m_ph) * n_box * n_k
        for start in range(0, n_m, n_box * n_k):  # metal: unique (si, fi) within one phase
            sl = slice(start, start + n_box * n_k)
            coef[:, si[sl], fi[sl]] += theta[:, sl] * ph[sl]
        for i in range(n_m, si.size):
            coef[:, si[i], fi[i]] += theta[:, i] * ph[i]
        sc = np.matmul(sp[None], coef)  # (n_lat, n_z, K + 2)
        residual = self._pdata - sc @ spec
        llzo = (self._llzo_data - sc @ (spec_raw @ u.conj())) / norm
        return theta, gram_inv, residual, llzo


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
    llzo_ppm, metal_ppm, electrode_ppm, fwhm_ppm : starting line positions and widths
        (``fwhm_ppm``: LLZO, metal 1, metal 2, electrode).
    calibration_umol_per_signal : skip the electrode calibration and use this scale instead.
    metal_lines : number of shared metal line shapes, each with its own real amplitude per
        pixel (the metal of a pixel is their sum); 2 separates crystalline and amorphous or
        BMS-shifted populations but raises the noise (at SNR 50-200 on simulated studies, 1 is
        better).
    complex_metal : free metal phase per pixel (default: in phase with the electrolyte, as
        sub-skin-depth metal is; thick metal lags by up to 45 degrees).
    metal_basis : spatial model of the metal of each pixel's share of the pellet: ``"point"``,
        a point amount at the share's centre (:func:`point_responses`), or ``"box"``, an amount
        spread uniformly over it (:func:`box_responses`; exact for uniform density, but metal
        concentrated within a pixel then rings into the neighbours and the noise grows by
        the inverse box transfer).
    lateral_deconvolution : with ``"box"``, turn the lateral image into amounts per pixel box
        too (:func:`lateral_box_gain`).
    metal_window_ppm, metal_fwhm_range_ppm : bounds of the metal lines (Knight shift +- BMS
        shifts, science.md section 3: cells show 245-275 ppm; widths of a few to tens of ppm;
        never below 0.75 of the spectral point spacing, where a line is a noise spike). The
        lower width, 4 ppm, lies below the narrowest metal line expected ("a few ppm" and up;
        the simulator's crystalline Li 5 ppm, fitted as 5.4 ppm on its NMR series,
        docs/quantification.md) and keeps a free line from settling on a one-point noise
        feature shared by all voxels: with 2 ppm (~one spectral point of the default
        256-point CSI) a 6Li-enriched image at SNR 50 gave 1.4 +- 1.7 umol against a true
        13.7 with a 2.9 ppm line (docs/mri.md).
    refine_columns : lateral columns used to refine the shared line shapes (``None``, the
        default: all; all columns are used for the amplitudes). The shared shapes must describe
        the metal of the whole image: the total is, to first order, the amplitude of the shared
        shape on the pellet's summed spectrum, so shapes refined on a subset of columns whose
        metal differs in composition bias it (4 of 8 columns: a crystalline + amorphous mixture
        7 % low noise-free on a simulated scheme-B image, 2 % with all 8; docs/mri.md).
    face_shift_pixels : how far each electrode face may move from the LLZO box face (pixels;
        the electrode is ~50 times the metal next to it, so its position must be sub-micron).
    max_nfev : evaluations of the shape refinement (least squares, finite differences).
    face_metal : an extra metal term on each face (interface growth lies within microns of
        B; the pixel-centre term alone takes it for a displaced point), counted in the face
        pixel.
    refine_metal_shapes : refine the metal line shapes on all voxels (``False``: keep them as
        fitted to the summed spectrum of the pellet, the steadier choice at low SNR).
    tie_electrodes : one amplitude for both electrodes (same face area and isotope make-up:
        metal growing on one face can then not be taken for that electrode's signal).
    metal_shape : shared metal line model when ``metal_lines = 1``: ``"single"`` (one free
        line), ``"mixture"`` (crystalline + amorphous/BMS-shifted lines with one shared
        fraction, still one amplitude per pixel), ``"electrode"`` (the electrode's line: flat
        interface metal has the plate's shift; no free shape), or ``"auto"`` (default): is
        the metal line told from the electrode's? ``"electrode"`` and ``"single"`` fitted, the
        lower Bayesian information criterion decides per map, so a free line must lower
        chi-square by more than its parameters' penalty to be believed (at low SNR this keeps
        a metal line from locking onto noise, :func:`_choose_metal_model`); when the free line
        wins, the amounts come from the ``"mixture"``, which nests it (unless it fits worse).
        Chi-square cannot tell the one line from two at SNR 50, but the total can: it adds
        the metal of every voxel coherently, and one Lorentzian on crystalline + amorphous
        metal misses the broad line's tails (up to 12.5 % low noise-free on simulated studies,
        -3.6 SE on a scheme-B image; the mixture within 5 %, docs/mri.md).
    model_choice_penalty : chi-square penalty per parameter of that choice (None: BIC,
        ``ln`` of the number of real data; 2 is AIC).
    visibility_from_phase : estimate the skin-depth visibility of each voxel from the phase of
        its metal (complex metal amplitudes; :mod:`dendritemr.mri.visibility`): thick metal
        lags and is divided by its ``|v|``; thin metal (no significant lag) keeps ``v = 1``.
        Off by default (sub-skin-depth filaments; the extra imaginary unknowns raise the
        noise). ``filament_radius_um`` is ignored when it is on.
    visibility_k : significance (standard errors of ``|metal|``) of a voxel whose phase is used.
    shape_errors : add the shared shapes' uncertainty (Gauss-Newton covariance of their
        refinement, propagated to every pixel and the total) to the amplitudes' CRLB.
    visibility_geometry : ``"cylinder"`` (filaments) or ``"slab"`` (plates seen from both faces).
    metal_line_fixed : ``(centre, FWHM)`` ppm of one metal line held fixed (not refined): a
        shape shared by a series of scans or measured elsewhere; the metal model is then
        ``"single"``.
    metal_shape_lines : the metal's line shape measured elsewhere, held fixed: ``(offset from
        the electrode line, FWHM, weight)`` ppm, ppm, any unit, one per Lorentzian (e.g. the
        dendritic lines of the 7Li NMR series of the same cell at the scan's time,
        :func:`dendritemr.mri.nmr_shape.dendritic_shape`). One amplitude per term as always;
        the shape is ``sum_k w_k g(c_E + o_k, fwhm_k) / sum_k w_k`` with ``c_E`` the CSI's own
        refined electrode centre, so a constant offset between the two ppm references drops
        out. The metal model is then ``"nmr"`` (no model choice; only the electrode's centre
        and width move the shape, and their errors are propagated; the NMR shape's own error is
        not).
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
    complex_metal: bool = False
    metal_basis: str = "point"
    lateral_deconvolution: bool = True
    metal_window_ppm: float = 20.0
    metal_fwhm_range_ppm: tuple[float, float] = (4.0, 30.0)
    refine_columns: int | None = None
    face_shift_pixels: float = 0.1
    max_nfev: int = 10
    tie_electrodes: bool = False
    face_metal: bool = True
    refine_metal_shapes: bool = True
    electrode_phase_deg: float | None = -45.0
    metal_shape: str = "auto"
    visibility_from_phase: bool = False
    visibility_k: float = 5.0
    visibility_geometry: str = "cylinder"
    model_choice_penalty: float | None = None
    shape_errors: bool = True
    metal_line_fixed: tuple[float, float] | None = None
    metal_shape_lines: tuple[tuple[float, float, float], ...] | None = None


_METAL_MODELS = ("single", "mixture", "separate", "electrode")
_LINES = {"electrode": 0, "nmr": 0, "single": 1, "mixture": 2, "separate": 2}


def _metal_candidates(model: CsiModel) -> tuple[str, ...]:
    """Metal models to fit: ``metal_lines = 2`` is ``"separate"``; ``"auto"`` tries two."""
    if int(model.metal_lines) == 2:
        return ("separate",)
    if model.metal_shape_lines is not None:
        return ("nmr",)
    if model.metal_line_fixed is not None:
        return ("single",)
    if model.metal_shape == "auto":
        # electrode vs single: is there a metal line of its own (BIC); then the mixture gives
        # the amounts (fitted in _metal_map when the free line wins)
        return ("electrode", "single")
    if model.metal_shape not in _METAL_MODELS:
        raise ValueError(f"metal_shape must be auto or one of {_METAL_MODELS}")
    return (model.metal_shape,)


def _fit_metal_model(
    kind, model, axis, data, cols, boxes, responses, complex_metal, init, nest=None
):
    """Metal line shapes of one candidate model, then all shared shapes refined (VARPRO).

    ``kind``: ``"single"`` (one line), ``"mixture"`` (two lines with a shared fraction ``f``:
    ``(1 - f) g_1 + f g_2``, one amplitude per term), ``"separate"`` (two lines, two amplitudes
    per term). ``init``: LLZO centre/width, electrode centre/width, their shapes, the summed
    spectrum of the pellet pixels (metal line starting values) and the pixel size. ``nest``:
    a ``"single"`` fit the mixture starts from (its line first, fraction 0, the second line at
    the second default), so the mixture's refinement starts at the single line's residual
    and can only lower it. ``data``
    is rotated to the LLZO phase; it is returned re-rotated by the refined reference phase
    (``dphase``) with the parameters, the shape function and the residual sum of squares
    ``rss`` of the amplitudes of every column.
    """
    c, w, ce, we, g_llzo, g_e, pellet_sum, pix = init
    n_lat = data.shape[0]
    n_lines = _LINES[kind]
    _, fm1, fm2, _ = model.fwhm_ppm
    m_lo, m_hi = model.metal_fwhm_range_ppm
    # a metal line narrower than ~a spectral point cannot be told from a noise spike
    m_lo = max(m_lo, 0.75 * axis.sw_hz / axis.n / axis.bf1_mhz)
    cm, wm, am = np.zeros(0), np.zeros(0), np.zeros(0)
    fixed_line = model.metal_line_fixed is not None and kind == "single"
    if fixed_line:
        cm, wm = (np.array([float(v)]) for v in model.metal_line_fixed)
    elif kind == "mixture" and nest is not None:
        cm = np.array([nest["prm"][4], model.metal_ppm[1]], float)
        wm = np.array([nest["prm"][5], fm2], float)
        am = np.array([1.0, 0.0])
    elif n_lines:
        cm, wm, am = fit_lines(
            axis,
            pellet_sum,
            list(model.metal_ppm[:n_lines]),
            [fm1, fm2][:n_lines],
            fixed=[g_llzo, g_e],
            window_ppm=model.metal_window_ppm,
            min_fwhm_ppm=m_lo,
            max_fwhm_ppm=m_hi,
        )
    extra, lo_x, hi_x = [], [], []
    if kind == "mixture":
        frac = abs(am[1]) / max(abs(am[0]) + abs(am[1]), 1e-300)
        f0 = 0.0 if nest is not None else float(np.clip(frac, 0.05, 0.95))
        extra, lo_x, hi_x = [f0], [0.0], [1.0]

    if kind == "nmr":
        nmr_lines = np.asarray(model.metal_shape_lines, float).reshape(-1, 3)
        if nmr_lines.shape[0] == 0 or not np.all(np.isfinite(nmr_lines)):
            raise ProcessingError("metal_shape_lines: no finite line given")
        if not nmr_lines[:, 2].sum() > 0:
            raise ProcessingError("metal_shape_lines: the weights do not sum to a positive value")
        nmr_w = nmr_lines[:, 2] / nmr_lines[:, 2].sum()
        nmr_lines[:, 1] = np.abs(nmr_lines[:, 1])

    def shapes(prm):  # prm: LLZO, electrode centre, width; metal centres, widths (ppm); f
        g_l = line_shapes(axis, prm[0:1], prm[1:2])[0]
        g_el = line_shapes(axis, prm[2:3], prm[3:4])[0]
        if kind == "electrode":  # metal seen with the electrode's line (same shift, width)
            g_me = g_el[None]
        elif kind == "nmr":  # a shape measured elsewhere, placed relative to the electrode
            g_me = (nmr_w @ line_shapes(axis, prm[2] + nmr_lines[:, 0], nmr_lines[:, 1]))[None]
        else:
            g_me = line_shapes(axis, prm[4 : 4 + n_lines], prm[4 + n_lines : 4 + 2 * n_lines])
        if kind == "mixture":
            f = prm[4 + 2 * n_lines]
            g_me = ((1.0 - f) * g_me[0] + f * g_me[1])[None]
        return g_l, g_me, np.vstack([g_el] * (1 if model.tie_electrodes else 2))

    refiner = _KroneckerSolver(data[cols], boxes, None, complex_metal, model.electrode_phase_deg)

    def resid(prm):
        refiner.resp = responses(*prm[-2:])
        res = refiner.solve(*shapes(prm[:-2]))[2]
        return np.concatenate([res.real.ravel(), res.imag.ravel()])

    min_w = 0.2 * axis.sw_hz / axis.n / axis.bf1_mhz
    c_mid = np.asarray(model.metal_ppm[:n_lines], float)
    shift = model.face_shift_pixels * pix  # electrode faces: sub-pixel refinement (mm)
    prm0 = np.concatenate([c[:1], w[:1], ce, we, cm, wm, extra, [0.0, 0.0]])
    lo_b = np.concatenate(
        [
            [c[0] - 2, min_w, ce[0] - 10, min_w],
            c_mid - model.metal_window_ppm,
            np.full(n_lines, m_lo),
            lo_x,
            [-shift, -shift],
        ]
    )
    hi_b = np.concatenate(
        [
            [c[0] + 2, 60.0, ce[0] + 10, 60.0],
            c_mid + model.metal_window_ppm,
            np.full(n_lines, m_hi),
            hi_x,
            [shift, shift],
        ]
    )
    prm0 = np.clip(prm0, lo_b + 1e-6, hi_b - 1e-6)
    if fixed_line:
        prm0[4:6] = np.asarray(model.metal_line_fixed, float)
    if not model.refine_metal_shapes or fixed_line:  # shapes as given or from the pellet sum
        sl = slice(4, 4 + 2 * n_lines + len(extra))
        lo_b[sl], hi_b[sl] = prm0[sl] - 1e-9, prm0[sl] + 1e-9
    prm, dphase = prm0, 0.0
    for _ in range(2):  # the reference phase, refined once from the fitted LLZO amplitudes
        sol = scipy.optimize.least_squares(
            resid, prm, bounds=(lo_b, hi_b), x_scale="jac", max_nfev=model.max_nfev
        )
        prm = sol.x
        refiner.resp = responses(*prm[-2:])
        dphi = float(np.angle(refiner.solve(*shapes(prm[:-2]))[3].sum()))
        data = data * np.exp(-1j * dphi)
        refiner.data = refiner.data * np.exp(-1j * dphi)
        refiner._key = None
        dphase += dphi
        if abs(dphi) < 1e-3:  # reference phase settled (< 0.06 degrees): no second pass
            break
    solver = _KroneckerSolver(
        data, boxes, responses(*prm[-2:]), complex_metal, model.electrode_phase_deg
    )
    theta, _, res, _ = solver.solve(*shapes(prm[:-2]))
    return {
        "kind": kind,
        "prm": prm,
        "data": data,
        "dphase": dphase,
        "shapes": shapes,
        "rss": float((np.abs(res) ** 2).sum()),
        "n_params": theta.shape[1] * n_lat + prm.size,
        "jac": sol.jac,
        "fixed": hi_b - lo_b < 1e-6,
        "span": hi_b - lo_b,
        "cols": cols,
    }


def _shape_sensitivities(fit, solver, shapes, responses, var_c, summing, summing_im):
    """Changes of each pixel's metal (re, im) for one standard error of each shared shape.

    The shapes' covariance is the Gauss-Newton one of their refinement, ``s^2 (J^T J)^-1``
    (``J`` the Jacobian of the projected residual over the refinement columns, ``s^2`` the
    real noise variance); it is diagonalised, ``C = sum_k l_k u_k u_k^T``, and the amplitudes of
    every column are solved again at ``prm + e_k sqrt(l_k) u_k``: the differences divided by
    ``e_k`` give ``D_k`` and the propagated variance ``sum_k D_k^2`` (first order). ``e_k <= 1``
    keeps each step within 1 % of every parameter's allowed range: along a direction the data
    hardly fix (two mixture lines that nearly coincide) one standard error can span the whole
    range, where a secant over the full step is no longer first order (a simulated image's
    total error went from 2.1 to 11.9 umol). Fixed parameters are left out.

    Returns ``(d_re, d_im)``, each ``(n_directions, n_lat, n_box)``.
    """
    prm, jac, free = fit["prm"], fit["jac"], ~fit["fixed"]
    n_lat, n_box = var_c.size, summing.shape[0]
    if jac is None or not free.any():
        return np.zeros((0, n_lat, n_box)), np.zeros((0, n_lat, n_box))
    j = np.asarray(jac)[:, free]
    s2 = 0.5 * float(np.mean(var_c[fit["cols"]]))
    lam, vec = np.linalg.eigh(j.T @ j)
    keep = lam > lam.max() * 1e-12
    steps = vec[:, keep] * np.sqrt(s2 / lam[keep])  # (n_free, n_dir): one SE along each
    span = np.asarray(fit["span"])[free]
    base = solver.solve(*shapes(prm[:-2]))[0]
    d_re, d_im = [], []
    for k in range(steps.shape[1]):
        e = min(1.0, 0.01 / max(float(np.max(np.abs(steps[:, k]) / span)), 1e-300))
        p = prm.copy()
        p[free] += e * steps[:, k]
        solver.resp = responses(*p[-2:])
        theta = solver.solve(*shapes(p[:-2]))[0]
        d_re.append((theta - base) @ summing.T / e)
        d_im.append((theta - base) @ summing_im.T / e)
    solver.resp = responses(*prm[-2:])
    return np.array(d_re), np.array(d_im)


def _choose_metal_model(fits: list[dict], n_points: int, penalty: float | None = None) -> dict:
    """The candidate with the lowest Bayesian information criterion (BIC).

    ``BIC = chi2 + p ln(n)`` over the ``n = 2 n_points`` real data (complex points of all
    columns), ``p`` the real parameters (amplitudes of every column and shared shapes), ``chi2``
    the residual sum of squares over the real noise variance, estimated from the candidate
    with the most parameters (the least biased). Sets ``fit["chi2"]``, ``fit["bic"]`` and
    ``fit["var_real"]``.
    """
    richest = max(fits, key=lambda f: f["n_params"])
    var_real = richest["rss"] / max(2 * n_points - richest["n_params"], 1) + 1e-300
    for f in fits:
        f["var_real"] = var_real
        f["chi2"] = f["rss"] / var_real
        per = np.log(2 * n_points) if penalty is None else penalty
        f["bic"] = f["chi2"] + f["n_params"] * per
    return min(fits, key=lambda f: f["bic"])


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
    with blas_threads(1):
        return _metal_map(image, model or CsiModel(), across)


def _metal_map(image: xr.DataArray, model: CsiModel, across: str) -> xr.Dataset:
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
    if not np.all(np.isfinite(data)):
        raise DataError(attrs.get("source", "image"), "CSI holds NaN or infinite values")
    z_mm = (np.arange(n_z) - n_z // 2) * fov_mm / n_z
    pix = fov_mm / n_z
    nucleus = str(attrs.get("nucleus", "7Li")) or "7Li"
    field_t = float(field_from_larmor(nucleus, axis.bf1_mhz))
    delta_mm = float(skin_depth_for(nucleus, field_t, temperature_k=model.temperature_k)) * 1e3

    # 1. LLZO (and a rough metal) from the whole image; the LLZO phase is the reference phase
    fl, fm1, fm2, fe = model.fwhm_ppm
    c, w, _ = fit_lines(
        axis,
        data.sum(axis=(0, 1)),
        [model.llzo_ppm, model.metal_ppm[0], model.metal_ppm[1]],
        [fl, fm1, fm2],
        window_ppm=25.0,
    )
    g_llzo = line_shapes(axis, c[:1], w[:1])[0]
    basis = np.vstack([g_llzo, line_shapes(axis, c[1:], w[1:])])
    amps = np.linalg.lstsq(basis.T, data.reshape(-1, n_f).T, rcond=None)[0]
    llzo_amp = amps[0].reshape(n_lat, n_z)
    phase = float(np.angle(llzo_amp.sum()))
    rot = np.exp(-1j * phase)
    data = data * rot
    # 2. pellet faces from the LLZO profile
    z_b, z_a, _ = locate_pellet((llzo_amp * rot).real.sum(axis=0), fov_mm)
    inside = (z_mm > z_b) & (z_mm < z_a)
    if inside.sum() < 1:
        raise ProcessingError("no pixel inside the pellet")
    # 3. electrode line from the pixels outside the pellet (at least one pixel away)
    outside = (z_mm < z_b - pix) | (z_mm > z_a + pix)
    ce, we = np.array([model.electrode_ppm]), np.array([fe])
    if outside.any():
        ce, we, _ = fit_lines(
            axis, data[:, outside].sum(axis=(0, 1)), ce, we, fixed=[g_llzo], window_ppm=30.0
        )
    g_e = line_shapes(axis, ce, we)[0]
    # 4. spatial model: one box per pixel share of the pellet, electrodes beyond the faces
    pix_idx, lo, hi = pixel_boxes(z_mm, z_b, z_a)
    if model.metal_basis == "box":
        boxes = box_responses(n_z, fov_mm, lo, hi)
    else:
        zp = z_mm[pix_idx]  # each pixel's metal at the centre of its own share of the pellet
        boxes = point_responses(
            n_z, fov_mm, (np.clip(zp - pix / 2, z_b, z_a) + np.clip(zp + pix / 2, z_b, z_a)) / 2
        )
    deconvolve = model.metal_basis == "box" and model.lateral_deconvolution

    def responses(shift_b, shift_a):
        if model.tie_electrodes:
            return (
                electrode_response(n_z, fov_mm, z_b + shift_b, delta_mm, -1)
                + electrode_response(n_z, fov_mm, z_a + shift_a, delta_mm, +1)
            )[:, None]
        return np.stack(
            [
                electrode_response(n_z, fov_mm, z_b + shift_b, delta_mm, -1),
                electrode_response(n_z, fov_mm, z_a + shift_a, delta_mm, +1),
            ],
            axis=1,
        )

    n_box = pix_idx.size
    owner = np.arange(n_box)  # pixel of each metal term
    if model.face_metal and n_box > 1:
        # metal on each face (interface growth) as its own term, counted in the face pixel
        eps = 0.02 * pix
        boxes = np.hstack([boxes, point_responses(n_z, fov_mm, np.array([z_b + eps, z_a - eps]))])
        owner = np.concatenate([owner, [0, n_box - 1]])
    n_terms = owner.size
    # 5. metal line shapes (5a) and the shared shapes refined on all pixels of a few columns
    # (5b, variable projection), for each candidate metal model; 6. the per-map choice
    n_refine = n_lat if model.refine_columns is None else min(n_lat, int(model.refine_columns))
    cols = np.unique(np.linspace(0, n_lat - 1, n_refine).round())
    complex_metal = model.complex_metal or model.visibility_from_phase
    candidates = _metal_candidates(model)
    pellet_sum = data[:, inside].sum(axis=(0, 1))

    def fit_kind(kind, nest=None):
        init = (c, w, ce, we, g_llzo, g_e, pellet_sum, pix)
        return _fit_metal_model(
            kind, model, axis, data, cols.astype(int), boxes, responses, complex_metal, init, nest
        )

    fits = [fit_kind(kind) for kind in candidates]
    best = _choose_metal_model(fits, n_z * n_f * n_lat, model.model_choice_penalty)
    detected = best["kind"]
    single = next((f for f in fits if f["kind"] == "single"), None)
    auto = candidates == ("electrode", "single")  # metal_shape "auto", no line held fixed
    if auto and detected == "single":
        # BIC found a free line of its own: the amounts from the mixture nesting it (fitted
        # from it), kept when it fits at least as well
        mix = fit_kind("mixture", nest=single)
        mix["chi2"] = mix["rss"] / best["var_real"]
        fits.append(mix)
        if mix["rss"] <= single["rss"]:
            best = mix
    kind, prm, data, dphase = best["kind"], best["prm"], best["data"], best["dphase"]
    phase += dphase
    n_m = 2 if kind == "separate" else 1  # metal amplitude shapes per term
    n_lines = _LINES[kind]
    shapes = best["shapes"]
    # 7. amplitudes of every column, their covariance (CRLB with the measured noise)
    solver = _KroneckerSolver(
        data, boxes, responses(*prm[-2:]), complex_metal, model.electrode_phase_deg
    )
    theta, gram_inv, res, llzo_coef = solver.solve(*shapes(prm[:-2]))
    n_unk = theta.shape[1]
    dof = n_z * n_f - n_z - n_unk / 2.0  # complex data points - complex unknowns
    var_c = (np.abs(res) ** 2).sum(axis=(1, 2)) / dof  # complex noise variance per column
    summing = np.zeros((n_box, n_unk))
    for t, j in enumerate(owner):
        summing[j, t * n_m : (t + 1) * n_m] = 1.0
    metal_sig = theta @ summing.T  # (n_lat, n_box): image amplitude units x n_z
    cov_unit = 0.5 * summing @ gram_inv @ summing.T  # times var_c: covariance per column
    n_ep = len(solver.e_phases)
    n_el = solver.resp.shape[1]
    e_idx = n_unk - n_el * n_ep
    e_amp = theta[:, e_idx:].reshape(n_lat, n_el, n_ep) @ np.asarray(solver.e_phases)
    e_b, e_a = e_amp[:, 0], e_amp[:, -1]  # tied: one amplitude, the mean of the two faces
    elec_var_unit = 0.5 * float(np.trace(gram_inv[e_idx:, e_idx:]))
    elec_var = float(np.mean(var_c) * elec_var_unit / n_lat)
    summing_im = np.zeros((n_box, n_unk))
    if complex_metal:
        summing_im[:, n_terms * n_m : 2 * n_terms * n_m] = summing[:, : n_terms * n_m]
    metal_im = theta @ summing_im.T
    cov_im_unit = 0.5 * summing_im @ gram_inv @ summing_im.T
    cov_reim_unit = 0.5 * summing @ gram_inv @ summing_im.T
    metal_phase = np.degrees(np.arctan2(metal_im, metal_sig)) if complex_metal else 0.0 * metal_sig
    # 8. amounts: k-space units, calibration, isotope fraction, visibility
    to_k = 1.0 / n_lat  # the box responses carry the n_z of the reconstruction
    elec_k = float(abs(np.mean(e_b)) + abs(np.mean(e_a)))
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
    unit = to_k * umol_per_k  # signal -> umol (before the visibility)
    vis = np.ones((n_lat, n_z))
    vis_phase = np.zeros((n_lat, n_z))
    size_um = np.full((n_lat, n_z), np.nan)
    at_bound = np.zeros((n_lat, n_z), bool)
    if model.visibility_from_phase:
        # per voxel from the phase of its metal signal (mri/visibility.py); amounts N are
        # linear in (re, im) with the estimated phase held: N = w_re re + w_im im
        var_re = var_c[:, None] * np.diag(cov_unit)[None, :]
        var_im = var_c[:, None] * np.diag(cov_im_unit)[None, :]
        est = visibility_from_phase(
            metal_sig,
            metal_im,
            np.sqrt(var_re),
            np.sqrt(var_im),
            delta_mm * 1e-3,
            k=model.visibility_k,
            geometry=model.visibility_geometry,
        )
        w_re, w_im = est["weight_re"], est["weight_im"]
        box_sig = est["amount"]
        vis[:, pix_idx], vis_phase[:, pix_idx] = est["visibility"], est["phase_deg"]
        size_um[:, pix_idx] = est["size_m"] * 1e6
        at_bound[:, pix_idx] = est["at_bound"]
        var_phase = (est["amount_err_phase"] * unit) ** 2
    else:
        if model.filament_radius_um is not None:
            radius = np.broadcast_to(np.asarray(model.filament_radius_um, float), (n_lat, n_z))
            v_given = np.asarray(cylinder_visibility(radius * 1e-6, delta_mm * 1e-3))
            vis, vis_phase = np.abs(v_given), np.degrees(np.angle(v_given))
        w_re = 1.0 / vis[:, pix_idx]
        w_im = np.zeros_like(w_re)
        box_sig = metal_sig * w_re
        var_phase = np.zeros_like(box_sig)
    # total: the sum over columns is the lateral k = 0 term (no lateral deconvolution needed)
    total_umol = float(box_sig.sum() * unit)
    cov2 = np.block([[cov_unit, cov_reim_unit], [cov_reim_unit.T, cov_im_unit]])
    wcol = np.hstack([w_re, w_im]) * unit  # (n_lat, 2 n_box)
    tot_var = sum(var_c[i] * wcol[i] @ cov2 @ wcol[i] for i in range(n_lat))
    tot_var += float(var_phase.sum())
    # the shared shapes' own uncertainty, propagated (the CRLB above holds them exact): a metal
    # line like the electrode's leaves amplitude to trade between them
    shape_pix_var, shape_tot_var = np.zeros_like(box_sig), 0.0
    if model.shape_errors:
        d_re, d_im = _shape_sensitivities(
            best, solver, shapes, responses, var_c, summing, summing_im
        )
        d_box = (d_re * w_re[None] + d_im * w_im[None]) * unit  # (n_prm, n_lat, n_box) umol
        shape_pix_var = (d_box**2).sum(axis=0)
        shape_tot_var = float((d_box.sum(axis=(1, 2)) ** 2).sum())
    tot_var += shape_tot_var
    total_err = float(np.hypot(np.sqrt(tot_var), cal_rel * abs(total_umol)))
    # map: amounts per pixel box, laterally deconvolved; per-pixel standard errors
    box_umol = box_sig * unit
    box_var = (
        np.mean(var_c)
        * (
            w_re**2 * np.diag(cov_unit)[None, :]
            + w_im**2 * np.diag(cov_im_unit)[None, :]
            + 2 * w_re * w_im * np.diag(cov_reim_unit)[None, :]
        )
        * unit**2
        + var_phase
        + shape_pix_var
    )
    if deconvolve and n_lat > 1:
        box_umol = _lateral_deconvolve(box_umol)
        box_var = box_var * float(np.mean(lateral_box_gain(n_lat) ** -2.0))
    metal = np.zeros((n_lat, n_z))
    err = np.zeros((n_lat, n_z))
    phase_map = np.full((n_lat, n_z), np.nan)
    metal[:, pix_idx] = box_umol
    err[:, pix_idx] = np.sqrt(box_var)
    phase_map[:, pix_idx] = metal_phase
    llzo_map = llzo_coef.real * to_k / n_z
    lat_name = lateral or "lateral"
    lat_coord = image[lateral].values if lateral else np.zeros(1)
    # the lateral axis keeps its units (mm from the readers): mri.nc's y had units '1'
    lat_attrs = {"units": image[lateral].attrs.get("units", "mm")} if lateral else {"units": "1"}
    coords = {
        "z_mm": ("z_mm", z_mm, {"units": "mm"}),
        lat_name: (lat_name, lat_coord, lat_attrs),
    }
    ds = xr.Dataset(
        {
            "metal_umol": ((lat_name, "z_mm"), metal, {"units": "umol"}),
            "metal_umol_err": ((lat_name, "z_mm"), err, {"units": "umol"}),
            "visibility": ((lat_name, "z_mm"), vis, {"units": "1"}),
            "metal_phase_deg": ((lat_name, "z_mm"), phase_map, {"units": "deg"}),
            "visibility_phase_deg": ((lat_name, "z_mm"), vis_phase, {"units": "deg"}),
            "filament_size_um": ((lat_name, "z_mm"), size_um, {"units": "um"}),
            "visibility_at_bound": ((lat_name, "z_mm"), at_bound),
            "llzo": ((lat_name, "z_mm"), llzo_map, {"units": "a.u."}),
            "total_umol": ((), total_umol, {"units": "umol"}),
            "total_umol_err": ((), total_err, {"units": "umol"}),
        },
        coords=coords,
    )
    ds.attrs.update(
        {
            "z_b_mm": z_b,
            "z_a_mm": z_a,
            "pixel_mm": pix,
            "skin_depth_um": delta_mm * 1e3,
            "field_t": field_t,
            "llzo_line_ppm": [float(prm[0]), float(prm[1])],
            "electrode_line_ppm": [float(prm[2]), float(prm[3])],
            "metal_lines_ppm": [
                [float(a), float(b)]
                for a, b in zip(
                    prm[4 : 4 + n_lines], prm[4 + n_lines : 4 + 2 * n_lines], strict=True
                )
            ],
            "metal_model": kind,
            "metal_model_detected": detected,
            # the one free line's (centre, FWHM) ppm where it was fitted (shared-shape series)
            "metal_single_line_ppm": (
                [float(single["prm"][4]), float(single["prm"][5])] if single else [np.nan, np.nan]
            ),
            "metal_mixture_fraction": float(prm[4 + 2 * n_lines]) if kind == "mixture" else 0.0,
            "metal_model_chi2": json.dumps({f["kind"]: round(f["chi2"], 2) for f in fits}),
            "electrode_face_shift_um": [float(prm[-2]) * 1e3, float(prm[-1]) * 1e3],
            "reference_phase_deg": float(np.degrees(phase)),
            "noise_sigma": float(np.sqrt(np.mean(var_c))),
            "electrode_signal": elec_k,
            "electrode_phase_deg": [
                float(np.degrees(np.angle(np.mean(e_b)))),
                float(np.degrees(np.angle(np.mean(e_a)))),
            ],
            "calibration": str(cal),
            "noise_umol": float(np.median(err[:, inside])),
            "source": str(attrs.get("source", "")),
            "time_mid": str(attrs.get("time_mid", "")),
        }
    )
    return ds
