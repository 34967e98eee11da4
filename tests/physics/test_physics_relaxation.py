"""Korringa relaxation and saturation corrections."""

import numpy as np
import pytest

from dendritemr.physics import (
    ernst_angle_deg,
    korringa_t1,
    korringa_t1t,
    min_tr_for_full_relaxation,
    saturation_factor,
)


def test_korringa_values():
    assert korringa_t1t("7Li") == pytest.approx(44.0)
    assert korringa_t1t("6Li") == pytest.approx(307.0, abs=0.5)
    assert korringa_t1t("6Li") == pytest.approx(44.0 * (10.3977013 / 3.9371709) ** 2, rel=1e-9)
    assert korringa_t1("7Li", 298.0) == pytest.approx(0.148, abs=5e-4)
    assert korringa_t1("6Li", 298.0) == pytest.approx(1.03, abs=5e-3)
    t = np.array([200.0, 298.0, 400.0])
    np.testing.assert_allclose(korringa_t1("7Li", t) * t, 44.0)
    # user-supplied T1 T
    assert korringa_t1("7Li", 300.0, t1t_ref_s_k=42.0) == pytest.approx(0.14)
    assert korringa_t1t("7Li", t1t_ref_s_k=300.0, reference="6Li") == pytest.approx(
        300.0 / 6.9743, rel=1e-3
    )


def test_korringa_errors():
    with pytest.raises(ValueError):
        korringa_t1t("23Na")
    with pytest.raises(ValueError):
        korringa_t1("7Li", 0.0)


def test_saturation_factor():
    t1 = 0.148
    tr = np.array([0.0, t1, 5 * t1, np.inf])
    np.testing.assert_allclose(saturation_factor(tr, t1), 1 - np.exp(-tr / t1))
    assert saturation_factor(5 * t1, t1) == pytest.approx(0.99326, abs=1e-5)
    # small flip, full relaxation: sin(alpha)
    assert saturation_factor(np.inf, t1, 30.0) == pytest.approx(0.5)
    # Ernst formula at an arbitrary point
    e1 = np.exp(-0.5)
    a = np.radians(40.0)
    assert saturation_factor(0.5, 1.0, 40.0) == pytest.approx(
        np.sin(a) * (1 - e1) / (1 - np.cos(a) * e1)
    )
    with pytest.raises(ValueError):
        saturation_factor(1.0, 0.0)


def test_ernst_angle_maximises_signal():
    tr, t1 = 0.05, 1.03
    best = ernst_angle_deg(tr, t1)
    assert best == pytest.approx(np.degrees(np.arccos(np.exp(-tr / t1))))
    flips = np.linspace(1, 90, 8901)
    s = saturation_factor(tr, t1, flips)
    assert flips[np.argmax(s)] == pytest.approx(best, abs=0.02)
    assert ernst_angle_deg(np.inf, 1.0) == pytest.approx(90.0)
    assert min_tr_for_full_relaxation(1.03) == pytest.approx(5.15)
