"""Short circuits from the cell voltage under current.

A metallic path across the electrolyte turns the cell into an ohmic contact: the polarisation
|V| under current collapses to near zero (``I R_short``). With ``V_ref`` the median |V| while
the current flows in the first ``reference_h`` hours of cycling:

- a sample is *collapsed* when ``|V| < collapse_fraction * V_ref`` (default 0.01: near-zero
  polarisation; 0.05 fired hours early on simulated cells whose polarisation falls gradually as
  reduced boundaries conduct, defective-llzo seed 5) and the current
  is on (rest periods at zero current are not shorts);
- it is *clear* when ``|V| >= 2 * collapse_fraction * V_ref``;
- a collapse that lasts to the end of the record, or at least ``hard_min_h``, is the **short
  circuit**; one that recovers (a clear sample follows) sooner is a **soft short** if it holds
  at least 2 collapsed samples over ``soft_min_s`` (default 30 s): a single low sample, such as
  the first point of a galvanostatic step that starts from open circuit, is not a short.

A metallic path that carries only part of the current (a *partial* soft short, e.g. the TEGDME
cell of ``shared/data/real`` at 23.5-27 h) lowers the polarisation without collapsing it. The
polarisation trace ``P`` is the median |V| under current in bins of ``partial_bin_h`` (the median
ignores brief rest or impedance points); a bin with ``P < partial_fraction * R``, ``R`` the
median of ``P`` over the ``partial_reference_h`` before it, starts an event (default 0.6: a
gradual fall moves ``R`` with it, and 0.5 missed the TEGDME event); the event ends at the first
bin back above ``partial_recover * R`` (R frozen at the start; default 0.75); renewed drops
below ``partial_fraction * R`` within ``partial_reference_h`` of the recovery extend it.
Events that hold at least two bins, recover, and are not part of the hard short are reported in
``soft`` with ``"kind": "partial"`` (the collapses above: ``"kind": "collapse"``), with the
least ratio ``P / R`` reached.

The short time is the mid-point between the last clear sample before the collapse and the first
sample at the ohmic floor (``|V| < 0.1 collapse_fraction V_ref``; the first collapsed sample if
the record never gets there); its standard uncertainty is half that bracket (the metallic
contact closes somewhere inside it), never less than one sampling interval over sqrt(12).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["ShortCircuit", "detect_short", "partial_drops"]


@dataclass(frozen=True)
class ShortCircuit:
    """Result of :func:`detect_short` (times in h since cycling started).

    Attributes
    ----------
    time_h, time_err_h : the (hard) short and its standard uncertainty; None if none.
    soft : list of ``{"start_h", "end_h", "min_voltage_V"}`` transient collapses that recovered.
    reference_voltage_V : V_ref; ``resistance_ohm``: |V|/|I| after the short (median).
    """

    time_h: float | None
    time_err_h: float | None
    soft: list[dict] = field(default_factory=list)
    reference_voltage_V: float = float("nan")
    resistance_ohm: float | None = None
    criterion: str = ""

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return {
            "time_h": self.time_h,
            "time_err_h": self.time_err_h,
            "soft_shorts": self.soft,
            "reference_voltage_V": self.reference_voltage_V,
            "resistance_ohm": self.resistance_ohm,
            "criterion": self.criterion,
        }


def detect_short(
    hours: np.ndarray,
    voltage_v: np.ndarray,
    current_ma: np.ndarray,
    *,
    collapse_fraction: float = 0.01,
    reference_h: float = 1.0,
    hard_min_h: float = 0.5,
    soft_min_s: float = 30.0,
    partial_fraction: float = 0.6,
    partial_recover: float = 0.75,
    partial_bin_h: float = 1.0 / 6.0,
    partial_reference_h: float = 2.0,
) -> ShortCircuit:
    """Find the short circuit and soft shorts in a voltage record.

    Parameters
    ----------
    hours : sample times, h since cycling started, increasing, shape ``(n,)``.
    voltage_v, current_ma : samples, shape ``(n,)``.
    collapse_fraction : |V| below this fraction of V_ref counts as collapsed.
    reference_h : V_ref is the median |V| under current over the first ``reference_h`` h of
        cycling (all samples under current if fewer than 10 fall there).
    hard_min_h : a collapse lasting at least this long (or to the end) is the short circuit.
    soft_min_s : least duration (s, >= 2 collapsed samples) of a soft short.
    partial_fraction, partial_recover : a partial soft short starts when the binned
        polarisation falls below ``partial_fraction`` of its trailing reference and ends when
        it is back above ``partial_recover`` of it.
    partial_bin_h, partial_reference_h : bin width and trailing reference window, h.
    """
    t = np.asarray(hours, float)
    v = np.abs(np.asarray(voltage_v, float))
    i = np.asarray(current_ma, float)
    on = (np.abs(i) > 0.05 * np.max(np.abs(i))) & (t >= 0) if i.size else np.zeros(0, bool)
    criterion = (
        f"|V| < {collapse_fraction:g} V_ref under current (V_ref: median |V| of the first "
        f"{reference_h:g} h), lasting >= {hard_min_h:g} h or to the end"
    )
    if on.sum() < 3:
        return ShortCircuit(None, None, criterion=criterion + "; too few samples under current")
    first = on & (t <= t[on][0] + reference_h)
    vref = float(np.median(v[first] if first.sum() >= 10 else v[on]))
    low = collapse_fraction * vref
    collapsed = on & (v < low)
    clear = on & (v >= 2 * low)
    idx = np.flatnonzero(on)
    step = float(np.median(np.diff(t[idx]))) if idx.size > 1 else 0.0
    soft, hard = [], None
    k = 0
    cidx = np.flatnonzero(collapsed)
    while k < cidx.size:
        j0 = cidx[k]
        later_clear = np.flatnonzero(clear[j0:])
        end = j0 + later_clear[0] if later_clear.size else None
        t_end = t[end] if end is not None else t[-1]
        if end is None or t_end - t[j0] >= hard_min_h:
            hard = j0
            break
        run = np.flatnonzero(collapsed[j0:end])
        if run.size < 2 or (t[j0 + run[-1]] - t[j0]) * 3600.0 < soft_min_s:
            k = int(np.searchsorted(cidx, end))
            continue
        soft.append(
            {
                "kind": "collapse",
                "start_h": float(t[j0]),
                "end_h": float(t_end),
                "min_voltage_V": float(np.min(v[j0:end])),
            }
        )
        k = int(np.searchsorted(cidx, end))
    t_hard = None if hard is None else float(t[hard])
    partial = partial_drops(
        t, v, on, partial_fraction, partial_recover, partial_bin_h, partial_reference_h
    )
    soft += [p for p in partial if t_hard is None or p["end_h"] < t_hard]
    soft.sort(key=lambda d: d["start_h"])
    criterion += (
        f"; partial soft shorts: binned ({60 * partial_bin_h:g} min) median |V| under current "
        f"< {partial_fraction:g} x its median over the preceding {partial_reference_h:g} h, "
        f"recovering to >= {partial_recover:g} x"
    )
    if hard is None:
        return ShortCircuit(None, None, soft, vref, criterion=criterion)
    before = np.flatnonzero(clear[:hard])
    t_last = t[before[-1]] if before.size else t[hard]
    floor = np.flatnonzero(on[hard:] & (v[hard:] < 0.1 * low))
    t_end = t[hard + floor[0]] if floor.size else t[hard]
    t_short = 0.5 * (t_last + t_end)
    err = max(0.5 * (t_end - t_last), step / np.sqrt(12.0))
    after = on & (t >= t[hard])
    res = float(np.median(v[after] / np.abs(i[after]) * 1e3)) if after.any() else None
    return ShortCircuit(float(t_short), float(err), soft, vref, res, criterion)


def partial_drops(
    t: np.ndarray,
    v_abs: np.ndarray,
    on: np.ndarray,
    fraction: float = 0.6,
    recover: float = 0.75,
    bin_h: float = 1.0 / 6.0,
    reference_h: float = 2.0,
) -> list[dict]:
    """Partial losses of polarisation that recover (see the module docstring).

    Parameters
    ----------
    t : sample times, h, increasing, shape ``(n,)``.
    v_abs : |V|, V, shape ``(n,)``.
    on : samples under current, bool, shape ``(n,)``.

    Returns
    -------
    list of ``{"kind": "partial", "start_h", "end_h", "min_voltage_V", "min_ratio",
    "reference_voltage_V"}``; an event still open at the end of the record is not reported
    (it is not known to recover).
    """
    if on.sum() < 3 or bin_h <= 0:
        return []
    tt, vv = t[on], v_abs[on]
    edges = np.arange(tt[0], tt[-1] + bin_h, bin_h)
    idx = np.searchsorted(edges, tt, side="right") - 1
    nb = edges.size
    counts = np.bincount(idx, minlength=nb)
    order = np.argsort(idx, kind="stable")
    groups = np.split(vv[order], np.cumsum(counts)[:-1])
    p = np.array([np.median(g) if g.size >= 3 else np.nan for g in groups])
    mids = edges + 0.5 * bin_h
    n_ref = max(int(round(reference_h / bin_h)), 2)
    events: list[dict] = []
    k = n_ref
    while k < nb:
        ref_vals = p[k - n_ref : k]
        ref_vals = ref_vals[np.isfinite(ref_vals)]
        if (
            ref_vals.size < n_ref // 2
            or not np.isfinite(p[k])
            or p[k] >= fraction * np.median(ref_vals)
        ):
            k += 1
            continue
        ref = float(np.median(ref_vals))
        j = k
        while j < nb and not (np.isfinite(p[j]) and p[j] >= recover * ref):
            j += 1
        if j >= nb:  # never recovered within the record
            break
        # renewed drops within ``reference_h`` of the recovery belong to the same event
        while True:
            stop = min(j + n_ref, nb)
            again = [m for m in range(j + 1, stop) if np.isfinite(p[m]) and p[m] < fraction * ref]
            if not again:
                break
            j2 = again[0]
            while j2 < nb and not (np.isfinite(p[j2]) and p[j2] >= recover * ref):
                j2 += 1
            if j2 >= nb:
                break
            j = j2
        low = p[k:j]
        if np.sum(low < fraction * ref) >= 2:
            seg = (tt >= edges[k]) & (tt < edges[j])
            events.append(
                {
                    "kind": "partial",
                    "start_h": float(edges[k]),
                    "end_h": float(mids[j]),
                    "min_voltage_V": float(np.nanmin(low)),
                    "min_ratio": float(np.nanmin(low) / ref),
                    "reference_voltage_V": ref,
                    "samples": int(seg.sum()),
                }
            )
        k = j + 1
    return events
