"""Phase correction: manual zero/first order, and automatic for one spectrum or a whole series.

phi(ppm) = p0 + p1 (pivot - ppm) / span, in degrees, applied as ``spectrum * exp(i phi)``;
``span`` is the spectral width in ppm and the default pivot is the high-ppm edge, so that
``p1`` is the phase change across the whole spectrum (nmrglue's ``ps`` convention).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import xarray as xr
from scipy.optimize import minimize

from dendritemr.errors import ProcessingError
from dendritemr.nmr import defaults
from dendritemr.nmr.base import FITTED_KEY, ProcessingStep, copy_with, from_rows, spectra_rows


def _span_ppm(da: xr.DataArray) -> float:
    ppm = da["ppm"].values
    return abs(ppm[-1] - ppm[0]) * ppm.size / max(ppm.size - 1, 1)


def phase_ramp(ppm: np.ndarray, p0: float, p1: float, pivot: float, span: float) -> np.ndarray:
    """exp(i phi(ppm)) for the phase model of this module (degrees in, complex out)."""
    return np.exp(1j * np.deg2rad(p0 + p1 * (pivot - ppm) / span))


def phase_factor(ppm: np.ndarray, p0: float, p1: float, pivot: float | None) -> np.ndarray:
    """exp(i phi) on the axis ``ppm`` (pivot None: the high-ppm edge)."""
    span = abs(ppm[-1] - ppm[0]) * ppm.size / max(ppm.size - 1, 1)
    return phase_ramp(ppm, p0, p1, float(ppm.max()) if pivot is None else pivot, span)


def _apply_phase(da: xr.DataArray, p0: float, p1: float, pivot: float | None) -> xr.DataArray:
    ppm = da["ppm"].values
    ramp = phase_factor(ppm, p0, p1, pivot)
    shape = [1] * da.ndim
    shape[da.get_axis_num("ppm")] = ppm.size
    dtype = np.result_type(da.dtype, np.complex64)
    return copy_with(da, da.values * ramp.astype(dtype).reshape(shape))


@dataclasses.dataclass
class Phase(ProcessingStep):
    """Manual phase correction (degrees); ``pivot_ppm`` None means the high-ppm edge."""

    name = "phase"
    input_dim = "ppm"
    p0_deg: float = 0.0
    p1_deg: float = 0.0
    pivot_ppm: float | None = None

    def _apply(self, da: xr.DataArray) -> xr.DataArray:
        return _apply_phase(da, self.p0_deg, self.p1_deg, self.pivot_ppm)


def acme_score(real: np.ndarray, gamma: float = 1000.0) -> np.ndarray:
    """ACME: entropy of the first derivative plus a negative-intensity penalty (last axis).

    Chen, Weng, Goh & Garland, J. Magn. Reson. 158, 164 (2002). Vectorised: any leading
    dimensions give one score each.
    """
    deriv = np.abs(np.diff(real, axis=-1))
    p = deriv / np.maximum(deriv.sum(axis=-1, keepdims=True), 1e-300)
    entropy = -np.sum(p * np.log(p + 1e-300), axis=-1)
    return entropy + gamma * negative_area_score(real)


def negative_area_score(real: np.ndarray) -> np.ndarray:
    """Squared negative intensities relative to the total power (last axis; absorption > 0)."""
    negative = np.minimum(real, 0.0)
    return np.sum(negative**2, axis=-1) / np.maximum(np.sum(real**2, axis=-1), 1e-300)


SCORES: dict[str, Callable[[np.ndarray], float]] = {
    "acme": acme_score,
    "negative_area": negative_area_score,
}


def autophase_spectrum(
    spectrum: np.ndarray,
    ppm: np.ndarray,
    score: Callable[[np.ndarray], float],
    first_order: bool = True,
    region: tuple[float, float] | None = None,
) -> tuple[float, float]:
    """(p0, p1) in degrees minimising ``score`` of the real part (pivot: high-ppm edge).

    A coarse search over p0 avoids the wrong (180 degree) minimum, then Nelder-Mead refines.
    """
    span = abs(ppm[-1] - ppm[0]) * ppm.size / max(ppm.size - 1, 1)
    pivot = float(ppm.max())
    mask = (
        np.ones(ppm.size, bool) if region is None else ((ppm >= min(region)) & (ppm <= max(region)))
    )
    spec, x = spectrum[mask], ppm[mask]

    def cost(p: np.ndarray) -> float:
        p1 = p[1] if first_order else 0.0
        return score((spec * phase_ramp(x, p[0], p1, pivot, span)).real)

    starts = np.arange(0.0, 360.0, 15.0)
    best = min(starts, key=lambda p0: cost(np.array([p0, 0.0])))
    res = minimize(
        cost,
        np.array([best, 0.0]),
        method="Nelder-Mead",
        options={"xatol": 1e-3, "fatol": 1e-10, "maxiter": 4000},
    )
    p0, p1 = float(res.x[0]) % 360.0, float(res.x[1]) if first_order else 0.0
    return p0, p1


def _with_fitted(out: xr.DataArray, angles) -> xr.DataArray:
    """Hand the angles found to the history entry (see ProcessingStep.__call__)."""
    out.attrs[FITTED_KEY] = [list(map(float, a)) for a in angles]
    return out


@dataclasses.dataclass
class AutoPhase(ProcessingStep):
    """Automatic phase correction.

    ``mode="series"`` finds ONE (p0, p1) on the mean spectrum of the series (highest SNR; the
    phase is an instrument property, constant over an in situ run) and applies it to every
    row; ``mode="each"`` phases every spectrum on its own (a loop: for single spectra).
    ``region`` (ppm) restricts the score to one line, e.g. the electrolyte, because bulk Li metal
    carries an extra skin-depth phase (up to 45 degrees) and one phase cannot suit both.
    The fitted angles are recorded in the history entry (``fitted``).
    """

    name = "autophase"
    input_dim = "ppm"
    score: str = "acme"
    mode: str = "series"
    first_order: bool = True
    region: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.score not in SCORES:
            raise ProcessingError(f"autophase: unknown score {self.score!r} ({sorted(SCORES)})")
        if self.mode not in ("series", "each"):
            raise ProcessingError(f"autophase: mode must be 'series' or 'each', not {self.mode!r}")
        self.region = None if self.region is None else tuple(self.region)

    @property
    def series_wide(self) -> bool:
        return self.mode == "series"

    def _apply(self, da: xr.DataArray) -> xr.DataArray:
        ppm = da["ppm"].values
        score = SCORES[self.score]
        stacked = spectra_rows(da)
        if self.mode == "series":
            angles = [
                autophase_spectrum(stacked.mean(axis=0), ppm, score, self.first_order, self.region)
            ]
            return _with_fitted(_apply_phase(da, *angles[0], None), angles)
        angles = [
            autophase_spectrum(row, ppm, score, self.first_order, self.region) for row in stacked
        ]
        pivot, span = float(ppm.max()), _span_ppm(da)
        ramps = np.stack([phase_ramp(ppm, p0, p1, pivot, span) for p0, p1 in angles])
        return _with_fitted(from_rows(da, stacked * ramps), angles)


def _peak_top_phase(seg: np.ndarray, top: float) -> np.ndarray:
    """Correction (rad) from the angle of the sum over points above ``top`` x max magnitude."""
    mag = np.abs(seg)
    peak = mag >= top * mag.max(axis=1, keepdims=True)
    return -np.angle(np.sum(seg * peak, axis=1))


def _score_search_phase(
    seg: np.ndarray, score: Callable[[np.ndarray], np.ndarray], chunk: int = 256
) -> np.ndarray:
    """Correction (rad) minimising ``score`` of the real part: 5, 0.25, 0.0125 degree grids."""
    result = np.empty(seg.shape[0])
    for start in range(0, seg.shape[0], chunk):
        part = seg[start : start + chunk]
        best = np.zeros(part.shape[0])
        for step, half in ((5.0, 180.0), (0.25, 5.0), (0.0125, 0.25)):
            offsets = np.arange(-half, half + step / 2, step)
            theta = np.deg2rad(best[None, :] + offsets[:, None])  # (grid, spectra)
            real = (part[None] * np.exp(1j * theta)[..., None]).real
            best = best + offsets[np.argmin(score(real), axis=0)]
        result[start : start + chunk] = np.deg2rad(best)
    return result


LINE_PHASE_METHODS = ("peak", "acme")


def line_phases(
    da: xr.DataArray, windows: list[tuple[float, float]], method: str = "peak", top: float = 0.3
) -> np.ndarray:
    """Zero-order correction (degrees) that phases the line in each ppm window, per spectrum.

    ``method="peak"``: minus the angle of the complex sum over the points of the strongest
    line whose magnitude is at least ``top`` x its maximum -- a region roughly symmetric about
    the line centre, where the dispersion part cancels and baseline and neighbours weigh
    little (exact for a single line). ``method="acme"``: minimise the ACME score of the real
    part over the whole window (levels the baseline around the line, as TopSpin's ``apk``
    appears to; it can lock onto a wrong minimum on clean Lorentzians). Vectorised over the
    series; returns shape (spectra, windows), unwrapped along the spectra.
    """
    if method not in LINE_PHASE_METHODS:
        raise ProcessingError(f"line_phase: method must be one of {LINE_PHASE_METHODS}")
    ppm = da["ppm"].values
    rows = spectra_rows(da)
    angles = []
    for lo, hi in windows:
        mask = (ppm >= min(lo, hi)) & (ppm <= max(lo, hi))
        if mask.sum() < 3:
            raise ProcessingError(f"line_phase: window {(lo, hi)} ppm holds < 3 points")
        seg = rows[:, mask]
        rad = (
            _peak_top_phase(seg, top) if method == "peak" else _score_search_phase(seg, acme_score)
        )
        angles.append(np.unwrap(rad))
    return np.rad2deg(np.stack(angles, axis=1))


@dataclasses.dataclass
class LinePhase(ProcessingStep):
    """Phase every spectrum so the lines in one or two ``windows`` (ppm) are pure absorption.

    With two windows both zero- and first-order phase follow (the straight line of phase
    through the two line centres); with one, zero order only. This is how in situ Li spectra
    are phased by hand: bulk Li metal carries a skin-depth phase (up to 45 degrees) relative to
    the electrolyte line that changes as microstructures grow, so one phase for the run cannot
    suit both lines. ``method`` chooses how a line's phase is found (:func:`line_phases`).
    ``smooth_degree`` fits each line's phase with a polynomial in time over
    the series (one consistent model, robust to noise); None keeps per-spectrum values.
    """

    name = "line_phase"
    input_dim = "ppm"
    windows: list[tuple[float, float]] = dataclasses.field(
        default_factory=lambda: [defaults.METAL_WINDOW, defaults.ELECTROLYTE_WINDOW]
    )
    smooth_degree: int | None = None
    method: str = "peak"
    top: float = 0.3

    def __post_init__(self) -> None:
        if self.method not in LINE_PHASE_METHODS:
            raise ProcessingError(f"line_phase: method must be one of {LINE_PHASE_METHODS}")
        self.windows = [tuple(map(float, w)) for w in self.windows]
        if not 1 <= len(self.windows) <= 2:
            raise ProcessingError("line_phase: give one or two windows")

    @property
    def series_wide(self) -> bool:
        return self.smooth_degree is not None

    def _apply(self, da: xr.DataArray) -> xr.DataArray:
        measured = line_phases(da, self.windows, self.method, self.top)
        n = measured.shape[0]
        if self.smooth_degree is not None and n > self.smooth_degree + 1:
            x = np.linspace(-1.0, 1.0, n)
            coef = np.polynomial.polynomial.polyfit(x, measured, self.smooth_degree)
            measured = np.polynomial.polynomial.polyval(x, coef).T
        ppm = da["ppm"].values
        centres = [0.5 * (lo + hi) for lo, hi in self.windows]
        if len(centres) == 2:
            slope = (measured[:, 1] - measured[:, 0]) / (centres[1] - centres[0])
            phi = measured[:, :1] + slope[:, None] * (ppm[None, :] - centres[0])
        else:
            phi = np.repeat(measured[:, :1], ppm.size, axis=1)
        rows = spectra_rows(da) * np.exp(1j * np.deg2rad(phi))
        return _with_fitted(from_rows(da, rows), measured)


@dataclasses.dataclass
class WindowPhase(ProcessingStep):
    """Phase every line absorptive without rotating one line's tails under another.

    1. The line in ``reference`` (ppm; the electrolyte/LLZO line) sets a zero-order phase for
       the whole spectrum (:func:`line_phases`, ``peak`` method): that line, and its tails
       everywhere, become absorptive. There is no first-order phase: after the digital-filter
       removal the instrumental first-order phase is nil, and a ramp drawn through two lines of
       different phases would rotate the strong line's dispersive tail into the real part
       under the weak one (issue 8: 31-35 % of the metal peak on a simulated LLZO cell).
    2. In each of ``windows`` (ppm; the Li metal window) the signal is split into the smooth
       background B -- a complex polynomial of degree ``order`` fitted through the flanks
       ``gap_ppm``..``flank_ppm`` outside the window (baseline, broad wings), the reference
       line's tail T (that line continued as a complex Lorentzian: :meth:`_reference_tail`)
       -- and the window's own lines M = S - B - T. M gets its own zero-order phase, minus
       the angle of its complex integral over the window (which makes the window integral of
       Re M equal to |sum M|: the skin-depth phase of bulk metal, up to 45 degrees, is undone
       for the window's area); B and T keep the reference phase. Over the window and its
       flanks S' = B + T + M exp(i theta_window): M is ~0 at the outer flank edges, so the
       spectrum stays continuous (the wings of broad metal lines turn with their line).

    A spectrum without a line in ``reference`` (magnitude below ``min_snr`` noise sigmas,
    :func:`dendritemr.nmr.noise.noise_rows` ``diff-mad``) takes the first window's phase for
    the whole spectrum. The angles (degrees, per spectrum:
    reference, then each window's total phase) are recorded in the history (``fitted``).
    """

    name = "window_phase"
    input_dim = "ppm"
    reference: tuple[float, float] | None = defaults.ELECTROLYTE_WINDOW
    windows: list[tuple[float, float]] = dataclasses.field(
        default_factory=lambda: [defaults.METAL_WINDOW]
    )
    flank_ppm: float = 45.0
    gap_ppm: float = 5.0
    order: int = 2
    min_snr: float = defaults.METAL_DETECTION_SNR

    def __post_init__(self) -> None:
        self.windows = [tuple(map(float, w)) for w in self.windows]
        self.reference = None if self.reference is None else tuple(map(float, self.reference))
        if not self.windows:
            raise ProcessingError("window_phase: give at least one window")
        if not 0 <= self.gap_ppm < self.flank_ppm:
            raise ProcessingError("window_phase: need 0 <= gap_ppm < flank_ppm")
        if self.order < 0:
            raise ProcessingError("window_phase: order must be >= 0")

    def _window_parts(self, ppm: np.ndarray, window: tuple[float, float]):
        lo, hi = min(window), max(window)
        inside = (ppm >= lo) & (ppm <= hi)
        flanks = ((ppm >= lo - self.flank_ppm) & (ppm < lo - self.gap_ppm)) | (
            (ppm > hi + self.gap_ppm) & (ppm <= hi + self.flank_ppm)
        )
        if inside.sum() < 3:
            raise ProcessingError(f"window_phase: window {window} ppm holds < 3 points")
        order = min(self.order, max(int(flanks.sum()) - 1, 0))
        x = (ppm - 0.5 * (lo + hi)) / (hi - lo)
        basis = np.vander(x, order + 1, increasing=True)
        return inside, flanks, basis

    def _has_reference_line(self, rows: np.ndarray, ppm: np.ndarray) -> np.ndarray:
        """Per spectrum: a line of >= ``min_snr`` noise sigmas (magnitude) in ``reference``."""
        from dendritemr.nmr.noise import noise_rows

        if self.reference is None:
            return np.zeros(rows.shape[0], bool)
        mask = (ppm >= min(self.reference)) & (ppm <= max(self.reference))
        if mask.sum() < 3:
            return np.zeros(rows.shape[0], bool)
        sigma = np.maximum(noise_rows(rows, "diff-mad"), 1e-300)
        return np.abs(rows[:, mask]).max(axis=1) >= self.min_snr * sigma

    def _apply(self, da: xr.DataArray) -> xr.DataArray:
        ppm = da["ppm"].values
        rows = spectra_rows(da)
        dtype = np.result_type(rows.dtype, np.complex64)
        parts = [self._window_parts(ppm, w) for w in self.windows]
        inside, flanks, basis = parts[0]
        region = inside | flanks | self._gaps(inside, flanks)
        own = self._own_signal(rows[:, region], inside[region], flanks[region], basis[region])
        theta_ref = -np.angle(own[:, inside[region]].sum(axis=1))
        has_ref = self._has_reference_line(rows, ppm)
        if has_ref.any():
            from_line = np.deg2rad(line_phases(da, [self.reference], "peak")[:, 0])
            theta_ref = np.where(has_ref, from_line, theta_ref)
        out = rows * np.exp(1j * theta_ref)[:, None].astype(dtype)
        angles = [np.rad2deg(theta_ref)]
        for inside, flanks, basis in parts:
            region = inside | flanks | self._gaps(inside, flanks)
            sub = out[:, region]
            if has_ref.any():  # the reference line's tail under the window is not rotated
                sub = sub - self._reference_tail(out, ppm, region) * has_ref[:, None]
            own = self._own_signal(sub, inside[region], flanks[region], basis[region])
            theta = -np.angle(own[:, inside[region]].sum(axis=1))
            out[:, region] += own * (np.exp(1j * theta)[:, None] - 1.0)
            angles.append(np.rad2deg(np.unwrap(theta_ref + theta)))
        return _with_fitted(from_rows(da, out.astype(dtype)), np.stack(angles, axis=1))

    def _reference_tail(self, phased: np.ndarray, ppm: np.ndarray, columns) -> np.ndarray:
        """The reference line continued as a complex Lorentzian, at the points ``columns``.

        Centre: the maximum of the (phased) real part in ``reference``; half width: half the
        width of the points above half that maximum; complex amplitude: the line's complex
        integral over ``reference`` divided by the model's. Its far tail (absorption ~ 1/d^2,
        dispersion ~ 1/d) is what lies under the other windows. Shape (spectra, columns).
        """
        mask = (ppm >= min(self.reference)) & (ppm <= max(self.reference))
        seg = phased[:, mask].real
        k = np.argmax(seg, axis=1)
        centre = ppm[mask][k][:, None]
        step = abs(ppm[1] - ppm[0])
        above = seg >= 0.5 * seg[np.arange(seg.shape[0]), k][:, None]
        gamma = np.maximum(above.sum(axis=1) * step / 2.0, step)[:, None]
        near = gamma / (gamma + 1j * (ppm[mask][None, :] - centre))
        amplitude = phased[:, mask].sum(axis=1, keepdims=True) / near.sum(axis=1, keepdims=True)
        return amplitude * gamma / (gamma + 1j * (ppm[columns][None, :] - centre))

    @staticmethod
    def _gaps(inside: np.ndarray, flanks: np.ndarray) -> np.ndarray:
        """Points between the window and its flanks."""
        idx = np.flatnonzero(inside | flanks)
        span = np.zeros_like(inside)
        if idx.size:
            span[idx[0] : idx[-1] + 1] = True
        return span & ~inside & ~flanks

    @staticmethod
    def _own_signal(rows, inside, flanks, basis) -> np.ndarray:
        """M = S - B over the points of ``rows`` (B the polynomial through ``flanks``)."""
        if flanks.sum() == 0:
            return rows.copy()
        coef, *_ = np.linalg.lstsq(basis[flanks], rows[:, flanks].T, rcond=None)
        return rows - (basis @ coef).T
