"""Short detection on synthetic voltage records with a known short time."""

from __future__ import annotations

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
