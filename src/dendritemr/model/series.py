"""Constructors for in situ NMR series: FIDs ``(time, t2)`` and spectra ``(time, ppm)``.

Every series is 2D, with a single experiment a series of one. Standard ``attrs``:

``nucleus`` (e.g. "7Li"), ``bf1_mhz`` (basic frequency), ``sfo1_mhz`` (carrier),
``sf_mhz`` (frequency of 0 ppm), ``sw_hz`` (spectral width), ``group_delay`` (digital-filter
delay, points; 0 once removed), ``field_t`` (B0 from BF1 and the nucleus' frequency ratio),
``utc_offset_minutes`` (local time zone of the spectrometer), ``source`` (input path),
``checksums`` and ``versions`` (JSON), ``history`` (JSON list of processing steps),
``units`` of the values. The ``time`` coordinate holds UTC mid-points of each acquisition;
:func:`acquisition_times` returns them timezone-aware. ``hours`` is time since the first one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from dendritemr.errors import ProcessingError
from dendritemr.model.provenance import package_versions

_UTC = dt.UTC


def _utc_datetime64(times: Sequence[dt.datetime] | None, n: int) -> np.ndarray:
    if times is None:
        return np.full(n, np.datetime64("NaT", "ns"))
    out = []
    for t in times:
        if t is None:
            out.append(np.datetime64("NaT", "ns"))
            continue
        if t.tzinfo is None:
            raise ValueError("acquisition times must be timezone-aware")
        naive = t.astimezone(_UTC).replace(tzinfo=None)
        out.append(np.datetime64(naive, "ns"))
    return np.array(out, dtype="datetime64[ns]")


def _time_coords(times: Sequence[dt.datetime] | None, n: int) -> dict[str, Any]:
    t64 = _utc_datetime64(times, n)
    if n and not np.isnat(t64[0]):
        hours = (t64 - t64[0]) / np.timedelta64(1, "s") / 3600.0
    else:
        hours = np.full(n, np.nan)
    return {
        "time": ("time", t64, {"long_name": "acquisition mid-point", "timezone": "UTC"}),
        "hours": ("time", hours.astype(float), {"units": "h", "long_name": "time since first"}),
    }


#: units of the standard per-row coordinates; others are counters or labels ("1")
ROW_UNITS = {"vd": "s", "hours": "h"}


def _row_coords(row_coords: Mapping[str, Sequence[Any]] | None) -> dict[str, Any]:
    """Per-row coordinates along ``time``, each with ``units`` (``"1"`` for counters)."""
    return {
        name: ("time", np.asarray(values), {"units": ROW_UNITS.get(name, "1")})
        for name, values in (row_coords or {}).items()
    }


def _base_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    base = {
        "nucleus": "",
        "bf1_mhz": np.nan,
        "sfo1_mhz": np.nan,
        "sf_mhz": np.nan,
        "sw_hz": np.nan,
        "group_delay": 0.0,
        "field_t": np.nan,
        "utc_offset_minutes": 0,
        "source": "",
        "checksums": "{}",
        "versions": package_versions(),
        "history": "[]",
        "units": "a.u.",
    }
    base.update(attrs)
    return base


def make_fid_series(
    data: np.ndarray,
    dwell_s: float,
    times: Sequence[dt.datetime] | None = None,
    attrs: Mapping[str, Any] | None = None,
    row_coords: Mapping[str, Sequence[Any]] | None = None,
) -> xr.DataArray:
    """Wrap complex FIDs of shape ``(n_time, n_points)`` into a ``(time, t2)`` DataArray.

    Parameters
    ----------
    data : complex FIDs, one row per acquisition.
    dwell_s : dwell time between complex points, s (1 / SW_h).
    times : timezone-aware acquisition mid-points, one per row (None if unknown).
    attrs : acquisition metadata (see module docstring).
    row_coords : extra per-row coordinates, e.g. ``{"expno": [...], "vd": [...]}``.
    """
    data = np.atleast_2d(np.asarray(data))
    n_time, n_pts = data.shape
    coords = _time_coords(times, n_time)
    coords["t2"] = ("t2", np.arange(n_pts) * float(dwell_s), {"units": "s"})
    coords.update(_row_coords(row_coords))
    return xr.DataArray(
        data, dims=("time", "t2"), coords=coords, attrs=_base_attrs(attrs or {}), name="fid"
    )


def make_spectrum_series(
    data: np.ndarray,
    ppm: np.ndarray,
    times: Sequence[dt.datetime] | None = None,
    attrs: Mapping[str, Any] | None = None,
    row_coords: Mapping[str, Sequence[Any]] | None = None,
) -> xr.DataArray:
    """Wrap spectra ``(n_time, n_points)`` on a ppm axis into a ``(time, ppm)`` DataArray."""
    data = np.atleast_2d(np.asarray(data))
    ppm = np.asarray(ppm, dtype=float)
    if ppm.shape != (data.shape[1],):
        raise ValueError(f"ppm axis has {ppm.size} points, spectra have {data.shape[1]}")
    coords = _time_coords(times, data.shape[0])
    coords["ppm"] = ("ppm", ppm, {"units": "ppm"})
    coords.update(_row_coords(row_coords))
    return xr.DataArray(
        data,
        dims=("time", "ppm"),
        coords=coords,
        attrs=_base_attrs(attrs or {}),
        name="spectrum",
    )


def acquisition_times(da: xr.DataArray | xr.Dataset) -> list[dt.datetime | None]:
    """Timezone-aware acquisition mid-points, in the spectrometer's local time zone."""
    offset = dt.timezone(dt.timedelta(minutes=int(da.attrs.get("utc_offset_minutes", 0))))
    out: list[dt.datetime | None] = []
    for t in np.atleast_1d(da["time"].values):
        if np.isnat(t):
            out.append(None)
            continue
        seconds = (t - np.datetime64("1970-01-01T00:00:00", "ns")) / np.timedelta64(1, "ns") / 1e9
        out.append(dt.datetime.fromtimestamp(float(seconds), tz=_UTC).astimezone(offset))
    return out


def require_finite(da: xr.DataArray, what: str = "data") -> None:
    """Raise a one-line error if ``da`` holds NaN or infinite values."""
    values = da.values
    if not np.all(np.isfinite(values)):
        bad = int(np.count_nonzero(~np.isfinite(values)))
        where = da.attrs.get("source") or what
        raise ProcessingError(f"{where}: {bad} non-finite values (NaN/inf) in {what}")
