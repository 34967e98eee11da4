"""Joint fit of complex spectrum series of one or more nuclei that see the same lines.

The 6Li and 7Li spectra of one time point see the same objects: every line has one centre
and (by default) one width in ppm in both spectra; only its area differs between the nuclei.
:class:`JointProblem` fits a list of complex ``(time, ppm)`` series (one per nucleus, same
time points) as one least-squares problem.

Model of spectrum ``t`` of nucleus ``k`` (complex, unit-area Lorentzians
``P = 1 / (pi (g + i u))``, ``g`` = HWHM, ``u`` = offset in ppm: the sense of the spectra made by
:class:`dendritemr.nmr.FourierTransform` from spectrometer FIDs, whose imaginary part is minus
the dispersion of :mod:`dendritemr.fit.lineshapes`; real parts are identical)::

    M_kt(x) = exp(i phi_kt) sum_l a_ktl exp(i psi_g(l)) P(x + delta_k - c_l(t); w_lk(t))
              + sum_j [x in window j] sum_p (beta_ktjp + i gamma_ktjp) xn_j(x)^p

- ``a_ktl``: real area of line ``l`` (signal x ppm), free per spectrum;
- ``phi_kt``: the spectrum's zero-order phase, free per spectrum (the processing phase is
  irrelevant: the complex data are fitted, so areas do not depend on any phase correction);
- ``psi_g``: an extra phase shared by a group of lines and by all spectra (the skin-depth phase
  of bulk metal, Bhattacharyya et al. Nat. Mater. 9, 504 (2010));
- ``c_l(t)``: centre, ppm, shared by the nuclei, constant or a smooth (cubic B-spline) function
  of time; a line may be tied to another (``c_l = c_ref + offset_l``, offset bounded);
- ``w_lk(t)``: FWHM, ppm, shared by the nuclei unless ``width_per_nucleus``;
- ``delta_k``: optional referencing offset of nucleus ``k > 0`` against nucleus 0, ppm;
- optional first-order phase ``phi1_k (x - 125 ppm) / 100 ppm`` per nucleus (a residual
  receiver delay), shared by the series;
- a complex polynomial baseline per window (``xn`` scaled to [-1, 1] in each window).

Residuals ``(M - Y) / sigma_kt`` (real and imaginary parts) with ``sigma_kt`` the noise
standard deviation of the real (= imaginary) part of spectrum ``(k, t)``. The Jacobian is
analytic (``dP/du = -i pi P^2``, ``dP/dw = -pi P^2 / 2``) and has the local/global block layout
of :class:`dendritemr.fit.problem.SeriesProblem`, so the preconditioned trust-region solver and
the block-arrow covariance of that module are reused. With white noise the covariance is the
Cramer-Rao bound of the model (Kay 1993, ch. 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from dendritemr.fit.covariance import block_arrow_covariance
from dendritemr.fit.drift import time_basis
from dendritemr.fit.problem import BlockArrowLayout

__all__ = [
    "Line",
    "PhaseGroup",
    "NucleusData",
    "JointProblem",
    "complex_lorentzian",
    "periodic_lorentzian",
]


def complex_lorentzian(u: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Unit-area complex Lorentzian ``1 / (pi (g + i u))``, ``g = |width| / 2`` (ppm).

    Real part: the absorption line of unit area; imaginary part: minus the dispersion (the
    sense of spectrometer spectra after :class:`dendritemr.nmr.FourierTransform`).
    """
    g = 0.5 * np.maximum(np.abs(width), 1e-12)
    return 1.0 / (np.pi * (g + 1j * u))


def periodic_lorentzian(u: np.ndarray, width: np.ndarray, period: float | None) -> np.ndarray:
    """:func:`complex_lorentzian` as the discrete Fourier transform of a sampled FID sees it.

    A spectrum computed by the DFT of an FID sampled at the spectral width ``S`` (ppm) is
    periodic in ``S``: every line appears with all its aliases, ``sum_k L(u + k S)`` (Poisson
    summation; e.g. Hoch & Stern, *NMR Data Processing*, Wiley 1996, ch. 2). In closed form,
    with ``z = u - i g``::

        sum_k 1 / (pi (g + i (u + k S))) = -(i / S) cot(pi z / S)

    which tends to :func:`complex_lorentzian` for ``S -> inf``. The aliases matter for a strong
    line far from a weak one: the dispersive tail of the 7Li LLZO line 250 ppm from the metal
    lines (SW 800 ppm) is ~20 % larger than the continuous Lorentzian's and curved over the
    metal window. (The DFT also adds half the first FID point, a constant per line that the
    fitted baselines take.) ``period`` None or infinite: the continuous Lorentzian.

    The CSI fit (:func:`dendritemr.mri.csi.line_shapes`) gets the same periodic line numerically,
    as the DFT of the sampled FID (its 128-256 points also carry the truncation); this closed
    form serves the NMR fits, which need analytic derivatives of fully decayed FIDs.
    """
    if period is None or not np.isfinite(period):
        return complex_lorentzian(u, width)
    g = 0.5 * np.maximum(np.abs(width), 1e-12)
    return _cot_from_exp(np.exp((2.0 * np.pi / period) * (g + 1j * u)), period)


def _cot_from_exp(e2: np.ndarray, period: float) -> np.ndarray:
    """``-(i / S) cot(z)`` from ``e2 = exp(2 i z)``: ``cot z = i (e2 + 1) / (e2 - 1)``, so the
    periodic line is ``(1 + 2 / (e2 - 1)) / S`` (one complex division instead of a complex
    tangent)."""
    return (1.0 + 2.0 / (e2 - 1.0)) / period


@dataclass(frozen=True)
class Line:
    """One line of a joint model.

    Parameters
    ----------
    name : label (``component`` coordinate of the results).
    center : starting centre, ppm (for a tied line: the starting offset from its reference).
    center_bounds : bounds of the centre (or of the offset for a tied line), ppm.
    relative_to : name of the line whose centre this line's centre is measured from.
    width, width_bounds : starting FWHM and its bounds, ppm.
    width_per_nucleus : a separate width in each nucleus (default: one width in ppm).
    phase_group : name of a :class:`PhaseGroup` whose phase the line carries on top of the
        spectrum phase; ``None``: the spectrum phase only (an absorptive line).
    area_min : lower bound of the area (``-inf``: unbounded, unbiased at low signal).
    base_fraction, base_width : a composite line of fixed shape: ``(1 - f) P(w) + f P(w_b)``
        with ``f = base_fraction`` and FWHM ``w_b = base_width`` (ppm) held fixed, same centre
        and phase (e.g. the broad base of a bulk electrode line measured where the electrode is
        alone); the area is that of the whole line. ``0``: a plain Lorentzian.
    fixed : centre (offset, for a tied line) and width held at their start values: only the area
        is fitted (e.g. a comb of lines at set offsets from another line describing a spectrum
        of unknown shape).
    width_drift : the width is a smooth function of time (the centres' B-spline basis) even
        where the problem holds one width per line for the series (``width_drift=False`` of
        :class:`JointProblem`): a line whose shape changes (young, broad metal that
        crystallises and narrows).
    """

    name: str
    center: float
    center_bounds: tuple[float, float]
    relative_to: str | None = None
    width: float = 5.0
    width_bounds: tuple[float, float] = (0.2, 50.0)
    width_per_nucleus: bool = False
    phase_group: str | None = None
    area_min: float = -np.inf
    base_fraction: float = 0.0
    base_width: float = 0.0
    fixed: bool = False
    width_drift: bool = False

    def __post_init__(self) -> None:
        lo, hi = self.center_bounds
        if not lo < hi or not lo <= self.center <= hi:
            raise ValueError(f"{self.name}: centre {self.center} outside ({lo}, {hi})")
        lo, hi = self.width_bounds
        if not 0 < lo < hi or not lo <= self.width <= hi:
            raise ValueError(f"{self.name}: width {self.width} outside ({lo}, {hi})")
        if not 0.0 <= self.base_fraction < 1.0 or (self.base_fraction > 0 and self.base_width <= 0):
            raise ValueError(
                f"{self.name}: base fraction {self.base_fraction} (needs 0 <= f < 1) or base "
                f"width {self.base_width} (needs > 0)"
            )


@dataclass(frozen=True)
class PhaseGroup:
    """An extra phase (rad) shared by lines and by every spectrum, with bounds; ``fixed``: held
    at ``value`` (not a parameter of the fit); ``drift``: the phase is a smooth function of time
    (``drift`` of :class:`JointProblem` with ``phase_n_coef`` B-spline coefficients, each within
    ``bounds``) instead of one value for the series."""

    name: str
    value: float
    bounds: tuple[float, float]
    fixed: bool = False
    drift: bool = False


@dataclass
class NucleusData:
    """Complex spectra of one nucleus restricted to the fitted windows.

    Attributes
    ----------
    x : ppm of the fitted points, ``(n,)``.
    window : window index of each point, ``(n,)`` int (baselines are per window).
    y : complex spectra, ``(n_time, n)``.
    sigma : noise standard deviation of the real (= imaginary) part, ``(n_time,)``.
    period : spectral width (ppm) of the DFT the spectra come from: lines are then periodic
        (:func:`periodic_lorentzian`); None: continuous Lorentzians.
    first_point : weight of the FID's first point in that DFT (with ``period``): ``1`` (the
        plain DFT of :class:`dendritemr.nmr.FourierTransform`, TopSpin's default) adds the
        constant ``1 / period`` to every unit-area line (the geometric sum of a sampled
        exponential, ``sum_n r^n = 1/2 + (1/2) (1 + r) / (1 - r)``: the periodic Lorentzian
        is the second term; Hoch & Stern 1996, ch. 2); ``0.5`` (first point halved): none.
        The constant follows every line's area and phase: in a Li | LLZO | Li cell the LLZO
        line's (100x the metal) is as high as a metal peak and moves with isotope exchange.
    """

    x: np.ndarray
    window: np.ndarray
    y: np.ndarray
    sigma: np.ndarray
    period: float | None = None
    first_point: float = 0.5
    xn: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.x = np.asarray(self.x, dtype=float)
        self.window = np.asarray(self.window, dtype=int)
        self.y = np.asarray(self.y, dtype=complex)
        self.sigma = np.asarray(self.sigma, dtype=float)
        xn = np.zeros_like(self.x)
        for j in np.unique(self.window):
            sel = self.window == j
            lo, hi = self.x[sel].min(), self.x[sel].max()
            half = 0.5 * (hi - lo) or 1.0
            xn[sel] = (self.x[sel] - 0.5 * (hi + lo)) / half
        self.xn = xn

    @property
    def n_windows(self) -> int:
        return int(self.window.max()) + 1 if self.window.size else 0


@dataclass(frozen=True)
class _Block:
    kind: str  # phi0 area base_re base_im | center width psi delta
    start: int
    k: int = -1  # nucleus (-1: all)
    line: int = -1
    extra: int = -1  # baseline (window * n_pow + power) / phase group index
    basis: np.ndarray | None = None  # None: local (one entry per time)


class JointProblem(BlockArrowLayout):
    """Residual, Jacobian and covariance of the joint model (see the module docstring).

    Parameters
    ----------
    nuclei : one :class:`NucleusData` per nucleus, same number of time points.
    lines : the lines (names unique; tied lines after their reference).
    phase_groups : the extra phases the lines refer to.
    tau : scaled times in [0, 1], ``(n_time,)`` (see :func:`dendritemr.fit.drift.scaled_time`).
    drift : ``"shared"`` (centres and widths constant over the series) or ``"smooth"``
        (cubic B-splines with ``n_coef`` coefficients).
    width_drift : widths follow ``drift`` too (default); ``False``: one width per line for the
        whole series while the centres drift (shapes fixed, positions free).
    baseline_degree : degree of the complex baseline polynomial per window (-1: none).
    baseline_drift : ``"local"`` (default): the baseline coefficients are free per spectrum;
        ``"shared"``, ``"linear"`` or ``"smooth"``: each coefficient is a function of time on
        :func:`dendritemr.fit.drift.time_basis` (``"smooth"`` with ``n_coef`` coefficients), a
        global parameter like the centres (the baseline is an instrument property -- probe
        background, the half-weighted first FID point, residual curvature of a strong line's
        tail -- that changes slowly over an in situ series).
    baseline_n_coef : B-spline coefficients of the ``"smooth"`` baselines (default ``n_coef``).
    phase_n_coef : coefficients of a drifting :class:`PhaseGroup`: 2 (default): linear in time
        from the first to the last spectrum; >= 4: a cubic B-spline with that many (never more
        than ``n_coef``).
    reference_offset : fit ``delta_k`` for nuclei ``k > 0`` (bounded by +-3 ppm).
    """

    def __init__(
        self,
        nuclei: list[NucleusData],
        lines: list[Line],
        phase_groups: list[PhaseGroup],
        tau: np.ndarray,
        *,
        drift: str = "smooth",
        n_coef: int = 4,
        width_drift: bool = True,
        baseline_degree: int = 1,
        reference_offset: bool = True,
        first_order_phase: bool = False,
        baseline_drift: str = "local",
        baseline_n_coef: int | None = None,
        phase_n_coef: int = 2,
    ) -> None:
        self.nuclei = nuclei
        self.lines = list(lines)
        self.groups = list(phase_groups)
        self.n_time = nuclei[0].y.shape[0]
        if any(n.y.shape[0] != self.n_time for n in nuclei):
            raise ValueError("every nucleus needs the same number of time points")
        names = [ln.name for ln in self.lines]
        if len(set(names)) != len(names):
            raise ValueError(f"line names must be unique: {names}")
        gnames = [g.name for g in self.groups]
        self.ref = []
        for i, ln in enumerate(self.lines):
            if ln.relative_to is None:
                self.ref.append(-1)
            else:
                j = names.index(ln.relative_to)
                if j >= i or self.lines[j].relative_to is not None:
                    raise ValueError(f"{ln.name}: tie to an earlier, untied line")
                self.ref.append(j)
        self.group_of = [
            -1 if ln.phase_group is None else gnames.index(ln.phase_group) for ln in lines
        ]
        self.n_pow = baseline_degree + 1
        self.tau = np.asarray(tau, dtype=float)
        self.basis = time_basis(drift, self.tau, n_coef)
        if phase_n_coef != 2 and phase_n_coef < 4:
            raise ValueError(f"phase_n_coef: 2 (linear) or >= 4 (cubic), not {phase_n_coef}")
        self.phase_basis = (
            time_basis("linear" if drift != "shared" else drift, self.tau)
            if phase_n_coef == 2
            else time_basis(drift, self.tau, min(n_coef, phase_n_coef))
        )
        self.width_basis = self.basis if width_drift else np.ones((self.n_time, 1))
        if baseline_drift not in ("local", "shared", "linear", "smooth"):
            raise ValueError(
                f"baseline_drift: local, shared, linear or smooth, not {baseline_drift!r}"
            )
        self.baseline_basis = (
            None
            if baseline_drift == "local"
            else time_basis(baseline_drift, self.tau, baseline_n_coef or n_coef)
        )
        self.reference_offset = reference_offset and len(nuclei) > 1
        self.first_order_phase = first_order_phase
        self.offsets = np.cumsum([0] + [2 * n.x.size for n in nuclei])
        self.n_ppm = int(self.offsets[-1])
        self._layout()
        self._csr = None
        self.weight = np.ones(self.n_time)  # interface of SeriesProblem (weights are inside)

    # ------------------------------------------------------------------ layout
    def _layout(self) -> None:
        nt, blocks, lo, hi = self.n_time, [], [], []
        start = 0

        def add_local(kind, k, line=-1, extra=-1, lower=-np.inf, upper=np.inf):
            nonlocal start
            blocks.append(_Block(kind, start, k, line, extra))
            lo.append(np.full(nt, lower))
            hi.append(np.full(nt, upper))
            start += nt

        for k, nuc in enumerate(self.nuclei):
            add_local("phi0", k)
            for i, ln in enumerate(self.lines):
                add_local("area", k, i, lower=ln.area_min)
            if self.baseline_basis is None:
                for j in range(nuc.n_windows * self.n_pow):
                    add_local("base_re", k, extra=j)
                    add_local("base_im", k, extra=j)
        self.n_local = len(blocks)

        def add_global(kind, basis, lower, upper, k=-1, line=-1, extra=-1):
            nonlocal start
            blocks.append(_Block(kind, start, k, line, extra, basis))
            lo.append(np.full(basis.shape[1], lower))
            hi.append(np.full(basis.shape[1], upper))
            start += basis.shape[1]

        for i, ln in enumerate(self.lines):
            if ln.fixed:
                continue
            add_global("center", self.basis, *ln.center_bounds, line=i)
            ks = range(len(self.nuclei)) if ln.width_per_nucleus else [-1]
            for k in ks:
                basis = self.basis if ln.width_drift else self.width_basis
                add_global("width", basis, *ln.width_bounds, k=k, line=i)
        one = np.ones((nt, 1))
        for gi, g in enumerate(self.groups):
            if not g.fixed:
                add_global("psi", self.phase_basis if g.drift else one, *g.bounds, extra=gi)
        if self.reference_offset:
            for k in range(1, len(self.nuclei)):
                add_global("delta", one, -3.0, 3.0, k=k)
        if self.first_order_phase:
            for k in range(len(self.nuclei)):
                add_global("phi1", one, -np.pi, np.pi, k=k)
        if self.baseline_basis is not None:
            for k, nuc in enumerate(self.nuclei):
                for j in range(nuc.n_windows * self.n_pow):
                    add_global("base_re", self.baseline_basis, -np.inf, np.inf, k=k, extra=j)
                    add_global("base_im", self.baseline_basis, -np.inf, np.inf, k=k, extra=j)
        self.blocks = blocks
        self.n_theta = start
        self.n_global = start - self.n_local * nt
        self.lower = np.concatenate(lo)
        self.upper = np.concatenate(hi)

    def initial_theta(self, init: dict) -> np.ndarray:
        """Parameter vector from starting values.

        ``init``: ``center`` / ``width`` ``{line name: ppm}`` (offsets for tied lines), ``psi``
        ``{group: rad}``, ``phi0`` ``(n_nuclei, n_time)``, ``area`` ``(n_nuclei, n_time,
        n_lines)``; anything missing takes the line's start value (areas 0, phases 0).
        """
        theta = np.zeros(self.n_theta)
        nt = self.n_time
        for b in self.blocks:
            if b.basis is None:
                sl = slice(b.start, b.start + nt)
                if b.kind == "phi0" and "phi0" in init:
                    theta[sl] = np.asarray(init["phi0"])[b.k]
                elif b.kind == "area" and "area" in init:
                    theta[sl] = np.asarray(init["area"])[b.k, :, b.line]
                continue
            sl = slice(b.start, b.start + b.basis.shape[1])
            if b.kind in ("center", "width"):
                ln = self.lines[b.line]
                v = init.get(b.kind, {}).get(ln.name, getattr(ln, b.kind))
                theta[sl] = np.mean(v) if np.ndim(v) else v
            elif b.kind == "psi":
                g = self.groups[b.extra]
                theta[sl] = init.get("psi", {}).get(g.name, g.value)
        span = np.where(np.isfinite(self.upper - self.lower), self.upper - self.lower, 1.0)
        eps = 1e-6 * np.maximum(span, 1.0)
        return np.clip(theta, self.lower + eps, self.upper - eps)

    # ------------------------------------------------------------------ values
    def values(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """Per-spectrum values: ``center`` ``(n_time, n_lines)`` (absolute), ``offset`` (as
        fitted: offsets for tied lines), ``width`` ``(n_nuclei, n_time, n_lines)``, ``area``
        ``(n_nuclei, n_time, n_lines)``, ``phi0`` ``(n_nuclei, n_time)``, ``psi``
        ``(n_groups,)`` (a drifting group: its mean over the series), ``psi_t`` ``(n_time,
        n_groups)``, ``delta`` ``(n_nuclei,)``, ``baseline`` ``(n_nuclei, n_time,
        n_windows * n_pow)`` complex."""
        nt, nk, nl = self.n_time, len(self.nuclei), len(self.lines)
        out = {
            "offset": np.zeros((nt, nl)),
            "width": np.zeros((nk, nt, nl)),
            "area": np.zeros((nk, nt, nl)),
            "phi0": np.zeros((nk, nt)),
            "psi": np.array([g.value for g in self.groups], dtype=float),
            "psi_t": np.tile(np.array([g.value for g in self.groups], dtype=float), (nt, 1)),
            "delta": np.zeros(nk),
            "phi1": np.zeros(nk),
        }
        for i, ln in enumerate(self.lines):
            if ln.fixed:
                out["offset"][:, i] = ln.center
                out["width"][:, :, i] = ln.width
        nb = max(n.n_windows for n in self.nuclei) * self.n_pow
        base = np.zeros((nk, nt, nb), dtype=complex)
        for b in self.blocks:
            if b.basis is None:
                v = theta[b.start : b.start + nt]
            else:
                v = b.basis @ theta[b.start : b.start + b.basis.shape[1]]
            if b.kind == "phi0":
                out["phi0"][b.k] = v
            elif b.kind == "area":
                out["area"][b.k, :, b.line] = v
            elif b.kind == "base_re":
                base[b.k, :, b.extra] += v
            elif b.kind == "base_im":
                base[b.k, :, b.extra] += 1j * v
            elif b.kind == "center":
                out["offset"][:, b.line] = v
            elif b.kind == "width":
                if b.k < 0:
                    out["width"][:, :, b.line] = v
                else:
                    out["width"][b.k, :, b.line] = v
            elif b.kind == "psi":
                out["psi"][b.extra] = v.mean()
                out["psi_t"][:, b.extra] = v
            elif b.kind == "delta":
                out["delta"][b.k] = v[0]
            elif b.kind == "phi1":
                out["phi1"][b.k] = v[0]
        center = out["offset"].copy()
        for i, r in enumerate(self.ref):
            if r >= 0:
                center[:, i] += center[:, r]
        out["center"] = center
        out["baseline"] = base
        return out

    def _line_terms(self, vals, k):
        """Unit curves ``E P``, ``E q`` and ``E q_w`` (``q``: :meth:`_shape`; ``q_w``: its part
        that a width change moves, differs from ``q`` for composite lines) per line, each
        ``(n_time, n_lines, n)``.

        The last result per nucleus is kept: the solver asks for the residual at a trial point
        and then, once accepted, for the Jacobian at the same point."""
        key = (
            vals["center"],
            vals["width"][k],
            vals["delta"][k],
            vals["phi0"][k],
            vals["psi_t"],
            vals["phi1"][k],
        )
        cache = self.__dict__.setdefault("_terms_cache", {})
        hit = cache.get(k)
        if hit is not None and all(np.array_equal(a, b) for a, b in zip(hit[0], key, strict=True)):
            return hit[1]
        out = self._line_terms_uncached(vals, k)
        cache[k] = (tuple(np.array(a, copy=True) for a in key), out)
        return out

    def _line_terms_uncached(self, vals, k):
        nuc = self.nuclei[k]
        p, q = self._shape(nuc, vals["center"], vals["width"][k], vals["delta"][k])
        qw = q
        composite = [i for i, ln in enumerate(self.lines) if ln.base_fraction > 0]
        if composite:
            # fixed-shape composite lines: (1 - f) P(w) + f P(w_b); the width derivative acts
            # on the narrow part only (w_b is held)
            f = np.array([self.lines[i].base_fraction for i in composite])
            wb = np.broadcast_to(
                [self.lines[i].base_width for i in composite], (self.n_time, f.size)
            )
            pb, qb = self._shape(nuc, vals["center"][:, composite], wb, vals["delta"][k])
            fc = f[None, :, None]
            qw = q.copy()
            qw[:, composite] = (1 - fc) * q[:, composite]
            p[:, composite] = (1 - fc) * p[:, composite] + fc * pb
            q[:, composite] = (1 - fc) * q[:, composite] + fc * qb
        psi = np.stack(
            [np.zeros(self.n_time) if g < 0 else vals["psi_t"][:, g] for g in self.group_of],
            axis=1,
        )  # (time, line)
        e = np.exp(1j * (vals["phi0"][k][:, None] + psi))[:, :, None]
        if self.first_order_phase:
            e = e * np.exp(1j * vals["phi1"][k] * self._ramp(k))[None, None, :]
        return e * p, e * q, e * qw

    @staticmethod
    def _shape(nuc, center, width, delta):
        """Unit line ``P`` at ``center`` with FWHM ``width`` (both ``(n_time, n_lines)``, ppm)
        on the points of ``nuc``, and ``q`` with ``d P / d u = -i pi q``, ``d P / d g = -pi q``:
        ``q = P^2`` (continuous) or ``P^2 - 1 / S^2`` (periodic: ``d cot = -(1 + cot^2)``)."""
        period = nuc.period
        if period is None or not np.isfinite(period):
            u = nuc.x[None, None, :] + delta - center[:, :, None]
            p = complex_lorentzian(u, width[:, :, None])
            return p, p * p
        # exp(2 pi (g + i u) / S) with u = x + delta - centre: a product of a factor per
        # point and one per (time, line) (:func:`periodic_lorentzian`)
        g = 0.5 * np.maximum(np.abs(width), 1e-12)
        w = 2.0 * np.pi / period
        per_line = np.exp(w * (g + 1j * (delta - center)))
        per_point = np.exp(1j * w * nuc.x)
        p = _cot_from_exp(per_line[:, :, None] * per_point[None, None, :], period)
        q = p * p - 1.0 / period**2
        if nuc.first_point != 0.5:  # the DFT's first-point constant (NucleusData)
            p = p + (2.0 * nuc.first_point - 1.0) / period
        return p, q

    def _ramp(self, k: int) -> np.ndarray:
        """First-order phase ramp of nucleus ``k``: (x - 125 ppm) / 100 ppm."""
        return (self.nuclei[k].x - 125.0) / 100.0

    def model(self, vals: dict) -> list[np.ndarray]:
        """Model spectra per nucleus, complex ``(n_time, n)`` each."""
        out = []
        for k in range(len(self.nuclei)):
            ep = self._line_terms(vals, k)[0]
            m = np.einsum("tl,tln->tn", vals["area"][k], ep)
            m += self._baseline(vals, k)
            out.append(m)
        return out

    def line_curves(self, vals: dict, k: int) -> np.ndarray:
        """Complex curve of every line in nucleus ``k``, ``(n_time, n_lines, n)``."""
        ep = self._line_terms(vals, k)[0]
        return vals["area"][k][:, :, None] * ep

    def _baseline(self, vals, k) -> np.ndarray:
        nuc = self.nuclei[k]
        out = np.zeros((self.n_time, nuc.x.size), dtype=complex)
        for j in range(nuc.n_windows):
            sel = nuc.window == j
            for p in range(self.n_pow):
                out[:, sel] += vals["baseline"][k, :, j * self.n_pow + p][:, None] * (
                    nuc.xn[sel] ** p
                )
        return out

    def residual(self, theta: np.ndarray, fixed=None) -> np.ndarray:
        """Weighted residual, real and imaginary parts of every nucleus, time-major."""
        vals = self.values(theta)
        parts = []
        for k, (nuc, m) in enumerate(zip(self.nuclei, self.model(vals), strict=True)):
            r = (m - nuc.y) / nuc.sigma[:, None]
            parts += [r.real, r.imag]
            del k
        return np.concatenate(parts, axis=1).ravel()

    # ------------------------------------------------------------------ Jacobian
    #: :meth:`jacobian_blocks` can refill its own arrays (``reuse=True``; used by block_lm)
    jacobian_reuse = True

    def jacobian_blocks(
        self, theta: np.ndarray, fixed=None, *, reuse: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Weighted Jacobian as local ``(n_time, n_local, n_pts)`` and global
        ``(n_time, n_global, n_pts)`` blocks (``n_pts`` = all nuclei, real then imaginary).

        ``reuse``: fill and return this problem's own two arrays (allocated at the first such
        call) instead of new ones, overwriting the previous result. Every call writes the same
        elements (the structure does not depend on ``theta``), so the others stay zero. For
        solvers that hold one Jacobian at a time: at 500 time points the two arrays are ~1 GB,
        and fresh ones cost their page faults on every iteration."""
        vals = self.values(theta)
        nt = self.n_time
        shapes = ((nt, self.n_local, self.n_ppm), (nt, self.n_global, self.n_ppm))
        if reuse:
            bufs = self.__dict__.get("_jacobian_buffers")
            if bufs is None or bufs[0].shape != shapes[0] or bufs[1].shape != shapes[1]:
                bufs = (np.zeros(shapes[0]), np.zeros(shapes[1]))
                self._jacobian_buffers = bufs
            local, glob = bufs
        else:
            local, glob = np.zeros(shapes[0]), np.zeros(shapes[1])
        g0 = self.n_local * nt
        # per nucleus derivative curves
        for k, nuc in enumerate(self.nuclei):
            n = nuc.x.size
            o = self.offsets[k]
            w = 1.0 / nuc.sigma[:, None]
            ep, eq, eqw = self._line_terms(vals, k)
            a = vals["area"][k][:, :, None]
            lines = a * ep  # (t, l, n)
            total = lines.sum(axis=1)
            d_u = (a * eq) * (-1j * np.pi)  # d curve / d u  (u = x + delta - c)
            d_w = (a * eqw) * (-0.5 * np.pi)
            re, im = slice(o, o + n), slice(o + n, o + 2 * n)

            # local blocks of nucleus k are contiguous: phi0, areas, (base_re, base_im) per
            # term; each written straight into its rows (real and imaginary columns)
            k0 = self.local_index("phi0", k)
            tw = total * w  # d / d phi0 = i total
            np.negative(tw.imag, out=local[:, k0, re])
            local[:, k0, im] = tw.real
            nl = ep.shape[1]
            epw = ep * w[:, :, None]
            local[:, k0 + 1 : k0 + 1 + nl, re] = epw.real
            local[:, k0 + 1 : k0 + 1 + nl, im] = epw.imag
            for j in range(nuc.n_windows * self.n_pow if self.baseline_basis is None else 0):
                win, pw = divmod(j, self.n_pow)
                c = np.where(nuc.window == win, nuc.xn**pw, 0.0)
                row = k0 + 1 + nl + 2 * j
                np.multiply(w, c[None, :], out=local[:, row, re])  # real baseline term
                np.multiply(w, c[None, :], out=local[:, row + 1, im])  # imaginary term
            for b in self.blocks[self.n_local :]:
                gs = b.start - g0
                size = b.basis.shape[1]
                if b.kind == "center":
                    curve = -d_u[:, b.line].copy()
                    for i, r in enumerate(self.ref):
                        if r == b.line:
                            curve -= d_u[:, i]
                elif b.kind == "width":
                    if b.k >= 0 and b.k != k:
                        continue
                    curve = d_w[:, b.line]
                elif b.kind == "psi":
                    sel = [i for i, g in enumerate(self.group_of) if g == b.extra]
                    curve = 1j * lines[:, sel].sum(axis=1)
                elif b.kind == "delta":
                    if b.k != k:
                        continue
                    curve = d_u.sum(axis=1)
                elif b.kind == "phi1":
                    if b.k != k:
                        continue
                    curve = 1j * total * self._ramp(k)[None, :]
                elif b.kind in ("base_re", "base_im"):
                    if b.k != k:
                        continue
                    win, pw = divmod(b.extra, self.n_pow)
                    c = np.where(nuc.window == win, nuc.xn**pw, 0.0)
                    curve = np.broadcast_to(c if b.kind == "base_re" else 1j * c, total.shape)
                else:
                    continue
                # each (row, nucleus) pair is written once: straight into its place
                cw = curve * w
                rows = slice(gs, gs + size)
                bas = b.basis[:, :, None]
                np.multiply(bas, cw.real[:, None, :], out=glob[:, rows, re])
                np.multiply(bas, cw.imag[:, None, :], out=glob[:, rows, im])
        return local, glob

    @property
    def local_support(self) -> list[tuple[slice, slice]]:
        """``(local rows, points)`` per nucleus: the local parameters of nucleus ``k`` (its
        phase, areas and baselines; contiguous) act only on its own points, so the local
        Jacobian is zero outside these blocks (:func:`dendritemr.fit.block_lm.normal_blocks`
        skips the zeros)."""
        out = []
        for k in range(len(self.nuclei)):
            rows = [i for i, b in enumerate(self.blocks[: self.n_local]) if b.k == k]
            out.append((slice(rows[0], rows[-1] + 1), slice(self.offsets[k], self.offsets[k + 1])))
        return out

    def jacobian(self, theta: np.ndarray, fixed=None) -> sparse.csr_matrix:
        """Weighted Jacobian as a CSR matrix."""
        return self.assemble(*self.jacobian_blocks(theta))

    # ------------------------------------------------------------------ errors
    def held_at_bounds(self, theta: np.ndarray, blocks=None) -> np.ndarray:
        """Parameters held at a bound by chi-square, boolean like ``theta``: at (or beyond) the
        lower bound with the gradient ``J^T r`` positive (chi-square falls only below it), or at
        the upper bound with it negative (the projected-gradient active set, as the solver's,
        :func:`dendritemr.fit.block_lm._freeze_active`). ``blocks``: :meth:`jacobian_blocks` at
        ``theta`` when already computed."""
        local, glob = self.jacobian_blocks(theta) if blocks is None else blocks
        r = self.residual(theta).reshape(self.n_time, -1)
        gl = np.einsum("tmn,tn->tm", local, r)
        gg = np.einsum("tgn,tn->g", glob, r)
        grad = np.concatenate([gl.T.ravel(), gg])
        return ((theta <= self.lower) & (grad > 0)) | ((theta >= self.upper) & (grad < 0))

    def jacobian_free(self, theta: np.ndarray, held: np.ndarray | None = None, blocks=None):
        """:meth:`jacobian_blocks` with the columns of the parameters ``held`` (boolean like
        ``theta``, e.g. :meth:`held_at_bounds`; None: none) set to zero: the Jacobian of the
        problem with them held. ``blocks``: :meth:`jacobian_blocks` at ``theta`` when already
        computed (zeroed in place)."""
        local, glob = self.jacobian_blocks(theta) if blocks is None else blocks
        if held is not None and np.any(held):
            held = np.asarray(held, bool)
            nt, g0 = self.n_time, self.n_local * self.n_time
            bb, tt = np.nonzero(held[:g0].reshape(self.n_local, nt))
            local[tt, bb, :] = 0.0
            glob[:, np.flatnonzero(held[g0:]), :] = 0.0
        return local, glob

    def covariance(self, theta: np.ndarray, held: np.ndarray | None = None, blocks=None):
        """Block-arrow covariance of ``theta`` (:func:`block_arrow_covariance`), in the
        parameters' units (the residuals are already divided by the noise).

        ``held`` (boolean like ``theta``; default None: every parameter free, the Fisher
        covariance): these parameters get zero variance and covariance, and the others' covariance
        is that of the problem with them held. With :meth:`held_at_bounds` it is the active-set
        covariance of the reported areas (``decompose``): a line area bounded at 0 that the data
        push below it does not add the variance of an unbounded area (of either sign, strongly
        anticorrelated with its neighbours') to the sums it is part of. Model choice and the
        skin-phase anchor keep the Fisher covariance: a fit with parameters pinned at bounds
        would otherwise look precise and win (docs/quantification.md, "Bounded comb
        areas"). ``blocks``: as :meth:`jacobian_free`."""
        return block_arrow_covariance(*self.jacobian_free(theta, held, blocks))

    def local_index(self, kind: str, k: int, line: int = -1) -> int:
        """Position of a local block among the local blocks."""
        for i, b in enumerate(self.blocks[: self.n_local]):
            if b.kind == kind and b.k == k and b.line == line:
                return i
        raise KeyError((kind, k, line))

    def global_slice(self, kind: str, line: int = -1, k: int = -1, extra: int = -1) -> slice:
        """Slice of a global block within the global coefficients."""
        g0 = self.n_local * self.n_time
        for b in self.blocks[self.n_local :]:
            if b.kind == kind and b.line == line and b.k == k and b.extra == extra:
                return slice(b.start - g0, b.start - g0 + b.basis.shape[1])
        raise KeyError((kind, line, k, extra))
