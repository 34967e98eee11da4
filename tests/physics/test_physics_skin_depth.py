"""Skin depth of Li metal and visibility of metal slabs and cylinders."""

import math

import numpy as np
import pytest
from scipy.special import iv

from dendritemr.physics import (
    LI_RESISTIVITY_TEMPCO_PER_K,
    cylinder_effective_area,
    cylinder_visibility,
    larmor_mhz,
    li_resistivity,
    semi_infinite_effective_thickness,
    skin_depth_for,
    skin_depth_m,
    skin_depth_ratio,
    slab_effective_thickness,
    slab_visibility,
    visibility_magnitude,
    visibility_phase_deg,
)

# science.md section 3: B0 (T), f 7Li (MHz), delta 7Li (um), f 6Li (MHz), delta 6Li (um)
TABLE = [
    (7.05, 116.66, 14.2, 44.17, 23.1),
    (9.4, 155.54, 12.3, 58.90, 20.0),
    (11.7, 193.60, 11.0, 73.31, 17.9),
    (14.1, 233.32, 10.0, 88.35, 16.3),
    (18.8, 311.09, 8.7, 117.80, 14.1),
    (21.1, 349.15, 8.2, 132.21, 13.3),
]


@pytest.mark.parametrize("b0, f7, d7, f6, d6", TABLE)
def test_science_md_skin_depth_table(b0, f7, d7, f6, d6):
    assert larmor_mhz("7Li", b0) == pytest.approx(f7, abs=0.006)
    assert larmor_mhz("6Li", b0) == pytest.approx(f6, abs=0.006)
    assert skin_depth_for("7Li", b0) * 1e6 == pytest.approx(d7, rel=0.01)
    assert skin_depth_for("6Li", b0) * 1e6 == pytest.approx(d6, rel=0.01)
    assert skin_depth_m(f7 * 1e6) * 1e6 == pytest.approx(d7, rel=0.01)


def test_skin_depth_formula_and_vectorised():
    f = np.array([1e6, 1e8, 4e8])
    expected = np.sqrt(9.28e-8 / (math.pi * f * 4e-7 * math.pi))
    np.testing.assert_allclose(skin_depth_m(f), expected, rtol=1e-6)
    # copper at 100 MHz: 6.5 um (textbook value)
    assert skin_depth_m(1e8, 1.68e-8) == pytest.approx(6.52e-6, rel=0.01)


def test_isotope_skin_depth_ratio_any_field():
    b = np.array([1.0, 7.05, 21.1, 28.2])
    np.testing.assert_allclose(
        skin_depth_for("6Li", b) / skin_depth_for("7Li", b), 1.625, atol=5e-4
    )
    assert skin_depth_ratio("6Li", "7Li") == pytest.approx(
        math.sqrt(10.3977013 / 3.9371709), rel=1e-4
    )


def test_temperature_dependence():
    assert li_resistivity(293.15) == pytest.approx(9.28e-8)
    rho25 = li_resistivity(298.15)
    assert rho25 / 9.28e-8 == pytest.approx(1 + 5 * LI_RESISTIVITY_TEMPCO_PER_K)
    # CRC: 8.55 uOhm cm at 273 K
    assert li_resistivity(273.15) == pytest.approx(8.55e-8, rel=0.005)
    d20 = skin_depth_m(1e8)
    assert skin_depth_m(1e8, temperature_k=293.15) == pytest.approx(d20)
    assert skin_depth_m(1e8, temperature_k=298.15) / d20 == pytest.approx(
        math.sqrt(rho25 / 9.28e-8)
    )
    assert skin_depth_m(1e8, temperature_k=298.15, tempco_per_k=0.0) == pytest.approx(d20)


# ---- visibility -------------------------------------------------------------------------------
DELTA = 14.2e-6


def test_semi_infinite_limit():
    deff = semi_infinite_effective_thickness(DELTA)
    assert abs(deff) == pytest.approx(DELTA / (2 * math.sqrt(2)), rel=1e-12)
    assert visibility_phase_deg(deff) == pytest.approx(-45.0, abs=1e-9)


@pytest.mark.parametrize("faces", [1, 2])
def test_slab_thin_limit(faces):
    d = np.array([1e-4, 1e-3, 1e-2]) * DELTA
    v = slab_visibility(d, DELTA, faces=faces)
    # leading order: v = 1 - i c (d/delta)^2, c = 4/3 (one face, mirror) or 1/3 (two faces)
    c = 4.0 / 3.0 if faces == 1 else 1.0 / 3.0
    np.testing.assert_allclose(v, 1.0 - 1j * c * (d / DELTA) ** 2, atol=1e-8)
    np.testing.assert_allclose(slab_effective_thickness(d, DELTA, faces), d, rtol=2e-4)
    assert slab_visibility(0.0, DELTA, faces) == 1.0
    assert slab_effective_thickness(0.0, DELTA, faces) == 0.0


@pytest.mark.parametrize("faces", [1, 2])
def test_slab_thick_limit(faces):
    for d in (30 * DELTA, 1e-3, 1.0):  # 1 m must not overflow
        deff = slab_effective_thickness(d, DELTA, faces)
        assert visibility_magnitude(deff) == pytest.approx(
            faces * DELTA / (2 * math.sqrt(2)), rel=1e-9
        )
        assert visibility_phase_deg(deff) == pytest.approx(-45.0, abs=1e-6)
        assert abs(slab_visibility(d, DELTA, faces)) == pytest.approx(
            faces * DELTA / (2 * math.sqrt(2)) / d, rel=1e-9
        )


def test_two_faces_thick_is_twice_one_face():
    d = 40 * DELTA
    two = slab_effective_thickness(d, DELTA, faces=2)
    one = slab_effective_thickness(d, DELTA, faces=1)
    assert two == pytest.approx(2 * one, rel=1e-12)


def test_two_face_slab_is_two_half_slabs():
    d = np.linspace(0, 10, 101) * DELTA
    np.testing.assert_allclose(
        slab_effective_thickness(d, DELTA, 2), 2 * slab_effective_thickness(d / 2, DELTA, 1)
    )


@pytest.mark.parametrize("u", [0.3, 1.0, 1.64, 3.0, 6.0])
def test_slab_matches_numerical_integral(u):
    """d_eff = integral of h^2 with h = cosh(k (x - d/2)) / cosh(k d / 2), k = (1 + i)/delta."""
    d = u * DELTA
    k = (1 + 1j) / DELTA
    x = np.linspace(0, d, 20001)
    h2 = (np.cosh(k * (x - d / 2)) / np.cosh(k * d / 2)) ** 2
    assert slab_effective_thickness(d, DELTA, 2) == pytest.approx(np.trapezoid(h2, x), rel=1e-7)


@pytest.mark.parametrize("faces", [1, 2])
def test_slab_visibility_monotone(faces):
    d = np.linspace(0.01, 20, 4000) * DELTA
    mag = np.abs(slab_visibility(d, DELTA, faces))
    assert np.all(np.diff(mag) < 0)
    assert mag[0] <= 1.0 and mag[0] > 0.999


def test_slab_d_eff_overshoot_documented():
    """|d_eff| of a two-face slab peaks at ~1.235 delta near d = 1.64 delta (see docstring)."""
    d = np.linspace(0.5, 4, 3501) * DELTA
    mag = np.abs(slab_effective_thickness(d, DELTA, 2)) / DELTA
    assert mag.max() == pytest.approx(1.235, abs=2e-3)
    assert d[mag.argmax()] / DELTA == pytest.approx(1.64, abs=0.01)


def test_slab_broadcasting_and_errors():
    d = np.array([[1e-6], [1e-5]])
    delta = np.array([10e-6, 20e-6, 30e-6])
    assert slab_visibility(d, delta).shape == (2, 3)
    with pytest.raises(ValueError):
        slab_visibility(1e-6, DELTA, faces=3)
    with pytest.raises(ValueError):
        slab_visibility(-1e-6, DELTA)
    with pytest.raises(ValueError):
        slab_visibility(1e-6, 0.0)


def test_cylinder_limits():
    a = np.array([1e-4, 1e-3]) * DELTA
    np.testing.assert_allclose(cylinder_visibility(a, DELTA), 1.0, atol=1e-6)
    assert cylinder_visibility(0.0, DELTA) == 1.0
    # thick: perimeter x semi-infinite d_eff, relative to the cross-section
    for a in (200 * DELTA, 1e-1):
        v = cylinder_visibility(a, DELTA)
        expected = 2 * math.pi * a * semi_infinite_effective_thickness(DELTA) / (math.pi * a * a)
        assert v == pytest.approx(expected, rel=5 * DELTA / a)
        assert visibility_phase_deg(v) == pytest.approx(-45.0, abs=0.5)


@pytest.mark.parametrize("u", [0.5, 2.0, 5.0])
def test_cylinder_matches_numerical_integral(u):
    a = u * DELTA
    k = (1 + 1j) / DELTA
    r = np.linspace(0, a, 20001)
    h2 = (iv(0, k * r) / iv(0, k * a)) ** 2
    numeric = np.trapezoid(h2 * 2 * np.pi * r, r)
    assert cylinder_effective_area(a, DELTA) == pytest.approx(numeric, rel=1e-7)


def test_cylinder_monotone():
    a = np.linspace(0.01, 30, 3000) * DELTA
    assert np.all(np.diff(np.abs(cylinder_visibility(a, DELTA))) < 0)
    assert np.all(np.diff(np.abs(cylinder_effective_area(a, DELTA))) > 0)


def test_isotope_bias_for_bulk_metal():
    """Bulk metal: 6Li over-weighted by delta6/delta7 = 1.625; sub-delta objects: not."""
    b0 = 21.1
    d6, d7 = skin_depth_for("6Li", b0), skin_depth_for("7Li", b0)
    thick, thin = 1e-3, 0.1e-6
    bulk = abs(slab_visibility(thick, d6)) / abs(slab_visibility(thick, d7))
    assert bulk == pytest.approx(1.625, abs=1e-3)
    small = abs(slab_visibility(thin, d6)) / abs(slab_visibility(thin, d7))
    assert small == pytest.approx(1.0, abs=1e-4)
