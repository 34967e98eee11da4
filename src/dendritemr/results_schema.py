"""The shared schema of ``results.json`` (analysis) and ``ground_truth.json`` (simulator).

Description: ``docs/results-schema.md``. :func:`validate` checks a document, :func:`score`
compares an analysis with a truth.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from dendritemr.errors import DataError

__all__ = ["SCHEMA_ID", "STAGE_NAMES", "validate", "load_results", "score"]

SCHEMA_ID = "dendritemr.results/1"
STAGE_NAMES = ("interface-growth", "stall", "bulk-nucleation", "mixed-growth", "shorted")
_SERIES = ("x6_metal", "interface_fraction")
#: how far (h) a true stage boundary may lie outside the analysed time span and still be scored:
#: one second. The truth's time points and the acquisition times an analysis reads back from the
#: raw files differ by round-off (~4e-8 h in simulated studies); a second is far below any NMR
#: interval, so no boundary outside the analysed span is scored by it.
CLOCK_TOLERANCE_H = 1.0 / 3600.0


def _is_number_or_null(v: Any) -> bool:
    return v is None or (
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    )


def _check_series(doc: dict, key: str, values: Any, n: int, problems: list[str]) -> None:
    if not isinstance(values, list) or len(values) != n:
        problems.append(f"{key} must be a list of {n} values (one per time_h)")
    elif not all(_is_number_or_null(v) for v in values):
        problems.append(f"{key} holds a value that is neither a finite number nor null")


def validate(doc: Any, name: str = "<results>") -> None:
    """Raise :class:`DataError` (one line, all problems) unless ``doc`` follows the schema.

    Parameters
    ----------
    doc : the parsed JSON document.
    name : file name used in the message.
    """
    problems: list[str] = []
    if not isinstance(doc, dict):
        raise DataError(name, "results document must be a JSON object")
    if doc.get("schema") != SCHEMA_ID:
        problems.append(f"schema must be {SCHEMA_ID!r}, got {doc.get('schema')!r}")
    time_h = doc.get("time_h")
    if not isinstance(time_h, list) or not all(
        isinstance(t, int | float) and math.isfinite(t) for t in time_h
    ):
        problems.append("time_h must be a list of finite numbers (h)")
        time_h = []
    elif np.any(np.diff(time_h) <= 0):
        problems.append("time_h must increase")
    n = len(time_h)
    metal = doc.get("metal_umol")
    if not isinstance(metal, dict) or set(("interface", "bulk")) - set(metal):
        problems.append("metal_umol must be an object with 'interface' and 'bulk'")
    else:
        for route in ("interface", "bulk"):
            _check_series(doc, f"metal_umol.{route}", metal[route], n, problems)
            if f"{route}_err" in metal:
                _check_series(doc, f"metal_umol.{route}_err", metal[f"{route}_err"], n, problems)
    for key in _SERIES:
        if key not in doc:
            problems.append(f"{key} missing")
        else:
            _check_series(doc, key, doc[key], n, problems)
        if f"{key}_err" in doc:
            _check_series(doc, f"{key}_err", doc[f"{key}_err"], n, problems)
    stages = doc.get("stages")
    if not isinstance(stages, list):
        problems.append("stages must be a list")
    else:
        for i, s in enumerate(stages):
            if not isinstance(s, dict) or s.get("name") not in STAGE_NAMES:
                problems.append(f"stages[{i}].name must be one of {', '.join(STAGE_NAMES)}")
            elif (
                not all(
                    _is_number_or_null(s.get(k)) and s.get(k) is not None
                    for k in ("start_h", "end_h")
                )
                or s["end_h"] < s["start_h"]
            ):
                problems.append(f"stages[{i}] needs numbers start_h <= end_h")
    if "short_circuit_h" not in doc or not _is_number_or_null(doc["short_circuit_h"]):
        problems.append("short_circuit_h must be a number or null")
    rel = doc.get("metal_relative")
    if rel is not None:  # optional (analyze): the metal relative to the first electrode line
        if not isinstance(rel, dict) or not isinstance(rel.get("unit"), str):
            problems.append("metal_relative must be null or an object with a 'unit' string")
        else:
            for key in ("total", "total_err", "total_stat_err", "growth", "growth_err"):
                if key in rel:
                    _check_series(doc, f"metal_relative.{key}", rel[key], n, problems)
    warned = doc.get("warnings")
    if warned is not None and not (
        isinstance(warned, list)
        and all(isinstance(w, dict) and isinstance(w.get("message"), str) for w in warned)
    ):
        problems.append("warnings must be a list of objects with a 'message' string")
    if problems:
        raise DataError(name, "; ".join(problems))


def load_results(path: str | Path) -> dict:
    """Read and validate a results or ground-truth JSON file."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(path, f"unreadable JSON ({exc.__class__.__name__})") from None
    validate(doc, str(path))
    return doc


def _arr(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _on(truth_t: np.ndarray, values: list, t: np.ndarray) -> np.ndarray:
    v = _arr(values)
    good = np.isfinite(v)
    return np.interp(t, truth_t[good], v[good]) if good.any() else np.full(t.size, np.nan)


def _stage_starts(stages: list[dict]) -> dict[str, float]:
    out: dict[str, float] = {}
    for s in stages:
        out.setdefault(s["name"], float(s["start_h"]))
    return out


def score(results: dict, truth: dict) -> dict[str, Any]:
    """Compare an analysis with a truth (both validated), on the analysis time points.

    Returns
    -------
    dict
        ``metal_<route>_rmse_umol`` and ``metal_<route>_nrmse`` (RMSE over the largest true
        amount), ``x6_metal_mae``, ``interface_fraction_mae``, ``<quantity>_coverage`` (fraction
        of points with ``|error| <= 2 err`` where ``*_err`` is given),
        ``stage_<name>_start_error_h``
        (first interval of each stage present in both), ``short_circuit_error_h`` (None unless
        both give a short) and ``short_circuit_agrees`` (1.0 / 0.0: both or neither shorted),
        ``short_circuit_within_interval`` (1.0 / 0.0: the short within one median spacing of
        the analysis time points; None unless both shorted), ``stage_boundary_errors_h`` (for
        each boundary of the truth between stages of different names, the distance to the
        nearest analysis boundary; boundaries inside the analysed time span only),
        ``stage_boundary_max_error_fraction`` (their largest over the truth's duration:
        ``end_h`` or its last time point), ``stage_boundary_resolvable_max_error_fraction`` (the
        same over boundaries whose two neighbouring true stages each last at least two analysis
        intervals: a stage shorter than the sampling cannot be placed),
        ``stage_boundary_spurious_errors_h`` / ``stage_boundary_spurious_max_error_fraction``
        (the other direction: each analysis boundary to the nearest true one, so that extra
        analysis stages count) and
        ``interface_fraction_truth_span`` (max - min of the true interface fraction on the
        analysis time points).
    """
    validate(results, "<results>")
    validate(truth, "<truth>")
    t = _arr(results["time_h"])
    tt = _arr(truth["time_h"])
    out: dict[str, float | None] = {}

    def compare(name: str, est: list, true_vals: list, err: list | None, scale: bool) -> None:
        e = _arr(est)
        tr = _on(tt, true_vals, t)
        d = e - tr
        good = np.isfinite(d)
        if scale:
            out[f"{name}_rmse_umol"] = float(np.sqrt(np.mean(d[good] ** 2))) if good.any() else None
            peak = np.nanmax(np.abs(_arr(true_vals))) if true_vals else 0.0
            out[f"{name}_nrmse"] = (
                out[f"{name}_rmse_umol"] / peak
                if peak > 0 and out[f"{name}_rmse_umol"] is not None
                else None
            )
        else:
            out[f"{name}_mae"] = float(np.mean(np.abs(d[good]))) if good.any() else None
        if err is not None:
            s = _arr(err)
            ok = good & np.isfinite(s)
            out[f"{name}_coverage"] = (
                float(np.mean(np.abs(d[ok]) <= 2 * s[ok])) if ok.any() else None
            )

    for route in ("interface", "bulk"):
        m = results["metal_umol"]
        compare(f"metal_{route}", m[route], truth["metal_umol"][route], m.get(f"{route}_err"), True)
    for key in _SERIES:
        compare(key, results[key], truth[key], results.get(f"{key}_err"), False)
    est, true = _stage_starts(results["stages"]), _stage_starts(truth["stages"])
    for name in STAGE_NAMES:
        if name in est and name in true:
            out[f"stage_{name}_start_error_h"] = est[name] - true[name]
    a, b = results["short_circuit_h"], truth["short_circuit_h"]
    out["short_circuit_agrees"] = float((a is None) == (b is None))
    out["short_circuit_error_h"] = None if a is None or b is None else float(a - b)
    step = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    out["short_circuit_within_interval"] = (
        None if a is None or b is None else float(abs(a - b) <= step)
    )
    mine = _boundaries(results["stages"])
    errors, resolvable = [], []
    merged = _merged(truth["stages"])
    for k in range(1, len(merged)):
        tb = merged[k]["start_h"]
        # a boundary on the first or last analysis time point counts: the two documents'
        # clocks differ by round-off (simulated studies: ~4e-8 h between the truth's time
        # points and the acquisition times read back), which dropped the truth's `shorted`
        # boundary when it lay on the last time point
        if not (t.size and t[0] - CLOCK_TOLERANCE_H <= tb <= t[-1] + CLOCK_TOLERANCE_H):
            continue
        e = float(np.min(np.abs(mine - tb))) if mine.size else float("inf")
        errors.append(e)
        lengths = [s["end_h"] - s["start_h"] for s in (merged[k - 1], merged[k])]
        if min(lengths) >= 2 * step:
            resolvable.append(e)
    out["stage_boundary_errors_h"] = errors
    duration = float(truth.get("end_h") or (tt[-1] if tt.size else 0.0))
    out["stage_boundary_max_error_fraction"] = (
        max(errors) / duration if errors and duration > 0 else None
    )
    out["stage_boundary_resolvable_max_error_fraction"] = (
        max(resolvable) / duration if resolvable and duration > 0 else None
    )
    # the other direction: each analysis boundary to the nearest true one (a spurious stage
    # costs nothing above)
    theirs = _boundaries(truth["stages"])
    spurious = [
        float(np.min(np.abs(theirs - b))) if theirs.size else float("inf")
        for b in mine
        if tt.size
        and tt[0] - CLOCK_TOLERANCE_H <= b <= (truth.get("end_h") or tt[-1]) + CLOCK_TOLERANCE_H
    ]
    out["stage_boundary_spurious_errors_h"] = spurious
    out["stage_boundary_spurious_max_error_fraction"] = (
        max(spurious) / duration if spurious and duration > 0 else None
    )
    f = _on(tt, truth["interface_fraction"], t)
    out["interface_fraction_truth_span"] = (
        float(np.nanmax(f) - np.nanmin(f)) if np.isfinite(f).any() else None
    )
    return out


def _merged(stages: list[dict]) -> list[dict]:
    """Stages with neighbours of one name joined."""
    out: list[dict] = []
    for s in stages:
        if out and out[-1]["name"] == s["name"]:
            out[-1]["end_h"] = float(s["end_h"])
        else:
            out.append(
                {"name": s["name"], "start_h": float(s["start_h"]), "end_h": float(s["end_h"])}
            )
    return out


def _boundaries(stages: list[dict]) -> np.ndarray:
    """Times where the stage name changes (start of every stage but the first)."""
    return np.array([s["start_h"] for s in _merged(stages)[1:]])
