"""Every default has provenance; citations are registered by the functions that use them."""

import math

import pytest

from dendritemr import physics
from dendritemr.physics import CONSTANTS, REFERENCES, cited, register, reset


def test_constants_have_sources_and_match_module_names():
    for key, c in CONSTANTS.items():
        assert c.source and c.unit, key
        assert c.tag in {"checked", "derived", "lit", "default"}, key
    assert physics.LI_RESISTIVITY_20C_OHM_M == 9.28e-8
    assert physics.LI_DENSITY_G_CM3 == 0.534
    assert physics.LI_MOLAR_MASS_G_MOL == 6.94
    assert physics.LI_MOLAR_VOLUME_CM3_MOL == 13.0
    assert physics.LI7_KORRINGA_T1T_S_K == 44.0
    assert physics.LI_CHI_V_SI == 13.7e-6
    assert physics.LI_KNIGHT_SHIFT_PPM == 260.0
    assert physics.LLZO_SHIFT_PPM == 1.5
    assert physics.LI6_NATURAL_FRACTION == 0.0759


def test_derived_constants_are_consistent():
    m, rho = CONSTANTS["li_molar_mass"].value, CONSTANTS["li_density"].value
    assert CONSTANTS["li_molar_volume"].value == pytest.approx(m / rho, abs=0.01)
    # chi_v from the CGS molar susceptibility 14.2e-6 cm3/mol
    assert CONSTANTS["li_chi_v"].value == pytest.approx(4 * math.pi * 14.2e-6 / 13.0, rel=3e-3)
    x6 = CONSTANTS["li6_natural_fraction"].value
    mass = x6 * CONSTANTS["li6_atomic_mass"].value + (1 - x6) * CONSTANTS["li7_atomic_mass"].value
    assert mass == pytest.approx(m, abs=2e-3)


def test_citation_registry():
    reset()
    assert cited() == []
    physics.korringa_t1("7Li", 298.0)
    physics.skin_depth_for("7Li", 7.05)
    keys = [c.key for c in cited()]
    assert "anderson1959" in keys and "harris2001" in keys and "landau_emcm" in keys
    register("anderson1959")  # idempotent
    assert [c.key for c in cited()].count("anderson1959") == 1
    with pytest.raises(KeyError):
        register("nobody2099")
    assert all(str(c) for c in REFERENCES.values())
    reset()


def test_public_names_exported():
    for name in physics.__all__:
        assert hasattr(physics, name), name
