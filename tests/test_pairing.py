"""Pairing of 6Li with 7Li spectra for the joint fit: one-to-one, within a time tolerance."""

import numpy as np
import pytest
import xarray as xr

from dendritemr.errors import ProcessingError
from dendritemr.pipeline import _pair_li6

T0 = np.datetime64("2026-03-02T08:00:00", "ns")


def _series(seconds, nucleus):
    t = T0 + (np.asarray(seconds) * 1e9).astype("timedelta64[ns]")
    n = len(seconds)
    return xr.DataArray(
        np.zeros((n, 4), complex),
        dims=("time", "ppm"),
        coords={"time": t, "expno": ("time", np.arange(1, n + 1)), "ppm": np.arange(4.0)},
        attrs={"nucleus": nucleus},
    )


def test_interleaved_series_pair_in_order():
    li7 = _series(np.arange(10) * 1800.0, "7Li")
    li6 = _series(np.arange(10) * 1800.0 + 170.0, "6Li")
    s7, s6, notes = _pair_li6(li7, li6)
    assert s7.sizes["time"] == 10 and s6.attrs["paired_index"] == list(range(10))
    assert notes == []


def test_a_6li_series_that_stops_early_leaves_the_later_7li_points_out():
    """Before: every later 7Li point was paired with the last 6Li spectrum (a stale x6)."""
    li7 = _series(np.arange(10) * 1800.0, "7Li")
    li6 = _series(np.arange(6) * 1800.0 + 170.0, "6Li")
    s7, s6, notes = _pair_li6(li7, li6)
    assert list(s7["expno"].values) == [1, 2, 3, 4, 5, 6]
    assert s6.attrs["paired_index"] == [0, 1, 2, 3, 4, 5]
    assert len(notes) == 1 and "4 of 10 7Li spectra" in notes[0] and "7, 8, 9, 10" in notes[0]


def test_a_sparser_6li_series_is_not_repeated():
    li7 = _series(np.arange(10) * 1800.0, "7Li")
    li6 = _series(np.arange(5) * 3600.0 + 100.0, "6Li")
    s7, s6, notes = _pair_li6(li7, li6)
    assert s6.attrs["paired_index"] == [0, 1, 2, 3, 4]  # each 6Li spectrum used once
    assert list(s7["expno"].values) == [1, 3, 5, 7, 9]
    assert "5 of 10" in notes[0]


def test_series_far_apart_cannot_be_paired():
    li7 = _series(np.arange(10) * 1800.0, "7Li")
    li6 = _series(np.arange(10) * 1800.0 + 86400.0, "6Li")
    with pytest.raises(ProcessingError, match="cannot be paired"):
        _pair_li6(li7, li6)
