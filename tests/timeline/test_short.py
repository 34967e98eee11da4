"""Short detection on synthetic voltage records with a known short time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dendritemr.timeline.short import detect_short


def _record(seed, t_short, soft=None, step_s=60.0, end_h=30.0):
    rng = np.random.default_rng(seed)
    t = np.arange(0, end_h * 3600, step_s) / 3600.0
    v = 0.35 - 0.004 * t + rng.normal(0, 0.003, t.size)  # slowly thinning electrolyte
    i = np.full(t.size, 0.3)
    if soft is not None:
        a, b = soft
        v[(t >= a) & (t < b)] = 0.002 + rng.normal(0, 3e-4, ((t >= a) & (t < b)).sum())
    if t_short is not None:
        after = t >= t_short
        v[after] = 0.3e-3 * 2.0 + rng.normal(0, 1e-5, after.sum())  # I R_short, R = 2 ohm
    return t, v, i


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_hard_short_within_its_uncertainty(seed):
    rng = np.random.default_rng(seed + 100)
    t_true = float(rng.uniform(10, 25))
    t, v, i = _record(seed, t_true)
    s = detect_short(t, v, i)
    assert s.time_h is not None
    assert abs(s.time_h - t_true) <= 2 * s.time_err_h + 1e-9
    assert s.time_err_h < 0.1  # well inside a 0.5 h acquisition interval
    assert s.resistance_ohm == pytest.approx(2.0, rel=0.05)
    assert s.soft == []


def test_soft_short_recovers_and_is_reported():
    t, v, i = _record(5, None, soft=(8.0, 8.2))
    s = detect_short(t, v, i)
    assert s.time_h is None
    assert len(s.soft) == 1
    assert s.soft[0]["start_h"] == pytest.approx(8.0, abs=1 / 60)
    assert s.soft[0]["end_h"] == pytest.approx(8.2, abs=2 / 60)


def test_soft_then_hard():
    t, v, i = _record(6, 20.0, soft=(8.0, 8.1))
    s = detect_short(t, v, i)
    assert len(s.soft) == 1 and s.time_h == pytest.approx(20.0, abs=2 / 60)


def test_rest_periods_are_not_shorts():
    t, v, i = _record(7, None)
    rest = (t > 5) & (t < 6)
    i[rest], v[rest] = 0.0, 0.0
    s = detect_short(t, v, i)
    assert s.time_h is None and s.soft == []


def test_single_low_sample_is_not_a_soft_short():
    t, v, i = _record(8, None)
    v[np.argmin(np.abs(t - 9.0))] = 0.001  # e.g. the first point of a step from open circuit
    s = detect_short(t, v, i)
    assert s.time_h is None and s.soft == []


def test_partial_polarisation_drop_that_recovers_is_a_soft_short():
    # polarisation 0.35 V falls to 40 % over 12 min at 12 h, stays 2 h, recovers to 90 %
    t, v, i = _record(9, None)
    drop = (t >= 12.0) & (t < 14.0)
    v[drop] = 0.14 + np.random.default_rng(1).normal(0, 0.003, drop.sum())
    v[t >= 14.0] *= 0.9
    s = detect_short(t, v, i)
    assert s.time_h is None
    partial = [x for x in s.soft if x["kind"] == "partial"]
    assert len(partial) == 1
    assert partial[0]["start_h"] == pytest.approx(12.0, abs=1 / 6)
    assert partial[0]["end_h"] == pytest.approx(14.0, abs=1 / 6 + 1e-9)
    assert partial[0]["min_ratio"] == pytest.approx(0.14 / 0.31, abs=0.03)


def test_gradual_fall_and_the_approach_to_a_hard_short_are_not_partial_shorts():
    t, v, i = _record(10, 25.0)
    fall = (t > 15) & (t < 25)
    v[fall] *= np.linspace(1.0, 0.2, fall.sum())  # reduced boundaries conduct: slow fall
    s = detect_short(t, v, i)
    assert s.time_h == pytest.approx(25.0, abs=2 / 60)
    assert [x for x in s.soft if x["kind"] == "partial"] == []


REAL_TXT = (
    Path(__file__).resolve().parents[3]
    / "shared/data/real/li7-insitu-LiLi-TEGDME/LiLiTEGDMEinsitu_02/eChem"
    / "jr862_11_08_23_insitu-impedance-LiLi_1MLiTFSI_TEGDME-1mA_03_GCPL_C05.txt"
)


@pytest.mark.skipif(not REAL_TXT.is_file(), reason="shared real data not present")
def test_tegdme_cell_polarisation_drop_is_flagged():
    """The real Li|TEGDME|Li cell loses ~2/3 of its polarisation from ~24 h and recovers by
    ~28 h (no hard short): one partial soft short there, nothing else."""
    from dendritemr.io.cycler_formats import read_cycler

    ds = read_cycler(REAL_TXT, "eclab-txt")
    t = ds["time_s"].values / 3600.0
    s = detect_short(t, ds["voltage_V"].values, np.full(t.size, 0.4))
    assert s.time_h is None
    partial = [x for x in s.soft if x["kind"] == "partial"]
    assert len(partial) == 1
    assert 23.5 <= partial[0]["start_h"] <= 24.5
    assert 25.5 <= partial[0]["end_h"] <= 28.5
    assert partial[0]["min_ratio"] < 0.45
