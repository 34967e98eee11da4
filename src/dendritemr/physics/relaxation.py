"""Spin-lattice relaxation of Li in Li metal (Korringa) and partial-saturation corrections.

Korringa: in a simple metal ``T1 T`` is constant and scales as ``gamma^-2`` between isotopes
of the same element (same conduction-electron hyperfine field per unit spin density). 7Li:
``T1 T = 44 s K`` (Anderson & Redfield 1959) -> T1 = 0.148 s at 298 K. 6Li:
``44 (gamma7/gamma6)^2 = 307 s K`` -> 1.03 s at 298 K.

Steady state of a train of pulses of flip angle alpha every TR with perfect spoiling (Ernst &
Anderson 1966): ``S / M0 = sin(alpha) (1 - E1) / (1 - cos(alpha) E1)``, ``E1 = exp(-TR/T1)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .citations import register
from .constants import LI7_KORRINGA_T1T_S_K
from .nuclei import Nucleus, get_nucleus

__all__ = [
    "korringa_t1t",
    "korringa_t1",
    "saturation_factor",
    "ernst_angle_deg",
    "min_tr_for_full_relaxation",
]


def korringa_t1t(
    nucleus: str | Nucleus = "7Li",
    *,
    t1t_ref_s_k: float = LI7_KORRINGA_T1T_S_K,
    reference: str | Nucleus = "7Li",
) -> float:
    """Korringa product T1 T (s K) of ``nucleus`` in Li metal.

    Parameters
    ----------
    nucleus : 7Li or 6Li (any nucleus of the same metal).
    t1t_ref_s_k : measured T1 T of ``reference``, s K (default 44, Anderson & Redfield 1959).
    reference : nucleus for which ``t1t_ref_s_k`` was measured.

    Returns
    -------
    ``t1t_ref * (gamma_ref / gamma)^2``, s K. 7Li 44, 6Li 306.9.
    """
    register("anderson1959")
    n, r = get_nucleus(nucleus), get_nucleus(reference)
    if n.element != r.element:
        raise ValueError(f"Korringa scaling only between isotopes of one element: {n} vs {r}")
    return t1t_ref_s_k * (r.gamma / n.gamma) ** 2


def korringa_t1(
    nucleus: str | Nucleus,
    temperature_k: ArrayLike,
    *,
    t1t_ref_s_k: float = LI7_KORRINGA_T1T_S_K,
    reference: str | Nucleus = "7Li",
) -> np.ndarray | float:
    """Korringa T1 (s) at ``temperature_k`` (K): ``T1 T / T``. 7Li 298 K: 0.148 s; 6Li 1.03 s.

    ``t1t_ref_s_k`` and ``reference`` are passed to :func:`korringa_t1t`.
    """
    t = np.asarray(temperature_k, dtype=float)
    if np.any(t <= 0):
        raise ValueError("temperature must be positive (K)")
    return (korringa_t1t(nucleus, t1t_ref_s_k=t1t_ref_s_k, reference=reference) / t)[()]


def saturation_factor(
    tr_s: ArrayLike, t1_s: ArrayLike, flip_deg: ArrayLike = 90.0
) -> np.ndarray | float:
    """Steady-state signal relative to a fully relaxed 90-degree pulse (Ernst formula).

    Parameters
    ----------
    tr_s : repetition time, s (``np.inf`` for full relaxation).
    t1_s : spin-lattice relaxation time, s.
    flip_deg : flip angle, degrees.

    Returns
    -------
    ``sin(a) (1 - E1) / (1 - cos(a) E1)``; 90 degrees -> ``1 - exp(-TR/T1)``.
    Divide a measured area by it to correct for partial saturation.
    """
    register("ernst1966")
    tr = np.asarray(tr_s, dtype=float)
    t1 = np.asarray(t1_s, dtype=float)
    if np.any(tr < 0) or np.any(t1 <= 0):
        raise ValueError("need TR >= 0 and T1 > 0")
    a = np.radians(np.asarray(flip_deg, dtype=float))
    e1 = np.exp(-tr / t1)
    return (np.sin(a) * (1.0 - e1) / (1.0 - np.cos(a) * e1))[()]


def ernst_angle_deg(tr_s: ArrayLike, t1_s: ArrayLike) -> np.ndarray | float:
    """Flip angle (degrees) maximising the steady-state signal: ``arccos(exp(-TR/T1))``."""
    register("ernst1966")
    tr = np.asarray(tr_s, dtype=float)
    t1 = np.asarray(t1_s, dtype=float)
    return np.degrees(np.arccos(np.exp(-tr / t1)))[()]


def min_tr_for_full_relaxation(t1_s: ArrayLike, factor: float = 5.0) -> np.ndarray | float:
    """Repetition time (s) for quantitative spectra, ``factor * T1`` (default 5: 99.3 %)."""
    return (factor * np.asarray(t1_s, dtype=float))[()]
