"""Charge, amount, mass and thickness of Li (science.md section 3, 'Units')."""

import numpy as np
import pytest

from dendritemr.physics import (
    FARADAY_C_MOL,
    growth_rate_um_per_h,
    li_molar_mass,
    mah_per_cm2_to_um,
    mah_to_ug,
    mah_to_umol,
    uah_to_umol,
    ug_to_umol,
    um_to_mah_per_cm2,
    um_to_umol_per_cm2,
    umol_per_cm2_to_um,
    umol_to_mah,
    umol_to_uah,
    umol_to_ug,
)


def test_faraday():
    assert FARADAY_C_MOL == pytest.approx(96485.33, abs=0.01)


def test_science_md_units():
    assert mah_to_umol(1.0) * 1e-6 == pytest.approx(3.73e-5, abs=5e-8)
    assert mah_to_ug(1.0) * 1e-3 == pytest.approx(0.259, abs=5e-4)
    assert mah_per_cm2_to_um(1.0) == pytest.approx(4.85, abs=5e-3)
    assert growth_rate_um_per_h(0.1) == pytest.approx(0.49, abs=5e-3)
    # density route gives the same thickness: 0.2589 mg / 0.534 g/cm3
    assert mah_per_cm2_to_um(1.0) == pytest.approx(mah_to_ug(1.0) * 1e-6 / 0.534 * 1e4, rel=2e-3)


def test_round_trips_vectorised():
    x = np.array([0.0, 0.1, 1.0, 37.0])
    np.testing.assert_allclose(umol_to_mah(mah_to_umol(x)), x)
    np.testing.assert_allclose(umol_to_uah(uah_to_umol(x)), x)
    np.testing.assert_allclose(ug_to_umol(umol_to_ug(x)), x)
    np.testing.assert_allclose(um_to_umol_per_cm2(umol_per_cm2_to_um(x)), x)
    np.testing.assert_allclose(um_to_mah_per_cm2(mah_per_cm2_to_um(x)), x)
    assert uah_to_umol(1000.0) == pytest.approx(mah_to_umol(1.0))


def test_isotope_molar_mass():
    assert li_molar_mass() == pytest.approx(6.940, abs=1e-3)
    assert li_molar_mass(1.0) == pytest.approx(6.0151)
    assert li_molar_mass(0.0) == pytest.approx(7.0160)
    assert umol_to_ug(1.0, li_molar_mass(0.95)) == pytest.approx(0.95 * 6.0151 + 0.05 * 7.0160)
    with pytest.raises(ValueError):
        li_molar_mass(1.2)
