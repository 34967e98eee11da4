"""NMR nuclei: spin, magnetogyric ratio, IUPAC frequency ratio, abundance, quadrupole moment.

All values are from the IUPAC 2001 recommendations (Harris et al., Pure Appl. Chem. 73,
1795 (2001), Table 1).

Two ways to turn a field into a frequency
-----------------------------------------
* ``reference="xi"`` (default): the frequency of the nucleus' IUPAC 0-ppm reference
  compound (e.g. 1 M LiCl in D2O for 7Li), ``f = Xi/100 * gamma(1H)/2pi * B0``. This is what a
  spectrometer calls 0 ppm and what ``docs/science.md`` tabulates (7Li: 16.5472 MHz/T,
  6Li: 6.2657 MHz/T).
* ``reference="gamma"``: the bare-nucleus Larmor frequency ``gamma/2pi * B0`` from the tabulated
  magnetogyric ratio (7Li: 16.5485 MHz/T). It differs from the Xi value by the shielding of
  the reference compounds (~1e-4 relative).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from .citations import register

__all__ = [
    "Nucleus",
    "NUCLEI",
    "get_nucleus",
    "larmor_mhz",
    "field_from_larmor",
    "proton_frequency_mhz",
    "field_from_frequency_ratio",
    "signal_per_nucleus",
]

Reference = Literal["xi", "gamma"]


@dataclass(frozen=True)
class Nucleus:
    """Static properties of one NMR isotope (IUPAC 2001).

    Parameters
    ----------
    name : canonical label, mass number first, e.g. ``"7Li"``.
    spin : nuclear spin quantum number I (e.g. 1.5).
    gamma : magnetogyric ratio, rad s-1 T-1 (signed; bare nucleus).
    xi_percent : IUPAC frequency ratio Xi, % of the 1H frequency of TMS in the same field
        (always positive).
    abundance : natural abundance, atom fraction (0-1).
    quadrupole_fm2 : electric quadrupole moment, fm2 (0 for I = 1/2).
    """

    name: str
    spin: float
    gamma: float
    xi_percent: float
    abundance: float
    quadrupole_fm2: float = 0.0

    @property
    def gamma_bare_mhz_per_t(self) -> float:
        """Bare-nucleus |gamma|/2pi in MHz/T (from the tabulated gamma)."""
        return abs(self.gamma) / (2.0 * math.pi) / 1e6

    @property
    def gamma_mhz_per_t(self) -> float:
        """Reference-compound frequency per tesla, Xi/100 * gamma(1H)/2pi, in MHz/T.

        This is the value used by :func:`larmor_mhz` by default (7Li 16.5472, 6Li 6.2657).
        """
        return self.xi_percent / 100.0 * _GAMMA_1H / (2.0 * math.pi) / 1e6

    @property
    def is_quadrupolar(self) -> bool:
        """True for I > 1/2."""
        return self.spin > 0.5

    @property
    def element(self) -> str:
        """Element symbol, e.g. ``"Li"``."""
        return self.name.lstrip("0123456789")

    @property
    def mass_number(self) -> int:
        """Mass number, e.g. 7."""
        return int(self.name[: len(self.name) - len(self.element)])

    def __str__(self) -> str:
        return self.name


# name: (spin, gamma / 1e7 rad s-1 T-1, Xi %, natural abundance %, Q fm2); IUPAC 2001, Table 1.
_IUPAC_2001: dict[str, tuple[float, float, float, float, float]] = {
    "1H": (0.5, 26.7522128, 100.000000, 99.9885, 0.0),
    "2H": (1.0, 4.10662791, 15.350609, 0.0115, 0.2860),
    "6Li": (1.0, 3.9371709, 14.716086, 7.59, -0.0808),
    "7Li": (1.5, 10.3977013, 38.863797, 92.41, -4.01),
    "11B": (1.5, 8.5847044, 32.083974, 80.1, 4.059),
    "13C": (0.5, 6.728284, 25.145020, 1.07, 0.0),
    "15N": (0.5, -2.71261804, 10.136767, 0.368, 0.0),
    "17O": (2.5, -3.62808, 13.556457, 0.038, -2.558),
    "19F": (0.5, 25.18148, 94.094011, 100.0, 0.0),
    "23Na": (1.5, 7.0808493, 26.451900, 100.0, 10.4),
    "27Al": (2.5, 6.9762715, 26.056859, 100.0, 14.66),
    "29Si": (0.5, -5.3190, 19.867187, 4.6832, 0.0),
    "31P": (0.5, 10.8394, 40.480742, 100.0, 0.0),
    "71Ga": (1.5, 8.181171, 30.496704, 39.892, 10.7),
    "91Zr": (2.5, -2.49743, 9.296298, 11.22, -17.6),
    "139La": (3.5, 3.8083318, 14.125641, 99.910, 20.0),
}

_GAMMA_1H = _IUPAC_2001["1H"][1] * 1e7

NUCLEI: dict[str, Nucleus] = {
    name: Nucleus(
        name=name,
        spin=spin,
        gamma=g * 1e7,
        xi_percent=xi,
        abundance=ab / 100.0,
        quadrupole_fm2=q,
    )
    for name, (spin, g, xi, ab, q) in _IUPAC_2001.items()
}

_SYMBOLS = {n.element.lower(): n.element for n in NUCLEI.values()}
_PATTERNS = (
    re.compile(r"^(?P<mass>\d+)(?P<sym>[a-z]+)$"),
    re.compile(r"^(?P<sym>[a-z]+)(?P<mass>\d+)$"),
)


def get_nucleus(name: str | Nucleus) -> Nucleus:
    """Look up a nucleus by a loosely written label.

    Accepts ``"7Li"``, ``"Li7"``, ``"<7Li>"`` (Bruker NUC1), ``"7li"``, ``"li-7"``, ``"7 Li"``
    and a :class:`Nucleus` (returned unchanged).

    Raises
    ------
    ValueError
        ``unknown nucleus 'X'`` if the label does not name an entry of :data:`NUCLEI`.
    """
    if isinstance(name, Nucleus):
        return name
    key = re.sub(r"[<>\s_\-]", "", str(name)).lower()
    for pattern in _PATTERNS:
        m = pattern.match(key)
        if m and m["sym"] in _SYMBOLS:
            canon = f"{int(m['mass'])}{_SYMBOLS[m['sym']]}"
            if canon in NUCLEI:
                register("harris2001")
                return NUCLEI[canon]
    raise ValueError(f"unknown nucleus {name!r}")


def _mhz_per_t(nucleus: str | Nucleus, reference: Reference) -> float:
    nuc = get_nucleus(nucleus)
    if reference == "xi":
        return nuc.gamma_mhz_per_t
    if reference == "gamma":
        return nuc.gamma_bare_mhz_per_t
    raise ValueError(f"reference must be 'xi' or 'gamma', not {reference!r}")


def larmor_mhz(
    nucleus: str | Nucleus, field_t: ArrayLike, *, reference: Reference = "xi"
) -> np.ndarray | float:
    """Resonance frequency of a nucleus in a field.

    Parameters
    ----------
    nucleus : label or :class:`Nucleus`.
    field_t : B0, T (scalar or array).
    reference : ``"xi"`` (0-ppm reference compound, default) or ``"gamma"`` (bare nucleus);
        see the module docstring.

    Returns
    -------
    Frequency in MHz (positive), same shape as ``field_t``.
    """
    return _mhz_per_t(nucleus, reference) * np.asarray(field_t, dtype=float)[()]


def field_from_larmor(
    nucleus: str | Nucleus, mhz: ArrayLike, *, reference: Reference = "xi"
) -> np.ndarray | float:
    """Field B0 (T) at which ``nucleus`` resonates at ``mhz``; inverse of :func:`larmor_mhz`."""
    return np.asarray(mhz, dtype=float)[()] / _mhz_per_t(nucleus, reference)


def proton_frequency_mhz(nucleus: str | Nucleus, mhz: ArrayLike) -> np.ndarray | float:
    """1H (TMS) frequency of the magnet in which ``nucleus`` (0 ppm) is at ``mhz``.

    ``f_1H = f / (Xi / 100)``; e.g. 7Li at 116.641914 MHz -> 300.13 MHz.

    Parameters
    ----------
    nucleus : label or :class:`Nucleus`.
    mhz : frequency of the nucleus' 0-ppm reference, MHz (e.g. Bruker BF1).
    """
    return np.asarray(mhz, dtype=float)[()] / (get_nucleus(nucleus).xi_percent / 100.0)


def field_from_frequency_ratio(nucleus: str | Nucleus, mhz: ArrayLike) -> np.ndarray | float:
    """Field B0 (T) from a reference frequency via Xi and the 1H magnetogyric ratio.

    ``B0 = f / (Xi/100) / (gamma(1H)/2pi)``: the field a spectrometer implies when it says the
    0-ppm reference of ``nucleus`` is at ``mhz``. Same as
    ``field_from_larmor(nucleus, mhz, reference="xi")``.
    """
    return proton_frequency_mhz(nucleus, mhz) / (_GAMMA_1H / (2.0 * math.pi) / 1e6)


def signal_per_nucleus(nucleus: str | Nucleus, relative_to: str | Nucleus = "7Li") -> float:
    """NMR signal per nucleus in the same field, relative to another nucleus.

    Curie magnetisation times induced voltage: ``|gamma|^3 I (I + 1)``, normalised to
    ``relative_to`` (default 7Li). 6Li -> 0.0290. Abundance is *not* included.
    """
    a = get_nucleus(nucleus)
    b = get_nucleus(relative_to)

    def weight(n: Nucleus) -> float:
        return abs(n.gamma) ** 3 * n.spin * (n.spin + 1.0)

    return weight(a) / weight(b)
