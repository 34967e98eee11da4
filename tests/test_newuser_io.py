"""Readers met by a new user (issues 10, 13): a cycler CSV headed with dendritemr's own names,
what the error says when a column is missing, and a positive field for a negative-gamma nucleus."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from dendritemr.errors import DataError
from dendritemr.io.cycler_table import read_generic, split_name_unit


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("time_s", ("time", "s")),
        ("voltage_V", ("voltage", "V")),
        ("current_mA", ("current", "mA")),
        ("Test Time_h", ("test time", "h")),
        ("time/s", ("time", "s")),  # the usual forms are unchanged
        ("test_time", ("test_time", None)),  # 'time' is no unit: a name with an underscore
        ("cycle_index", ("cycle_index", None)),
    ],
)
def test_unit_after_an_underscore(header, expected):
    assert split_name_unit(header) == expected


def test_csv_with_dendritemr_names_is_read_with_its_units(tmp_path):
    """``time_s,voltage_V,current_mA`` (the names of dendritemr's own cycler.nc) was refused
    with 'no time column'."""
    rng = np.random.default_rng(20261130)
    t_h = np.sort(rng.uniform(0, 5, 40))
    v = rng.uniform(0.05, 0.5, 40)
    i_ua = rng.uniform(100, 900, 40)
    path = tmp_path / "cyc.csv"
    rows = "\n".join(
        f"{a:.17g},{b * 1e3:.17g},{c:.17g}" for a, b, c in zip(t_h, v, i_ua, strict=True)
    )
    path.write_text(f"time_h,voltage_mV,current_uA\n{rows}\n")
    ds = read_generic(path)
    np.testing.assert_allclose(ds["time_s"].values, t_h * 3600.0, rtol=1e-12)
    np.testing.assert_allclose(ds["voltage_V"].values, v, rtol=1e-12)
    np.testing.assert_allclose(ds["current_mA"].values, i_ua * 1e-3, rtol=1e-12)


def test_missing_time_or_voltage_column_names_the_header(tmp_path):
    path = tmp_path / "cyc.csv"
    path.write_text("seconds,volts\n0,0.1\n1,0.1\n")
    with pytest.raises(DataError) as err:
        read_generic(path)
    assert str(err.value) == (
        f"{path}: no time column (looked for time, test time, total time, test_time, ...; "
        "the header has 'seconds', 'volts')"
    )
    path.write_text("time/s,U_cell,I/mA\n0,0.1,1\n1,0.1,1\n")
    with pytest.raises(DataError, match=r"no voltage column .* header has 'time', 'u_cell', 'i'"):
        read_generic(path)


def test_field_is_positive_for_a_negative_gamma_nucleus(real_data):
    """The DNPLab TopSpin experiment says NUC1 15N (gamma < 0): info gave field_t -3.435 T."""
    from dendritemr.io import open_dataset

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its NUC1 is doubtful (BF1 says 1H): warned, not here
        ds = open_dataset(real_data / "dnplab-bruker-odnp" / "topspin" / "1")
    bf1 = float(ds.attrs["bf1_mhz"])
    gamma_15n = -2.7126e7  # rad s-1 T-1 (Harris et al. 2001, Table 1)
    assert ds.attrs["field_t"] == pytest.approx(2 * math.pi * bf1 * 1e6 / abs(gamma_15n), 1e-4)
    assert ds.attrs["field_t"] > 0


def test_field_of_the_real_7li_series_is_unchanged(li7_dir):
    from dendritemr.io import open_dataset

    ds = open_dataset(li7_dir / "1")
    # 116.641914 MHz / (gamma(7Li)/2pi = 16.5484 MHz/T, bare nucleus): 7.0485 T (AV300WB)
    assert ds.attrs["field_t"] == pytest.approx(7.048507541, abs=1e-8)


def test_study_paths_are_given_without_dot_dot(tmp_path, li7_dir):
    """A study.toml naming '../../shared/...' (the README's tour) put
    'tegdme/../../shared/...' into results.json and the report."""
    import os

    from dendritemr.study import load_study

    study = tmp_path / "study"
    study.mkdir()
    (tmp_path / "cyc.csv").write_text("time/s,voltage/V\n0,0.1\n1,0.1\n")
    rel = os.path.relpath(li7_dir / "1", study)
    assert rel.startswith("..")
    (study / "study.toml").write_text(f'[nmr.li7]\npath = "{rel}"\n[cycler]\npath = "../cyc.csv"\n')
    s = load_study(study)
    assert s.li7 == (li7_dir / "1").resolve() and ".." not in s.li7.parts
    assert s.cycler.path == (tmp_path / "cyc.csv").resolve()


def test_study_toml_with_a_byte_order_mark_or_crlf_is_read(tmp_path, li7_dir):
    """Notepad's 'UTF-8 with BOM' gave 'invalid TOML (Invalid statement (at line 1, column 1))'."""
    from dendritemr.study import load_study

    text = f'[study]\r\nname = "Café cell, 7Li"\r\n[nmr.li7]\r\npath = "{li7_dir / "1"}"\r\n'
    (tmp_path / "study.toml").write_bytes(b"\xef\xbb\xbf" + text.encode())
    s = load_study(tmp_path)
    assert s.name == "Café cell, 7Li" and s.li7 == (li7_dir / "1").resolve()


def test_study_toml_not_in_utf8_says_so(tmp_path):
    path = tmp_path / "study.toml"
    path.write_bytes('[study]\nname = "Café"\n'.encode("latin-1"))
    from dendritemr.study import load_study

    with pytest.raises(DataError) as err:
        load_study(tmp_path)
    assert str(err.value) == f"{path}: not UTF-8 text (byte 0xe9 on line 2): save it as UTF-8"


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("jr862_11_08_23_insitu-impedance-LiLi_1MLiTFSI_TEGDME-1mA.mps", "settings file"),
        ("jr862_11_08_23_insitu-impedance-LiLi_1MLiTFSI_TEGDME-1mA_03_GCPL_C05_LOOP.txt", "loop"),
        ("jr862_11_08_23_insitu-impedance-LiLi_1MLiTFSI_TEGDME-1mA_03_GCPL_C05.mgr", "XML"),
    ],
)
def test_ec_lab_companion_files_are_named_as_such(real_data, name, what):
    """The real EC-Lab folder's .mps, _LOOP.txt and .mgr given as the cycler file said 'no time
    column (... the header has 'ec-lab', 'setting', 'file')'."""
    from dendritemr.io.cycler_formats import read_cycler

    path = real_data / "li7-insitu-LiLi-TEGDME" / "LiLiTEGDMEinsitu_02" / "eChem" / name
    with pytest.raises(DataError) as err:
        read_cycler(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: ") and what in msg and "not cycler data" in msg


def test_unknown_timezone_says_what_to_give(tmp_path, li7_dir):
    """'BST' or '+01:00' as [cycler] timezone (what a British user writes) said only
    'unknown timezone'."""
    from dendritemr.study import load_study

    (tmp_path / "cyc.csv").write_text("time/s,voltage/V\n0,0.1\n1,0.1\n")
    for zone in ("BST", "+01:00"):
        (tmp_path / "study.toml").write_text(
            f'[nmr.li7]\npath = "{li7_dir / "1"}"\n[cycler]\npath = "cyc.csv"\n'
            f'timezone = "{zone}"\n'
        )
        with pytest.raises(DataError) as err:
            load_study(tmp_path)
        msg = str(err.value)
        assert f"[cycler] unknown timezone '{zone}' (an IANA name such as 'Europe/London'" in msg
        assert "start = '2023-08-11T12:40:15+01:00'" in msg and "\n" not in msg


@pytest.mark.parametrize(("key", "value"), [("NS", "128"), ("RG", "64")])
def test_series_mixing_ns_or_rg_is_refused(tmp_path, li7_dir, key, value):
    """Three real experiments, the third with another NS (or RG) in its acqus: the series was
    read as one, and the signal's factor 2 (NS) read as twice the metal."""
    import shutil

    from dendritemr.io import open_dataset

    for k in (1, 2, 3):
        shutil.copytree(li7_dir / str(k), tmp_path / str(k))
    acqus = tmp_path / "3" / "acqus"
    lines = acqus.read_text(errors="replace").splitlines(keepends=True)
    edited = [f"##${key}= {value}\n" if ln.startswith(f"##${key}=") else ln for ln in lines]
    assert edited != lines
    acqus.write_text("".join(edited))
    with pytest.raises(DataError) as err:
        open_dataset(tmp_path)
    msg = str(err.value)
    assert msg.startswith(f"{tmp_path / '3'}: {key}={value} differs from ")
    assert "differs from" in msg and "a series is not rescaled" in msg
    np.testing.assert_equal(open_dataset(tmp_path / "1").sizes["t2"], 6144)  # alone: fine


def test_info_on_a_folder_of_paravision_scans_says_what_it_is(tmp_path):
    """``dendritemr info study/mri`` said 'not a recognised NMR dataset'."""
    from click.testing import CliRunner

    from dendritemr.cli import main
    from dendritemr.sim.small_csi import simulate_small_csi

    simulate_small_csi(tmp_path / "study", seed=4, every_h=3.0)
    mri = tmp_path / "study" / "mri"
    res = CliRunner().invoke(main, ["info", str(mri)])
    assert res.exit_code == 2
    n = len([p for p in mri.iterdir() if p.name.isdigit()])
    assert res.output.strip() == (
        f"error: {mri}: a folder of {n} ParaVision scans, not one dataset: give one scan "
        f"({mri / '1'}) or read them all with `dendritemr image {mri}`"
    )
    one = CliRunner().invoke(main, ["info", str(mri / "1")])
    assert one.exit_code == 0 and '"kind": "k-space"' in one.output


def test_mri_role_must_be_7li_at_the_study_field(tmp_path, real_data):
    """[mri] naming the real 1H FLASH scan (9.4 T, 2013) was accepted: its time put the image
    108 000 h before a 7Li study at 7.05 T. Now: the nucleus, then the field, are checked."""
    from dendritemr.sim.small_csi import simulate_small_csi
    from dendritemr.study import load_study

    simulate_small_csi(tmp_path / "study", seed=6, every_h=3.0)
    study = tmp_path / "study"
    assert load_study(study).mri == (study / "mri").resolve()  # the simulated 7Li CSI passes
    flash = real_data / "pv51-microimaging-flash-brukerMRI" / "example_dataset"
    text = (study / "study.toml").read_text()
    (study / "study.toml").write_text(text.replace('path = "mri"', f'path = "{flash}"'))
    with pytest.raises(DataError) as err:
        load_study(study)
    assert str(err.value) == f"{flash / '100'}: [mri] data are 1H, not 7Li"
    # a 7Li scan at another field: the simulated scan with its BF1 scaled by 9.4/7.05
    (study / "study.toml").write_text(text)
    acqp = study / "mri" / "1" / "acqp"
    lines = acqp.read_text().splitlines(keepends=True)
    bf1 = next(float(ln.split("=")[1]) for ln in lines if ln.startswith("##$BF1="))
    acqp.write_text(
        "".join(
            f"##$BF1={bf1 * 9.4 / 7.05!r}\n" if ln.startswith("##$BF1=") else ln for ln in lines
        )
    )
    with pytest.raises(DataError, match=r"mri/1: \[mri\] field 9\.39\d\d T differs from the 7Li"):
        load_study(study)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("x6_err = { metal = -1 }", "[reference 1] x6_err.metal must be finite and >= 0, not -1"),
        (
            "amount_umol = { metal = -3.5 }",
            "[reference 1] amount_umol.metal must be finite and >= 0, not -3.5",
        ),
        ('x6 = { metal = "0.0759" }', "[reference 1] x6.metal must be a number, not '0.0759'"),
    ],
)
def test_reference_errors_and_amounts_are_checked(tmp_path, li7_dir, body, message):
    """A negative standard error of a reference's x6 was accepted; a text x6 was named only
    'metal must be a number'."""
    from dendritemr.study import load_study

    (tmp_path / "study.toml").write_text(
        f'[nmr.li7]\npath = "{li7_dir}"\n[[reference]]\nli7 = "{li7_dir / "1"}"\n{body}\n'
    )
    with pytest.raises(DataError) as err:
        load_study(tmp_path)
    assert str(err.value) == f"{tmp_path / 'study.toml'}: {message}"


def test_cell_temperature_in_celsius_and_a_bad_truth_file_are_refused(tmp_path, li7_dir):
    """'temperature_k = 25' (meant as deg C) was taken as 25 K (Korringa T1 12 times too long);
    a [truth] path that is not a results document failed only after the whole analysis."""
    from dendritemr.study import load_study

    head = f'[nmr.li7]\npath = "{li7_dir}"\n'
    toml = tmp_path / "study.toml"
    toml.write_text(head + "[cell]\ntemperature_k = 25\n")
    with pytest.raises(DataError) as err:
        load_study(tmp_path)
    assert str(err.value) == (
        f"{toml}: [cell] temperature_k 25 K is not a cell temperature (kelvin, 150-500 K): "
        "25 deg C is 298.15 K"
    )
    toml.write_text(head + "[cell]\ntemperature_k = 278.15\n")  # the 'cold' preset's 5 deg C
    assert load_study(tmp_path).temperature_k == 278.15
    notes = tmp_path / "truth.txt"
    notes.write_text("not json")
    toml.write_text(head + '[truth]\npath = "truth.txt"\n')
    with pytest.raises(DataError, match=r"truth.txt: \[truth\] not a JSON file"):
        load_study(tmp_path)
    notes.write_text('{"time_h": []}')
    with pytest.raises(DataError, match=r"not a dendritemr results document"):
        load_study(tmp_path)
