"""JCAMP-DX variants as kinds: ASDF compression forms, indented labels, '?' ordinates, NPOINTS,
versions 4.24/5.01/6.0, NTUPLES, compound LINK files. Every file is written here."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from dendritemr.errors import DataError
from dendritemr.io import open_dataset
from dendritemr.io.jcamp import read_jcamp

#: the same 7 ordinates in each ASCII form (written by hand from the JCAMP-DX 4.24 rules)
VALUES = [10, 12, 15, 15, 15, 14, -3]
FORMS = {
    "AFFN": ["0 10 12 15 15", "4 15 14 -3"],
    "AFFN-commas": ["0, 10, 12, 15, 15", "4, 15, 14, -3"],
    "PAC": ["0+10+12+15+15", "4+15+14-3"],
    "SQZ": ["0A0A2A5A5", "4A5A4c"],
    "DIF": ["0A0KL%%", "4A5jj7"],  # Y-check: 15 opens the second line and is dropped
    "DIFDUP": ["0A0KL%T", "4A5jj7"],
}


def spectrum_text(lines, version="5.01", npoints=7, indent="", extra=""):
    head = [
        "##TITLE= test spectrum",
        f"##JCAMP-DX= {version}",
        "##DATA TYPE= NMR SPECTRUM",
        "##.OBSERVE FREQUENCY= 116.64",
        "##.OBSERVE NUCLEUS= ^7Li",
        "##XUNITS= PPM",
        "##YUNITS= ARBITRARY UNITS",
        "##FIRSTX= 300.0",
        "##LASTX= 0.0",
        "##DELTAX= -50.0",
        "##XFACTOR= 1",
        "##YFACTOR= 0.5",
        f"##NPOINTS= {npoints}",
    ]
    if extra:
        head.append(extra)
    head.append("##XYDATA= (X++(Y..Y))")
    text = "\n".join([indent + h for h in head] + lines + [indent + "##END="]) + "\n"
    return text


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("version", ["4.24", "5.01", "6.0"])
def test_every_ascii_form_and_version_gives_the_same_values(tmp_path, form, version):
    path = tmp_path / "s.jdx"
    path.write_text(spectrum_text(FORMS[form], version))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        da = read_jcamp(path)
    np.testing.assert_array_equal(da.values[0], 0.5 * np.array(VALUES))  # YFACTOR 0.5
    np.testing.assert_allclose(da["ppm"].values, [300, 250, 200, 150, 100, 50, 0])
    assert da.attrs["nucleus"] == "7Li"


def test_indented_labels(tmp_path):
    path = tmp_path / "indented.jdx"
    path.write_text(spectrum_text(FORMS["SQZ"], indent=" "))
    da = open_dataset(path)  # recognised as JCAMP-DX too
    np.testing.assert_array_equal(da.values[0], 0.5 * np.array(VALUES))


def test_question_mark_ordinate_is_nan_in_place(tmp_path):
    path = tmp_path / "missing.jdx"
    path.write_text(spectrum_text(["0 10 12 ? 15", "4 15 14 -3"]))
    with pytest.warns(UserWarning, match="1 missing"):
        da = read_jcamp(path)
    expected = 0.5 * np.array(VALUES, dtype=float)
    expected[2] = np.nan
    np.testing.assert_array_equal(da.values[0], expected)  # later points keep their place
    assert da.sizes["ppm"] == 7


def test_question_mark_in_compressed_line(tmp_path):
    path = tmp_path / "missing_sqz.jdx"
    path.write_text(spectrum_text(["0A0A2?A5", "4A5A4c"]))
    with pytest.warns(UserWarning, match="missing"):
        da = read_jcamp(path)
    assert np.isnan(da.values[0, 2]) and da.values[0, 6] == -1.5


def test_npoints_mismatch_is_an_error(tmp_path):
    path = tmp_path / "short.jdx"
    path.write_text(spectrum_text(["0 10 12 15 15", "4 15 14"], npoints=7))
    with pytest.raises(DataError, match="NPOINTS says 7 but the XYDATA table holds 6"):
        read_jcamp(path)


def test_failed_dif_y_check_is_an_error(tmp_path):
    path = tmp_path / "corrupt.jdx"
    path.write_text(spectrum_text(["0A0KL%%", "4A6jj7"]))
    with pytest.raises(DataError, match="Y-check"):
        read_jcamp(path)


def test_unknown_character_in_table(tmp_path):
    path = tmp_path / "bad.jdx"
    path.write_text(spectrum_text(["0A0A2#A5", "4A5A4c"]))
    with pytest.raises(DataError, match="unexpected character '#'"):
        read_jcamp(path)


def _link_file(nmr_block: str) -> str:
    return (
        "##TITLE= compound: structure and 7Li spectrum\n##JCAMP-DX= 5.01\n"
        "##DATA TYPE= LINK\n##BLOCKS= 2\n"
        "##TITLE= structure\n##JCAMP-CS= 3.7\n##BLOCK_ID= 1\n##NPOINTS= 1\n"
        "##END=\n" + nmr_block + "##END=\n"
    )


def test_link_compound_file_reads_its_nmr_block(tmp_path):
    path = tmp_path / "link.jdx"
    block = spectrum_text(FORMS["DIFDUP"], extra="##BLOCK_ID= 2")
    path.write_text(_link_file(block))
    da = open_dataset(path)
    np.testing.assert_array_equal(da.values[0], 0.5 * np.array(VALUES))
    assert da.attrs["title"] == "test spectrum"


def test_link_file_without_nmr_block(tmp_path):
    path = tmp_path / "ir.jdx"
    block = "##TITLE= ir\n##JCAMP-DX= 5.01\n##DATA TYPE= INFRARED SPECTRUM\n##END=\n"
    path.write_text(_link_file(block))
    with pytest.raises(DataError, match=r"LINK\) file without an NMR .*INFRARED SPECTRUM"):
        read_jcamp(path)


def _ntuples_fid(form_r, form_i, factor=2.0, pages=("N=1", "N=2"), datatype="NMR FID"):
    return "\n".join(
        [
            "##TITLE= fid",
            "##JCAMP-DX= 6.0",
            f"##DATA TYPE= {datatype}",
            "##.OBSERVE FREQUENCY= 116.64",
            "##.OBSERVE NUCLEUS= ^7Li",
            f"##NTUPLES= {datatype}",
            "##VAR_NAME= TIME, FID/REAL, FID/IMAG",
            "##SYMBOL= X, R, I",
            "##VAR_DIM= 7, 7, 7",
            "##UNITS= SECONDS, ARBITRARY UNITS, ARBITRARY UNITS",
            f"##FACTOR= 1e-4, {factor}, {factor}",
            "##FIRST= 0, 20, -20",
            "##LAST= 6e-4, -6, 6",
            f"##PAGE= {pages[0]}",
            "##DATA TABLE= (X++(R..R)), XYDATA",
            *form_r,
            f"##PAGE= {pages[1]}",
            "##DATA TABLE= (X++(I..I)), XYDATA",
            *form_i,
            f"##END NTUPLES= {datatype}",
            "##END=",
        ]
    )


def test_ntuples_fid_real_and_imaginary_pages(tmp_path):
    path = tmp_path / "fid.jdx"
    path.write_text(_ntuples_fid(FORMS["DIF"], FORMS["PAC"]))
    da = read_jcamp(path)
    assert da.dims == ("time", "t2") and da.shape == (1, 7)
    np.testing.assert_array_equal(da.values[0], 2.0 * (np.array(VALUES) + 1j * np.array(VALUES)))
    assert da.attrs["sw_hz"] == pytest.approx(1e4)  # dwell 6e-4 s / 6
    assert da["t2"].values[-1] == pytest.approx(6e-4)


def test_ntuples_pseudo2d_pages_in_compressed_form(tmp_path):
    header = [
        "##TITLE= T1 series",
        "##JCAMP-DX= 6.0",
        "##DATA TYPE= NDNMRFID",
        "##.OBSERVE FREQUENCY= 116.64",
        "##.OBSERVE NUCLEUS= 7Li",
        "##NTUPLES= NDNMRFID",
        "##VAR_NAME= TIME1, TIME2, FID/REAL, FID/IMAG",
        "##SYMBOL= T1, T2, R, I",
        "##VAR_DIM= 2, 7, 14, 14",
        "##FACTOR= 1, 1, 1, 1",
        "##FIRST= 0.1, 0, 10, 10",
        "##LAST= 0.5, 0.003, -3, -3",
    ]
    body = []
    for delay, scale in (("0.1", 1), ("0.5", 2)):
        for sym in ("R", "I"):
            lines = FORMS["SQZ"] if scale == 1 else ["0 20 24 30 30", "4 30 28 -6"]
            body += [f"##PAGE= T1={delay}", f"##DATA TABLE= (T2++({sym}..{sym})), PROFILE"]
            body += lines
    path = tmp_path / "t1.jdx"
    path.write_text("\n".join(header + body + ["##END NTUPLES= NDNMRFID", "##END="]))
    da = read_jcamp(path)
    assert da.shape == (2, 7)
    np.testing.assert_array_equal(da["vd"].values, [0.1, 0.5])
    v = np.array(VALUES) * (1 + 1j)
    np.testing.assert_array_equal(da.values, [v, 2 * v])
    assert da.attrs["sw_hz"] == pytest.approx(2000.0)  # 0.003 s over 6 steps


def test_ntuples_spectrum_in_hz(tmp_path):
    text = _ntuples_fid(FORMS["SQZ"], FORMS["AFFN"], factor=1.0, datatype="NMR SPECTRUM")
    text = (
        text.replace("##UNITS= SECONDS", "##UNITS= HZ")
        .replace("##FIRST= 0, 20", "##FIRST= 11664, 20")
        .replace("##LAST= 6e-4", "##LAST= 0")
    )
    path = tmp_path / "spec.jdx"
    path.write_text(text)
    da = read_jcamp(path)
    assert da.dims == ("time", "ppm")
    np.testing.assert_allclose(da["ppm"].values, np.linspace(100, 0, 7))  # Hz / 116.64 MHz
    np.testing.assert_array_equal(da.values[0], np.array(VALUES) * (1 + 1j))


def test_absurd_dup_count_is_refused_without_expanding(tmp_path):
    path = tmp_path / "dup.jdx"
    path.write_text(spectrum_text(["0A0S99999999999"]))
    with pytest.raises(DataError, match="DUP count 2e\\+11 too large"):
        read_jcamp(path)
