"""Data model: NetCDF round trip (complex, attrs, history), atomic writes, times."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import xarray as xr

from dendritemr.errors import DataError
from dendritemr.model import acquisition_times, get_history, load, make_fid_series, save
from dendritemr.nmr import ExponentialApodization, FourierTransform, Pipeline, ZeroFill

TZ = dt.timezone(dt.timedelta(hours=-7))


def _series():
    times = [
        dt.datetime(2019, 11, 1, 11, 15, tzinfo=TZ) + dt.timedelta(minutes=5 * i) for i in range(4)
    ]
    rng = np.random.default_rng(1)
    data = rng.standard_normal((4, 64)) + 1j * rng.standard_normal((4, 64))
    attrs = {
        "nucleus": "7Li",
        "sw_hz": 1e4,
        "sfo1_mhz": 116.7,
        "sf_mhz": 116.6,
        "utc_offset_minutes": -420,
    }
    return make_fid_series(data, 1e-4, times, attrs, {"expno": [1, 2, 3, 4]})


def test_times_are_utc_coordinates_and_aware_in_local_zone():
    fid = _series()
    times = acquisition_times(fid)
    assert times[0] == dt.datetime(2019, 11, 1, 11, 15, tzinfo=TZ)
    assert times[0].utcoffset() == dt.timedelta(hours=-7)
    assert str(fid["time"].values[0]).startswith("2019-11-01T18:15")
    assert fid["hours"].values == pytest.approx([0, 5 / 60, 10 / 60, 15 / 60])


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        make_fid_series(np.zeros((1, 4)), 1.0, [dt.datetime(2020, 1, 1)])


def test_round_trip_keeps_complex_values_attrs_and_history(tmp_path):
    spec = Pipeline([ExponentialApodization(5.0), ZeroFill(128), FourierTransform()])(_series())
    path = save(spec, tmp_path / "s.nc")
    back = load(path)
    xr.testing.assert_identical(back, spec)
    assert [h["step"] for h in get_history(back)] == [
        "exponential",
        "zero_fill",
        "fourier_transform",
    ]
    rebuilt = Pipeline.from_history(get_history(back))
    xr.testing.assert_allclose(rebuilt(_series()), spec)


def test_failed_save_leaves_nothing(tmp_path):
    bad = _series()
    bad.attrs["unstorable"] = {"a": object()}
    with pytest.raises(Exception):  # noqa: B017 - any error from the writer
        save(bad, tmp_path / "bad.nc")
    assert list(tmp_path.iterdir()) == []


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load(tmp_path / "missing.nc")
    junk = tmp_path / "junk.nc"
    junk.write_text("not netcdf")
    with pytest.raises(DataError, match="junk.nc: not a readable NetCDF"):
        load(junk)
