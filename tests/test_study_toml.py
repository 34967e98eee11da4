"""study.toml loader: roles, fields, times, one-line errors."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from dendritemr.errors import DataError
from dendritemr.physics import get_nucleus
from dendritemr.study import load_study


def _bf1(nucleus: str, field_t: float) -> float:
    return get_nucleus(nucleus).gamma * field_t / (2 * math.pi) / 1e6


def _experiment(folder: Path, nucleus: str, field_t: float = 7.05) -> None:
    folder.mkdir(parents=True)
    (folder / "acqus").write_text(
        f"##TITLE= test\n##$NUC1= <{nucleus}>\n##$BF1= {_bf1(nucleus, field_t):.6f}\n"
        "##$TD= 16\n##END=\n"
    )
    (folder / "fid").write_bytes(b"\0" * 64)


def _study(tmp_path: Path, toml: str, li6_nucleus="6Li", li6_field=7.05) -> Path:
    _experiment(tmp_path / "7Li" / "1", "7Li")
    _experiment(tmp_path / "7Li" / "2", "7Li")
    _experiment(tmp_path / "6Li" / "1", li6_nucleus, li6_field)
    (tmp_path / "cycler.csv").write_text("time/s,current/mA,voltage/V\n0,0.1,0.2\n")
    (tmp_path / "study.toml").write_text(toml)
    return tmp_path


FULL = """
[study]
name = "test"
[cell]
electrode_area_cm2 = 0.785
thickness_mm = 1.0
electrolyte = "LLZO"
[isotopes]
x6_electrode = 0.95
x6_electrolyte = 0.0759
[nmr.li7]
path = "7Li"
[nmr.li6]
path = "6Li"
[cycler]
path = "cycler.csv"
timezone = "Europe/London"
start = "2023-08-11T12:40:15"
clock_offset_s = 3.5
current_mA = 0.4
[[reference]]
name = "natural"
li7 = "7Li/1"
li6 = "6Li/1"
x6 = { electrolyte = 0.0759 }
[t1_s]
li7 = { metal = 0.148 }
"""


def test_full_study_loads(tmp_path):
    s = load_study(_study(tmp_path, FULL))
    assert s.li7 == tmp_path.resolve() / "7Li"
    assert s.has_li6 and s.x6_electrode == 0.95 and s.electrode_area_cm2 == 0.785
    assert s.field_t == pytest.approx(7.05, rel=1e-6)
    # naive start read in the given zone: British Summer Time in August is UTC+1
    assert s.cycler.start.astimezone(dt.UTC) == dt.datetime(2023, 8, 11, 11, 40, 15, tzinfo=dt.UTC)
    assert s.cycler.clock_offset_s == 3.5 and s.cycler.current_mA == 0.4
    assert s.references[0].x6 == {"electrolyte": 0.0759}
    assert s.t1_s == {"li7": {"metal": 0.148}}
    assert s.to_dict()["cycler"]["path"].endswith("cycler.csv")


def test_minimal_study_is_li7_only(tmp_path):
    s = load_study(_study(tmp_path, '[nmr.li7]\npath = "7Li"\n'))
    assert not s.has_li6 and s.cycler is None and s.x6_electrode is None


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[nmr.li7]\npath = "7Li"\n[cell]\narea = 1\n', "[cell] unknown key 'area'"),
        ('[nmr.li7]\npath = "7Li"\n[foo]\nx = 1\n', "unknown section [foo]"),
        ('[nmr.li7]\npath = "nope"\n', "[nmr.li7] path 'nope' does not exist"),
        ("[cell]\nthickness_mm = 1\n", "[nmr.li7] path is required"),
        ('[nmr.li7]\npath = "6Li"\n', "[nmr.li7] data are 6Li, not 7Li"),
        ('[nmr.li7]\npath = "7Li"\n[isotopes]\nx6_electrode = 1.5\n', "must lie in (0, 1)"),
        (
            '[nmr.li7]\npath = "7Li"\n[cycler]\npath = "cycler.csv"\ntimezone = "Mars/Base"\n',
            "unknown timezone 'Mars/Base'",
        ),
        (
            '[nmr.li7]\npath = "7Li"\n[cycler]\npath = "cycler.csv"\nstart = "yesterday"\n',
            "start 'yesterday' is not an ISO 8601 time",
        ),
        (
            '[nmr.li7]\npath = "7Li"\n[cycler]\npath = "cycler.csv"\nformat = "xls"\n',
            "unknown format 'xls'",
        ),
        ('[nmr.li7]\npath = "7Li"\n[cell]\nthickness_mm = "thin"\n', "thickness_mm must be a"),
        ("[nmr.li7\n", "invalid TOML"),
    ],
)
def test_bad_study_one_line_errors(tmp_path, toml, message):
    folder = _study(tmp_path, toml)
    with pytest.raises(DataError) as info:
        load_study(folder)
    text = str(info.value)
    assert message in text and "\n" not in text


def test_wrong_nucleus_for_li6_role(tmp_path):
    folder = _study(tmp_path, '[nmr.li7]\npath = "7Li"\n[nmr.li6]\npath = "6Li"\n', "7Li")
    with pytest.raises(DataError, match=r"6Li/1.*\[nmr.li6\] data are 7Li, not 6Li"):
        load_study(folder)


def test_li6_at_other_field(tmp_path):
    folder = _study(tmp_path, '[nmr.li7]\npath = "7Li"\n[nmr.li6]\npath = "6Li"\n', li6_field=9.4)
    with pytest.raises(DataError, match=r"field 9.4000 T differs from the 7Li data's 7.0500 T"):
        load_study(folder)


def test_no_study_file(tmp_path):
    with pytest.raises(DataError, match="no study.toml"):
        load_study(tmp_path)
    with pytest.raises(DataError, match="no such study folder"):
        load_study(tmp_path / "missing")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        # each of these loaded before and failed later, or ran with a meaningless value
        ("[nmr.li7]\npath = 7\n", "[nmr.li7] path must be text in quotes, not 7"),
        (
            '[nmr.li7]\npath = "7Li"\n[cycler]\npath = "cycler.csv"\nclock_offset_s = "5 s"\n',
            "[cycler] clock_offset_s must be a number, not '5 s'",
        ),
        (
            '[nmr.li7]\npath = "7Li"\n[cell]\nelectrode_area_cm2 = inf\n',
            "[cell] electrode_area_cm2 must be a finite number, not inf",
        ),
        (
            '[nmr.li7]\npath = "7Li"\n[cell]\ntemperature_k = -5\n',
            "temperature_k must be positive (K)",
        ),
        (
            '[nmr.li7]\npath = "7Li"\n[cell]\nthickness_mm = 0\n',
            "thickness_mm must be positive (mm)",
        ),
        (
            '[nmr.li7]\npath = "7Li"\n[isotopes]\nx6_electrode_err = -0.01\n',
            "[isotopes] x6_electrode_err must not be negative",
        ),
        ('[nmr.li7]\npath = "7Li"\n[[reference]]\nname = "x"\n', "[reference 1] names no data"),
        ('[nmr.li7]\npath = "7Li"\n[mri]\npath = "cycler.csv"\n', "is a file, not a ParaVision"),
        (
            '[nmr.li7]\npath = "7Li"\n[mri]\npath = "7Li"\n',
            "holds TopSpin NMR data, not ParaVision",
        ),
        ('[nmr.li7]\npath = "7Li"\n[cycler]\npath = "6Li"\n', "[cycler] path '6Li' is a folder"),
    ],
)
def test_meaningless_values_are_one_line_errors(tmp_path, toml, message):
    folder = _study(tmp_path, toml)
    with pytest.raises(DataError) as info:
        load_study(folder)
    text = str(info.value)
    assert text.startswith(f"{folder / 'study.toml'}: ") and message in text and "\n" not in text


def test_windows_path_in_double_quotes_gets_a_hint(tmp_path):
    (tmp_path / "study.toml").write_text('[nmr.li7]\npath = "C:\\data\\7Li"\n')
    with pytest.raises(DataError) as info:
        load_study(tmp_path)
    text = str(info.value)
    assert text.startswith(f"{tmp_path / 'study.toml'}: invalid TOML (")
    assert text.endswith("; write paths with / or in single quotes: path = 'C:\\data\\7Li'")
    (tmp_path / "study.toml").write_text("[nmr.li7]\npath = 'C:\\data\\7Li'\n")
    with pytest.raises(DataError, match="does not exist"):  # the single-quoted form parses
        load_study(tmp_path)
