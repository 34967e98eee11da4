"""Skin-depth visibility of the metal in a voxel, estimated from the phase of its signal.

Physics (``docs/science.md`` section 3, :mod:`dendritemr.physics.skin_depth`): a metal object
is seen with the complex visibility ``v`` of linear response, the signal relative to the same
object fully penetrated. A filament much thinner than the skin depth ``delta`` is absorptive
and fully visible (``v = 1``, in phase with the electrolyte); as it thickens the signal lags
and shrinks; bulk metal is seen at -45 degrees through a layer ``delta / (2 sqrt 2)`` deep. The
phase of a voxel's metal signal (relative to the electrolyte, which is an insulator and fully
visible) therefore measures the size of the metal in it, and with it ``|v|``:

    signal = N v(a / delta)   ->   N = Re(signal exp(-i arg v)) / |v|

with ``N`` the amount (in the signal's units) and ``a`` the filament radius (cylinder, B1 along
its axis: :func:`dendritemr.physics.cylinder_visibility`) or the thickness of a slab seen from
both faces (:func:`dendritemr.physics.slab_visibility`).

The phase identifies the size only on the branch where it falls monotonically from 0: up to
its minimum (cylinder: -55.9 degrees at ``a = 1.91 delta``, ``|v| = 0.40``; slab: -72.1 degrees
at ``d = 2.65 delta``, ``|v| = 0.30``); beyond it the phase swings back to -45 degrees and
thicker metal cannot be told from thinner by its phase. That minimum is the physical bound
used here: a voxel whose phase lies at or below it gets the visibility of the minimum, and its
amount is a lower bound (``at_bound``). Between -45 degrees and the minimum the phase has two
sizes; the thinner (more visible) one is taken, so metal thicker than the branch is
undercounted there too: bulk metal (``a >> delta``) is at -45 degrees and is read as a
filament of ``a = 1.4 delta`` (``|v| = 0.67`` instead of ``~0.7 delta / a``). Only voxels
whose metal exceeds ``k`` standard errors and whose phase lags by more than ``lag_k`` phase
errors are estimated (the phase of noise is uniform and would divide noise by ``|v|``); the
others keep ``v = 1`` (sub-skin-depth metal, the thin limit). The phase's own error
(``SE / |signal|``) is carried into the amount's error (``amount_err_phase``).
"""

from __future__ import annotations

import functools

import numpy as np

from dendritemr.physics import cylinder_visibility, slab_visibility

__all__ = ["phase_branch", "visibility_from_phase"]

GEOMETRIES = ("cylinder", "slab")


@functools.lru_cache(maxsize=4)
def phase_branch(geometry: str = "cylinder", n: int = 4001) -> tuple[np.ndarray, ...]:
    """Size/delta, phase (degrees, falling from 0) and ``|v|`` on the identifiable branch.

    ``geometry``: ``"cylinder"`` (size = radius) or ``"slab"`` (size = thickness, two faces).
    The branch runs from size 0 to the size of the phase minimum (found on a fine grid).

    Raises
    ------
    ValueError : unknown geometry.
    """
    if geometry not in GEOMETRIES:
        raise ValueError(f"geometry must be one of {GEOMETRIES}, not {geometry!r}")
    x = np.linspace(0.0, 6.0, 6 * n)
    v = cylinder_visibility(x, 1.0) if geometry == "cylinder" else slab_visibility(x, 1.0)
    ph = np.degrees(np.angle(v))
    end = int(np.argmin(ph)) + 1
    return x[:end], ph[:end], np.abs(v[:end])


def _on_branch(phase_deg: np.ndarray, geometry: str) -> tuple[np.ndarray, np.ndarray]:
    """Size/delta and ``|v|`` for phases clipped onto the branch (0 .. its minimum)."""
    x, ph, mag = phase_branch(geometry)
    p = np.clip(phase_deg, ph[-1], 0.0)
    # phase falls monotonically along the branch: interpolate on -phase (increasing)
    size = np.interp(-p, -ph, x)
    return size, np.interp(-p, -ph, mag)


def visibility_from_phase(
    re: np.ndarray,
    im: np.ndarray,
    se_re: np.ndarray,
    se_im: np.ndarray,
    delta_m: float,
    k: float = 3.0,
    geometry: str = "cylinder",
    lag_k: float = 2.0,
) -> dict[str, np.ndarray]:
    """Amounts and visibilities of voxels from their complex metal signals.

    Parameters
    ----------
    re, im : real and imaginary parts of each voxel's metal signal, in the electrolyte's phase
        (any shape, broadcast together; any units, the amounts come out in the same units).
    se_re, se_im : their standard errors (same units).
    delta_m : skin depth, m (sizes are returned in m).
    k : significance (standard errors of ``|signal|``) above which a voxel's phase is used.
    geometry : ``"cylinder"`` (filaments, size = radius) or ``"slab"`` (size = thickness).
    lag_k : a voxel keeps the thin limit unless its phase lags by more than ``lag_k`` phase
        errors (``SE / |signal|``): the thin limit is the default the data must overturn.

    Returns
    -------
    dict of arrays (the broadcast shape)
        ``amount`` (``N``; thin limit ``re`` where not estimated), ``visibility`` (``|v|``),
        ``phase_deg`` (``arg v``), ``size_m`` (radius or thickness; NaN where not estimated),
        ``estimated`` (bool), ``at_bound`` (phase at or beyond the branch minimum: ``N`` is a
        lower bound), ``amount_err_phase`` (error of ``N`` from the phase's error; 0 where not
        estimated), ``weight_re``, ``weight_im`` (``N = weight_re re + weight_im im``, for
        propagating the amplitudes' covariance).
    """
    re, im, se_re, se_im = np.broadcast_arrays(
        *(np.asarray(a, float) for a in (re, im, se_re, se_im))
    )
    mag = np.hypot(re, im)
    se = np.sqrt(0.5 * (se_re**2 + se_im**2))
    phase_obs = np.degrees(np.arctan2(im, re))
    # a metal signal lags by 0 .. the branch minimum; a significant voxel far outside (e.g.
    # negative) is not metal seen through the skin depth: keep it at the thin limit
    _, ph_branch, _ = phase_branch(geometry)
    ph_min = float(ph_branch[-1])
    # thin (v = 1) unless the lag is significant: phase below -lag_k phase errors
    dphi = np.degrees(se / np.maximum(mag, 1e-300))
    estimated = (mag > k * se) & (phase_obs > ph_min - 90.0) & (phase_obs < -lag_k * dphi)
    phase = np.where(estimated, np.clip(phase_obs, ph_min, 0.0), 0.0)
    size, vmag = _on_branch(phase, geometry)
    rad = np.radians(phase)
    w_re, w_im = np.cos(rad) / vmag, np.sin(rad) / vmag
    amount = w_re * re + w_im * im
    # the phase's error: amounts at phase_obs +- SE/|signal| (each onto the branch)
    dphi = np.where(estimated, dphi, 0.0)
    spread = []
    for sign in (-1.0, 1.0):
        p = np.where(estimated, np.clip(phase_obs + sign * dphi, ph_min, 0.0), 0.0)
        _, vm = _on_branch(p, geometry)
        r = np.radians(p)
        spread.append((np.cos(r) * re + np.sin(r) * im) / vm)
    err_phase = np.where(estimated, 0.5 * np.abs(spread[1] - spread[0]), 0.0)
    return {
        "amount": amount,
        "visibility": vmag,
        "phase_deg": phase,
        "size_m": np.where(estimated, size * delta_m, np.nan),
        "estimated": estimated,
        "at_bound": estimated & (phase_obs <= ph_min),
        "amount_err_phase": err_phase,
        "weight_re": w_re,
        "weight_im": w_im,
    }
