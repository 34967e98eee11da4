"""Stage labels from the model state (not from a timer), at what an ideal observer can detect.

Rule (docs/results-schema.md, "Stage rule"): a route is *growing* at a step when the amount of
its metal (interface: cells + crack fillings; bulk: Li0 inside the electrolyte) rose over the
trailing window ``stage_window_h`` by more than ``stage_detection_sigmas * sqrt(2) * sigma``,
``sigma`` the standard error of that route's amount from one 7Li + 6Li spectrum pair of the
study (an ideal observer at the stated SNRs, :mod:`dendritemr.sim.observables.detection`):
the difference of two independent measurements one window apart is then significant.
Only interface growing -> ``interface-growth``; only bulk -> ``bulk-nucleation``; both ->
``mixed-growth``; neither -> ``stall``; after the short -> ``shorted``. Consecutive equal labels
are merged into intervals with the names of the results schema (design.md).
"""

from __future__ import annotations

import numpy as np

__all__ = ["STAGE_NAMES", "label_steps", "stage_intervals", "observer_stages"]

STAGE_NAMES = ("interface-growth", "stall", "bulk-nucleation", "mixed-growth", "shorted")


def label_steps(
    time_h: np.ndarray,
    interface_umol: np.ndarray,
    bulk_umol: np.ndarray,
    shorted: np.ndarray,
    window_h: float,
    threshold_interface_umol: float,
    threshold_bulk_umol: float,
) -> np.ndarray:
    """Stage name per step.

    Parameters
    ----------
    time_h : step end times (h).
    interface_umol, bulk_umol : dendritic metal per route after each step (umol); both are 0
        at time 0.
    shorted : bool per step.
    window_h : trailing window (h).
    threshold_interface_umol, threshold_bulk_umol : smallest detectable growth of each route
        over the window (umol); ``inf`` never counts as growing.

    Returns
    -------
    ndarray of str
    """
    t = np.concatenate([[0.0], np.asarray(time_h, float)])
    start = np.searchsorted(t, t[1:] - window_h, side="right") - 1
    start = np.maximum(start, 0)
    # the amount at the window start, interpolated (the steps are uneven)
    out = np.full(t.size - 1, "stall", dtype=object)
    grew = []
    for amount, thresh in (
        (interface_umol, threshold_interface_umol),
        (bulk_umol, threshold_bulk_umol),
    ):
        a = np.concatenate([[0.0], np.asarray(amount, float)])
        base = np.interp(np.maximum(t[1:] - window_h, 0.0), t, a)
        grew.append((a[1:] - base) > thresh)
    active_i, active_b = grew
    out[active_i & ~active_b] = "interface-growth"
    out[~active_i & active_b] = "bulk-nucleation"
    out[active_i & active_b] = "mixed-growth"
    out[np.asarray(shorted, bool)] = "shorted"
    return out.astype(str)


def stage_intervals(time_h: np.ndarray, labels: np.ndarray, start_h: float = 0.0) -> list[dict]:
    """Merge per-step labels into ``[{"name", "start_h", "end_h"}]`` intervals.

    Parameters
    ----------
    time_h : step end times (h).
    labels : stage per step.
    start_h : time the first step starts (h).

    Returns
    -------
    list of dict
    """
    out: list[dict] = []
    prev_end = start_h
    for t, name in zip(time_h, labels, strict=True):
        if out and out[-1]["name"] == name:
            out[-1]["end_h"] = float(t)
        else:
            out.append({"name": str(name), "start_h": float(prev_end), "end_h": float(t)})
        prev_end = float(t)
    return out


def observer_stages(
    time_obs_h: np.ndarray,
    interface_umol: np.ndarray,
    bulk_umol: np.ndarray,
    end_h: float,
    shorted: bool,
    window_h: float,
    threshold_interface_umol: float,
    threshold_bulk_umol: float,
) -> list[dict]:
    """Stage intervals as the observer of the study sees them: the rule at its time points.

    The growth test of :func:`label_steps` is applied where the study measures (the NMR time
    points, amounts there), so a label holds for a whole interval between two measurements and
    no stage is shorter than the observer's sampling: a route whose growth hovers at its
    threshold between two measurements does not split a stage into slivers. After the last
    time point the last label holds up to ``end_h``; after a short the interval from the last
    time point to the short is ``shorted``. The first label holds from 0 h; a first time point
    less than one interval after 0 h (``t[0] < t[1] - t[0]``) is the series' baseline: its
    window, cut at 0 h, is too short for any growth to pass the test, so it takes the second
    point's label (whose window covers 0 h to ``t[0]`` too).

    Parameters
    ----------
    time_obs_h : the study's time points (h), increasing.
    interface_umol, bulk_umol : route amounts at those time points (umol).
    end_h : end of the run (h): the short or the end of the protocol.
    shorted : the run ended with a short.
    window_h, threshold_interface_umol, threshold_bulk_umol : as in :func:`label_steps`.

    Returns
    -------
    list of dict
        ``[{"name", "start_h", "end_h"}]`` from 0 to ``end_h``.
    """
    t = np.asarray(time_obs_h, float)
    keep = t < end_h - 1e-9
    t = t[keep]
    if t.size == 0:
        return [{"name": "shorted" if shorted else "stall", "start_h": 0.0, "end_h": float(end_h)}]
    lab = label_steps(
        t,
        np.asarray(interface_umol, float)[keep],
        np.asarray(bulk_umol, float)[keep],
        np.zeros(t.size, bool),
        window_h,
        threshold_interface_umol,
        threshold_bulk_umol,
    )
    if t.size > 1 and t[0] < t[1] - t[0]:
        # a first measurement less than one interval after the start is the series' baseline:
        # its window, cut at 0 h, spans only t[0] (33 s in the simulated studies, against 1 h
        # elsewhere), so no growth can pass the test there and 0 h to t[0] read `stall` although
        # the route grew at the same rate as in the next interval; the next point's window
        # covers 0 h to t[0] as well, and its label holds for it
        lab[0] = lab[1]
    tail = "shorted" if shorted else str(lab[-1])
    return stage_intervals(np.append(t, end_h), np.append(lab, tail))
