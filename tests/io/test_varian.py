"""Varian/Agilent reader: real INOVA data and bad input."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import nmrglue as ng
import numpy as np
import pytest

from dendritemr.errors import DataError
from dendritemr.io.varian import is_varian, normalise_nucleus, read_varian
from dendritemr.model import acquisition_times

P31 = Path("nmrpy-varian-31P-array-bruker-1H") / "test1.fid"
H1 = Path("dnplab-jeol-varian") / "vnmrj" / "PROTON_01.fid"


@pytest.fixture(scope="module")
def p31(real_data):
    return read_varian(real_data / P31)


def test_arrayed_31p_series_shape_and_attrs(p31):
    assert p31.dims == ("time", "t2")
    assert p31.shape == (24, 15542)  # arraydim 24, np 31084 -> 15542 complex points
    assert p31.attrs["nucleus"] == "31P"
    assert p31.attrs["sfo1_mhz"] == pytest.approx(161.8947806)
    assert p31.attrs["sf_mhz"] == pytest.approx(161.894780643)  # reffrq
    assert p31.attrs["sw_hz"] == pytest.approx(9713.45313259)
    assert p31.attrs["group_delay"] == 0.0
    assert p31["t2"].values[1] == pytest.approx(1 / 9713.45313259)
    assert p31.attrs["array"] == "nt"
    np.testing.assert_array_equal(p31["nt"].values, np.full(24, 12.0))
    np.testing.assert_array_equal(p31["scans"].values, np.full(24, 12))


def test_arrayed_31p_matches_nmrglue(real_data, p31):
    _dic, reference = ng.varian.read(str(real_data / P31))
    np.testing.assert_allclose(p31.values, reference)


def test_arrayed_31p_row_times_split_the_run(p31):
    # time_run 2015-12-06T14:15:09, time_complete 15:11:02: 3353 s over 24 equal rows
    times = acquisition_times(p31)
    start = dt.datetime(2015, 12, 6, 14, 15, 9, tzinfo=dt.UTC)
    assert times[0] == start + dt.timedelta(seconds=3353 / 48)
    assert times[-1] == start + dt.timedelta(seconds=3353 * 47 / 48)
    assert p31["hours"].values[-1] == pytest.approx(3353 * 46 / 48 / 3600)


def test_arrayed_31p_peak_position(p31):
    # Largest line of the last row: 92.5 Hz from the carrier (checked by hand with numpy FFT).
    spectrum = np.abs(np.fft.fftshift(np.fft.fft(p31.values[-1])))
    n = spectrum.size
    hz = (np.arange(n) - n // 2) * p31.attrs["sw_hz"] / n
    assert abs(hz[np.argmax(spectrum)]) == pytest.approx(92.5, abs=0.7)


def test_low_field_proton(real_data):
    da = read_varian(real_data / H1)
    assert da.shape == (1, 2048)
    assert da.attrs["nucleus"] == "1H"
    assert da.attrs["sfo1_mhz"] == pytest.approx(14.6045652)
    assert da.attrs["sw_hz"] == pytest.approx(50000.0)
    assert int(da["scans"][0]) == 64
    # time_run 08:29:13, time_complete 08:30:22 -> mid-point 08:29:47.5
    expected = dt.datetime(2023, 6, 16, 8, 29, 47, 500000, tzinfo=dt.UTC)
    assert acquisition_times(da)[0] == expected
    assert is_varian(real_data / H1)


def test_utc_offset_shifts_times(real_data):
    da = read_varian(real_data / H1, utc_offset_minutes=60)
    assert da.attrs["utc_offset_minutes"] == 60
    assert acquisition_times(da)[0].astimezone(dt.UTC).hour == 7


@pytest.mark.parametrize(
    ("label", "expected"), [("P31", "31P"), ("H1", "1H"), ("^13C", "13C"), ("<7Li>", "7Li")]
)
def test_normalise_nucleus(label, expected):
    assert normalise_nucleus(label) == expected


def _copy_experiment(real_data: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "bad.fid"
    folder.mkdir()
    for name in ("procpar", "fid"):
        shutil.copyfile(real_data / H1 / name, folder / name)
    return folder


def test_missing_procpar(real_data, tmp_path):
    folder = _copy_experiment(real_data, tmp_path)
    (folder / "procpar").unlink()
    assert not is_varian(folder)
    with pytest.raises(DataError, match="procpar"):
        read_varian(folder)


def test_truncated_fid(real_data, tmp_path):
    folder = _copy_experiment(real_data, tmp_path)
    raw = (folder / "fid").read_bytes()
    (folder / "fid").write_bytes(raw[:1000])
    with pytest.raises(DataError, match=r"fid: truncated fid"):
        read_varian(folder)


def test_empty_fid(real_data, tmp_path):
    folder = _copy_experiment(real_data, tmp_path)
    (folder / "fid").write_bytes(b"")
    with pytest.raises(DataError, match=r"fid: fid too short"):
        read_varian(folder)


def test_empty_procpar(real_data, tmp_path):
    folder = _copy_experiment(real_data, tmp_path)
    (folder / "procpar").write_text("")
    with pytest.raises(DataError, match=r"procpar: empty procpar"):
        read_varian(folder)


def test_not_a_folder(tmp_path):
    with pytest.raises(DataError, match="nothing.fid"):
        read_varian(tmp_path / "nothing.fid")
