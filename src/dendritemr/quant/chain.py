"""The one chain from a line decomposition to x6 and amounts: K -> x6 -> C7 -> umol.

Both the command line (:func:`dendritemr.quant.run.analyse_pair`) and ``analyze``
(:mod:`dendritemr.pipeline`) call :func:`quantify_decomposition`; they differ only in where the
instrument ratio ``K = C6 / C7`` comes from, which is a list of sources tried in order:

- :class:`KGiven`: a known K (and its relative error);
- :class:`KReference`: a 6Li/7Li reference pair of known x6 measured with the same settings
  (fully relaxed unless said otherwise), its line ``group`` calibrates K;
- :class:`KKnownLine`: a line of the sample itself of known x6 at one pair (e.g. the
  natural-abundance LLZO line before exchange) or over all pairs.

Formulas are in :mod:`dendritemr.quant.atoms` (docs/quantification.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from dendritemr.errors import DataError, DendriteMRError, ProcessingError
from dendritemr.physics import LI6_NATURAL_FRACTION
from dendritemr.quant import atoms as A

__all__ = ["KGiven", "KReference", "KKnownLine", "instrument_ratio", "quantify_decomposition"]


@dataclass(frozen=True)
class KGiven:
    """A known instrument ratio ``K = C6 / C7`` with its relative standard error."""

    k: float
    rel_err: float = 0.0

    def describe(self) -> str:
        return "given"


@dataclass(frozen=True)
class KReference:
    """A reference pair (paths of its 7Li and 6Li raw data) whose ``group`` line has x6 ``x6``.

    ``relaxed``: acquired fully relaxed (long recycle delay), so no saturation correction;
    otherwise the sample's T1 values apply.
    """

    li7: Path
    li6: Path
    x6: float
    group: str = "electrolyte"
    x6_err: float = 0.0
    relaxed: bool = True
    name: str = ""

    def describe(self) -> str:
        who = f"'{self.name}'" if self.name else f"{self.li7} / {self.li6}"
        return f"reference {who}, {self.group} line, x6 {self.x6}"


@dataclass(frozen=True)
class KKnownLine:
    """A line of the sample of known x6 at pair ``index`` (``None``: every pair)."""

    group: str
    x6: float
    index: int | None = 0
    x6_err: float = 0.0

    def describe(self) -> str:
        at = "all pairs" if self.index is None else f"pair {self.index}"
        return f"{self.group} line of known x6 {self.x6} ({at})"


def _reference_k(src: KReference, field_t: float, relax: A.Relaxation, decompose_kw: dict):
    from dendritemr.quant.decompose import decompose
    from dendritemr.quant.run import acquisition, fit_spectra, pair_series

    # warnings of the readers and the fit reach the caller (analyze records them in results.json)
    r7, r6 = fit_spectra(src.li7), fit_spectra(src.li6)
    rfield = pair_series(r7, r6, src.li7, src.li6)
    if abs(rfield - field_t) > 1e-3 * field_t:
        raise DataError(src.li7, f"reference field {rfield:.4f} T differs from {field_t:.4f} T")
    r6 = r6.assign_coords(hours=("time", r7["hours"].values))
    try:
        rds = decompose([r7, r6], **decompose_kw)
    except ProcessingError as exc:
        raise DataError(src.li7, f"reference: {exc}") from exc
    rrelax = A.Relaxation({}, relax.temperature_k) if src.relaxed else relax
    return A.calibrate_k_from_line(
        rds,
        src.group,
        src.x6,
        acquisition(r6),
        acquisition(r7),
        rrelax,
        field_t,
        time_index=None,
        x6_err=src.x6_err,
    )


def instrument_ratio(
    sources: list,
    ds: xr.Dataset,
    acq6: A.Acquisition,
    acq7: A.Acquisition,
    relax: A.Relaxation,
    field_t: float,
    *,
    decompose_kw: dict | None = None,
) -> tuple[tuple[float, float] | None, str, list[str]]:
    """``K`` from the first source that works.

    Returns ``((K, rel_err) or None, description, notes)``; ``notes`` says why each earlier
    source failed. Raises nothing for a failing source (the caller decides whether a missing K
    is an error).
    """
    notes: list[str] = []
    for src in sources:
        try:
            if isinstance(src, KGiven):
                if not (np.isfinite(src.k) and src.k > 0):
                    raise ValueError(f"K must be positive, not {src.k}")
                return (float(src.k), float(src.rel_err)), src.describe(), notes
            if isinstance(src, KReference):
                k = _reference_k(src, field_t, relax, decompose_kw or {})
            elif isinstance(src, KKnownLine):
                k = A.calibrate_k_from_line(
                    ds,
                    src.group,
                    src.x6,
                    acq6,
                    acq7,
                    relax,
                    field_t,
                    time_index=src.index,
                    x6_err=src.x6_err,
                )
                missing = [n for n in ("6Li", "7Li") if (src.group, n) not in relax.t1_s]
                if src.group == "electrolyte" and missing:
                    notes.append(
                        f"no {'/'.join(missing)} T1 of the {src.group} line: it is taken as "
                        "fully relaxed when K is calibrated on it"
                    )
            else:
                raise TypeError(f"unknown K source {src!r}")
            return k, src.describe(), notes
        except (DendriteMRError, ValueError) as exc:
            notes.append(f"{src.describe()} not usable for K ({exc})")
    return None, "", notes


@dataclass
class Quantified:
    """What :func:`quantify_decomposition` returns.

    ``x6``: :func:`~dendritemr.quant.atoms.x6_series` result or None (no 6Li or no K);
    ``amounts``: :func:`~dendritemr.quant.atoms.amount_series` result or None (no
    calibration); ``k``: ``(K, rel_err)`` or None; ``k_source``; ``calibration`` (C7 and how it
    was obtained) or None; ``notes``: sentences on what could not be computed and why.
    """

    x6: xr.Dataset | None = None
    amounts: xr.Dataset | None = None
    k: tuple[float, float] | None = None
    k_source: str = ""
    calibration: dict | None = None
    notes: list[str] = field(default_factory=list)


def quantify_decomposition(
    ds: xr.Dataset,
    acq7: A.Acquisition,
    relax: A.Relaxation,
    field_t: float,
    *,
    acq6: A.Acquisition | None = None,
    k_sources: list | None = None,
    calibration: dict | None = None,
    x6_electrode: float | None = None,
    x6_assumed: float = LI6_NATURAL_FRACTION,
    decompose_kw: dict | None = None,
    calibration_required: bool = True,
) -> Quantified:
    """K, x6 of every line group per time point, C7 and amounts from a decomposition.

    Parameters
    ----------
    ds : :func:`dendritemr.quant.decompose.decompose` result (7Li, optionally 6Li).
    acq7, acq6 : acquisitions of the series (``acq6`` None: 7Li only).
    relax : T1 per (group, nucleus).
    field_t : B0, T.
    k_sources : :class:`KGiven`, :class:`KReference`, :class:`KKnownLine` tried in order.
    calibration : ``{"electrode_face_area_cm2": A, "index": i}`` (C7 from the electrode line of
        spectrum ``i``) or ``{"c7": S, "rel_err": r}``; None: no amounts.
    x6_electrode : x6 of the electrode for the electrode calibration (default: measured at the
        calibration spectrum when 6Li and K are there, else ``x6_assumed``).
    x6_assumed : x6 of every line when there is no 6Li data (amounts ``N7 / (1 - x6)``).
    calibration_required : raise when the calibration fails (default); ``False``: return
        without amounts and say why in ``notes`` (K and x6 are kept, not computed again).

    Raises
    ------
    ProcessingError
        calibration spectrum out of range or no positive electrode line there (only with
        ``calibration_required``).
    """
    out = Quantified()
    if acq6 is not None:
        out.k, out.k_source, out.notes = instrument_ratio(
            k_sources or [], ds, acq6, acq7, relax, field_t, decompose_kw=decompose_kw
        )
        if out.k is not None:
            out.x6 = A.x6_series(ds, out.k[0], out.k[1], acq6, acq7, relax, field_t)
    if calibration is None:
        return out
    try:
        out.calibration = _c7(ds, out, calibration, acq7, relax, field_t, x6_electrode, x6_assumed)
    except (ProcessingError, ValueError) as exc:
        if calibration_required:
            raise
        out.notes.append(f"amounts not calibrated: {exc}")
        return out
    cal = out.calibration
    out.amounts = A.amount_series(
        ds,
        cal["c7_signal_per_umol"],
        cal["rel_err"],
        acq7,
        relax,
        field_t,
        acq6=acq6 if out.k is not None else None,
        k=None if out.k is None else out.k[0],
        k_rel_err=0.0 if out.k is None else out.k[1],
        x6_assumed=x6_assumed,
    )
    return out


def _c7(ds, out: Quantified, calibration, acq7, relax, field_t, x6_electrode, x6_assumed):
    """C7 from the calibration spec (given, or the electrode line of one spectrum)."""
    if "c7" in calibration:
        cal = {
            "c7_signal_per_umol": float(calibration["c7"]),
            "rel_err": float(calibration.get("rel_err", 0.0)),
            "method": "given",
        }
    else:
        index = int(calibration.get("index", 0))
        if not 0 <= index < ds.sizes["time"]:
            raise ProcessingError(f"calibration spectrum {index} outside 0..{ds.sizes['time'] - 1}")
        xe = x6_electrode
        if xe is None and out.x6 is not None:
            measured = float(out.x6["x6"].sel(group="electrode").values[index])
            xe = measured if np.isfinite(measured) else None
        if xe is None:
            xe = x6_assumed
            out.notes.append(f"electrode calibrated at x6 {xe} (not measured)")
        cal = A.electrode_calibration(
            ds,
            float(calibration["electrode_face_area_cm2"]),
            acq7,
            relax,
            field_t,
            x6_electrode=xe,
            time_index=index,
        )
    return cal


def group_table(ds: xr.Dataset | None, name: str) -> dict[str, Any]:
    """``{group: {"value": [...], "err": [...]}}`` of a per-(time, group) result."""
    if ds is None:
        return {}
    return {
        g: {
            "value": ds[name].sel(group=g).values.tolist(),
            "err": ds[f"{name}_err"].sel(group=g).values.tolist(),
        }
        for g in ds["group"].values.tolist()
    }
