"""TopSpin file variants as kinds: unpadded float64 ser (TopSpin 4), padded int32 (TopSpin 3),
missing DATE, absurd parameter values. Fixtures are written here by numpy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from vendor_fixtures import fid_rows, write_topspin

from dendritemr.errors import DataError
from dendritemr.io import open_dataset
from dendritemr.io.bruker_binary import rows_padded, topspin_version


def test_topspin4_float64_ser_rows_are_not_padded(tmp_path):
    """22 rows of TD 1344 float64 = 22 x 10752 B, the size of 21 padded rows (21 x 11264 B):
    the layout comes from TopSpin 4 / DTYPA 2, so all 22 rows come back in place."""
    rows = fid_rows(22, 672, seed=11)
    exp = write_topspin(tmp_path / "3", rows)
    assert (exp / "ser").stat().st_size == 22 * 10752 == 21 * 11264
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no false "stopped early"
        ser = open_dataset(exp)
    assert ser.shape == (22, 672)
    np.testing.assert_array_equal(ser.values, rows)
    assert list(ser["row"].values) == list(range(22))


@pytest.mark.parametrize("bytorda", [0, 1])
def test_topspin3_int32_ser_rows_are_padded(tmp_path, bytorda):
    rows = fid_rows(5, 300, seed=12)  # 600 x 4 B = 2400 B -> 3072 B per row
    exp = write_topspin(
        tmp_path / "1",
        rows,
        title="Parameter file, TOPSPIN\t\tVersion 3.2",
        dtypa=0,
        bytorda=bytorda,
        padded=True,
    )
    assert (exp / "ser").stat().st_size == 5 * 3072
    ser = open_dataset(exp)
    np.testing.assert_array_equal(ser.values, rows)


def test_topspin4_int32_ser_is_not_padded_either(tmp_path):
    rows = fid_rows(4, 300, seed=13)
    exp = write_topspin(tmp_path / "1", rows, dtypa=0)
    np.testing.assert_array_equal(open_dataset(exp).values, rows)


def test_unpadded_ser_stopped_early(tmp_path):
    rows = fid_rows(6, 672, seed=14)
    exp = write_topspin(tmp_path / "2", rows)
    data = (exp / "ser").read_bytes()
    (exp / "ser").write_bytes(data[: 4 * 10752 + 100])
    with pytest.warns(UserWarning, match="4 of 6 FIDs complete"):
        ser = open_dataset(exp)
    np.testing.assert_array_equal(ser.values, rows[:4])


def test_unpadded_ser_larger_than_acqu2s_allows(tmp_path):
    exp = write_topspin(tmp_path / "2", fid_rows(3, 672, seed=15))
    with open(exp / "ser", "ab") as fh:
        fh.write(b"\0" * 10752)
    with pytest.raises(DataError, match="more than acqu2s TD=3"):
        open_dataset(exp)


@pytest.mark.parametrize(
    ("title", "version"),
    [
        ("Parameter file, TOPSPIN\t\tVersion 2.1", (2, 1)),
        ("Parameter file, TopSpin 4.1.4", (4, 1)),
        ("Parameter file, XWIN-NMR\t\tVersion 2.6", None),
    ],
)
def test_topspin_version_from_title(tmp_path, title, version):
    exp = write_topspin(tmp_path / "1", fid_rows(1, 64, seed=1), title=title, dtypa=0)
    assert topspin_version(exp / "acqus") == version
    assert rows_padded(0, version) is (version is None or version[0] < 4)
    assert rows_padded(2, version) is False


def test_missing_date_without_audit_trail_gives_nat_and_warning(tmp_path):
    rows = fid_rows(1, 256, seed=2)
    exp = write_topspin(tmp_path / "1", rows, date=None)
    with pytest.warns(UserWarning, match="acquisition times unknown"):
        fid = open_dataset(exp)
    assert np.isnat(fid["time"].values).all()
    np.testing.assert_array_equal(fid.values[0], rows[0])
    assert "unknown" in fid.attrs["time_note"]


def test_missing_date_in_a_series_of_experiments(tmp_path):
    for expno in (1, 2):
        write_topspin(tmp_path / str(expno), fid_rows(1, 256, seed=expno), date=None)
    with pytest.warns(UserWarning, match="acquisition times unknown"):
        series = open_dataset(tmp_path)
    assert series.shape == (2, 256)
    assert np.isnat(series["time"].values).all()


def test_date_gives_the_end_of_acquisition(tmp_path):
    exp = write_topspin(tmp_path / "1", fid_rows(1, 256, seed=3), date=1721896319)
    fid = open_dataset(exp)
    # NS 16 x (D1 1 s + AQ 512/(2 x 50 kHz) + DE 6.5 us): mid-point half of it before DATE
    duration = 16 * (1.0 + 512 / 2 / 50000.0 + 6.5e-6)
    mid = fid["time"].values[0]
    end = np.datetime64(1721896319, "s")
    assert (end - mid) / np.timedelta64(1, "ns") * 1e-9 == pytest.approx(duration / 2, abs=1e-6)
    assert fid.attrs["utc_offset_minutes"] == 120  # the $$ header line's +0200


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("TD", 0, "TD=0"),
        ("TD", -512, "TD=-512"),
        ("TD", "1e999", "not finite"),
        ("SW_h", 0, "SW_h=0 must be positive"),
        ("SW_h", "nan", "not finite"),
        ("BF1", "-5", "BF1=-5 must be positive"),
        ("DTYPA", 7, "unknown DTYPA 7"),
        ("NS", "many", "NS='many' is not a number"),
    ],
)
def test_absurd_parameters_are_one_line_errors(tmp_path, key, value, message):
    exp = write_topspin(tmp_path / "1", fid_rows(1, 256, seed=4), extra={key: value})
    with pytest.raises(DataError, match=message) as info:
        open_dataset(exp)
    assert "\n" not in str(info.value) and str(exp) in str(info.value)


def test_pdata_with_absurd_si_is_refused_before_allocating(tmp_path):
    from vendor_fixtures import topspin_params

    exp = write_topspin(tmp_path / "1", fid_rows(1, 256, seed=6))
    pdir = exp / "pdata" / "1"
    pdir.mkdir(parents=True)
    procs = {"SI": 2**31 - 1, "SF": 116.64, "SW_p": 5e4, "OFFSET": 250.0, "NC_proc": 0}
    (pdir / "procs").write_text(topspin_params(procs))
    (pdir / "1r").write_bytes(np.zeros(256, "<i4").tobytes())
    with pytest.raises(DataError, match="does not match SI=2147483647"):
        open_dataset(pdir)


def test_version_from_a_dollar_line_when_the_title_has_none(tmp_path):
    exp = write_topspin(tmp_path / "1", fid_rows(3, 300, seed=7), title="Parameter file", dtypa=0)
    text = (exp / "acqus").read_text()
    (exp / "acqus").write_text(text.replace("##END=", "$$ /opt/topspin4.0.7/exp/stan/nmr\n##END="))
    assert topspin_version(exp / "acqus") == (4, 0)
    np.testing.assert_array_equal(open_dataset(exp).values, fid_rows(3, 300, seed=7))
