"""Put the cycler on the NMR clock and average it over each acquisition window.

Clock model: an absolute time of the cycler file's time zero (recorded in the file, or given
in the study as ``[cycler] start``; a naive time is read in ``[cycler] timezone``), plus the
user's ``clock_offset_s`` (cycler PC clock error against the spectrometer). NMR acquisition
times are UTC (TopSpin acqus ``DATE`` / audit trail), so everything is compared in UTC.

Per acquisition window ``[t0, t1]`` (s since cycling started):

- charge passed ``dQ = Q(t1) - Q(t0)`` with ``Q`` the trapezoid integral of the current (mAh);
- mean current ``dQ / (t1 - t0)`` (mA) and time-weighted mean voltage (V);
- cumulative charge at the mid-point (mAh), per area (mAh/cm2) and as the thickness of dense Li
  it would plate (um; ``docs/science.md`` section 3: 1 mAh/cm2 = 4.85 um).

Windows outside the cycler record get NaN (and ``covered = False``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import xarray as xr

from dendritemr.errors import DataError
from dendritemr.physics import mah_per_cm2_to_um

__all__ = ["CyclerClock", "cycler_clock", "align_windows", "acquisition_seconds"]

#: a current below this fraction of the largest |I| counts as "no current" (start detection)
CURRENT_ON_FRACTION = 0.05


@dataclass(frozen=True)
class CyclerClock:
    """A cycler record on the absolute (UTC) clock.

    Attributes
    ----------
    t_utc : absolute time of each sample (numpy datetime64[ns], UTC, naive).
    time_s : file time of each sample, s.
    current_mA, voltage_V : samples.
    start_utc : absolute time of the file's time zero (aware, UTC).
    current_start_utc : when cycling starts (aware, UTC): t = 0 of every ``time_h``.
    current_given : True when the current is the study's constant ``current_mA``.
    how : one line per decision (start, zone, offset, current, current start).
    """

    time_s: np.ndarray
    current_mA: np.ndarray
    voltage_V: np.ndarray
    start_utc: dt.datetime
    current_start_utc: dt.datetime
    current_given: bool
    how: tuple[str, ...]

    def hours(self) -> np.ndarray:
        """Sample times in h since cycling started."""
        offset = (self.start_utc - self.current_start_utc).total_seconds()
        return (self.time_s + offset) / 3600.0


def _aware(t: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=zone)


def cycler_clock(ds: xr.Dataset, spec) -> CyclerClock:
    """Absolute clock and current of a cycler Dataset (from ``read_cycler``).

    Parameters
    ----------
    ds : cycler Dataset (``time_s``, ``voltage_V``, optional ``current_mA``, ``attrs["start"]``).
    spec : the study's :class:`dendritemr.study.CyclerSpec`.

    Raises
    ------
    DataError : no start time anywhere, no current anywhere, or no nonzero current.
    """
    from dendritemr.study import _zone

    path = spec.path
    zone = _zone(spec.timezone, str(path), "cycler")
    how = []
    if spec.start is not None:
        start = spec.start
        how.append(f"time zero from study.toml [cycler] start = {start.isoformat()}")
        if "start" in ds.attrs:
            how.append(f"(file records {ds.attrs['start']}: overridden)")
    elif "start" in ds.attrs:
        recorded = dt.datetime.fromisoformat(ds.attrs["start"])
        start = _aware(recorded, zone)
        zone_note = "" if recorded.tzinfo else f" read in {spec.timezone}"
        how.append(f"time zero recorded in the file: {ds.attrs['start']}{zone_note}")
    else:
        raise DataError(path, "no start time recorded: give [cycler] start in study.toml")
    start_utc = start.astimezone(dt.UTC) + dt.timedelta(seconds=spec.clock_offset_s)
    if spec.clock_offset_s:
        how.append(f"clock offset {spec.clock_offset_s:+g} s added (cycler -> NMR clock)")
    how.append(f"time zero on the NMR clock: {start_utc.isoformat()}")
    t = ds["time_s"].values.astype(float)
    if "current_mA" in ds and spec.current_mA is None:
        current = ds["current_mA"].values.astype(float)
        given = False
    elif spec.current_mA is not None:
        current = np.full(t.size, float(spec.current_mA))
        given = True
        how.append(f"current: constant {spec.current_mA:g} mA from study.toml (file has none)")
    else:
        raise DataError(path, "no current column: give [cycler] current_mA in study.toml")
    if spec.current_start is not None:
        cstart = spec.current_start.astimezone(dt.UTC)
        how.append(f"cycling starts at [cycler] current_start = {cstart.isoformat()}")
    else:
        scale = np.max(np.abs(current)) if current.size else 0.0
        on = np.abs(current) > CURRENT_ON_FRACTION * scale
        if not scale > 0 or not on.any():
            raise DataError(path, "the current is zero throughout: cannot find when cycling starts")
        t_on = float(t[int(np.argmax(on))])
        cstart = start_utc + dt.timedelta(seconds=t_on)
        how.append(f"cycling starts at the first nonzero current, file time {t_on:.1f} s")
    return CyclerClock(
        time_s=t,
        current_mA=current,
        voltage_V=ds["voltage_V"].values.astype(float),
        start_utc=start_utc,
        current_start_utc=cstart,
        current_given=given,
        how=tuple(how),
    )


def acquisition_seconds(attrs: dict) -> float:
    """One acquisition from TopSpin attributes: (NS + DS) (D1 + AQ), s; NaN if unknown."""
    try:
        ns = float(attrs["ns"])
        ds = float(attrs.get("ds", 0) or 0)
        aq = float(attrs["td"]) / (2.0 * float(attrs["sw_hz"]))
        return (ns + ds) * (float(attrs["d1_s"]) + aq)
    except (KeyError, TypeError, ValueError):
        return float("nan")


def _cumulative(t_s: np.ndarray, y: np.ndarray) -> np.ndarray:
    steps = 0.5 * (y[1:] + y[:-1]) * np.diff(t_s)
    return np.concatenate([[0.0], np.cumsum(steps)])


def align_windows(
    clock: CyclerClock,
    start_h: np.ndarray,
    end_h: np.ndarray,
    electrode_area_cm2: float | None = None,
) -> xr.Dataset:
    """Cycler quantities per acquisition window (vectorised over windows).

    Parameters
    ----------
    clock : the cycler on the absolute clock (:func:`cycler_clock`).
    start_h, end_h : window edges, h since cycling started, shape ``(time,)``.
    electrode_area_cm2 : for mAh/cm2 and um of dense Li (None: those are NaN).

    Returns
    -------
    xarray.Dataset over ``time``: ``current_mA``, ``voltage_V``, ``charge_window_mAh``,
    ``charge_mAh`` (cumulative at the mid-point, from cycling start), ``charge_mAh_cm2``,
    ``dense_li_um``, ``covered`` (window inside the cycler record).
    """
    th = clock.hours()
    ts = th * 3600.0
    q = _cumulative(ts, clock.current_mA) / 3600.0  # mAh
    v = _cumulative(ts, clock.voltage_V)
    a, b = np.asarray(start_h, float) * 3600.0, np.asarray(end_h, float) * 3600.0
    mid = 0.5 * (a + b)
    covered = (a >= ts[0]) & (b <= ts[-1])
    q0 = float(np.interp(0.0, ts, q)) if ts[0] <= 0.0 else 0.0
    qa, qb, qm = (np.interp(x, ts, q) for x in (a, b, mid))
    va, vb = np.interp(a, ts, v), np.interp(b, ts, v)
    dur = np.where(b > a, b - a, np.nan)
    nan = np.where(covered, 1.0, np.nan)
    charge = (qm - q0) * np.where((mid >= ts[0]) & (mid <= ts[-1]), 1.0, np.nan)
    area = electrode_area_cm2
    per_area = charge / area if area else np.full(charge.shape, np.nan)
    return xr.Dataset(
        {
            "current_mA": ("time", (qb - qa) * 3600.0 / dur * nan, {"units": "mA"}),
            "voltage_V": ("time", (vb - va) / dur * nan, {"units": "V"}),
            "charge_window_mAh": ("time", (qb - qa) * nan, {"units": "mAh"}),
            "charge_mAh": ("time", charge, {"units": "mAh"}),
            "charge_mAh_cm2": ("time", per_area, {"units": "mAh/cm2"}),
            "dense_li_um": ("time", np.asarray(mah_per_cm2_to_um(per_area)), {"units": "um"}),
            "covered": ("time", covered),
        },
        coords={
            "hours": ("time", mid / 3600.0, {"units": "h"}),
            "window_start_h": ("time", a / 3600.0, {"units": "h"}),
            "window_end_h": ("time", b / 3600.0, {"units": "h"}),
        },
        attrs={"clock": "; ".join(clock.how)},
    )
