"""Fitted NMR areas -> amounts of metallic Li (umol, ug, uAh) with their standard errors.

A metal area is ``A = S_cal * n * sat * |v|`` (``docs/science.md`` section 3):

- ``S_cal``: signal per umol of fully visible, fully relaxed Li (a :class:`Calibration`), from
  an external reference of known amount (:func:`calibrate_reference`) or from the known
  geometry of the bulk electrode, whose signal comes from a skin-depth surface layer only
  (:func:`calibrate_electrode`);
- ``sat``: steady-state saturation (Ernst formula with the Korringa T1 by default,
  :func:`saturation`);
- ``|v|``: skin-depth visibility, 1 for sub-delta microstructures (default), computed by
  :func:`dendritemr.physics.slab_visibility` for a slab of known thickness.

Errors: the area's standard error (statistical) and the calibration's (systematic, the same
for every time point) are combined in quadrature in ``*_err``; ``calibration_rel_err`` is also
returned so a growth curve can be shown with statistical errors only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike

from dendritemr.physics import (
    LI6_NATURAL_FRACTION,
    LI7_KORRINGA_T1T_S_K,
    LI_MOLAR_VOLUME_CM3_MOL,
    korringa_t1,
    li_molar_mass,
    saturation_factor,
    semi_infinite_effective_thickness,
    skin_depth_for,
    slab_visibility,
    umol_to_uah,
    umol_to_ug,
)

__all__ = [
    "Calibration",
    "calibrate_reference",
    "calibrate_electrode",
    "saturation",
    "metal_visibility",
    "amounts",
]


@dataclass(frozen=True)
class Calibration:
    """Signal per umol of fully visible, fully relaxed Li of one nucleus.

    Parameters
    ----------
    signal_per_umol : area units (as the fit reports them) per umol.
    rel_err : relative standard error of ``signal_per_umol``.
    method : ``"reference"``, ``"electrode"`` or ``"given"``.
    details : inputs of the calibration (JSON-serialisable).
    """

    signal_per_umol: float
    rel_err: float = 0.0
    method: str = "given"
    details: tuple = ()

    def __post_init__(self) -> None:
        if not np.isfinite(self.signal_per_umol) or self.signal_per_umol <= 0:
            raise ValueError(f"signal per umol must be positive, not {self.signal_per_umol}")
        if not self.rel_err >= 0:
            raise ValueError("calibration error must be >= 0")

    def to_dict(self) -> dict:
        """JSON-serialisable description."""
        d = asdict(self)
        d["details"] = dict(self.details)
        return d


def saturation(
    nucleus: str = "7Li",
    tr_s: float = np.inf,
    *,
    temperature_k: float = 298.15,
    t1_s: float | None = None,
    flip_deg: float = 90.0,
    t1t_ref_s_k: float = LI7_KORRINGA_T1T_S_K,
) -> float:
    """Steady-state signal fraction of Li metal (1 = fully relaxed).

    Parameters
    ----------
    nucleus : ``"7Li"`` or ``"6Li"``.
    tr_s : repetition time (D1 + AQ), s.
    temperature_k : sample temperature, K (for the Korringa T1).
    t1_s : measured T1, s; ``None`` uses Korringa ``T1 = T1T / T`` (7Li 0.148 s, 6Li 1.03 s at
        298 K).
    flip_deg : excitation flip angle, degrees.
    t1t_ref_s_k : Korringa product of 7Li, s K (Anderson & Redfield 1959).
    """
    t1 = korringa_t1(nucleus, temperature_k, t1t_ref_s_k=t1t_ref_s_k) if t1_s is None else t1_s
    return float(saturation_factor(tr_s, t1, flip_deg))


def metal_visibility(
    nucleus: str,
    field_t: float,
    thickness_um: float | None = None,
    *,
    faces: int = 2,
    temperature_k: float | None = None,
) -> float:
    """|visibility| of a metal slab: detected fraction of its atoms.

    ``thickness_um=None`` is the sub-delta limit (1, microstructures); otherwise the exact
    linear-response slab expression (:func:`dendritemr.physics.slab_visibility`).
    """
    if thickness_um is None:
        return 1.0
    delta = skin_depth_for(nucleus, field_t, temperature_k=temperature_k)
    return float(np.abs(slab_visibility(thickness_um * 1e-6, delta, faces)))


def calibrate_reference(
    area: float,
    area_err: float,
    umol: float,
    umol_err: float = 0.0,
    *,
    saturation_factor: float = 1.0,
    visibility: float = 1.0,
) -> Calibration:
    """Calibration from an external reference of known amount measured like the sample.

    Parameters
    ----------
    area, area_err : fitted area of the reference line and its standard error.
    umol, umol_err : amount of Li in the reference, umol, and its standard error.
    saturation_factor : steady-state fraction of the reference's signal (1: fully relaxed).
    visibility : |visibility| of the reference (1 for a salt solution or fine powder).
    """
    if area <= 0 or umol <= 0:
        raise ValueError("reference area and amount must be positive")
    s = area / (umol * saturation_factor * visibility)
    rel = float(np.hypot(area_err / area, umol_err / umol))
    details = (("area", area), ("area_err", area_err), ("umol", umol), ("umol_err", umol_err))
    return Calibration(float(s), rel, "reference", details)


def electrode_visible_umol(
    face_area_cm2: float,
    *,
    nucleus: str = "7Li",
    field_t: float,
    deff_over_delta: float | None = None,
    temperature_k: float | None = None,
    molar_volume_cm3_mol: float = LI_MOLAR_VOLUME_CM3_MOL,
) -> tuple[float, float, float]:
    """Fully-visible-equivalent Li (umol) behind a bulk electrode line: the one definition.

    A bulk electrode (thickness >> delta) is detected to an effective depth ``|d_eff|`` only
    (science.md section 3): its signal equals that of ``face_area |d_eff| / V_m`` of fully
    visible Li, ``|d_eff| = deff_over_delta * delta`` (``None``: the linear-response
    semi-infinite value 1 / (2 sqrt 2) = 0.354).

    Returns ``(visible_umol, skin_depth_m, deff_over_delta)``.
    """
    delta_m = float(skin_depth_for(nucleus, field_t, temperature_k=temperature_k))
    if deff_over_delta is None:
        deff_over_delta = float(np.abs(semi_infinite_effective_thickness(1.0)))
    visible = face_area_cm2 * (deff_over_delta * delta_m * 100.0) / molar_volume_cm3_mol * 1e6
    return float(visible), delta_m, float(deff_over_delta)


def calibrate_electrode(
    area: float,
    area_err: float,
    face_area_cm2: float,
    *,
    nucleus: str = "7Li",
    field_t: float,
    saturation_factor: float = 1.0,
    deff_over_delta: float | None = None,
    temperature_k: float | None = None,
    geometry_rel_err: float = 0.0,
    molar_volume_cm3_mol: float = LI_MOLAR_VOLUME_CM3_MOL,
) -> Calibration:
    """Calibration from the bulk electrode line and the electrode's exposed face area.

    A bulk electrode (thickness >> delta) is detected to an effective depth ``d_eff`` only: its
    signal equals that of ``face_area * |d_eff| / V_m`` of fully visible Li.

    Parameters
    ----------
    area, area_err : fitted electrode area and its standard error.
    face_area_cm2 : total metal face area exposed to B1 (both electrodes, faces parallel to
        B1), cm2.
    nucleus, field_t : nucleus and field (T) of the measurement.
    saturation_factor : steady-state fraction of the electrode signal.
    deff_over_delta : |d_eff| / delta; ``None`` is the linear-response semi-infinite value
        1 / (2 sqrt 2) = 0.354 (real pulses: between ~0.35 and 1, science.md section 3).
    temperature_k : temperature for the resistivity (``None``: 20 C value).
    geometry_rel_err : relative uncertainty of ``face_area * d_eff``.
    molar_volume_cm3_mol : molar volume of Li metal, cm3/mol.
    """
    if area <= 0 or face_area_cm2 <= 0:
        raise ValueError("electrode area and face area must be positive")
    visible_umol, delta_m, deff_over_delta = electrode_visible_umol(
        face_area_cm2,
        nucleus=nucleus,
        field_t=field_t,
        deff_over_delta=deff_over_delta,
        temperature_k=temperature_k,
        molar_volume_cm3_mol=molar_volume_cm3_mol,
    )
    s = area / (visible_umol * saturation_factor)
    rel = float(np.hypot(area_err / area, geometry_rel_err))
    details = (
        ("area", area),
        ("face_area_cm2", face_area_cm2),
        ("skin_depth_um", delta_m * 1e6),
        ("deff_over_delta", deff_over_delta),
        ("visible_umol", visible_umol),
    )
    return Calibration(float(s), rel, "electrode", details)


def amounts(
    area: ArrayLike,
    area_err: ArrayLike,
    calibration: Calibration,
    *,
    saturation_factor: float = 1.0,
    visibility: float = 1.0,
    x6: float = LI6_NATURAL_FRACTION,
) -> dict[str, np.ndarray]:
    """Amount, mass and charge equivalent of the Li behind fitted areas.

    Parameters
    ----------
    area, area_err : fitted areas and their standard errors (any shape).
    calibration : signal per umol (:func:`calibrate_reference` or :func:`calibrate_electrode`).
    saturation_factor : steady-state fraction of this line's signal (:func:`saturation`).
    visibility : |visibility| of this line's metal (1: microstructure).
    x6 : 6Li atom fraction, for the molar mass.

    Returns
    -------
    dict
        ``umol``, ``ug``, ``uah`` and their ``*_err`` (area and calibration errors in
        quadrature), ``umol_stat_err`` (area error only) and ``calibration_rel_err``.
    """
    a = np.asarray(area, dtype=float)
    ae = np.asarray(area_err, dtype=float)
    umol = a / (calibration.signal_per_umol * saturation_factor * visibility)
    stat = np.abs(umol) * np.abs(ae / np.where(a != 0, a, np.inf))
    stat = np.where(
        a != 0, stat, ae / (calibration.signal_per_umol * saturation_factor * visibility)
    )
    err = np.hypot(stat, np.abs(umol) * calibration.rel_err)
    mm = float(li_molar_mass(x6))
    return {
        "umol": umol,
        "umol_err": err,
        "umol_stat_err": stat,
        "ug": np.asarray(umol_to_ug(umol, mm)),
        "ug_err": np.asarray(umol_to_ug(err, mm)),
        "uah": np.asarray(umol_to_uah(umol)),
        "uah_err": np.asarray(umol_to_uah(err)),
        "calibration_rel_err": np.full(umol.shape, calibration.rel_err),
    }
