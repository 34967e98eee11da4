"""Registry of the papers the physics relies on (in the spirit of PyBaMM's ``citations.py``).

Functions call :func:`register` with a key of :data:`REFERENCES` when they use a
published result; a report lists :func:`cited` at the end. Registration is
idempotent and keeps first-use order.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Citation", "REFERENCES", "register", "cited", "reset"]


@dataclass(frozen=True)
class Citation:
    """One bibliographic reference.

    Parameters
    ----------
    key : short identifier, e.g. ``"harris2001"``.
    text : human-readable reference (authors, title, journal, year).
    doi : DOI without the ``https://doi.org/`` prefix, or ``""`` where there is none.
    """

    key: str
    text: str
    doi: str = ""

    def __str__(self) -> str:
        return f"{self.text} doi:{self.doi}" if self.doi else self.text


REFERENCES: dict[str, Citation] = {
    c.key: c
    for c in (
        Citation(
            "harris2001",
            "R. K. Harris, E. D. Becker, S. M. Cabral de Menezes, R. Goodfellow, P. Granger, "
            "NMR nomenclature. Nuclear spin properties and conventions for chemical shifts "
            "(IUPAC Recommendations 2001), Pure Appl. Chem. 73, 1795-1818 (2001)",
            "10.1351/pac200173111795",
        ),
        Citation(
            "anderson1959",
            "A. G. Anderson, A. G. Redfield, Nuclear spin-lattice relaxation in metals, "
            "Phys. Rev. 116, 583-591 (1959)",
            "10.1103/PhysRev.116.583",
        ),
        Citation(
            "crc_resistivity",
            "CRC Handbook of Chemistry and Physics, 'Electrical resistivity of pure metals' "
            "(Li: 8.55 uOhm cm at 273 K, 9.28 uOhm cm at 293 K)",
        ),
        Citation(
            "crc_susceptibility",
            "CRC Handbook of Chemistry and Physics, 'Magnetic susceptibility of the elements' "
            "(Li: chi_mol = +14.2e-6 cm3/mol, CGS)",
        ),
        Citation(
            "bhattacharyya2010",
            "R. Bhattacharyya, B. Key, H. Chen, A. S. Best, A. F. Hollenkamp, C. P. Grey, "
            "In situ NMR observation of the formation of metallic lithium microstructures "
            "in lithium batteries, Nat. Mater. 9, 504-510 (2010)",
            "10.1038/nmat2764",
        ),
        Citation(
            "chandrashekar2012",
            "S. Chandrashekar, N. M. Trease, H. J. Chang, L.-S. Du, C. P. Grey, A. Jerschow, "
            "7Li MRI of Li batteries reveals location of microstructural lithium, "
            "Nat. Mater. 11, 311-315 (2012)",
            "10.1038/nmat3246",
        ),
        Citation(
            "ilott2014",
            "A. J. Ilott, S. Chandrashekar, A. Kloeckner, H. J. Chang, N. M. Trease, C. P. Grey, "
            "L. Greengard, A. Jerschow, Visualizing skin effects in conductors with MRI: 7Li MRI "
            "experiments and calculations, J. Magn. Reson. 245, 143-149 (2014)",
            "10.1016/j.jmr.2014.06.013",
        ),
        Citation(
            "osborn1945",
            "J. A. Osborn, Demagnetizing factors of the general ellipsoid, "
            "Phys. Rev. 67, 351-357 (1945)",
            "10.1103/PhysRev.67.351",
        ),
        Citation(
            "ernst1966",
            "R. R. Ernst, W. A. Anderson, Application of Fourier transform spectroscopy to "
            "magnetic resonance, Rev. Sci. Instrum. 37, 93-102 (1966)",
            "10.1063/1.1719961",
        ),
        Citation(
            "schwarz1978",
            "G. Schwarz, Estimating the dimension of a model, Ann. Statist. 6, 461-464 (1978)",
            "10.1214/aos/1176344136",
        ),
        Citation(
            "jackson2005",
            "B. Jackson, J. D. Scargle, D. Barnes, S. Arabhi, A. Alt, P. Gioumousis, E. Gwin, "
            "P. Sangtrakulcharoen, L. Tan, T. T. Tsai, An algorithm for optimal partitioning of "
            "data on an interval, IEEE Signal Process. Lett. 12, 105-108 (2005), "
            "arXiv:math/0309285",
        ),
        Citation(
            "birge1932",
            "R. T. Birge, The calculation of errors by the method of least squares, "
            "Phys. Rev. 40, 207-227 (1932)",
            "10.1103/PhysRev.40.207",
        ),
        Citation(
            "landau_emcm",
            "L. D. Landau, E. M. Lifshitz, Electrodynamics of Continuous Media, 2nd ed., "
            "section 59 (skin effect; eddy currents in a slab and a cylinder)",
        ),
    )
}

_cited: dict[str, None] = {}  # insertion-ordered set


def register(key: str) -> None:
    """Record that a reference in :data:`REFERENCES` was used.

    Raises
    ------
    KeyError
        If ``key`` is not a known reference (a typo must not pass silently).
    """
    if key not in REFERENCES:
        raise KeyError(f"unknown citation key {key!r}")
    _cited[key] = None


def cited() -> list[Citation]:
    """References registered since import (or the last :func:`reset`), in first-use order."""
    return [REFERENCES[k] for k in _cited]


def reset() -> None:
    """Forget every registration."""
    _cited.clear()
