"""Demagnetising factors and BMS shifts (science.md section 3, 'Shifts')."""

import numpy as np
import pytest

from dendritemr.physics import (
    bms_shift_ppm,
    demag_factor_along_b0,
    ellipsoid_demag_factors,
    needle_bms_shift_ppm,
    plate_bms_shift_ppm,
    spheroid_bms_shift_ppm,
    spheroid_demag_factors,
)


def test_bms_table_from_science_md():
    assert bms_shift_ppm(1 / 3) == pytest.approx(0.0, abs=1e-12)  # sphere
    assert plate_bms_shift_ppm(face_parallel_to_b0=False) == pytest.approx(-9.2, abs=0.1)
    assert plate_bms_shift_ppm(face_parallel_to_b0=True) == pytest.approx(4.6, abs=0.05)
    assert needle_bms_shift_ppm(parallel_to_b0=True) == pytest.approx(4.6, abs=0.05)
    assert needle_bms_shift_ppm(parallel_to_b0=False) == pytest.approx(-2.3, abs=0.05)
    # exact values for chi_v = 13.7e-6
    assert plate_bms_shift_ppm() == pytest.approx(-2 / 3 * 13.7, rel=1e-12)
    assert needle_bms_shift_ppm(False) == pytest.approx(-13.7 / 6, rel=1e-12)


def test_bms_from_spheroids_matches_limits():
    assert spheroid_bms_shift_ppm(1.0, 0.0) == pytest.approx(0.0, abs=1e-9)
    assert spheroid_bms_shift_ppm(np.inf, 0.0) == pytest.approx(needle_bms_shift_ppm(True))
    assert spheroid_bms_shift_ppm(np.inf, 90.0) == pytest.approx(needle_bms_shift_ppm(False))
    assert spheroid_bms_shift_ppm(0.0, 0.0) == pytest.approx(plate_bms_shift_ppm(False))
    assert spheroid_bms_shift_ppm(0.0, 90.0) == pytest.approx(plate_bms_shift_ppm(True))
    # magic angle: any spheroid behaves like a sphere
    magic = np.degrees(np.arccos(1 / np.sqrt(3)))
    np.testing.assert_allclose(spheroid_bms_shift_ppm([0.01, 0.3, 5, 100], magic), 0, atol=1e-9)
    assert bms_shift_ppm(1.0, chi_v=-9.0e-6) == pytest.approx(6.0)


def test_spheroid_closed_forms():
    dz, dx = spheroid_demag_factors([0.0, 1.0, np.inf])
    np.testing.assert_allclose(dz, [1.0, 1 / 3, 0.0], atol=1e-12)
    np.testing.assert_allclose(dx, [0.0, 1 / 3, 0.5], atol=1e-12)
    # textbook values (Osborn 1945): prolate m = 2 -> 0.1736, oblate m = 0.5 -> 0.5272
    assert spheroid_demag_factors(2.0)[0] == pytest.approx(0.17356, abs=1e-5)
    assert spheroid_demag_factors(0.5)[0] == pytest.approx(0.52720, abs=1e-5)
    # long needle: D ~ (ln(2m) - 1) / m^2
    m = 1e4
    assert spheroid_demag_factors(m)[0] == pytest.approx((np.log(2 * m) - 1) / m**2, rel=1e-3)
    # thin plate: D ~ 1 - pi m / 2
    assert spheroid_demag_factors(1e-5)[0] == pytest.approx(1 - np.pi / 2 * 1e-5, abs=1e-9)


def test_spheroid_agrees_with_general_ellipsoid():
    m = np.array([0.01, 0.2, 0.9, 0.99999, 1.0, 1.00001, 1.5, 3.0, 50.0])
    dz, dx = spheroid_demag_factors(m)
    da, db, dc = ellipsoid_demag_factors(1.0, 1.0, m)
    np.testing.assert_allclose(dc, dz, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(da, dx, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(db, dx, rtol=1e-9, atol=1e-12)


def test_general_ellipsoid_sum_and_scale_invariance():
    a, b, c = ellipsoid_demag_factors([1.0, 2.0], [3.0, 0.5], [0.2, 7.0])
    np.testing.assert_allclose(a + b + c, 1.0, rtol=1e-12)
    one = ellipsoid_demag_factors(1e-6, 2e-6, 5e-6)
    two = ellipsoid_demag_factors(1.0, 2.0, 5.0)
    np.testing.assert_allclose(one, two, rtol=1e-12)
    assert one[0] > one[1] > one[2]  # shortest axis has the largest factor
    with pytest.raises(ValueError):
        ellipsoid_demag_factors(1.0, 0.0, 1.0)


def test_demag_along_b0_interpolates():
    d = demag_factor_along_b0(np.inf, [0.0, 45.0, 90.0])
    np.testing.assert_allclose(d, [0.0, 0.25, 0.5], atol=1e-12)
    with pytest.raises(ValueError):
        spheroid_demag_factors(-1.0)
