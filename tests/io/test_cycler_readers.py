"""Cycler readers: real vendor exports (shared/data/real) and small files with known values."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pytest

from dendritemr.errors import DataError
from dendritemr.io.cycler_formats import detect_format, read_cycler

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
ECHEM = REAL / "li7-insitu-LiLi-TEGDME" / "LiLiTEGDMEinsitu_02" / "eChem"
STEM = "jr862_11_08_23_insitu-impedance-LiLi_1MLiTFSI_TEGDME-1mA"
TEGDME_TXT = ECHEM / f"{STEM}_03_GCPL_C05.txt"
NEWARE = REAL / "cellpy-arbin-maccor-neware" / "nw_regular_export_ife_example.csv"
MACCOR = REAL / "cellpy-arbin-maccor-neware" / "maccor_002.txt"
ARBIN = REAL / "datalab-echem-biologic-arbin" / "arbin_example.bdf.csv"

needs_real = pytest.mark.skipif(not TEGDME_TXT.is_file(), reason="shared real data not present")


@needs_real
def test_eclab_txt_of_the_tegdme_cell():
    ds = read_cycler(TEGDME_TXT)
    assert ds.attrs["format"] == "eclab-txt" and "start" not in ds.attrs
    assert ds.sizes["time_s"] == 76807 and "current_mA" not in ds
    # first and last rows as printed in the file
    assert float(ds.time_s[0]) == pytest.approx(907.6301776229229, rel=1e-15)
    assert float(ds.voltage_V[0]) == pytest.approx(2.4352197e-2, rel=1e-7)
    assert (float(ds.time_s[-1]) - float(ds.time_s[0])) / 3600 == pytest.approx(45.0933, abs=1e-4)


@needs_real
def test_neware_csv_export():
    ds = read_cycler(NEWARE)
    assert ds.attrs["format"] == "neware-csv"
    assert ds.attrs["start"] == "2026-03-06T12:37:25"
    # record 193 of the file: Total Time 00:16:41, -0.47417 A, 4.1402 V
    i = int(np.argmin(np.abs(ds.time_s.values - (16 * 60 + 41))))
    assert float(ds.current_mA[i]) == pytest.approx(-474.17)
    assert float(ds.voltage_V[i]) == pytest.approx(4.1402)


@needs_real
def test_maccor_txt_export_minutes_and_sign():
    ds = read_cycler(MACCOR)
    assert ds.attrs["format"] == "maccor-txt" and ds.attrs["start"] == "2021-05-11T15:40:24"
    t = ds.time_s.values
    # TestTime 360.055167 min is the row with DPT Time 5/11/2021 9:40:27 PM (6 h 0 min 3 s in)
    i = int(np.argmin(np.abs(t - 360.055167 * 60)))
    assert t[i] == pytest.approx(21603.31, abs=0.01)
    assert float(ds.current_mA[i]) == pytest.approx(0.16045)  # charge: positive
    j = int(np.argmin(np.abs(t - 1519.458833 * 60)))
    assert float(ds.current_mA[j]) == pytest.approx(-0.16030)  # discharge: negative


@needs_real
def test_arbin_bdf_csv_prefers_columns_with_units():
    ds = read_cycler(ARBIN)
    assert ds.attrs["format"] == "arbin-csv"
    assert float(ds.time_s[0]) == pytest.approx(0.072595419795086)
    assert float(ds.voltage_V[0]) == pytest.approx(3.8591957)
    # Excel serial 45131.78472222222 = 2023-07-24 18:50:00 at Test Time 0.0726 s
    assert ds.attrs["start"].startswith("2023-07-24T18:49:59.927")


@needs_real
def test_eclab_mpr_optional_extra():
    mpr = ECHEM / f"{STEM}_01_GCPL_C05.mpr"
    pytest.importorskip("galvani")
    ds = read_cycler(mpr)
    assert ds.attrs["start"] == "2023-08-11T12:40:15"
    assert ds.sizes["time_s"] == 109
    # technique 1 of the .mps: rest 5 min then 0.4 mA for 10 min
    on = ds.current_mA.values > 0.2
    assert np.median(ds.current_mA.values[on]) == pytest.approx(0.4, abs=0.005)


def test_eclab_mpr_without_extra_is_one_line(tmp_path, monkeypatch):
    f = tmp_path / "x.mpr"
    f.write_bytes(b"BIO-LOGIC MODULAR FILE\x1a" + b"\0" * 64)
    monkeypatch.setitem(sys.modules, "galvani", None)
    with pytest.raises(DataError, match=r"x.mpr: EC-Lab binary .mpr: install .*dendritemr\[mpr\]"):
        read_cycler(f)


MPT = """EC-Lab ASCII FILE\r
Nb header lines : 5\r
\r
Acquisition started on : 03/02/2026 09:15:30.250\r
mode\ttime/s\tEwe/V\t<I>/mA\tcontrol/V/mA\r
2\t0,000\t0,1250\t0,300\t0,3\r
2\t60,000\t0,1300\t0,300\t0,3\r
2\t120,500\t0,1400\t-0,300\t0,3\r
"""


def test_eclab_mpt_decimal_comma_and_start(tmp_path):
    f = tmp_path / "run.mpt"
    f.write_text(MPT)
    assert detect_format(f) == "eclab-mpt"
    ds = read_cycler(f)
    assert ds.attrs["start"] == "2026-03-02T09:15:30.250000"  # MM/DD/YYYY
    np.testing.assert_allclose(ds.time_s, [0.0, 60.0, 120.5])
    np.testing.assert_allclose(ds.voltage_V, [0.125, 0.13, 0.14])
    np.testing.assert_allclose(ds.current_mA, [0.3, 0.3, -0.3])


@pytest.mark.parametrize(
    ("text", "factor_t", "factor_i", "factor_v"),
    [
        (
            "Time (h);Current (uA);Voltage (mV)\n0;300;125\n0,5;300;130\n1;300;140\n",
            3600,
            1e-3,
            1e-3,
        ),
        (
            "time,current,voltage\nmin,A,V\n0,0.0003,0.125\n0.5,0.0003,0.13\n1,0.0003,0.14\n",
            60,
            1e3,
            1,
        ),
        (
            "Test Time [s]\tI [mA]\tEcell [V]\n0\t300\t0.125\n0.5\t300\t0.13\n1\t300\t0.14\n",
            1,
            1,
            1,
        ),
    ],
)
def test_generic_units_in_header_or_row(tmp_path, text, factor_t, factor_i, factor_v):
    f = tmp_path / "c.csv"
    f.write_text(text)
    ds = read_cycler(f)
    np.testing.assert_allclose(ds.time_s, np.array([0, 0.5, 1]) * factor_t)
    raw_i = {1e-3: 300, 1e3: 0.0003, 1: 300}[factor_i]
    np.testing.assert_allclose(ds.current_mA, raw_i * factor_i)
    assert float(ds.voltage_V[0]) == pytest.approx({1e-3: 125, 1: 0.125}[factor_v] * factor_v)


def test_generic_clock_time(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("Total Time,Voltage(V)\n00:00:00,1\n00:01:30,1.1\n1-00:00:00,1.2\n")
    np.testing.assert_allclose(read_cycler(f).time_s, [0, 90, 86400])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Voltage/V,Current/mA\n1,2\n3,4\n", "no time column"),
        ("time/fortnight,Ewe/V\n1,2\n3,4\n", "unknown unit 'fortnight' of column 'time'"),
        ("time/s,Ewe/V\n1,2\n3,4\n2,5\n", "non-monotonic time: decreases at data row 3"),
        ("time/s,Ewe/V\n1,2\n3,nan\n", "unreadable or missing voltage value in data row 2"),
        ("time/s,I/mA\n1,2\n3,4\n", "no voltage column"),
        ("time,Ewe/V\n1,2\n3,4\n", "column 'time' has no unit"),
        ("time/s,Ewe/V\n", "no data rows"),
        ("\n\n", "empty cycler file"),
    ],
)
def test_bad_cycler_files_one_line(tmp_path, text, message):
    f = tmp_path / "bad.csv"
    f.write_text(text)
    with pytest.raises(DataError) as info:
        read_cycler(f)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert str(f) in str(info.value)


def test_missing_and_unknown_format(tmp_path):
    with pytest.raises(DataError, match="no such cycler file"):
        read_cycler(tmp_path / "none.csv")
    f = tmp_path / "c.csv"
    f.write_text("time/s,Ewe/V\n0,1\n1,1\n")
    with pytest.raises(DataError, match="unknown cycler format 'xls'"):
        read_cycler(f, "xls")


def test_simulator_csv_through_read_cycler(tmp_path):
    f = tmp_path / "cycler.csv"
    f.write_text(
        "# dendritemr cycler export\n# start: 2026-03-02T09:00:00+01:00\n"
        "time/s,current/mA,voltage/V\n0.0,0.3,0.4\n60.0,0.3,0.41\n"
    )
    ds = read_cycler(f)
    assert ds.attrs["format"] == "dendritemr-csv"
    assert dt.datetime.fromisoformat(ds.attrs["start"]).utcoffset() == dt.timedelta(hours=1)


_SIM_HEAD = "# dendritemr cycler export\n# start: 2026-03-02T09:00:00+01:00\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # rows 2 and 3 swapped: a hand-edited or concatenated log (analyze ran on it before)
        (
            "time/s,current/mA,voltage/V\n0,0.3,0.4\n120,0.3,0.4\n60,0.3,0.4\n",
            "non-monotonic time: decreases at data row 3",
        ),
        (
            "time/s,current/mA,voltage/V\n0,0.3,0.4\n60,nan,0.4\n",
            "NaN or infinite value in data row 2",
        ),
        ("time/s,current/mA,voltage/V\n0,0.3,0.4\n", "fewer than 2 data rows"),
        (
            "time/s,current/mA,voltage/V\n0,0.3,0.4\n60,0.3\n",
            "unreadable number or missing column in data row 2: 60,0.3",
        ),
        (
            "time/s,current/mA,voltage/V\n0,0.3,0.4\n60,0.3,0.4\n90,x,0.4\n",
            "unreadable number or missing column in data row 3: 90,x,0.4",
        ),
        (
            "time/h,current/mA,voltage/V\n0,0.3,0.4\n1,0.3,0.4\n",
            "line 3: unreadable columns: missing time/s (header: time/h, current/mA, voltage/V)",
        ),
        ("time/s,current/mA,voltage/V\n", "no data rows"),
    ],
)
def test_bad_simulator_csv_one_line(tmp_path, body, message):
    f = tmp_path / "cycler.csv"
    f.write_text(_SIM_HEAD + body)
    with pytest.raises(DataError) as info:
        read_cycler(f)  # recognised as dendritemr-csv by its comment header
    assert str(info.value) == f"{f}: {message}"


@pytest.mark.parametrize(
    ("data", "what"),
    [
        # Excel's "CSV UTF-8": a byte order mark before the header ("no time column" before)
        ("\ufefftime/s,Ewe/V,I/mA\n0.5,1.2,0.4\n1.5,1.1,0.4\n".encode(), "utf-8 BOM"),
        # Excel's "Unicode text": UTF-16 with a BOM ("binary file" before)
        ("time/s\tEwe/V\tI/mA\n0.5\t1.2\t0.4\n1.5\t1.1\t0.4\n".encode("utf-16"), "utf-16"),
        # a decimal-comma locale's comma-separated export quotes its numbers: the cells were
        # split at the decimal commas and read as time 0, 1 / voltage 5, 5 / current 1, 1
        (b'"time/s","Ewe/V","I/mA"\n"0,5","1,2","0,4"\n"1,5","1,1","0,4"\n', "quoted commas"),
    ],
)
def test_excel_exports_read_right(tmp_path, data, what):
    f = tmp_path / "cycler.csv"
    f.write_bytes(data)
    ds = read_cycler(f)
    np.testing.assert_allclose(ds.time_s, [0.5, 1.5], err_msg=what)
    np.testing.assert_allclose(ds.voltage_V, [1.2, 1.1], err_msg=what)
    np.testing.assert_allclose(ds.current_mA, [0.4, 0.4], err_msg=what)


def test_eclab_mpt_day_first_start_is_one_line(tmp_path):
    """'13/02/2026' (day first) raised a bare ValueError (month must be in 1..12): traceback."""
    f = tmp_path / "run.mpt"
    f.write_text(MPT.replace("03/02/2026", "13/02/2026"))
    with pytest.raises(DataError) as info:
        read_cycler(f)
    assert str(info.value).startswith(f"{f}: unreadable start time '13/02/2026 09:15:30.250'")


@needs_real
def test_maccor_cut_off_last_row_is_one_line(tmp_path):
    """An export cut off mid-row (copying while the test runs): the short row had no mode
    cell and raised a bare IndexError (traceback)."""
    lines = MACCOR.read_text(errors="replace").splitlines()
    last = lines[-1].split("\t")
    f = tmp_path / "maccor_cut.txt"
    f.write_text("\n".join([*lines[:-1], "\t".join(last[:2])]) + "\n")
    with pytest.raises(DataError) as info:
        read_cycler(f)
    text = str(info.value)
    assert text.startswith(f"{f}: unreadable or missing time value in data row ")
    assert "\n" not in text
