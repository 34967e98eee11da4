"""Demagnetising factors and the bulk-magnetic-susceptibility (BMS) shift of metal objects.

For a uniformly magnetised ellipsoid of SI volume susceptibility ``chi_v`` (``|chi_v| << 1``)
the field sampled by a nucleus inside it, relative to the applied field, is
``B_loc = B0 [1 + (1/3 - D) chi_v]``: ``D`` is the demagnetising factor along B0 and the 1/3
is the Lorentz sphere. Hence ``shift_ppm = (1/3 - D) chi_v * 1e6``.

For Li (chi_v = +13.7e-6): sphere 0; thin plate with its face perpendicular to B0 (normal along
B0, D = 1) -9.13 ppm; plate face parallel to B0 (D = 0) +4.57; needle parallel to B0 (D = 0)
+4.57; needle perpendicular (D = 1/2) -2.28. (``docs/science.md`` rounds the first to -9.2.)

To first order in chi_v the factor along B0 for an ellipsoid whose symmetry axis makes an angle
theta with B0 is ``D_axial cos^2 theta + D_transverse sin^2 theta``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import elliprd

from .citations import register
from .constants import LI_CHI_V_SI

__all__ = [
    "ellipsoid_demag_factors",
    "spheroid_demag_factors",
    "demag_factor_along_b0",
    "bms_shift_ppm",
    "plate_bms_shift_ppm",
    "needle_bms_shift_ppm",
    "spheroid_bms_shift_ppm",
]


def ellipsoid_demag_factors(
    a: ArrayLike, b: ArrayLike, c: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Demagnetising factors of a general ellipsoid along its semi-axes a, b, c.

    ``D_a = (a b c / 3) R_D(b^2, c^2, a^2)`` (Carlson's symmetric elliptic integral; Osborn
    1945). The three factors sum to 1.

    Parameters
    ----------
    a, b, c : semi-axes (any common length unit), positive, broadcastable.

    Returns
    -------
    (D_a, D_b, D_c), dimensionless.
    """
    register("osborn1945")
    a, b, c = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (a, b, c)))
    if np.any(a <= 0) or np.any(b <= 0) or np.any(c <= 0):
        raise ValueError("semi-axes must be positive")
    # scale out the size so R_D is evaluated on O(1) numbers
    s = np.maximum(np.maximum(a, b), c)
    a, b, c = a / s, b / s, c / s
    abc3 = a * b * c / 3.0
    da = abc3 * elliprd(b * b, c * c, a * a)
    db = abc3 * elliprd(c * c, a * a, b * b)
    dc = abc3 * elliprd(a * a, b * b, c * c)
    return da[()], db[()], dc[()]


def spheroid_demag_factors(aspect_ratio: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Demagnetising factors of a spheroid of revolution, closed form.

    Parameters
    ----------
    aspect_ratio : m = c / a, symmetry semi-axis over equatorial semi-axis. m > 1 prolate
        (needle as m -> inf), m = 1 sphere, m < 1 oblate (plate as m -> 0). ``np.inf`` and 0
        give the needle (0, 1/2) and plate (1, 0) limits.

    Returns
    -------
    (D_axial, D_transverse), with ``D_axial + 2 D_transverse = 1``.
    """
    register("osborn1945")
    m = np.asarray(aspect_ratio, dtype=float)
    if np.any(m < 0) or np.any(np.isnan(m)):
        raise ValueError("aspect ratio must be >= 0")
    dz = np.full(m.shape, 1.0 / 3.0)
    with np.errstate(all="ignore"):
        pro = m > 1.0
        mp = np.where(pro, m, 2.0)
        q = np.sqrt(mp * mp - 1.0)
        d_pro = (mp / q * np.log(mp + q) - 1.0) / (mp * mp - 1.0)
        obl = m < 1.0
        mo = np.where(obl, m, 0.5)
        r = np.sqrt(1.0 - mo * mo)
        d_obl = (1.0 - mo / r * np.arccos(mo)) / (1.0 - mo * mo)
    dz = np.where(pro, d_pro, dz)
    dz = np.where(obl, d_obl, dz)
    dz = np.where(np.isinf(m), 0.0, dz)
    # close to the sphere the closed forms cancel badly: use the series 1/3 - 4 e / 15
    near = np.abs(m - 1.0) < 1e-4
    dz = np.where(near, 1.0 / 3.0 - 4.0 / 15.0 * (m - 1.0), dz)
    return dz[()], ((1.0 - dz) / 2.0)[()]


def demag_factor_along_b0(aspect_ratio: ArrayLike, angle_deg: ArrayLike) -> np.ndarray | float:
    """Demagnetising factor along B0 of a spheroid whose symmetry axis is at ``angle_deg`` to B0.

    ``D = D_axial cos^2 theta + D_transverse sin^2 theta`` (first order in chi).
    """
    dz, dx = spheroid_demag_factors(aspect_ratio)
    th = np.radians(np.asarray(angle_deg, dtype=float))
    return (dz * np.cos(th) ** 2 + dx * np.sin(th) ** 2)[()]


def bms_shift_ppm(demag_factor: ArrayLike, chi_v: float = LI_CHI_V_SI) -> np.ndarray | float:
    """BMS shift of the metal line, ppm: ``(1/3 - D) chi_v * 1e6``.

    Parameters
    ----------
    demag_factor : D along B0 (0-1).
    chi_v : SI volume susceptibility (default Li metal, 13.7e-6).
    """
    register("crc_susceptibility")
    d = np.asarray(demag_factor, dtype=float)
    return ((1.0 / 3.0 - d) * chi_v * 1e6)[()]


def plate_bms_shift_ppm(face_parallel_to_b0: bool = False, chi_v: float = LI_CHI_V_SI) -> float:
    """Thin plate (electrode foil, flat deposit): -9.13 ppm face perpendicular to B0, +4.57
    face parallel to B0 (Li)."""
    return float(bms_shift_ppm(0.0 if face_parallel_to_b0 else 1.0, chi_v))


def needle_bms_shift_ppm(parallel_to_b0: bool = True, chi_v: float = LI_CHI_V_SI) -> float:
    """Long needle (whisker, filament): +4.57 ppm along B0, -2.28 across B0 (Li)."""
    return float(bms_shift_ppm(0.0 if parallel_to_b0 else 0.5, chi_v))


def spheroid_bms_shift_ppm(
    aspect_ratio: ArrayLike, angle_deg: ArrayLike = 0.0, chi_v: float = LI_CHI_V_SI
) -> np.ndarray | float:
    """BMS shift (ppm) of a spheroid with aspect ratio c/a, symmetry axis at ``angle_deg`` to B0."""
    return bms_shift_ppm(demag_factor_along_b0(aspect_ratio, angle_deg), chi_v)
