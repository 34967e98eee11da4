"""6Li atom fraction x6 of a line from paired 6Li and 7Li areas, with every correction.

For isotope k the integrated area of a line is (``docs/science.md`` section 3)::

    A_k = C_k * N_k * w_k * S_k * v_k * q_k

with ``w_k = gamma_k^3 I_k (I_k + 1)`` (relative to 7Li: 6Li 0.0290), ``S_k`` the saturation
(Ernst formula, Korringa T1 for the metal), ``v_k`` the skin-depth visibility (bulk metal:
``v6 / v7 = delta6 / delta7 = 1.625``; sub-delta microstructures and the electrolyte: 1) and
``q_k`` the detected fraction of the spectrum (1 in cubic Li metal). The instrument ratio
``K = C6 / C7`` (probe efficiency, gain, scans) is calibrated on a reference of known x6
(:func:`calibrate_k`): ``K = (A6 / A7)_ref / ((N6 / N7)_ref * (w S v q)6 / (w S v q)7)``.
Then ``N6 / N7 = (A6 / A7) / (K * (w S v q)6 / (w S v q)7)`` and ``x6 = r / (1 + r)``.

The standard error combines both areas' errors and the calibration's (delta method)::

    sigma_x6 = x6 (1 - x6) sqrt((sA6/A6)^2 + (sA7/A7)^2 + (sK/K)^2)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from dendritemr.physics import (
    LI7_KORRINGA_T1T_S_K,
    korringa_t1,
    saturation_factor,
    signal_per_nucleus,
    skin_depth_for,
    slab_visibility,
)

__all__ = ["LineCorrection", "InstrumentRatio", "correction_ratio", "calibrate_k", "x6_from_pair"]


@dataclass(frozen=True)
class LineCorrection:
    """How a line is seen in each isotope's spectrum (everything but the instrument factor).

    Parameters
    ----------
    morphology : ``"micro"`` (sub-delta, fully penetrated: v = 1), ``"bulk"`` (semi-infinite:
        v proportional to delta, ratio 1.625), ``"slab"`` (exact slab of ``thickness_um``) or
        ``"none"`` (an insulator line, e.g. the electrolyte: v = 1).
    thickness_um : slab thickness, um (``morphology="slab"`` only).
    t1_6_s, t1_7_s : T1 of the line, s; ``None``: Korringa T1 of Li metal for metal
        morphologies, no saturation (fully relaxed) for ``"none"``.
    q6, q7 : detected fraction of each isotope's spectrum (1 in cubic Li metal).
    """

    morphology: str = "micro"
    thickness_um: float | None = None
    t1_6_s: float | None = None
    t1_7_s: float | None = None
    q6: float = 1.0
    q7: float = 1.0

    def __post_init__(self) -> None:
        if self.morphology not in ("micro", "bulk", "slab", "none"):
            raise ValueError(f"unknown morphology {self.morphology!r}")
        if self.morphology == "slab" and not (self.thickness_um and self.thickness_um > 0):
            raise ValueError("morphology='slab' needs a positive thickness_um")


def _visibility_ratio(corr: LineCorrection, field_t: float, temperature_k: float) -> float:
    """v6 / v7 of the line (detected fraction per atom)."""
    if corr.morphology in ("micro", "none"):
        return 1.0
    d6 = skin_depth_for("6Li", field_t, temperature_k=temperature_k)
    d7 = skin_depth_for("7Li", field_t, temperature_k=temperature_k)
    if corr.morphology == "bulk":
        return float(d6 / d7)
    t = corr.thickness_um * 1e-6
    return float(np.abs(slab_visibility(t, d6)) / np.abs(slab_visibility(t, d7)))


def _sat(nucleus, corr, t1, tr_s, flip_deg, temperature_k, t1t_ref_s_k) -> float:
    if t1 is None:
        if corr.morphology == "none":
            return 1.0
        t1 = korringa_t1(nucleus, temperature_k, t1t_ref_s_k=t1t_ref_s_k)
    return float(saturation_factor(tr_s, t1, flip_deg))


def correction_ratio(
    corr: LineCorrection,
    *,
    field_t: float,
    tr6_s: float = np.inf,
    tr7_s: float = np.inf,
    flip6_deg: float = 90.0,
    flip7_deg: float = 90.0,
    temperature_k: float = 298.15,
    t1t_ref_s_k: float = LI7_KORRINGA_T1T_S_K,
) -> dict[str, float]:
    """Signal per atom of 6Li over 7Li for one line, factor by factor.

    Returns
    -------
    dict
        ``receptivity`` (w6/w7 = 0.0290), ``saturation`` (S6/S7), ``visibility`` (v6/v7),
        ``q`` (q6/q7) and their product ``total``.
    """
    w = signal_per_nucleus("6Li", "7Li")
    s6 = _sat("6Li", corr, corr.t1_6_s, tr6_s, flip6_deg, temperature_k, t1t_ref_s_k)
    s7 = _sat("7Li", corr, corr.t1_7_s, tr7_s, flip7_deg, temperature_k, t1t_ref_s_k)
    v = _visibility_ratio(corr, field_t, temperature_k)
    q = corr.q6 / corr.q7
    return {
        "receptivity": w,
        "saturation": s6 / s7,
        "visibility": v,
        "q": q,
        "total": w * (s6 / s7) * v * q,
    }


@dataclass(frozen=True)
class InstrumentRatio:
    """Instrument ratio ``K = C6 / C7`` and its relative standard error."""

    k: float
    rel_err: float = 0.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.k) and self.k > 0):
            raise ValueError(f"instrument ratio K must be positive, not {self.k}")


def _rel(a, a_err) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    if np.any(a <= 0) or np.any(~np.isfinite(a)):
        raise ValueError("areas must be positive and finite (no signal?)")
    return np.asarray(a_err, dtype=float) / a


def calibrate_k(
    a6: float,
    a6_err: float,
    a7: float,
    a7_err: float,
    x6_ref: float,
    ratio: float,
    x6_ref_err: float = 0.0,
) -> InstrumentRatio:
    """Instrument ratio K from a reference of known 6Li fraction.

    Parameters
    ----------
    a6, a6_err, a7, a7_err : reference line areas in the 6Li and 7Li spectra, standard errors.
    x6_ref, x6_ref_err : known 6Li atom fraction of the reference and its standard error.
    ratio : signal per atom 6Li/7Li of the reference line, ``correction_ratio(...)["total"]``.
    """
    if not 0.0 < x6_ref < 1.0:
        raise ValueError(f"reference x6 must lie in (0, 1), not {x6_ref}")
    n_ratio = x6_ref / (1.0 - x6_ref)
    k = (a6 / a7) / (n_ratio * ratio)
    rel_n = x6_ref_err / (x6_ref * (1.0 - x6_ref))
    rel = float(np.sqrt(_rel(a6, a6_err) ** 2 + _rel(a7, a7_err) ** 2 + rel_n**2))
    return InstrumentRatio(float(k), rel)


def x6_from_pair(
    a6: ArrayLike,
    a6_err: ArrayLike,
    a7: ArrayLike,
    a7_err: ArrayLike,
    instrument: InstrumentRatio,
    ratio: float,
) -> tuple[np.ndarray, np.ndarray]:
    """6Li atom fraction of a line and its standard error.

    Parameters
    ----------
    a6, a6_err, a7, a7_err : line areas in the 6Li and 7Li spectra and their standard errors.
    instrument : calibrated K (:func:`calibrate_k`).
    ratio : signal per atom 6Li/7Li of this line (:func:`correction_ratio` ``["total"]``).

    Returns
    -------
    x6, x6_err : arrays of the broadcast shape.
    """
    r6, r7 = _rel(a6, a6_err), _rel(a7, a7_err)
    n = (np.asarray(a6, dtype=float) / np.asarray(a7, dtype=float)) / (instrument.k * ratio)
    x6 = n / (1.0 + n)
    err = x6 * (1.0 - x6) * np.sqrt(r6**2 + r7**2 + instrument.rel_err**2)
    return x6[()], err[()]
