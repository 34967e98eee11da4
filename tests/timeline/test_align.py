"""Cycler clock and per-window averages against analytic integrals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from dendritemr.errors import DataError
from dendritemr.study import CyclerSpec
from dendritemr.timeline.align import align_windows, cycler_clock


def _cycler(start: str | None, with_current: bool = True) -> xr.Dataset:
    t = np.arange(0.0, 4 * 3600.0 + 1, 10.0)
    # rest for 600 s, then 0.5 mA until 2 h, then 1.0 mA
    i = np.where(t < 600, 0.0, np.where(t < 7200, 0.5, 1.0))
    v = 0.1 + 0.05 * t / 3600.0
    data = {"voltage_V": ("time_s", v)}
    if with_current:
        data["current_mA"] = ("time_s", i)
    ds = xr.Dataset(data, coords={"time_s": t})
    if start:
        ds.attrs["start"] = start
    return ds


def test_clock_zone_offset_and_current_start():
    spec = CyclerSpec(Path("c.csv"), timezone="Europe/London", clock_offset_s=30.0)
    clock = cycler_clock(_cycler("2023-08-11T12:40:15"), spec)
    # BST = UTC+1, plus the 30 s clock offset
    assert clock.start_utc == dt.datetime(2023, 8, 11, 11, 40, 45, tzinfo=dt.UTC)
    # first nonzero current at file time 600 s
    assert clock.current_start_utc == dt.datetime(2023, 8, 11, 11, 50, 45, tzinfo=dt.UTC)
    assert clock.hours()[0] == pytest.approx(-600 / 3600)
    assert any("Europe/London" in h for h in clock.how)


def test_windows_mean_current_charge_and_thickness():
    spec = CyclerSpec(Path("c.csv"))
    clock = cycler_clock(_cycler("2026-01-01T00:00:00"), spec)
    # windows in h since the current started (file time 600 s)
    a = np.array([0.5, 1.6, 1.9, -0.15])
    b = np.array([0.7, 1.8, 2.1, -0.05])
    out = align_windows(clock, a, b, electrode_area_cm2=0.5)
    # file time of the 0.5 -> 1.0 mA step is 2 h = 1.8333 h after the current start
    step = 2.0 - 600 / 3600
    # window 3 (1.9-2.1 h) lies after the step: 1.0 mA; window 2 (1.6-1.8): 0.5 mA
    np.testing.assert_allclose(out.current_mA[:3], [0.5, 0.5, 1.0], atol=0.02)
    assert float(out.current_mA[3]) == pytest.approx(0.0, abs=1e-12)  # resting
    mid = 0.5 * (a + b)
    expected = np.where(mid < step, 0.5 * mid, 0.5 * step + 1.0 * (mid - step))
    np.testing.assert_allclose(out.charge_mAh[:3], expected[:3], rtol=2e-3)
    # window before the current started: no charge yet (up to the trapezoid over the one
    # 10 s sampling interval in which the current switched on: 0.5 mA x 5 s)
    assert out.charge_mAh[3] == pytest.approx(0.0, abs=0.5 * 5 / 3600 + 1e-12)
    # 1 mAh/cm2 = 4.85 um of dense Li (science.md section 3)
    np.testing.assert_allclose(out.dense_li_um[:3] / (out.charge_mAh[:3] / 0.5), 4.85, rtol=0.01)
    # voltage is linear in file time: the window mean is its mid-point value
    file_h = mid + 600 / 3600
    np.testing.assert_allclose(out.voltage_V[:3], 0.1 + 0.05 * file_h[:3], rtol=1e-6)


def test_window_outside_record_is_nan():
    clock = cycler_clock(_cycler("2026-01-01T00:00:00"), CyclerSpec(Path("c.csv")))
    out = align_windows(clock, np.array([5.0]), np.array([5.2]))
    assert not bool(out.covered[0]) and np.isnan(out.current_mA[0])


def test_given_current_and_start():
    spec = CyclerSpec(
        Path("c.txt"),
        start=dt.datetime(2023, 8, 11, 12, 40, 15, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        current_mA=0.4,
    )
    clock = cycler_clock(_cycler(None, with_current=False), spec)
    assert clock.current_given and np.all(clock.current_mA == 0.4)
    out = align_windows(clock, np.array([0.0]), np.array([1.0]))
    assert float(out.charge_window_mAh[0]) == pytest.approx(0.4)


def test_missing_start_or_current_one_line():
    with pytest.raises(DataError, match=r"c.txt: no start time recorded: give \[cycler\] start"):
        cycler_clock(_cycler(None), CyclerSpec(Path("c.txt")))
    with pytest.raises(DataError, match=r"no current column: give \[cycler\] current_mA"):
        cycler_clock(_cycler("2026-01-01T00:00:00", False), CyclerSpec(Path("c.txt")))
