"""Lineshapes: exact areas, widths, dispersion partners and analytic derivatives."""

import numpy as np
import pytest
from scipy.special import wofz

from dendritemr.fit import lineshapes as ls

SHAPES = sorted(ls.SHAPES)
PARAMS = {"amplitude": 2.5, "center": 1.0, "width": 3.0, "eta": 0.3}


@pytest.mark.parametrize("shape", SHAPES)
def test_height_and_half_width(shape):
    peak = ls.evaluate(shape, 1.0, **{**PARAMS, "center": 1.0})
    half = ls.evaluate(shape, 1.0 + 1.5, **PARAMS)
    assert half == pytest.approx(peak / 2, rel=1e-12)


def test_gaussian_area_exact():
    x = np.linspace(-60, 60, 240_001)
    assert np.trapezoid(ls.gaussian(x, 2.5, 1.0, 3.0), x) == pytest.approx(2.5, rel=1e-12)


@pytest.mark.parametrize("shape", ["lorentzian", "pseudo_voigt"])
def test_lorentzian_area_exact_against_arctan(shape):
    """Numerical integral equals the analytic truncated integral (tails included)."""
    x = np.linspace(-500, 500, 2_000_001)
    a, c, w, eta = 2.5, 1.0, 3.0, 0.3
    tail = (np.arctan(2 * (x[-1] - c) / w) - np.arctan(2 * (x[0] - c) / w)) / np.pi
    expected = a * tail if shape == "lorentzian" else a * (eta * tail + (1 - eta))
    got = np.trapezoid(ls.evaluate(shape, x, a, c, w, eta), x)
    assert got == pytest.approx(expected, rel=1e-8)


def test_gaussian_dispersion_is_faddeeva():
    x = np.linspace(-10, 10, 41)
    a = 2 * np.sqrt(np.log(2)) / 3.0
    expected = a / np.sqrt(np.pi) * wofz(a * (x - 1.0))
    got = ls.gaussian(x, 1.0, 1.0, 3.0, part="complex")
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_lorentzian_complex_and_phase():
    x = np.linspace(-10, 10, 21)
    g = 1.5
    expected = 1 / (np.pi * (g - 1j * (x - 1.0)))
    np.testing.assert_allclose(ls.lorentzian(x, 1.0, 1.0, 3.0, part="complex"), expected)
    phi = np.pi / 4
    mixed = ls.lorentzian(x, 2.0, 1.0, 3.0, phi)
    np.testing.assert_allclose(
        mixed, 2.0 * (np.cos(phi) * expected.real - np.sin(phi) * expected.imag)
    )


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("phase", [0.0, 0.7])
@pytest.mark.parametrize("width", [3.0, -3.0])
def test_partials_match_finite_differences(shape, phase, width):
    x = np.linspace(-12, 14, 53)
    p = {**PARAMS, "width": width, "phase": phase}
    d = ls.partials(shape, x, **p)
    np.testing.assert_allclose(d["value"], ls.evaluate(shape, x, **p))
    for name in ("amplitude", "center", "width", "eta", "phase"):
        h = 1e-6
        up, dn = dict(p), dict(p)
        up[name] += h
        dn[name] -= h
        fd = (ls.evaluate(shape, x, **up) - ls.evaluate(shape, x, **dn)) / (2 * h)
        np.testing.assert_allclose(d[name], fd, atol=1e-8, err_msg=name)


def test_broadcasting_and_guards():
    x = np.linspace(-5, 5, 11)
    out = ls.lorentzian(x[None, :], np.array([[1.0], [2.0]]), 0.0, 1.0)
    assert out.shape == (2, 11)
    np.testing.assert_allclose(out[1], 2 * out[0])
    assert np.all(np.isfinite(ls.gaussian(x, 1.0, 0.0, 0.0)))
    np.testing.assert_allclose(ls.gaussian(x, 1.0, 0.0, -2.0), ls.gaussian(x, 1.0, 0.0, 2.0))
    with pytest.raises(ValueError, match="unknown lineshape"):
        ls.evaluate("voigt", x)
    with pytest.raises(ValueError, match="part"):
        ls.lorentzian(x, part="imag")


def test_lorentz_terms_are_z_and_z_squared_in_place():
    """(Re z, Im z, Re z^2, Im z^2 / 2) with z = 1 / (g - i u), also written in place over u."""
    u = np.linspace(-7.0, 9.0, 33)[None, :] * np.array([[1.0], [0.5]])
    g = np.array([[1.5], [0.2]])
    z = 1.0 / (g - 1j * u)
    want = (z.real, z.imag, (z * z).real, (z * z).imag / 2)
    out = tuple(np.empty(u.shape) for _ in range(4))
    work = (u.copy(), np.empty(u.shape))
    in_place = ls.lorentz_terms(work[0], g, out=out, work=work)
    assert all(a is b for a, b in zip(in_place, out, strict=True))
    for got in (ls.lorentz_terms(u, g), in_place):
        for a, b in zip(got, want, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(ls.lorentz_terms(u, g, squares=False), in_place[:2])
