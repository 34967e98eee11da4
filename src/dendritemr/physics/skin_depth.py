"""RF skin depth of lithium metal and the NMR visibility of metal objects.

Model (linear response, ``docs/science.md`` section 3)
------------------------------------------------------
Inside a conductor the RF magnetic field obeys the diffusion equation
``laplacian(h) = k^2 h`` with ``k = (1 + i) / delta`` (time dependence ``exp(+i w t)``), so a
field entering a face decays as ``exp(-(1 + i) x / delta)``. In the small-flip-angle (linear)
regime the transverse magnetisation is proportional to the local B1 (amplitude *and* phase)
and, by reciprocity, the receive sensitivity is the same field pattern; the signal is
therefore ``S ~ integral of h(r)^2 dV`` with ``h`` normalised to 1 at the surface.

Normalisation used everywhere here
----------------------------------
* *effective thickness* ``d_eff`` (complex, metres): ``S ~ face area * d_eff`` for a slab;
  *effective area* ``A_eff`` (m2) per unit length for a cylinder.
* *visibility* ``v = d_eff / d`` (slab) or ``A_eff / (pi a^2)`` (cylinder): the complex signal
  relative to the same object fully penetrated (thin limit), i.e. the detected fraction of
  the atoms. ``v -> 1`` for objects much smaller than delta; ``|v| -> 0`` for bulk metal.

A semi-infinite face gives ``d_eff = delta / (2 (1 + i))``: magnitude ``delta / (2 sqrt 2)``
(0.354 delta) and phase -45 degrees (a lag, in the ``exp(+i w t)`` convention).

Geometries (exact solutions of the diffusion equation)
------------------------------------------------------
* slab, ``faces=2``: RF of equal amplitude and phase on both faces,
  ``h = cosh(k (x - d/2)) / cosh(k d / 2)``, ``d_eff = (d + sinh(k d) / k) / (1 + cosh(k d))``.
* slab, ``faces=1``: RF on one face, the other face on a good conductor or a symmetry plane
  (``dh/dx = 0``): exactly half of a two-face slab of thickness ``2 d``.
* cylinder (needle, whisker) with B1 along its axis: ``h = I0(k r) / I0(k a)``,
  ``v = 1 - (I1(k a) / I0(k a))^2`` (modified Bessel functions, i.e. J0 of complex argument).
  Thick limit: perimeter times the semi-infinite ``d_eff``.

Note that ``|d_eff|`` of a two-face slab is *not* monotone in thickness: it peaks at
``1.235 delta`` near ``d = 1.64 delta`` (partial phase alignment of the two faces) before
settling at ``2 * 0.354 delta``; ``|v|`` decreases monotonically.
With real (non-small) pulses the effective depth lies between ~0.35 and 1 delta; this module
implements the linear-response limit only.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy.constants import mu_0
from scipy.special import ive

from .citations import register
from .constants import (
    LI_RESISTIVITY_20C_OHM_M,
    LI_RESISTIVITY_REFERENCE_K,
    LI_RESISTIVITY_TEMPCO_PER_K,
)
from .nuclei import Nucleus, Reference, larmor_mhz

__all__ = [
    "li_resistivity",
    "skin_depth_m",
    "skin_depth_for",
    "skin_depth_ratio",
    "semi_infinite_effective_thickness",
    "slab_effective_thickness",
    "slab_visibility",
    "cylinder_effective_area",
    "cylinder_visibility",
    "visibility_magnitude",
    "visibility_phase_deg",
]


def li_resistivity(
    temperature_k: ArrayLike = LI_RESISTIVITY_REFERENCE_K,
    *,
    resistivity_ohm_m: float = LI_RESISTIVITY_20C_OHM_M,
    tempco_per_k: float = LI_RESISTIVITY_TEMPCO_PER_K,
    reference_k: float = LI_RESISTIVITY_REFERENCE_K,
) -> np.ndarray | float:
    """Resistivity of Li metal, linear in temperature about the reference.

    ``rho(T) = rho_ref * (1 + alpha (T - T_ref))``.

    Parameters
    ----------
    temperature_k : temperature, K.
    resistivity_ohm_m : rho at ``reference_k``, ohm m (default 9.28e-8 at 293.15 K, CRC).
    tempco_per_k : alpha, 1/K (default 3.9e-3, from CRC 273/293 K values).
    reference_k : temperature of ``resistivity_ohm_m``, K.

    Returns
    -------
    Resistivity, ohm m.
    """
    register("crc_resistivity")
    t = np.asarray(temperature_k, dtype=float)
    return (resistivity_ohm_m * (1.0 + tempco_per_k * (t - reference_k)))[()]


def skin_depth_m(
    frequency_hz: ArrayLike,
    resistivity_ohm_m: float = LI_RESISTIVITY_20C_OHM_M,
    temperature_k: float | None = None,
    *,
    tempco_per_k: float = LI_RESISTIVITY_TEMPCO_PER_K,
    reference_k: float = LI_RESISTIVITY_REFERENCE_K,
    mu_r: float = 1.0,
) -> np.ndarray | float:
    """Classical skin depth ``delta = sqrt(rho / (pi f mu0 mu_r))``.

    Parameters
    ----------
    frequency_hz : RF frequency, Hz (note: Hz, not MHz).
    resistivity_ohm_m : resistivity at ``reference_k``, ohm m (default Li at 20 C).
    temperature_k : if given, the resistivity is moved from ``reference_k`` to this temperature
        with ``tempco_per_k`` (see :func:`li_resistivity`); ``None`` uses it as is.
    tempco_per_k, reference_k : see :func:`li_resistivity`.
    mu_r : relative permeability (1 for Li).

    Returns
    -------
    Skin depth, m. Li at 116.66 MHz, 20 C: 14.2e-6 m.
    """
    register("landau_emcm")
    rho = (
        resistivity_ohm_m
        if temperature_k is None
        else li_resistivity(
            temperature_k,
            resistivity_ohm_m=resistivity_ohm_m,
            tempco_per_k=tempco_per_k,
            reference_k=reference_k,
        )
    )
    f = np.asarray(frequency_hz, dtype=float)
    return np.sqrt(rho / (math.pi * f * mu_0 * mu_r))[()]


def skin_depth_for(
    nucleus: str | Nucleus,
    field_t: ArrayLike,
    resistivity_ohm_m: float = LI_RESISTIVITY_20C_OHM_M,
    temperature_k: float | None = None,
    *,
    reference: Reference = "xi",
    **kwargs: float,
) -> np.ndarray | float:
    """Skin depth (m) at the resonance frequency of ``nucleus`` in ``field_t`` (T).

    Extra keyword arguments go to :func:`skin_depth_m`. 7Li at 7.05 T: 14.2 um; 6Li: 23.1 um.
    """
    f_hz = np.asarray(larmor_mhz(nucleus, field_t, reference=reference)) * 1e6
    return skin_depth_m(f_hz, resistivity_ohm_m, temperature_k, **kwargs)


def skin_depth_ratio(a: str | Nucleus, b: str | Nucleus) -> float:
    """delta(a) / delta(b) in the same field and metal: ``sqrt(f_b / f_a)``. 6Li/7Li = 1.625."""
    return math.sqrt(float(larmor_mhz(b, 1.0)) / float(larmor_mhz(a, 1.0)))


def semi_infinite_effective_thickness(delta_m: ArrayLike) -> np.ndarray | complex:
    """Complex ``d_eff`` of one face of bulk metal: ``delta / (2 (1 + i))`` (m)."""
    return (np.asarray(delta_m, dtype=float) / (2.0 * (1.0 + 1.0j)))[()]


def _two_face_deff(d: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Exact two-face slab d_eff, written with exp(-k d) so it never overflows."""
    k = (1.0 + 1.0j) / delta
    e = np.exp(-k * d)
    e2 = e * e
    sech = 2.0 * e / (1.0 + e2)
    tanh = -np.expm1(-2.0 * k * d) / (1.0 + e2)
    return (d * sech + tanh / k) / (1.0 + sech)


def _broadcast_positive(*arrays: ArrayLike) -> list[np.ndarray]:
    out = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in arrays))
    if any(np.any(a < 0) for a in out):
        raise ValueError("sizes and skin depths must be non-negative")
    if np.any(out[-1] == 0):
        raise ValueError("skin depth must be positive")
    return out


def slab_effective_thickness(
    thickness_m: ArrayLike, delta_m: ArrayLike, faces: int = 2
) -> np.ndarray | complex:
    """Complex effective detected thickness of a metal slab (m): signal ~ face area * d_eff.

    Parameters
    ----------
    thickness_m : slab thickness d, m.
    delta_m : skin depth, m (broadcast against ``thickness_m``).
    faces : 2, RF enters both faces equally; 1, RF enters one face and the other sits on a
        good conductor / symmetry plane (see module docstring).

    Returns
    -------
    d_eff, complex, m. Thin limit ``d``; thick limit ``faces * delta / (2 (1 + i))``.
    """
    register("ilott2014")
    d, delta = _broadcast_positive(thickness_m, delta_m)
    if faces == 2:
        return _two_face_deff(d, delta)[()]
    if faces == 1:
        return (0.5 * _two_face_deff(2.0 * d, delta))[()]
    raise ValueError(f"faces must be 1 or 2, not {faces!r}")


def slab_visibility(
    thickness_m: ArrayLike, delta_m: ArrayLike, faces: int = 2
) -> np.ndarray | complex:
    """Complex visibility ``d_eff / d`` of a slab: 1 when thin, ``|v| -> 0`` when thick.

    Signal relative to the same slab fully penetrated (the detected fraction of its atoms).
    Zero thickness returns the limit 1. See :func:`slab_effective_thickness` for arguments.
    """
    d, delta = _broadcast_positive(thickness_m, delta_m)
    deff = np.asarray(slab_effective_thickness(d, delta, faces))
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(d > 0, deff / np.where(d > 0, d, 1.0), 1.0 + 0.0j)
    return v[()]


def cylinder_visibility(radius_m: ArrayLike, delta_m: ArrayLike) -> np.ndarray | complex:
    """Complex visibility of a long metal cylinder (needle, whisker) with B1 along its axis.

    ``v = 1 - (I1(k a) / I0(k a))^2``, ``k = (1 + i) / delta``: signal relative to the same
    cylinder fully penetrated. Thin limit 1; thick limit ``2 d_eff_semi / a`` (perimeter times
    the semi-infinite effective thickness, over the cross-section).

    Parameters
    ----------
    radius_m : cylinder radius a, m.
    delta_m : skin depth, m (broadcast against ``radius_m``).
    """
    register("landau_emcm")
    a, delta = _broadcast_positive(radius_m, delta_m)
    z = (1.0 + 1.0j) * a / delta
    # exponentially scaled Bessel functions: the scale factor cancels in the ratio
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(a > 0, ive(1, z) / ive(0, z), 0.0)
    return (1.0 - ratio * ratio)[()]


def cylinder_effective_area(radius_m: ArrayLike, delta_m: ArrayLike) -> np.ndarray | complex:
    """Complex effective detected cross-section (m2) of a cylinder: ``pi a^2 * v``."""
    a = np.asarray(radius_m, dtype=float)
    return (math.pi * a * a * np.asarray(cylinder_visibility(radius_m, delta_m)))[()]


def visibility_magnitude(v: ArrayLike) -> np.ndarray | float:
    """``|v|``: the amount of signal (fraction detected, or metres for a ``d_eff``)."""
    return np.abs(np.asarray(v))[()]


def visibility_phase_deg(v: ArrayLike) -> np.ndarray | float:
    """Phase of a visibility or ``d_eff`` in degrees (negative = lag; -45 for bulk metal)."""
    return np.degrees(np.angle(np.asarray(v)))[()]
