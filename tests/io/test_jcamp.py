"""JCAMP-DX reader: Bruker, JEOL, Varian and Nanalysis exports, and bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from dendritemr.errors import DataError
from dendritemr.io.jcamp import is_jcamp, is_jeol_delta, read_jcamp
from dendritemr.model import acquisition_times

NMR = Path("cheminfo-jcamp") / "nmr"
DATALAB = Path("datalab-jcamp-jeol")


def _ppm_of_max(da, lo: float, hi: float) -> float:
    ppm = da["ppm"].values
    window = (ppm > lo) & (ppm < hi)
    return float(ppm[window][np.argmax(da.values[0].real[window])])


def _fid_peak_ppm(da) -> float:
    """ppm of the largest line: carrier + FFT offset, over the frequency of 0 ppm."""
    spectrum = np.abs(np.fft.fftshift(np.fft.fft(da.values[0])))
    n = spectrum.size
    hz = (np.arange(n) - n // 2) * da.attrs["sw_hz"] / n
    carrier_hz = (da.attrs["sfo1_mhz"] - da.attrs["sf_mhz"]) * 1e6
    return (carrier_hz + hz[np.argmax(spectrum)]) / da.attrs["sf_mhz"]


def test_bruker_fid_aspirin(real_data):
    da = read_jcamp(real_data / NMR / "aspirin" / "1h.fid.dx")
    assert da.dims == ("time", "t2")
    assert da.shape == (1, 8192)  # TD 16384
    assert da.attrs["nucleus"] == "1H"
    assert da.attrs["sfo1_mhz"] == pytest.approx(300.132250975)
    assert da.attrs["sf_mhz"] == pytest.approx(300.13)
    assert da["t2"].values[1] == pytest.approx(0.0002088)
    assert da.attrs["sw_hz"] == pytest.approx(4789.272, rel=1e-6)
    assert da.attrs["group_delay"] == pytest.approx(61.0208, abs=1e-3)  # DSPFVS 10, DECIM 24
    assert acquisition_times(da)[0] == dt.datetime(2006, 1, 31, 9, 24, 52, tzinfo=dt.UTC)
    assert _fid_peak_ppm(da) == pytest.approx(2.29, abs=0.05)  # acetyl CH3 of aspirin


def test_bruker_fid_dosy_group_delay(real_data):
    da = read_jcamp(real_data / NMR / "bruker" / "dosy-1d-ledbpgp2s1d.fid.dx")
    assert da.shape == (1, 8192)
    assert da.attrs["group_delay"] == 76.0  # $GRPDLY
    assert da.attrs["sfo1_mhz"] == pytest.approx(400.0820004)


def test_nanalysis_pseudo2d_inversion_recovery(real_data):
    da = read_jcamp(real_data / NMR / "nanalysis" / "pseudoT1.jdx")
    assert da.shape == (8, 2048)
    assert da.attrs["nucleus"] == "1H"
    assert da.attrs["field_t"] == pytest.approx(1.41214287934)
    assert da.attrs["utc_offset_minutes"] == -300
    assert da["t2"].values[1] == pytest.approx(0.00412, rel=1e-6)
    np.testing.assert_allclose(
        da["vd"].values, [0.01, 0.0346526, 0.12008, 0.41611, 1.44193, 4.99666, 17.3147, 60]
    )
    assert da.values[0, 0] == pytest.approx(-1936.20389772 - 288.25158209j, rel=1e-5)
    assert acquisition_times(da)[0].astimezone(dt.UTC) == dt.datetime(
        2024, 1, 3, 18, 51, 21, tzinfo=dt.UTC
    )
    # Inversion recovery: early rows inverted relative to the fully relaxed last row.
    spectra = np.fft.fft(da.values, axis=1)
    projection = (spectra * spectra[-1].conj()).sum(axis=1).real
    assert np.all(projection[:3] < 0) and np.all(projection[4:] > 0)
    # Water (HDO) line at 4.66 ppm: carrier O1P 5.0 ppm minus 20.6 Hz.
    spectrum = np.abs(np.fft.fftshift(spectra[-1]))
    hz = (np.arange(2048) - 1024) * da.attrs["sw_hz"] / 2048
    assert 5.0 + hz[np.argmax(spectrum)] / da.attrs["sfo1_mhz"] == pytest.approx(4.66, abs=0.02)


def test_jeol_spectrum_hz_axis(real_data):
    da = read_jcamp(real_data / NMR / "jeol" / "1h.dx")
    assert da.dims == ("time", "ppm")
    assert da.shape == (1, 16384)
    assert da.attrs["nucleus"] == "1H"
    assert da["ppm"].values[0] == pytest.approx(6037.9072694778 / 399.784493896)
    assert da["ppm"].values[-1] == pytest.approx(-1953.6127495766 / 399.784493896)
    assert float(da.values.real.max()) == pytest.approx(55.4017524719, rel=1e-5)  # MAXY
    assert acquisition_times(da)[0] == dt.datetime(2021, 2, 1, 15, 24, 11, tzinfo=dt.UTC)


def test_varian_spectrum_ppm_axis(real_data):
    da = read_jcamp(real_data / NMR / "varian" / "1h.jdx")
    assert da.shape == (1, 16384)  # NPOINTS says 16385: the table holds 16384
    assert "16385" in da.attrs["npoints_note"]
    assert da["ppm"].values[[0, -1]] == pytest.approx([16.089531599, -0.746542441])
    assert da.attrs["field_t"] == pytest.approx(7.04)
    assert _ppm_of_max(da, -0.5, 0.5) == pytest.approx(0.0, abs=0.01)  # TMS
    assert _ppm_of_max(da, 7.0, 7.5) == pytest.approx(7.26, abs=0.01)  # CHCl3
    assert np.isnat(da["time"].values[0])


def test_bruker_spectrum_shift_reference(real_data):
    da = read_jcamp(real_data / DATALAB / "13c.jdx")
    assert da.shape == (1, 32768)
    assert da.attrs["nucleus"] == "13C"
    sw_ppm = 24038.4615384615 / 100.685689
    # first point at $OFFSET (= .SHIFT REFERENCE), last at OFFSET - SW (SI-1)/SI
    assert da["ppm"].values[0] == pytest.approx(218.6927)
    assert da["ppm"].values[-1] == pytest.approx(218.6927 - sw_ppm * 32767 / 32768)
    # CDCl3 triplet (J(C,D) = 32 Hz) centred on 77.0 ppm
    lines = [_ppm_of_max(da, lo, lo + 0.2) for lo in (76.6, 76.92, 77.24)]
    assert lines == pytest.approx([76.70, 77.02, 77.34], abs=0.02)


def test_bruker_spectrum_1h_chloroform(real_data):
    da = read_jcamp(real_data / DATALAB / "1h.dx")
    assert da.shape == (1, 32768)
    assert da["ppm"].values[0] == pytest.approx(13.99587)
    assert _ppm_of_max(da, -5, 20) == pytest.approx(7.27, abs=0.01)
    assert acquisition_times(da)[0] == dt.datetime(2009, 1, 25, 2, 13, 48, tzinfo=dt.UTC)


def test_jeol_delta_is_refused(real_data):
    path = real_data / DATALAB / "SW20AP_proton.jdf.gz"
    assert not is_jcamp(path)
    with pytest.raises(DataError, match="JEOL Delta .jdf is not supported yet"):
        read_jcamp(path)


def test_jeol_delta_magic(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"JEOL.NMR" + bytes(100))
    assert is_jeol_delta(path)
    with pytest.raises(DataError, match="x.bin: JEOL Delta"):
        read_jcamp(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jdx"
    path.write_text("")
    with pytest.raises(DataError, match="empty.jdx: empty file"):
        read_jcamp(path)


def test_garbage_file(tmp_path):
    path = tmp_path / "garbage.jdx"
    path.write_text("this is not\na JCAMP file\n")
    assert not is_jcamp(path)
    with pytest.raises(DataError, match="garbage.jdx: not a JCAMP-DX file"):
        read_jcamp(path)


def test_unsupported_data_type(tmp_path):
    path = tmp_path / "ir.jdx"
    path.write_text(
        "##TITLE= x\n##DATA TYPE= INFRARED SPECTRUM\n##XYDATA=(X++(Y..Y))\n1 2\n##END=\n"
    )
    with pytest.raises(DataError, match="ir.jdx: unsupported JCAMP-DX data type"):
        read_jcamp(path)


def test_spectrum_without_data(tmp_path):
    path = tmp_path / "nodata.jdx"
    path.write_text("##TITLE= x\n##DATA TYPE= NMR SPECTRUM\n##XUNITS= PPM\n##END=\n")
    with pytest.raises(DataError, match="nodata.jdx: no readable"):
        read_jcamp(path)


def test_pseudo2d_missing_imaginary_page(tmp_path):
    path = tmp_path / "half.jdx"
    path.write_text(
        "##TITLE= x\n##DATA TYPE= NDNMRFID\n##SYMBOL= T1, T2, R, I\n##FACTOR= 1, 1, 1, 1\n"
        "##PAGE= T1=0.1\n##DATA TABLE= (T2++(R..R)), PROFILE\n0 1 2\n0.2 3 4\n##END=\n"
    )
    with pytest.raises(DataError, match="half.jdx: page 0.1 lacks"):
        read_jcamp(path)
