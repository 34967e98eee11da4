"""What an ideal observer of the simulated study can detect: route amounts and their errors.

The stage labels of the ground truth (:mod:`dendritemr.sim.cell.stages`) count a route as growing
only when its growth over the trailing window is larger than an ideal observer at the study's
stated SNR could tell from noise. The observer:

1. knows the exact line shapes (positions, widths, phases) of every component of each 7Li and
   6Li spectrum -- the electrodes (B and A share one shape), the dendritic metal, LLZO -- and
   fits only their
   amplitudes (linear least squares). Its standard error for the dendritic amplitude is the
   Cramer-Rao bound in white complex noise of ``sigma`` per channel (Kay, *Fundamentals of
   Statistical Signal Processing I*, 1993, eq. 4.8 for the linear model):
   ``var(a_d) = sigma^2 [Re(C^H C)]^-1_dd`` with ``C`` the component FIDs (columns);
2. turns the dendritic amplitudes into mol of 6Li and of 7Li (signal per mol of the dendrite
   lines at the reference time);
3. knows the 6Li fraction of each route (interface metal: ``x_i``, bulk metal: ``x_b``) and
   solves ``n6 = x_i I + x_b B``, ``n7 = (1 - x_i) I + (1 - x_b) B`` for the route amounts
   ``I`` and ``B``; their standard errors follow by propagation of ``sigma_6`` and ``sigma_7``.

Noise: the series noise of :mod:`.noise` (stated SNR of the first spectrum). Reference shapes:
the state at the first step with dendritic metal (young, amorphous metal: broad lines, the
conservative case), which sets the line shapes and the signal per mol; it does not depend on how
long the run goes on. Route fractions: the end members known at t = 0, the electrode's x6 for
interface metal and the LLZO's for bulk metal.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dendritemr.sim.cell.model import SimulationResult
from dendritemr.sim.observables.lines import isotope_fraction, spectral_lines, tr_seconds
from dendritemr.sim.observables.settings import ObservationSettings
from dendritemr.sim.observables.snapshot import snapshot
from dendritemr.sim.observables.spectra import acquisition, line_fids, series_sigma

__all__ = ["RouteDetection", "route_detection", "first_time_points_h"]

#: Dead time between consecutive acquisitions of one time point (s); the study writer uses it.
GAP_S = 5.0


@dataclasses.dataclass(frozen=True)
class RouteDetection:
    """Standard errors of an ideal observer's route amounts, per spectrum pair.

    Attributes
    ----------
    sigma_interface_umol, sigma_bulk_umol : standard error of the interface and bulk metal
        amounts from one 7Li + 6Li pair (umol); ``inf`` when the routes cannot be told apart.
    sigma_li7_umol, sigma_li6_umol : standard error of the 7Li and 6Li content of the dendritic
        metal (umol of that isotope).
    x6_interface, x6_bulk : 6Li fractions of the routes the observer assumes.
    """

    sigma_interface_umol: float
    sigma_bulk_umol: float
    sigma_li7_umol: float
    sigma_li6_umol: float
    x6_interface: float
    x6_bulk: float

    def to_dict(self) -> dict[str, float | None]:
        """JSON-ready values (``inf`` -> None)."""
        return {
            f.name: (None if not np.isfinite(v) else float(v))
            for f in dataclasses.fields(self)
            for v in [getattr(self, f.name)]
        }


def first_time_points_h(obs: ObservationSettings) -> list[float]:
    """Mid-times (h) of the first acquisition of each NMR series (7Li first, then 6Li)."""
    out, cursor = [], 0.0
    for nmr in obs.nmr():
        acq = acquisition(obs, nmr, "")
        out.append((cursor + acq.duration_s / 2.0) / 3600.0)
        cursor += acq.duration_s + GAP_S
    return out


def _reference_time_h(result: SimulationResult) -> float:
    """First step with dendritic metal (the end of the run when there is none).

    Independent of how long the run goes on, so the stage labels of its first hours do not
    change with ``max_time_h``.
    """
    h = result.history
    has = np.flatnonzero((h["interface_umol"] + h["bulk_umol"]) > 0)
    return float(h["time_h"][has[0] if has.size else -1])


def _isotope_sigma(result, obs: ObservationSettings, nmr, first_h: float) -> float:
    """Standard error (mol of the isotope) of the dendritic content from one spectrum."""
    acq = acquisition(obs, nmr, "")
    tr = tr_seconds(nmr, acq.sw_hz)
    first = spectral_lines(result, snapshot(result, first_h), obs, nmr, tr)
    sigma = series_sigma(line_fids(first, acq, 0.0), acq, nmr.snr)
    snap = snapshot(result, _reference_time_h(result))
    lines = spectral_lines(result, snap, obs, nmr, tr)
    dendrite = np.isin(lines.component, ("interface", "bulk"))
    n_iso = float(np.sum(snap.mol * isotope_fraction(nmr.nucleus, snap.x6)))
    if not dendrite.any() or n_iso <= 0:
        return np.inf
    # electrodes B and A share one line shape (same plate, same shift): one column
    electrodes = np.isin(lines.component, ("electrode_B", "electrode_A"))
    groups = [dendrite] + [g for g in (electrodes, lines.component == "llzo") if g.any()]
    cols = np.column_stack([line_fids(lines.select(g), acq, 0.0) for g in groups])
    fisher = np.real(cols.conj().T @ cols) / sigma**2
    var = np.linalg.pinv(fisher)[0, 0]
    return float(np.sqrt(max(var, 0.0)) * n_iso)


def route_detection(result: SimulationResult, obs: ObservationSettings) -> RouteDetection:
    """Standard errors of the route amounts an ideal observer gets from one 7Li/6Li pair.

    Parameters
    ----------
    result : the finished run.
    obs : how the study is observed (stated SNRs, acquisitions, line parameters).

    Returns
    -------
    RouteDetection
    """
    iso = result.scenario.isotopes
    x_i, x_b = iso.electrode_x6, iso.llzo_x6
    firsts = first_time_points_h(obs)
    sig = {
        nmr.nucleus: _isotope_sigma(result, obs, nmr, t)
        for nmr, t in zip(obs.nmr(), firsts, strict=True)
    }
    s7, s6 = sig.get("7Li", np.inf), sig.get("6Li", np.inf)
    det = x_i - x_b  # det of [[x_i, x_b], [1 - x_i, 1 - x_b]]
    if abs(det) < 1e-6 or not (np.isfinite(s7) and np.isfinite(s6)):
        s_i = s_b = np.inf
    else:
        # inverse: I = ((1 - x_b) n6 - x_b n7) / det, B = (-(1 - x_i) n6 + x_i n7) / det
        s_i = float(np.hypot((1 - x_b) * s6, x_b * s7) / abs(det))
        s_b = float(np.hypot((1 - x_i) * s6, x_i * s7) / abs(det))
    return RouteDetection(s_i * 1e6, s_b * 1e6, s7 * 1e6, s6 * 1e6, x_i, x_b)
