"""TopSpin reader: real 1D, series, pseudo-2D and pdata, times, nucleus check, bad input."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import warnings

import nmrglue as ng
import numpy as np
import pytest

from dendritemr.errors import DataError
from dendritemr.io import open_dataset
from dendritemr.io.bruker import read_experiment, read_pdata
from dendritemr.io.bruker_time import scan_durations
from dendritemr.model import acquisition_times


def test_li7_series_shape_axis_and_metadata(li7_fid):
    assert li7_fid.dims == ("time", "t2")
    assert li7_fid.shape == (50, 6144)  # TD 12288 -> 6144 complex points, 50 expnos
    a = li7_fid.attrs
    assert a["nucleus"] == "7Li"
    assert a["sfo1_mhz"] == pytest.approx(116.70060943)
    assert a["sw_hz"] == pytest.approx(93457.9439252336)
    assert a["field_t"] == pytest.approx(7.049, abs=2e-3)
    assert a["group_delay"] == pytest.approx(44.75)  # DSPFVS 10, DECIM 2
    assert a["sf_mhz"] == pytest.approx(116.684586269531)  # from pdata/1/procs
    dwell = li7_fid["t2"].values[1] - li7_fid["t2"].values[0]
    assert dwell == pytest.approx(1 / 93457.9439252336)
    assert list(li7_fid["expno"].values) == list(range(1, 51))


def test_li7_first_fid_equals_nmrglue(li7_dir, li7_fid):
    _, data = ng.bruker.read(str(li7_dir / "1"))
    np.testing.assert_array_equal(li7_fid.values[0], data)


def test_li7_times_are_aware_increasing_and_spaced_by_durations(li7_fid, li7_dir):
    times = acquisition_times(li7_fid)
    assert all(t.utcoffset() == dt.timedelta(hours=1) for t in times)  # audita: +0100
    # the scans' mid-point: the window's end minus half the computed scan time (the automatic
    # tuning before the scans is in the window: its middle was 12:29:59.721, 7.17 s earlier)
    assert times[0] == dt.datetime(2023, 8, 11, 12, 30, 6, 887410, tzinfo=times[0].tzinfo)
    seconds = np.array([t.timestamp() for t in times])
    assert np.all(np.diff(seconds) > 0)
    timing = json.loads(li7_fid.attrs["timing"])
    measured = np.array([w["measured_s"] for w in timing])
    computed = np.array([w["computed_s"] for w in timing])
    # acqus: (NS + DS)(D1 + AQ + DE) = 256 x (1 s + 65.7 ms) = 272.8 s
    assert computed[0] == pytest.approx(256 * (1 + 12288 / 2 / 93457.9439252336 + 6e-6))
    # the audit trail adds the automatic tuning block of the pulse program: never shorter
    assert np.all(measured >= computed)
    assert np.sum(np.abs(measured / computed - 1.053) < 0.01) >= 45
    # mid-point spacing = half of each neighbour's scan time + the time between them (dead
    # time and the next one's tuning): at least the next one's pre-scan overhead
    gaps = np.diff(seconds) - 0.5 * (computed[1:] + computed[:-1])
    assert np.all(gaps >= (measured - computed)[1:] - 1e-3) and np.all(gaps < 11.0 + 200.0)
    assert all(w["mid_point"].startswith("end of the window") for w in timing)
    # DATE in acqus (Unix seconds, UTC) is the end of each acquisition
    date = int(ng.bruker.read_jcamp(str(li7_dir / "1" / "acqus"))["DATE"])
    end = times[0] + dt.timedelta(seconds=computed[0] / 2)
    assert abs(end.timestamp() - date) < 1.0


def test_pseudo_2d_with_vdlist_and_wrong_nucleus_warning(real_data):
    exp = real_data / "dnplab-bruker-odnp" / "topspin" / "28"
    with pytest.warns(UserWarning, match="NUC1 may be wrong"):
        ser = read_experiment(exp)
    assert ser.shape == (8, 7983)  # TD 15966, acqu2s TD 8, rows padded to 1024 B
    assert ser["vd"].values[:3] == pytest.approx([0.020, 0.056854, 0.161616])
    _, data = ng.bruker.read(str(exp))
    np.testing.assert_array_equal(ser.values, data[:, :7983])  # nmrglue keeps the padding
    times = acquisition_times(ser)
    assert all(b > a for a, b in zip(times, times[1:], strict=False))
    # the nucleus can be overridden: as 1H, 14.83 MHz is 0.348 T
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        as_h = read_experiment(exp, nucleus="1H")
    assert as_h.attrs["field_t"] == pytest.approx(0.3483, abs=1e-3)


def test_other_bruker_experiments(real_data):
    one = open_dataset(real_data / "nmrpy-varian-31P-array-bruker-1H" / "bruker1")
    assert one.shape == (1, 16384) and one.attrs["nucleus"] == "1H"
    assert one.attrs["bf1_mhz"] == pytest.approx(400.13, abs=0.01)
    five = open_dataset(real_data / "dnplab-bruker-odnp" / "topspin" / "5")
    assert five.shape == (4, 11973)


def test_pdata_reader_axis_and_scaling(li7_dir):
    spec = read_pdata(li7_dir / "1" / "pdata" / "1")
    assert spec.dims == ("time", "ppm") and spec.shape == (1, 8192)
    assert spec["ppm"].values[0] == pytest.approx(537.7928)
    step = 93457.9439252336 / 116.684586269531 / 8192
    assert spec["ppm"].values[1] - spec["ppm"].values[0] == pytest.approx(-step)
    raw = np.fromfile(li7_dir / "1" / "pdata" / "1" / "1r", dtype="<i4")
    np.testing.assert_allclose(spec.values[0].real, raw * 2.0**-9)
    metal = spec["ppm"].values[np.argmax(spec.values[0].real * (spec["ppm"].values > 150))]
    assert metal == pytest.approx(248.1, abs=0.1)


def test_scan_durations_with_delay_list():
    acqus = {"NS": 4, "DS": 2, "D": [0, 2.0], "TD": 1000, "SW_h": 1000.0, "DE": 0.0}
    rows = scan_durations(acqus, [0.1, 1.0])
    assert rows == pytest.approx([6 * 2.5 + 4 * 0.1 + 2 * 0.1, 4 * (2.5 + 1.0)])


@pytest.fixture
def li7_copy(li7_dir, tmp_path):
    exp = tmp_path / "1"
    shutil.copytree(li7_dir / "1", exp)
    for f in exp.rglob("*"):
        f.chmod(0o644 if f.is_file() else 0o755)
    return exp


def test_truncated_fid(li7_copy):
    data = (li7_copy / "fid").read_bytes()
    (li7_copy / "fid").write_bytes(data[:1000])
    with pytest.raises(DataError, match=r"1/fid: truncated: 1000 bytes, TD=12288"):
        read_experiment(li7_copy)


def test_fid_larger_than_td(li7_copy):
    acqus = (li7_copy / "acqus").read_text().replace("##$TD= 12288", "##$TD= 8192")
    (li7_copy / "acqus").write_text(acqus)
    with pytest.raises(DataError, match=r"fid: larger than TD allows"):
        read_experiment(li7_copy)


def test_missing_acqus_empty_and_foreign_folders(li7_copy, tmp_path):
    (li7_copy / "acqus").unlink()
    with pytest.raises(DataError, match="no acqus file"):
        read_experiment(li7_copy)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="empty folder"):
        open_dataset(empty)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match="not a recognised NMR dataset"):
        open_dataset(other)


def test_unreadable_parameter_file(li7_copy):
    (li7_copy / "acqus").write_bytes(b"\x00\x01garbage")
    with pytest.raises(DataError, match=r"acqus: not a TopSpin JCAMP-DX parameter file"):
        read_experiment(li7_copy)


def test_ser_stopped_early_keeps_complete_rows(real_data, tmp_path):
    exp = tmp_path / "28"
    shutil.copytree(real_data / "dnplab-bruker-odnp" / "topspin" / "28", exp)
    for f in exp.rglob("*"):
        f.chmod(0o644 if f.is_file() else 0o755)
    data = (exp / "ser").read_bytes()
    row = len(data) // 8
    (exp / "ser").write_bytes(data[: 5 * row + row // 2])
    with pytest.warns(UserWarning, match="stopped early, 5 of 8 FIDs complete"):
        ser = read_experiment(exp, nucleus="1H")
    assert ser.shape == (5, 7983)
    assert len(ser["vd"]) == 5


def _jcamp(params: dict) -> str:
    lines = ["##TITLE= Parameter file", "##JCAMPDX= 5.0"]
    lines += [f"##${k}= {v}" for k, v in params.items()]
    return "\n".join(lines + ["##END="]) + "\n"


def test_pseudo_2d_processed_2rr_in_submatrix_layout(real_data, tmp_path):
    """A 2rr stored as TopSpin does (XDIM x XDIM submatrices, int32) reads back row by row."""
    exp = tmp_path / "28"
    shutil.copytree(real_data / "dnplab-bruker-odnp" / "topspin" / "28", exp)
    for f in exp.rglob("*"):
        f.chmod(0o644 if f.is_file() else 0o755)
    pdir = exp / "pdata" / "1"
    rows, si, sub = 8, 1024, (4, 256)
    data = np.arange(rows * si).reshape(rows, si) - 3000
    blocks = [
        data[i : i + sub[0], j : j + sub[1]].ravel()
        for i in range(0, rows, sub[0])
        for j in range(0, si, sub[1])
    ]
    (pdir / "2rr").write_bytes(np.concatenate(blocks).astype("<i4").tobytes())
    (pdir / "procs").write_text(
        _jcamp(
            {
                "SI": si,
                "XDIM": sub[1],
                "SF": 14.83,
                "SW_p": 9980.04,
                "OFFSET": 400.0,
                "NC_proc": 1,
                "BYTORDP": 0,
            }
        )
    )
    (pdir / "proc2s").write_text(
        _jcamp(
            {
                "SI": rows,
                "XDIM": sub[0],
                "SF": 14.83,
                "SW_p": 8.0,
                "OFFSET": 8.0,
                "NC_proc": 0,
                "BYTORDP": 0,
            }
        )
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = read_pdata(pdir)
    assert spec.shape == (8, 1024)
    np.testing.assert_array_equal(spec.values.real, data * 2.0)  # 2**NC_proc
    assert spec["ppm"].values[0] == pytest.approx(400.0)
    assert spec["vd"].values[:3] == pytest.approx([0.020, 0.056854, 0.161616])


def test_truncated_fid_names_the_sizes_once(tmp_path):
    """TD=8192 int32 is 32768 B, a multiple of 1024: one size, not "32768 (or 32768)";
    TD=300 is 1200 B, 2048 B when padded: both sizes, the padded one said so."""
    from dendritemr.io.bruker_binary import read_fid_rows

    f = tmp_path / "fid"
    f.write_bytes(b"\0" * 10922)
    with pytest.raises(DataError) as info:
        read_fid_rows(f, 8192, np.dtype("<i4"))
    assert str(info.value) == f"{f}: truncated: 10922 bytes, TD=8192 needs 32768"
    f.write_bytes(b"\0" * 1000)
    with pytest.raises(DataError) as info:
        read_fid_rows(f, 300, np.dtype("<i4"))
    assert (
        str(info.value)
        == f"{f}: truncated: 1000 bytes, TD=300 needs 1200 (or 2048 padded to 1024-byte blocks)"
    )


def test_series_folder_says_which_numbered_folders_it_skips(synthetic_study, tmp_path):
    """An interrupted last acquisition (acqus, no fid) or a processed-only folder was left out
    of the series without a word: 7 of 8 spectra came back and nobody was told."""
    folder, _ = synthetic_study
    series = tmp_path / "7Li"
    shutil.copytree(folder, series)
    (series / "3" / "fid").unlink()
    (series / "99").mkdir()  # e.g. a folder of processed data only
    with pytest.warns(RuntimeWarning) as record:
        data = open_dataset(series)
    assert data.sizes["time"] == 7
    messages = [str(w.message) for w in record if "numbered folder" in str(w.message)]
    assert messages == [
        f"{series}: 2 numbered folder(s) not read as part of the series: 3 (no fid or ser), "
        "99 (no acqus)"
    ]
    with warnings.catch_warnings(record=True) as clean:
        warnings.simplefilter("always")
        assert open_dataset(folder).sizes["time"] == 8
    assert not [w for w in clean if "numbered folder" in str(w.message)]
