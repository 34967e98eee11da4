"""Literature values for lithium metal, each with its unit, source and reliability tag.

Every number here is a *default*: functions take it as a keyword argument, so a user can
override it. The single table :data:`CONSTANTS` holds value, unit, source and tag
(``checked`` / ``derived`` / ``lit`` / ``default``, as in ``docs/science.md``); the
module-level names below are the plain floats used as function defaults.

Nuclear constants (gamma, Xi, spin, ...) live in :mod:`dendritemr.physics.nuclei`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Constant",
    "CONSTANTS",
    "LI_RESISTIVITY_20C_OHM_M",
    "LI_RESISTIVITY_TEMPCO_PER_K",
    "LI_RESISTIVITY_REFERENCE_K",
    "LI_DENSITY_G_CM3",
    "LI_MOLAR_MASS_G_MOL",
    "LI6_ATOMIC_MASS_G_MOL",
    "LI7_ATOMIC_MASS_G_MOL",
    "LI_MOLAR_VOLUME_CM3_MOL",
    "LI7_KORRINGA_T1T_S_K",
    "LI_CHI_V_SI",
    "LI_KNIGHT_SHIFT_PPM",
    "LLZO_SHIFT_PPM",
    "LI6_NATURAL_FRACTION",
]


@dataclass(frozen=True)
class Constant:
    """A literature value with provenance.

    Parameters
    ----------
    value : the number, in ``unit``.
    unit : SI or conventional unit string.
    source : where it comes from (paper, handbook, or the formula it is derived by).
    tag : ``"checked"``, ``"derived"``, ``"lit"`` or ``"default"`` (see ``docs/science.md``).
    """

    value: float
    unit: str
    source: str
    tag: str = "lit"


CONSTANTS: dict[str, Constant] = {
    "li_resistivity_20c": Constant(
        9.28e-8,
        "ohm m",
        "CRC Handbook, electrical resistivity of pure metals: Li 9.28 uOhm cm at 293 K",
        "lit",
    ),
    "li_resistivity_tempco": Constant(
        3.9e-3,
        "1/K",
        "CRC Handbook: Li 8.55 uOhm cm (273 K) and 9.28 uOhm cm (293 K) -> "
        "(9.28 - 8.55) / (20 K * 9.28) = 3.9e-3 /K, relative to the 20 C value "
        "(+2.0 % resistivity, +1.0 % skin depth at 25 C)",
        "derived",
    ),
    "li_resistivity_reference_temperature": Constant(
        293.15, "K", "temperature of the tabulated resistivity (20 C)", "checked"
    ),
    "li_density": Constant(0.534, "g/cm3", "CRC Handbook, Li metal at 20 C", "lit"),
    "li_molar_mass": Constant(
        6.94, "g/mol", "IUPAC standard atomic weight of Li (conventional value 6.94)", "checked"
    ),
    "li6_atomic_mass": Constant(6.0151, "g/mol", "AME atomic mass of 6Li, 6.0151223 u", "checked"),
    "li7_atomic_mass": Constant(7.0160, "g/mol", "AME atomic mass of 7Li, 7.0160034 u", "checked"),
    "li_molar_volume": Constant(
        13.0, "cm3/mol", "molar mass / density = 6.94 / 0.534 = 13.0", "derived"
    ),
    "li7_korringa_t1t": Constant(
        44.0,
        "s K",
        "Anderson & Redfield, Phys. Rev. 116, 583 (1959): 7Li T1 T = 44 +- 2 s K",
        "lit",
    ),
    "li_chi_v": Constant(
        13.7e-6,
        "1 (SI volume susceptibility)",
        "CRC Handbook chi_mol = +14.2e-6 cm3/mol (CGS) -> 4 pi chi_mol / V_m = 13.7e-6 SI",
        "derived",
    ),
    "li_knight_shift": Constant(
        260.0,
        "ppm",
        "Li metal isotropic Knight shift, same ppm for 6Li and 7Li; 245-275 ppm in cells "
        "(Bhattacharyya et al., Nat. Mater. 9, 504 (2010))",
        "lit",
    ),
    "llzo_shift": Constant(
        1.5, "ppm", "cubic Li7La3Zr2O12, one motionally averaged line at room temperature", "lit"
    ),
    "li6_natural_fraction": Constant(
        0.0759,
        "1 (atom fraction)",
        "IUPAC 2001 (Harris et al.): 6Li natural abundance 7.59 %; commercial Li is often "
        "depleted: override it",
        "checked",
    ),
}

LI_RESISTIVITY_20C_OHM_M: float = CONSTANTS["li_resistivity_20c"].value
LI_RESISTIVITY_TEMPCO_PER_K: float = CONSTANTS["li_resistivity_tempco"].value
LI_RESISTIVITY_REFERENCE_K: float = CONSTANTS["li_resistivity_reference_temperature"].value
LI_DENSITY_G_CM3: float = CONSTANTS["li_density"].value
LI_MOLAR_MASS_G_MOL: float = CONSTANTS["li_molar_mass"].value
LI6_ATOMIC_MASS_G_MOL: float = CONSTANTS["li6_atomic_mass"].value
LI7_ATOMIC_MASS_G_MOL: float = CONSTANTS["li7_atomic_mass"].value
LI_MOLAR_VOLUME_CM3_MOL: float = CONSTANTS["li_molar_volume"].value
LI7_KORRINGA_T1T_S_K: float = CONSTANTS["li7_korringa_t1t"].value
LI_CHI_V_SI: float = CONSTANTS["li_chi_v"].value
LI_KNIGHT_SHIFT_PPM: float = CONSTANTS["li_knight_shift"].value
LLZO_SHIFT_PPM: float = CONSTANTS["llzo_shift"].value
LI6_NATURAL_FRACTION: float = CONSTANTS["li6_natural_fraction"].value
