"""Atoms from areas: 6Li fraction x6 and amounts of each line group per time point.

For isotope k a line group's area is (``docs/science.md`` section 3)::

    A_k = C_k * N_k * s_k,        s_k = w_k * S_k(TR_k, T1_k, flip_k) * v_k

``w_k = gamma_k^3 I_k (I_k + 1)`` relative to 7Li (:func:`dendritemr.physics.signal_per_nucleus`),
``S_k`` the steady-state saturation (Ernst; :func:`dendritemr.physics.saturation_factor`) with the
line's T1 in that isotope (Li metal: Korringa unless given; electrolyte/LLZO: must be given or
is taken as fully relaxed, and the result says so), ``v_k`` the relative skin-depth visibility
(bulk electrode: ``delta_k / delta_7``, i.e. 1.625 for 6Li; microstructure and electrolyte: 1).
``C_k`` is the instrument factor (signal per umol of fully visible, relaxed atoms of isotope k);
``K = C6 / C7`` is calibrated on a reference of known x6 or on a line of known x6.

Then ``N6 / N7 = (A6 / s6) / (K A7 / s7)``, ``x6 = N6 / (N6 + N7)``, and with a 7Li calibration
``N7 = A7 / (C7 s7)``, ``N = N6 + N7``. Standard errors by the delta method with the covariance of
``A6`` and ``A7`` from the joint fit (they share centres and widths)::

    var(ln r) = (sA6/A6)^2 + (sA7/A7)^2 - 2 cov(A6, A7) / (A6 A7) + (sK/K)^2
    sigma_x6 = x6 (1 - x6) sqrt(var(ln r))
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from dendritemr.errors import ProcessingError
from dendritemr.fit.crlb import x6_from_areas
from dendritemr.physics import (
    LI6_NATURAL_FRACTION,
    korringa_t1,
    saturation_factor,
    signal_per_nucleus,
    skin_depth_for,
)

__all__ = [
    "Acquisition",
    "Relaxation",
    "signal_per_atom",
    "calibrate_k_from_line",
    "x6_series",
    "electrode_calibration",
    "amount_series",
    "amount_x6_cov",
]

METAL_GROUPS = ("electrode", "microstructure")


@dataclass(frozen=True)
class Acquisition:
    """What sets the signal per atom of one nucleus' spectra.

    Parameters
    ----------
    nucleus : ``"6Li"`` or ``"7Li"``.
    tr_s : repetition time D1 + AQ, s (``inf``: fully relaxed).
    flip_deg : excitation flip angle, degrees.
    """

    nucleus: str
    tr_s: float = np.inf
    flip_deg: float = 90.0


@dataclass(frozen=True)
class Relaxation:
    """T1 (s) of each line group in each isotope; ``None``: Korringa for metal groups, fully
    relaxed (assumed, reported) for the electrolyte.

    ``t1_s`` maps ``(group, nucleus)`` -> seconds, e.g. ``{("electrolyte", "6Li"): 10.0}``.
    """

    t1_s: dict = field(default_factory=dict)
    temperature_k: float = 298.15

    def __post_init__(self) -> None:
        for key, value in self.t1_s.items():
            if not (np.isfinite(value) and value > 0):
                raise ProcessingError(f"T1 of {key[0]} ({key[1]}) must be positive, not {value}")

    def t1(self, group: str, nucleus: str) -> float | None:
        value = self.t1_s.get((group, nucleus))
        if value is None and group in METAL_GROUPS:
            return float(korringa_t1(nucleus, self.temperature_k))
        return value


def signal_per_atom(
    group: str, acq: Acquisition, relax: Relaxation, field_t: float
) -> dict[str, float]:
    """Signal per atom of a group in one isotope relative to a fully visible, relaxed 7Li atom.

    Returns ``{"receptivity", "saturation", "visibility", "total", "t1_s"}`` (``t1_s`` None when
    the line was taken as fully relaxed).
    """
    w = float(signal_per_nucleus(acq.nucleus))
    t1 = relax.t1(group, acq.nucleus)
    sat = 1.0 if t1 is None else float(saturation_factor(acq.tr_s, t1, acq.flip_deg))
    vis = 1.0
    if group == "electrode":
        d = skin_depth_for(acq.nucleus, field_t, temperature_k=relax.temperature_k)
        d7 = skin_depth_for("7Li", field_t, temperature_k=relax.temperature_k)
        vis = float(d / d7)
    return {
        "receptivity": w,
        "saturation": sat,
        "visibility": vis,
        "total": w * sat * vis,
        "t1_s": t1,
    }


def _pair(ds: xr.Dataset, group: str, i6: int, i7: int, stat: bool = False):
    """Areas, errors and covariance of a group's 6Li and 7Li lines; ``stat``: the errors
    without the held parameters' (``group_area_stat_err``, when the decomposition has them)."""
    err, cov_name = "group_area_err", "group_area_cov"
    if stat and "group_area_stat_err" in ds:
        err, cov_name = "group_area_stat_err", "group_area_stat_cov"
    a6 = ds["group_area"].sel(group=group).isel(nucleus=i6).values
    a7 = ds["group_area"].sel(group=group).isel(nucleus=i7).values
    e6 = ds[err].sel(group=group).isel(nucleus=i6).values
    e7 = ds[err].sel(group=group).isel(nucleus=i7).values
    cov = ds[cov_name].sel(group=group).values
    if i6 == 1 and i7 == 0:
        pass  # group_area_cov is cov(nucleus 0, nucleus 1): symmetric
    return a6, e6, a7, e7, np.nan_to_num(cov)


def _indices(ds: xr.Dataset) -> tuple[int, int]:
    nuc = [str(n) for n in ds["nucleus"].values]
    if "6Li" not in nuc or "7Li" not in nuc:
        raise ProcessingError(f"x6 needs 6Li and 7Li spectra, got {nuc}")
    return nuc.index("6Li"), nuc.index("7Li")


def calibrate_k_from_line(
    ds: xr.Dataset,
    group: str,
    x6_known: float,
    acq6: Acquisition,
    acq7: Acquisition,
    relax: Relaxation,
    field_t: float,
    *,
    time_index: int | None = 0,
    x6_err: float = 0.0,
) -> tuple[float, float]:
    """Instrument ratio ``K = C6 / C7`` and its relative error from a group of known x6.

    Parameters
    ----------
    ds : :func:`dendritemr.quant.decompose.decompose` result with 6Li and 7Li.
    group : ``"electrolyte"`` (e.g. natural-abundance LLZO before exchange), ``"electrode"``...
    x6_known, x6_err : its 6Li atom fraction and standard error.
    time_index : spectrum pair used (``None``: the error-weighted mean over all pairs).

    Raises
    ------
    ProcessingError
        no signal of that group in one of the spectra, or x6 outside (0, 1).
    """
    if not 0.0 < x6_known < 1.0:
        raise ProcessingError(f"known x6 must lie in (0, 1), not {x6_known}")
    i6, i7 = _indices(ds)
    a6, e6, a7, e7, cov = _pair(ds, group, i6, i7)
    s6 = signal_per_atom(group, acq6, relax, field_t)["total"]
    s7 = signal_per_atom(group, acq7, relax, field_t)["total"]
    ratio = x6_known / (1.0 - x6_known)
    k = (a6 / s6) / (a7 / s7) / ratio
    with np.errstate(divide="ignore", invalid="ignore"):
        rel2 = (e6 / a6) ** 2 + (e7 / a7) ** 2 - 2 * cov / (a6 * a7)
    if time_index is not None:
        k, rel2 = k[time_index : time_index + 1], rel2[time_index : time_index + 1]
    ok = np.isfinite(k) & (k > 0) & np.isfinite(rel2) & (rel2 > 0)
    if not ok.any():
        raise ProcessingError(f"no usable {group} signal in both spectra to calibrate K")
    w = 1.0 / rel2[ok]
    lnk = np.sum(w * np.log(k[ok])) / w.sum()
    rel = np.sqrt(1.0 / w.sum() + (x6_err / (x6_known * (1 - x6_known))) ** 2)
    return float(np.exp(lnk)), float(rel)


def x6_series(
    ds: xr.Dataset,
    k: float,
    k_rel_err: float,
    acq6: Acquisition,
    acq7: Acquisition,
    relax: Relaxation,
    field_t: float,
) -> xr.Dataset:
    """x6 of every group at every time point, with standard errors.

    Returns a Dataset with ``x6``, ``x6_err`` and ``x6_stat_err`` (without the K error and the
    held parameters' of the decomposition: errors common to every time point)
    ``(time, group)`` and the signal-per-atom factors in attrs. NaN where the group's atoms
    ``n6 + n7`` are not positive (no line); x6 may fall just outside [0, 1] where one isotope's
    area scatters about zero (its error says so).
    """
    i6, i7 = _indices(ds)
    groups = [str(g) for g in ds["group"].values]
    x6 = np.full((ds.sizes["time"], len(groups)), np.nan)
    err = np.full_like(x6, np.nan)
    stat = np.full_like(x6, np.nan)
    factors = {}
    for gi, g in enumerate(groups):
        a6, e6, a7, e7, cov = _pair(ds, g, i6, i7)
        f6 = signal_per_atom(g, acq6, relax, field_t)
        f7 = signal_per_atom(g, acq7, relax, field_t)
        factors[g] = {"6Li": f6, "7Li": f7}
        kw = {"a6_err": e6, "a7_err": e7, "cov": cov}
        _, s6, _, s7, scov = _pair(ds, g, i6, i7, stat=True)
        kw_stat = {"a6_err": s6, "a7_err": s7, "cov": scov}
        xx, se_stat = x6_from_areas(a6, a7, k, f6["total"], f7["total"], **kw_stat)
        _, se = x6_from_areas(a6, a7, k, f6["total"], f7["total"], k_err=k * k_rel_err, **kw)
        # defined where the group holds atoms: n6 + n7 > 0 (one isotope's area may scatter
        # about zero, e.g. the 7Li line of 6Li-enriched metal)
        good = np.isfinite(xx) & (a6 / (k * f6["total"]) + a7 / f7["total"] > 0)
        x6[good, gi] = xx[good]
        stat[good, gi] = se_stat[good]
        err[good, gi] = se[good]
    out = xr.Dataset(
        {
            "x6": (("time", "group"), x6, {"units": "1", "long_name": "6Li atom fraction"}),
            "x6_err": (("time", "group"), err, {"units": "1"}),
            "x6_stat_err": (("time", "group"), stat, {"units": "1"}),
        },
        coords={k_: v for k_, v in ds.coords.items() if v.dims in (("time",), ("group",))},
    )
    out.attrs.update(k_instrument=k, k_rel_err=k_rel_err, signal_per_atom=str(factors))
    return out


def electrode_calibration(
    ds: xr.Dataset,
    face_area_cm2: float,
    acq7: Acquisition,
    relax: Relaxation,
    field_t: float,
    *,
    x6_electrode: float,
    time_index: int = 0,
    deff_over_delta: float | None = None,
    geometry_rel_err: float = 0.0,
) -> dict:
    """``C7``: 7Li signal per umol of fully visible, relaxed 7Li, from the electrode line.

    A bulk electrode is seen to an effective depth ``|d_eff|`` (semi-infinite linear response:
    ``delta / (2 sqrt 2)``, science.md section 3): its 7Li signal is that of
    ``face_area |d_eff| / V_m (1 - x6_electrode)`` umol of fully visible 7Li, saturated by the
    Korringa (or given) T1. ``time_index`` names the spectrum used; it is returned.
    """
    i7 = [str(n) for n in ds["nucleus"].values].index("7Li")
    a = float(ds["group_area"].sel(group="electrode").isel(nucleus=i7, time=time_index))
    ae = float(ds["group_area_err"].sel(group="electrode").isel(nucleus=i7, time=time_index))
    if not a > 0 or face_area_cm2 <= 0:
        raise ProcessingError("electrode calibration needs a positive electrode area and face area")
    from dendritemr.quant.amounts import electrode_visible_umol

    visible, delta, deff_over_delta = electrode_visible_umol(
        face_area_cm2,
        field_t=field_t,
        deff_over_delta=deff_over_delta,
        temperature_k=relax.temperature_k,
    )
    visible7 = visible * (1.0 - x6_electrode)
    f7 = signal_per_atom("microstructure", acq7, relax, field_t)  # no visibility factor here
    c7 = a / (visible7 * f7["total"])
    return {
        "c7_signal_per_umol": c7,
        "rel_err": float(np.hypot(ae / a, geometry_rel_err)),
        "method": "electrode",
        "time_index": int(time_index),
        "time_h": float(ds["hours"].values[time_index]) if "hours" in ds.coords else None,
        "face_area_cm2": face_area_cm2,
        "skin_depth_um": delta * 1e6,
        "deff_over_delta": deff_over_delta,
        "visible_7li_umol": visible7,
        "x6_electrode": x6_electrode,
    }


#: long name of ``amount_series``' ``umol_x6_cov``
COV_NAME = "cov(umol, x6)"


def amount_x6_cov(n6, n7, s6, s7, c67=0.0, k_rel_err: float = 0.0):
    """Covariance of ``n = n6 + n7`` with ``x6 = n6 / n`` (umol) by the delta method.

    ``s6``, ``s7``, ``c67``: standard errors and covariance of the atoms ``n6``, ``n7``
    (umol, umol^2); ``k_rel_err``: relative error of ``K``, which scales ``n6`` alone
    (``d ln n6 = -d ln K``). ``dn = dn6 + dn7`` and ``dx6 = (n7 dn6 - n6 dn7) / n^2``, so::

        cov(n, x6) = (n7 (s6^2 + c67) - n6 (s7^2 + c67)) / n^2 + n6^2 n7 / n^2 (sK/K)^2

    (``C7`` scales both isotopes: it leaves x6 alone and adds nothing). With ``var(n)`` and
    ``var(x6)`` of the same errors (:func:`amount_series`, :func:`x6_series`) it is the whole
    covariance of ``(n, x6)``: the route amounts are linear in it
    (:func:`dendritemr.timeline.attribute_routes`)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        n2 = (n6 + n7) ** 2
        out = (n7 * (s6**2 + c67) - n6 * (s7**2 + c67)) / n2 + n6**2 * n7 / n2 * k_rel_err**2
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


def amount_series(
    ds: xr.Dataset,
    c7: float,
    c7_rel_err: float,
    acq7: Acquisition,
    relax: Relaxation,
    field_t: float,
    *,
    acq6: Acquisition | None = None,
    k: float | None = None,
    k_rel_err: float = 0.0,
    x6_assumed: float = LI6_NATURAL_FRACTION,
) -> xr.Dataset:
    """Amount of Li (umol, both isotopes) of every group at every time point.

    With 6Li spectra and ``k``: ``N = N6 + N7`` from both areas. Otherwise ``N7`` from the 7Li
    area and ``N = N7 / (1 - x6_assumed)`` (attrs say which). Errors: ``umol_stat_err`` from
    the fit (with the 6Li/7Li covariance; without the held parameters' errors of the
    decomposition, ``group_area_stat_err``, common to every time point like the calibration's),
    ``umol_err`` from the fit with them plus the calibration errors (C7, K).
    ``umol_x6_cov`` / ``umol_x6_stat_cov``: the covariance of the amount with the group's x6
    (:func:`x6_series` with the same ``k``; both come from the same two areas), with the same
    errors as ``umol_err`` / ``umol_stat_err`` (:func:`amount_x6_cov`); 0 without 6Li data
    (x6 assumed). The electrode group is a fully-visible equivalent (its surface layer only).
    """
    groups = [str(g) for g in ds["group"].values]
    nuc = [str(n) for n in ds["nucleus"].values]
    i7 = nuc.index("7Li")
    both = acq6 is not None and k is not None and "6Li" in nuc
    n_t = ds.sizes["time"]
    umol = np.zeros((n_t, len(groups)))
    stat = np.zeros_like(umol)
    tot = np.zeros_like(umol)
    u7 = np.zeros_like(umol)
    cov_x6 = np.zeros_like(umol)
    cov_x6_stat = np.zeros_like(umol)
    for gi, g in enumerate(groups):
        f7 = signal_per_atom(g, acq7, relax, field_t)["total"]
        a7 = ds["group_area"].sel(group=g).isel(nucleus=i7).values
        e7 = ds["group_area_err"].sel(group=g).isel(nucleus=i7).values
        has_stat = "group_area_stat_err" in ds
        s7 = ds["group_area_stat_err"].sel(group=g).isel(nucleus=i7).values if has_stat else e7
        n7 = a7 / (c7 * f7)
        u7[:, gi] = n7
        if both:
            i6 = nuc.index("6Li")
            f6 = signal_per_atom(g, acq6, relax, field_t)["total"]
            a6, e6, _, _, cov = _pair(ds, g, i6, i7)
            _, s6, _, s7, scov = _pair(ds, g, i6, i7, stat=True)
            g6, g7 = 1.0 / (k * c7 * f6), 1.0 / (c7 * f7)
            n6 = a6 * g6
            n = n6 + n7
            var = (g6 * e6) ** 2 + (g7 * e7) ** 2 + 2 * g6 * g7 * cov
            var_stat = (g6 * s6) ** 2 + (g7 * s7) ** 2 + 2 * g6 * g7 * scov
            sys2 = (n * c7_rel_err) ** 2 + (n6 * k_rel_err) ** 2
            cov_x6[:, gi] = amount_x6_cov(n6, n7, g6 * e6, g7 * e7, g6 * g7 * cov, k_rel_err)
            cov_x6_stat[:, gi] = amount_x6_cov(n6, n7, g6 * s6, g7 * s7, g6 * g7 * scov)
        else:
            n = n7 / (1.0 - x6_assumed)
            var = (e7 / (c7 * f7) / (1.0 - x6_assumed)) ** 2
            var_stat = (s7 / (c7 * f7) / (1.0 - x6_assumed)) ** 2
            sys2 = (n * c7_rel_err) ** 2
        umol[:, gi] = n
        stat[:, gi] = np.sqrt(np.maximum(var_stat, 0))
        tot[:, gi] = np.sqrt(np.maximum(var, 0) + sys2)
    coords = {k_: v for k_, v in ds.coords.items() if v.dims in (("time",), ("group",))}
    out = xr.Dataset(
        {
            "umol": (("time", "group"), umol, {"units": "umol"}),
            "umol_err": (("time", "group"), tot, {"units": "umol"}),
            "umol_stat_err": (("time", "group"), stat, {"units": "umol"}),
            "umol_7li": (("time", "group"), u7, {"units": "umol", "long_name": "7Li atoms"}),
            "umol_x6_cov": (("time", "group"), cov_x6, {"units": "umol", "long_name": COV_NAME}),
            "umol_x6_stat_cov": (("time", "group"), cov_x6_stat, {"units": "umol"}),
        },
        coords=coords,
    )
    out.attrs["atoms_from"] = "6Li + 7Li areas" if both else f"7Li area, x6 assumed {x6_assumed}"
    out.attrs["electrode_note"] = "fully-visible-equivalent amount (surface layer only)"
    return out
