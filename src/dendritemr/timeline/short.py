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

The short time is the mid-point between the last clear sample before the collapse and the first
sample at the ohmic floor (``|V| < 0.1 collapse_fraction V_ref``; the first collapsed sample if
the record never gets there); its standard uncertainty is half that bracket (the metallic
contact closes somewhere inside it), never less than one sampling interval over sqrt(12).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["ShortCircuit", "detect_short"]


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
                "start_h": float(t[j0]),
                "end_h": float(t_end),
                "min_voltage_V": float(np.min(v[j0:end])),
            }
        )
        k = int(np.searchsorted(cidx, end))
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
