"""Data model: NetCDF round trip (complex, attrs, history), atomic writes, times."""

from __future__ import annotations

import datetime as dt
import os
import stat

import numpy as np
import pytest
import xarray as xr

from dendritemr.errors import DataError
from dendritemr.model import acquisition_times, get_history, load, make_fid_series, save
from dendritemr.model.storage import create_output_folder
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


def _processed(tmp_path):
    """A Dataset as `process` writes it: a complex spectrum series and per-region areas, each
    variable carrying a copy of the provenance attributes."""
    spec = Pipeline([ZeroFill(128), FourierTransform()])(_series())
    area = xr.DataArray(
        np.arange(8.0).reshape(4, 2),
        dims=("time", "region"),
        coords={"time": spec["time"], "region": ["metal", "electrolyte"]},
        attrs=dict(spec.attrs),
    )
    ds = xr.Dataset({"spectrum": spec, "area": area})
    ds.attrs = dict(spec.attrs)
    return ds


def test_dataset_round_trip_keeps_complex_and_attrs(tmp_path):
    ds = _processed(tmp_path)
    back = load(save(ds, tmp_path / "p.nc"))
    assert back["spectrum"].dtype == np.complex128
    np.testing.assert_array_equal(back["spectrum"].values, ds["spectrum"].values)
    assert back.attrs["checksums"] == ds.attrs["checksums"]
    assert get_history(back) == get_history(ds)
    assert acquisition_times(back) == acquisition_times(ds)


def test_file_is_self_describing_for_plain_xarray(tmp_path):
    ds = _processed(tmp_path)
    path = save(ds, tmp_path / "p.nc")
    with xr.open_dataset(path, engine="h5netcdf") as plain:
        spec = plain["spectrum"]
        assert spec.dims == ("time", "ppm", "complex")
        assert list(plain["complex"].values) == ["real", "imag"]
        joined = spec.sel(complex="real") + 1j * spec.sel(complex="imag")
        np.testing.assert_array_equal(joined.values, ds["spectrum"].values)
        # provenance once, as global attributes; not copied onto each variable
        assert plain.attrs["checksums"] == ds.attrs["checksums"]
        for name in plain.data_vars:
            assert not {"checksums", "versions", "history", "source"} & set(plain[name].attrs)
        assert plain.attrs["dendritemr_encoding"] == "dendritemr-netcdf/2"
        assert str(plain["time"].values[0]).startswith("2019-11-01T18:15")
    with xr.open_dataset(path, engine="h5netcdf", decode_times=False) as raw:
        missing = [name for name, var in raw.variables.items() if "units" not in var.attrs]
        assert missing == []
        assert raw["time"].attrs["units"] == "nanoseconds since 1970-01-01T00:00:00+00:00"
        assert raw["time"].attrs["calendar"] == "proleptic_gregorian"
        assert raw["time"].attrs["timezone"] == "UTC"
        assert raw.attrs["utc_offset_minutes"] == -420  # the spectrometer's own zone
        assert raw["time"].values[0] == 1572632100 * 10**9  # 2019-11-01T18:15Z in ns


def test_unknown_times_round_trip_as_nat(tmp_path):
    fid = make_fid_series(np.ones((2, 4), complex), 1e-3, None, {"nucleus": "7Li"})
    back = load(save(fid, tmp_path / "nat.nc"))
    assert np.isnat(back["time"].values).all()
    xr.testing.assert_identical(back, fid)


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_new_files_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = save(_series(), tmp_path / "u.nc")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert [p.name for p in tmp_path.iterdir()] == ["u.nc"]  # no temporary file left


def test_files_of_the_first_encoding_still_load(tmp_path):
    fid = _series()
    legacy = fid.to_dataset(name="fid")
    legacy["fid__real"] = fid.real.assign_attrs(complex_parts="fid")
    legacy["fid__imag"] = fid.imag
    legacy = legacy.drop_vars("fid")
    legacy.attrs = dict(fid.attrs, dendritemr_dataarray="fid")
    legacy.to_netcdf(tmp_path / "old.nc", engine="h5netcdf")
    back = load(tmp_path / "old.nc")
    np.testing.assert_array_equal(back.values, fid.values)
    assert back.attrs["nucleus"] == "7Li"


def test_foreign_netcdf_is_refused(tmp_path):
    """`info` on another program's NetCDF file said kind "image", nucleus ""."""
    xr.Dataset({"t": ("x", np.arange(3.0))}).to_netcdf(tmp_path / "other.nc", engine="h5netcdf")
    with pytest.raises(DataError, match="not written by dendritemr"):
        load(tmp_path / "other.nc")


def test_create_output_folder(tmp_path, capsys):
    target = tmp_path / "a" / "b"
    assert create_output_folder(target) is True
    assert target.is_dir()
    assert f"created folder {target}" in capsys.readouterr().err
    assert create_output_folder(target) is False
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match="exists and is not a folder"):
        create_output_folder(tmp_path / "file")
