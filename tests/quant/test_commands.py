"""CLI commands on synthetic paired 6Li/7Li TopSpin data written by the simulator's writer."""

import datetime as dt
import json

import numpy as np
import pytest
from click.testing import CliRunner

from dendritemr.physics import (
    korringa_t1,
    larmor_mhz,
    saturation_factor,
    signal_per_nucleus,
    skin_depth_for,
)
from dendritemr.quant.commands import isotopes, quantify
from dendritemr.sim.topspin_writer import Acquisition, add_group_delay, write_experiment

FIELD = 7.05
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
K_TRUE = 0.7
LINES = {"electrode": (248.0, 7.0), "microstructure": (268.0, 9.0), "electrolyte": (0.0, 4.0)}


def _write(folder, nucleus, areas, field=FIELD, noise=2e-6, seed=0):
    """One experiment: Lorentzians of given areas (intensity x ppm), fixed scale."""
    bf1 = float(larmor_mhz(nucleus, field))
    acq = Acquisition(nucleus, bf1, 800.0 * bf1, 8192, o1_hz=130.0 * bf1, ns=16, d1_s=1.0)
    n = acq.td // 2
    t = np.arange(n) / acq.sw_hz
    fid = np.zeros(n, complex)
    for name, (centre, fwhm) in LINES.items():
        off = centre * 1e-6 * bf1 * 1e6 - acq.o1_hz
        first = 2.0 * areas[name] * bf1 / acq.sw_hz
        fid += first * np.exp(2j * np.pi * off * t - np.pi * fwhm * bf1 * t)
    rng = np.random.default_rng(seed)
    fid += noise * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
    write_experiment(folder / "1", add_group_delay(fid, acq.grpdly), acq, START, 1e10)
    return folder / "1"


def _tr(nucleus, field=FIELD):
    """TR = D1 + AQ of the experiments written by :func:`_write` (AQ differs per isotope)."""
    return 1.0 + 4096 / (800.0 * float(larmor_mhz(nucleus, field)))


def _signal_ratio(morph):
    """6Li over 7Li signal per atom, written out from the physics (science.md section 3):
    receptivity, Ernst saturation at the Korringa T1 for metal (electrolyte relaxed), and for
    bulk metal the skin-depth ratio."""
    ratio = signal_per_nucleus("6Li") / signal_per_nucleus("7Li")
    if morph != "none":
        s6 = saturation_factor(_tr("6Li"), korringa_t1("6Li", 298.15), 90.0)
        s7 = saturation_factor(_tr("7Li"), korringa_t1("7Li", 298.15), 90.0)
        ratio *= s6 / s7
    if morph == "bulk":
        ratio *= skin_depth_for("6Li", FIELD) / skin_depth_for("7Li", FIELD)
    return float(ratio)


def _areas(x6):
    """Areas of both isotopes for metal of 6Li fraction ``x6`` (electrolyte natural)."""
    out6, out7 = {}, {}
    for name, morph in (
        ("electrode", "bulk"),
        ("microstructure", "micro"),
        ("electrolyte", "none"),
    ):
        ratio = _signal_ratio(morph)
        x = 0.0759 if name == "electrolyte" else x6
        out7[name] = 1.0 * (1 - x)
        out6[name] = 1.0 * x * ratio * K_TRUE
    return out6, out7


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    root = tmp_path_factory.mktemp("iso")
    s6, s7 = _areas(0.9)
    r6, r7 = _areas(0.0759)
    return {
        "li6": _write(root / "s6", "6Li", s6, seed=1),
        "li7": _write(root / "s7", "7Li", s7, seed=2),
        "ref6": _write(root / "r6", "6Li", r6, noise=1e-6, seed=3),
        "ref7": _write(root / "r7", "7Li", r7, seed=4),
        "root": root,
    }


def _run(cmd, args):
    return CliRunner().invoke(cmd, [str(a) for a in args])


def test_isotopes_recovers_x6(pair):
    res = _run(
        isotopes,
        [
            "--li6",
            pair["li6"],
            "--li7",
            pair["li7"],
            "--reference-li6",
            pair["ref6"],
            "--reference-li7",
            pair["ref7"],
            "--reference-x6",
            0.0759,
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert abs(doc["k"] - K_TRUE) < 2 * doc["k_rel_err"] * doc["k"]
    assert 0.03 < doc["k_rel_err"] < 0.15  # 6Li reference line, correlated noise included
    for name, expected in (("electrode", 0.9), ("microstructure", 0.9), ("electrolyte", 0.0759)):
        x, e = doc["x6"][name]["value"][0], doc["x6"][name]["err"][0]
        assert e > 0
        assert abs(x - expected) < 2.5 * e, (name, x, e)


def test_line_area_errors_match_scatter(tmp_path):
    """Monte Carlo through writer, reader and the joint fit: 6Li areas are unbiased and their
    reported errors match their scatter (free line shapes included)."""
    from dendritemr.quant.decompose import decompose
    from dendritemr.quant.run import fit_spectra

    s6, _ = _areas(0.9)
    vals = {name: [] for name in LINES}
    errs = {name: [] for name in LINES}
    n = 16
    for seed in range(n):
        path = _write(tmp_path / str(seed), "6Li", s6, seed=100 + seed)
        ds = decompose(
            [fit_spectra(path)], n_micro=1, broad=False, electrode_ppm=248.0, electrolyte=True
        )
        for name in LINES:
            a = ds["group_area"].sel(group=name).isel(nucleus=0, time=0)
            e = ds["group_area_err"].sel(group=name).isel(nucleus=0, time=0)
            vals[name].append(float(a) / (1e10 * s6[name]))
            errs[name].append(float(e) / (1e10 * s6[name]))
    for name in LINES:
        v, e = np.array(vals[name]), np.mean(errs[name])
        assert abs(v.mean() - 1.0) < 3 * e / np.sqrt(n) + 0.01, name
        assert 0.6 < v.std(ddof=1) / e < 1.5, (name, v.std(ddof=1), e)


def test_isotopes_bad_input(pair, tmp_path):
    base = ["--li6", pair["li6"], "--li7", pair["li7"]]
    res = _run(isotopes, base)  # no reference, no K
    assert res.exit_code == 2 and "missing reference" in res.output
    res = _run(isotopes, [*base, "--reference-li6", pair["ref6"], "--reference-x6", 0.07])
    assert res.exit_code == 2 and "missing reference" in res.output
    res = _run(isotopes, ["--li6", pair["li7"], "--li7", pair["li7"], "--k", 1.0])
    assert res.exit_code == 2 and "not 6Li" in res.output
    s6, _ = _areas(0.9)
    other = _write(tmp_path / "f", "6Li", s6, field=9.4, seed=5)
    res = _run(isotopes, ["--li6", other, "--li7", pair["li7"], "--k", 1.0])
    assert res.exit_code == 2 and "field" in res.output
    zero = _write(tmp_path / "z", "6Li", dict.fromkeys(LINES, 0.0), noise=0.0)
    res = _run(isotopes, ["--li6", zero, "--li7", pair["li7"], "--k", 1.0])
    assert res.exit_code == 2 and "SNR" in res.output
    for r in (res,):
        assert len(r.output.strip().splitlines()) == 1


def test_quantify_json_and_bad_calibration(pair):
    res = _run(quantify, [pair["li7"], "--calibration", "electrode=0.5", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert set(doc["umol"]["microstructure"]) >= {"value", "err", "stat_err"}
    assert doc["calibration"]["time_index"] == 0
    assert doc["atoms_from"].startswith("7Li area, x6 assumed")
    res = _run(quantify, [pair["li7"], "--calibration", "bogus"])
    assert res.exit_code == 2


def test_cli_deposit_default_is_the_decomposition_default():
    from dendritemr.quant.commands import DEPOSIT_DEFAULT
    from dendritemr.quant.decompose import DEPOSIT

    assert DEPOSIT_DEFAULT == (DEPOSIT if isinstance(DEPOSIT, str) else "yes" if DEPOSIT else "no")


def test_quantify_of_a_6li_series_names_its_path_argument(pair):
    """The 7Li series is quantify's PATH argument (it has no --li7 option): the error on 6Li data
    names the path and says what it holds (it said '--li7 data are 6Li')."""
    res = _run(quantify, [pair["li6"], "--calibration", "electrode=1.0"])
    assert res.exit_code != 0
    assert "--li7" not in res.output
    assert f"{pair['li6']}: holds 6Li data, not the 7Li series quantify reads" in res.output


def test_cli_dendritic_and_skin_phase_options(pair):
    from dendritemr.quant.decompose import DENDRITIC, SKIN_PHASE_MODE

    defaults = {p.name: p.default for p in quantify.params}
    assert defaults["dendritic"] == DENDRITIC
    assert defaults["skin_phase"] == SKIN_PHASE_MODE
    res = _run(
        quantify,
        [pair["li7"], "--li6", pair["li6"], "--dendritic", "comb", "--skin-phase", "series"],
    )
    assert res.exit_code != 0
    assert "needs a held skin phase" in res.output
    assert res.output.count("\n") == 1  # one line


def test_cli_baseline_drift_default_and_json(pair):
    """--baseline-drift: the CLI, analyse_pair and decompose share one default; a single
    spectrum has no series to smooth over, so 'auto' reports free (local) baselines."""
    import inspect

    from dendritemr.quant.decompose import BASELINE_DRIFT
    from dendritemr.quant.run import analyse_pair

    defaults = {p.name: p.default for p in quantify.params}
    assert defaults["baseline_drift"] == BASELINE_DRIFT
    assert inspect.signature(analyse_pair).parameters["baseline_drift"].default == BASELINE_DRIFT
    res = _run(quantify, [pair["li7"], "--baseline-drift", "auto", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["model"]["baseline_drift"] == "local"
