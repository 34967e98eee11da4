"""Cramer-Rao bounds, delta method and the 6Li atom fraction."""

import numpy as np
import pytest

from dendritemr.fit import (
    Component,
    Param,
    SeriesModel,
    crlb_covariance,
    crlb_of_function,
    series_crlb,
    x6_from_areas,
)
from dendritemr.fit import lineshapes as ls
from dendritemr.fit.crlb import WEIGHT6


def test_weight6_from_gamma():
    assert WEIGHT6 == pytest.approx(0.0290, abs=5e-5)


def test_series_crlb_matches_dense_fisher():
    """Block-arrow bound equals the dense inverse Fisher matrix of one spectrum."""
    x = np.linspace(-20, 20, 201)
    sigma = 0.01
    d = ls.partials("lorentzian", x, 2.0, 1.0, 3.0, phase=0.2)
    jac = np.column_stack([d["amplitude"], d["center"], d["width"], d["phase"]])
    dense = np.sqrt(np.diag(crlb_covariance(jac, sigma)))
    m = SeriesModel((Component("l", phase=Param(0.2, "free")),), baseline="none")
    truth = {"area": [[2.0]], "center": [[1.0]], "width": [[3.0]], "phase": [[0.2]]}
    got = series_crlb(m, x, truth, sigma)
    np.testing.assert_allclose(
        [got["area"][0, 0], got["center"][0, 0], got["width"][0, 0], got["phase"][0, 0]],
        dense,
        rtol=1e-9,
    )


def test_crlb_of_function_linear_and_delta():
    cov = np.array([[4.0, 1.0], [1.0, 9.0]])
    assert crlb_of_function([1.0, 1.0], cov) == pytest.approx(15.0)
    assert crlb_of_function(np.ones((3, 2)), np.broadcast_to(cov, (3, 2, 2))).shape == (3,)


def test_x6_value_and_error_propagation():
    k, x6_true, a7 = 3.0, 0.3, 10.0
    a6 = k * WEIGHT6 * x6_true / (1 - x6_true) * a7
    x6, err = x6_from_areas(a6, a7, k, a6_err=0.05 * a6, a7_err=0.02 * a7, k_err=0.03 * k)
    assert x6 == pytest.approx(x6_true, rel=1e-12)
    # delta method against numerical derivatives
    h = 1e-7

    def f(p):
        return x6_from_areas(p[0], p[1], p[2])[0]

    p0 = np.array([a6, a7, k])
    grad = [(f(p0 + h * e * p0) - f(p0 - h * e * p0)) / (2 * h * p0 @ e) for e in np.eye(3)]
    cov = np.diag([(0.05 * a6) ** 2, (0.02 * a7) ** 2, (0.03 * k) ** 2])
    assert err == pytest.approx(np.sqrt(crlb_of_function(grad, cov)), rel=1e-6)
    # a calibration error adds in quadrature
    _, no_k = x6_from_areas(a6, a7, k, a6_err=0.05 * a6, a7_err=0.02 * a7)
    assert err**2 == pytest.approx(no_k**2 + (x6 * (1 - x6) * 0.03) ** 2, rel=1e-12)


def test_x6_covariance_and_an_area_about_zero():
    # delta method with a 6Li/7Li covariance against numerical derivatives, also where the 7Li
    # area of 6Li-enriched metal has scattered below zero (x6 just above 1, with its error)
    k = 2.0
    for a6, a7 in ((5.0, 3.0), (5.0, -0.02)):
        cov = np.array([[0.04, 0.01], [0.01, 0.09]])
        x6, err = x6_from_areas(a6, a7, k, a6_err=0.2, a7_err=0.3, cov=0.01)
        h = 1e-7

        def f(p):
            return x6_from_areas(p[0], p[1], k)[0]

        p0 = np.array([a6, a7])
        grad = np.array([(f(p0 + h * e) - f(p0 - h * e)) / (2 * h) for e in np.eye(2)])
        assert err == pytest.approx(np.sqrt(grad @ cov @ grad), rel=1e-6)
        n6, n7 = a6 / (k * WEIGHT6), a7
        assert x6 == pytest.approx(n6 / (n6 + n7), rel=1e-12)
    assert x6 > 1.0
