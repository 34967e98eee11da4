"""Conversions between charge, amount, mass and dense-Li thickness.

One Li atom per electron: ``n = Q / F``. 1 mAh = 3.6 C = 3.73e-5 mol = 37.3 umol = 0.259 mg of
natural Li; 1 mAh/cm2 = 4.85 um of dense Li (13.0 cm3/mol); 0.1 mA/cm2 grows 0.49 um/h.
All functions are vectorised.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.constants import physical_constants

from .constants import (
    LI6_ATOMIC_MASS_G_MOL,
    LI6_NATURAL_FRACTION,
    LI7_ATOMIC_MASS_G_MOL,
    LI_MOLAR_MASS_G_MOL,
    LI_MOLAR_VOLUME_CM3_MOL,
)

__all__ = [
    "FARADAY_C_MOL",
    "COULOMB_PER_MAH",
    "li_molar_mass",
    "mah_to_umol",
    "umol_to_mah",
    "uah_to_umol",
    "umol_to_uah",
    "umol_to_ug",
    "ug_to_umol",
    "mah_to_ug",
    "umol_per_cm2_to_um",
    "um_to_umol_per_cm2",
    "mah_per_cm2_to_um",
    "um_to_mah_per_cm2",
    "growth_rate_um_per_h",
]

FARADAY_C_MOL: float = physical_constants["Faraday constant"][0]
"""Faraday constant, C/mol (CODATA, via scipy.constants)."""

COULOMB_PER_MAH: float = 3.6
"""1 mAh = 1e-3 A * 3600 s = 3.6 C."""


def _f(x: ArrayLike) -> np.ndarray:
    return np.asarray(x, dtype=float)


def li_molar_mass(
    x6: ArrayLike = LI6_NATURAL_FRACTION,
    *,
    m6_g_mol: float = LI6_ATOMIC_MASS_G_MOL,
    m7_g_mol: float = LI7_ATOMIC_MASS_G_MOL,
) -> np.ndarray | float:
    """Molar mass (g/mol) of Li with 6Li atom fraction ``x6``. Natural (0.0759): 6.940."""
    x = _f(x6)
    if np.any((x < 0) | (x > 1)):
        raise ValueError("x6 must lie in [0, 1]")
    return (x * m6_g_mol + (1.0 - x) * m7_g_mol)[()]


def mah_to_umol(mah: ArrayLike) -> np.ndarray | float:
    """Charge (mAh) to amount of Li (umol). 1 mAh -> 37.31 umol."""
    return (_f(mah) * COULOMB_PER_MAH / FARADAY_C_MOL * 1e6)[()]


def umol_to_mah(umol: ArrayLike) -> np.ndarray | float:
    """Amount of Li (umol) to charge (mAh)."""
    return (_f(umol) * 1e-6 * FARADAY_C_MOL / COULOMB_PER_MAH)[()]


def uah_to_umol(uah: ArrayLike) -> np.ndarray | float:
    """Charge (uAh) to amount of Li (umol). 1 uAh -> 0.03731 umol."""
    return mah_to_umol(_f(uah) * 1e-3)


def umol_to_uah(umol: ArrayLike) -> np.ndarray | float:
    """Amount of Li (umol) to charge (uAh)."""
    return (_f(umol_to_mah(umol)) * 1e3)[()]


def umol_to_ug(
    umol: ArrayLike, molar_mass_g_mol: float = LI_MOLAR_MASS_G_MOL
) -> np.ndarray | float:
    """Amount (umol) to mass (ug); pass :func:`li_molar_mass` for enriched Li."""
    return (_f(umol) * molar_mass_g_mol)[()]


def ug_to_umol(ug: ArrayLike, molar_mass_g_mol: float = LI_MOLAR_MASS_G_MOL) -> np.ndarray | float:
    """Mass (ug) to amount (umol)."""
    return (_f(ug) / molar_mass_g_mol)[()]


def mah_to_ug(mah: ArrayLike, molar_mass_g_mol: float = LI_MOLAR_MASS_G_MOL) -> np.ndarray | float:
    """Charge (mAh) to mass of Li (ug). 1 mAh -> 258.9 ug of natural Li."""
    return umol_to_ug(mah_to_umol(mah), molar_mass_g_mol)


def umol_per_cm2_to_um(
    umol_cm2: ArrayLike, molar_volume_cm3_mol: float = LI_MOLAR_VOLUME_CM3_MOL
) -> np.ndarray | float:
    """Areal amount (umol/cm2) to thickness of dense Li (um). The molar volume is nearly the
    same for 6Li and 7Li, so no isotope argument is needed."""
    # umol/cm2 * 1e-6 mol/umol * cm3/mol = cm; * 1e4 um/cm
    return (_f(umol_cm2) * molar_volume_cm3_mol * 1e-2)[()]


def um_to_umol_per_cm2(
    um: ArrayLike, molar_volume_cm3_mol: float = LI_MOLAR_VOLUME_CM3_MOL
) -> np.ndarray | float:
    """Thickness of dense Li (um) to areal amount (umol/cm2)."""
    return (_f(um) / (molar_volume_cm3_mol * 1e-2))[()]


def mah_per_cm2_to_um(
    mah_cm2: ArrayLike, molar_volume_cm3_mol: float = LI_MOLAR_VOLUME_CM3_MOL
) -> np.ndarray | float:
    """Areal capacity (mAh/cm2) to thickness of dense Li (um). 1 mAh/cm2 -> 4.85 um."""
    return umol_per_cm2_to_um(mah_to_umol(mah_cm2), molar_volume_cm3_mol)


def um_to_mah_per_cm2(
    um: ArrayLike, molar_volume_cm3_mol: float = LI_MOLAR_VOLUME_CM3_MOL
) -> np.ndarray | float:
    """Thickness of dense Li (um) to areal capacity (mAh/cm2)."""
    return umol_to_mah(um_to_umol_per_cm2(um, molar_volume_cm3_mol))


def growth_rate_um_per_h(
    current_density_ma_cm2: ArrayLike, molar_volume_cm3_mol: float = LI_MOLAR_VOLUME_CM3_MOL
) -> np.ndarray | float:
    """Growth rate (um/h) of a dense Li layer plated at ``current_density_ma_cm2`` (mA/cm2).
    0.1 mA/cm2 -> 0.49 um/h."""
    return mah_per_cm2_to_um(current_density_ma_cm2, molar_volume_cm3_mol)
