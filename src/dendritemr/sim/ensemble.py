"""Many runs of the cell model (seeds x parameter points) gathered into one xarray Dataset.

Every run is a pure function of its scenario and seed (:func:`run_truth`): it reads nothing but
its arguments, draws every random number from the seed and returns a JSON-ready ground truth
(the shared results schema, ``docs/results-schema.md``, at the study's NMR time points, plus the
run's scalars). :func:`ensemble` maps it over the grid with any ``map`` (the builtin, a
``concurrent.futures`` executor's ``map``, a distributed client's), so a scheduler can run the
runs in parallel; with ``out_dir`` each run is written atomically to its own JSON file
(temporary file + rename) and a file already there is reused, so an interrupted ensemble
restarts where it stopped.

Example
-------
>>> from dendritemr.sim.ensemble import ensemble        # doctest: +SKIP
>>> ds = ensemble(load_scenario(), seeds=range(1, 11),
...               points={"llzo.sigma_e_reduced_S_cm": [3e-5, 1e-4]})
>>> ds.short_circuit_h.median("seed")
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from dendritemr.sim.scenario import Scenario, scenario_from_dict

__all__ = [
    "run_truth",
    "ensemble",
    "first_stage_summary",
    "x6_move",
    "summarize_truth",
    "relabel_truth",
]

_SERIES = (
    "interface_umol",
    "bulk_umol",
    "x6_metal",
    "interface_fraction",
    "x6_interface",
    "x6_bulk",
    "tip_depth_um",
    "voltage_V",
)
_ROUTES = ("interface_umol", "bulk_umol")
_SCALARS = (
    "short_circuit_h",
    "end_h",
    "runtime_s",
    "cpu_s",
    "n_steps",
    "first_stall_h",
    "first_bulk_start_h",
    "first_bulk_end_h",
    "bulk_share_first_bulk_end",
    "interface_fraction_span",
    "x6_first_interface_end",
    "x6_first_bulk_end",
    "x6_move_se",
)


def x6_move(
    time_h, interface_umol, bulk_umol, x6_interface, x6_bulk, t0_h, t1_h, sigma6, sigma7
) -> tuple[float, float, float]:
    """x6 of the dendritic metal at two times and its change in standard errors.

    The metal's 6Li fraction is ``x = (I x_I + B x_B) / M`` with ``M = I + B``; one 7Li/6Li
    pair measures it with the standard error ``sqrt(((1 - x) s6)^2 + (x s7)^2) / M``
    (propagation of the 6Li and 7Li amount errors ``s6``, ``s7`` of the ideal observer,
    :mod:`dendritemr.sim.observables.detection`); the change between two pairs is compared
    with the root sum of squares of both errors.

    Returns
    -------
    (x6 at t0, x6 at t1, |change| / standard error of the change); NaN where undefined.
    """
    t = np.asarray(time_h, float)
    vals = []
    for when in (t0_h, t1_h):
        i_ = float(np.interp(when, t, interface_umol))
        b_ = float(np.interp(when, t, bulk_umol))
        xi = np.asarray(x6_interface, float)
        xb = np.asarray(x6_bulk, float)
        xi_t = float(np.interp(when, t[np.isfinite(xi)], xi[np.isfinite(xi)])) if i_ > 0 else 0.0
        xb_t = float(np.interp(when, t[np.isfinite(xb)], xb[np.isfinite(xb)])) if b_ > 0 else 0.0
        m = i_ + b_
        if m <= 0:
            return np.nan, np.nan, np.nan
        x = (i_ * xi_t + b_ * xb_t) / m
        vals.append((x, np.hypot((1 - x) * sigma6, x * sigma7) / m))
    (x0, e0), (x1, e1) = vals
    return x0, x1, abs(x1 - x0) / np.hypot(e0, e1)


def first_stage_summary(time_h, interface_umol, bulk_umol, stages: list[dict]) -> dict:
    """Scalars of the timeline the issue's must-show asks for.

    Parameters
    ----------
    time_h, interface_umol, bulk_umol : per-step history (h, umol).
    stages : merged stage intervals.

    Returns
    -------
    dict
        ``sequence_ok`` (the first interface-growth stage is followed by a stall and then a
        bulk-nucleation stage), ``first_stall_h`` (length of the stall after the first
        interface-growth stage), ``first_bulk_start_h``/``first_bulk_end_h`` (first
        bulk-nucleation stage), ``bulk_share_first_bulk_end`` (bulk / dendritic metal at its
        end), ``interface_fraction_span`` (max - min of the interface fraction while there is
        more than 0.1 umol of dendritic metal). None where a stage is missing.
    """
    names = [s["name"] for s in stages]
    out: dict[str, Any] = {
        "sequence_ok": False,
        "first_stall_h": None,
        "first_bulk_start_h": None,
        "first_bulk_end_h": None,
        "bulk_share_first_bulk_end": None,
    }
    if "interface-growth" in names:
        i = names.index("interface-growth")
        if i + 1 < len(names) and names[i + 1] == "stall":
            out["first_stall_h"] = stages[i + 1]["end_h"] - stages[i + 1]["start_h"]
            out["sequence_ok"] = i + 2 < len(names) and names[i + 2] == "bulk-nucleation"
    if "bulk-nucleation" in names:
        b = stages[names.index("bulk-nucleation")]
        out["first_bulk_start_h"], out["first_bulk_end_h"] = b["start_h"], b["end_h"]
        t = np.asarray(time_h, float)
        itf = float(np.interp(b["end_h"], t, interface_umol))
        blk = float(np.interp(b["end_h"], t, bulk_umol))
        out["bulk_share_first_bulk_end"] = blk / (itf + blk) if itf + blk > 0 else None
    tot = np.asarray(interface_umol) + np.asarray(bulk_umol)
    ok = tot > 0.1
    frac = np.asarray(interface_umol)[ok] / tot[ok]
    out["interface_fraction_span"] = float(np.ptp(frac)) if frac.size else 0.0
    return out


def summarize_truth(truth: dict) -> dict:
    """:func:`first_stage_summary` and :func:`x6_move` of a ground truth (its NMR time points).

    Everything is read from the truth itself (series at the study's time points, ``stages``,
    ``stage_rule``), so a stored truth gives the same numbers as the run that wrote it.
    """
    t = np.asarray(truth["time_h"], float)
    itf = np.asarray(truth["metal_umol"]["interface"], float)
    blk = np.asarray(truth["metal_umol"]["bulk"], float)
    stages = truth["stages"]
    summary = first_stage_summary(t, itf, blk, stages)
    names = [st["name"] for st in stages]
    rule = truth.get("stage_rule") or {}
    sig6, sig7 = rule.get("sigma_li6_umol"), rule.get("sigma_li7_umol")
    ok = sig6 is not None and sig7 is not None
    if ok and summary["first_bulk_end_h"] is not None and "interface-growth" in names:
        ig = stages[names.index("interface-growth")]
        x6i = np.array([np.nan if v is None else v for v in truth["x6_interface"]], float)
        x6b = np.array([np.nan if v is None else v for v in truth["x6_bulk"]], float)
        x0, x1, se = x6_move(
            t, itf, blk, x6i, x6b, ig["end_h"], summary["first_bulk_end_h"], sig6, sig7
        )
        summary.update(x6_first_interface_end=x0, x6_first_bulk_end=x1, x6_move_se=se)
    return summary


def relabel_truth(truth: dict) -> dict:
    """A stored truth with its stages recomputed by the stage rule at its own time points.

    :func:`dendritemr.sim.cell.stages.observer_stages` on the stored route amounts, window and
    thresholds (``stage_rule``), then :func:`summarize_truth`; for truths written before the
    rule was applied at the NMR time points (the result equals a fresh run's).
    """
    from dendritemr.sim.cell.stages import observer_stages

    rule = truth["stage_rule"]
    thr = [rule.get(f"threshold_{k}_umol") for k in ("interface", "bulk")]
    out = dict(truth)
    out["stages"] = observer_stages(
        truth["time_h"],
        truth["metal_umol"]["interface"],
        truth["metal_umol"]["bulk"],
        truth["end_h"],
        truth.get("short_circuit_h") is not None,
        rule["window_h"],
        *[np.inf if v is None else v for v in thr],
    )
    out.update(summarize_truth(out))
    return out


def run_truth(scenario: Scenario | dict, seed: int) -> dict:
    """Run one scenario at one seed; return its ground truth and run scalars (JSON-ready).

    A pure function of its arguments: the scenario (a :class:`Scenario` or its
    :meth:`Scenario.to_dict`) with ``seed`` replacing its own. BLAS/LAPACK run on
    :data:`dendritemr.sim.study.SIM_BLAS_THREADS` thread(s) during the run (restored after), as
    in :func:`dendritemr.sim.study.simulate`: OpenBLAS's two spinning threads made every
    ensemble run several times slower on the shared 2-core machine.

    Returns
    -------
    dict
        The results-schema keys of :func:`dendritemr.sim.observables.truth.ground_truth` at the
        NMR time points of the scenario's schedule, ``stage_rule`` (detection limits of the stage
        labels), ``n_steps``, ``runtime_s`` (wall), ``cpu_s`` (CPU time of this process: the
        time on one free core when the machine is shared) and :func:`first_stage_summary`.
    """
    from dendritemr.backend import blas_threads
    from dendritemr.sim.cell import run
    from dendritemr.sim.observables.truth import ground_truth
    from dendritemr.sim.study import SIM_BLAS_THREADS, nmr_time_points

    if isinstance(scenario, dict):
        scenario = scenario_from_dict(scenario, "<ensemble>")
    sc = scenario.updated(seed=int(seed))
    t0, c0 = time.perf_counter(), time.process_time()
    with blas_threads(SIM_BLAS_THREADS):
        result = run(sc)
    runtime = time.perf_counter() - t0
    cpu = time.process_time() - c0
    time_h = nmr_time_points(result, sc.observation())
    truth = ground_truth(result, time_h, {"seed": int(seed), "stage_rule": result.detection})
    h = result.history
    truth.update(summarize_truth(truth))
    truth["n_steps"] = int(h["time_h"].size)
    truth["runtime_s"] = float(runtime)
    truth["cpu_s"] = float(cpu)
    return truth


def _point_list(points: dict[str, Sequence] | Sequence[dict] | None) -> list[dict]:
    if points is None:
        return [{}]
    if isinstance(points, dict):
        keys = list(points)
        grids = np.meshgrid(*[np.arange(len(points[k])) for k in keys], indexing="ij")
        return [
            {k: points[k][int(g.ravel()[i])] for k, g in zip(keys, grids, strict=True)}
            for i in range(grids[0].size if keys else 1)
        ]
    return [dict(p) for p in points]


def _one(job: tuple[dict, int, str | None]) -> dict:
    """Run (or reuse) one job; module-level so process pools can pickle it."""
    sc_dict, seed, path = job
    if path is not None and Path(path).exists():
        return json.loads(Path(path).read_text())
    truth = run_truth(sc_dict, seed)
    if path is not None:
        target = Path(path)
        tmp = target.with_name(f".{target.name}.{seed}.tmp")
        tmp.write_text(json.dumps(truth))
        tmp.replace(target)
    return truth


def ensemble(
    scenario: Scenario,
    seeds: Iterable[int],
    points: dict[str, Sequence] | Sequence[dict] | None = None,
    out_dir: str | Path | None = None,
    map_fn: Callable = map,
) -> xr.Dataset:
    """Run ``scenario`` for every seed and parameter point; one labelled Dataset of truths.

    Parameters
    ----------
    scenario : the base scenario.
    seeds : seeds (dimension ``seed``).
    points : parameter points (dimension ``point``): a dict of dotted keys to value lists
        (their full grid, e.g. ``{"llzo.sigma_e_gb_S_cm": [1e-7, 1e-6]}``), a list of dicts of
        changes, or None (the scenario itself).
    out_dir : optional folder; each run is written atomically to ``point<i>_seed<s>.json``
        and reused when present.
    map_fn : ``map``-like callable used to run the jobs (builtin ``map``, an executor's
        ``map``, ...); it receives a module-level function and picklable jobs.

    Returns
    -------
    xarray.Dataset
        Dims ``point``, ``seed``, ``time`` (h, the NMR time grid of the longest run; NaN after a
        run ends). Variables: the series of the results schema and the simulator extras
        (``interface_umol``, ``bulk_umol``, ``x6_metal``, ``interface_fraction``,
        ``x6_interface``, ``x6_bulk``, ``tip_depth_um``, ``voltage_V``), ``stage`` (label per
        time), and per run ``short_circuit_h`` (NaN: no short), ``end_h``, ``runtime_s``,
        ``cpu_s``, ``n_steps``, ``sequence_ok``, ``first_stall_h``, ``first_bulk_start_h``,
        ``first_bulk_end_h``, ``bulk_share_first_bulk_end``, ``interface_fraction_span``,
        ``x6_first_interface_end``, ``x6_first_bulk_end``, ``x6_move_se`` (:func:`x6_move`
        between the end of the first interface-growth stage and the end of the first
        bulk-nucleation stage),
        ``stage_threshold_bulk_umol``, ``stage_threshold_interface_umol``. The point's
        parameter values are coordinates ``param_<key>`` along ``point``; ``attrs["stages"]``
        holds every run's JSON stage list.
    """
    seeds = [int(s) for s in seeds]
    plist = _point_list(points)
    base = scenario.to_dict()
    jobs = []
    for i, change in enumerate(plist):
        sc_dict = scenario.updated(**change).to_dict() if change else base
        for s in seeds:
            path = None
            if out_dir is not None:
                Path(out_dir).mkdir(parents=True, exist_ok=True)
                path = str(Path(out_dir) / f"point{i}_seed{s}.json")
            jobs.append((sc_dict, s, path))
    truths = list(map_fn(_one, jobs))
    n_p, n_s = len(plist), len(seeds)
    longest = max(truths, key=lambda t: len(t["time_h"]))
    grid = np.asarray(longest["time_h"], float)
    data = {k: np.full((n_p, n_s, grid.size), np.nan) for k in _SERIES}
    stage = np.full((n_p, n_s, grid.size), "", dtype=object)
    scalars = {k: np.full((n_p, n_s), np.nan) for k in _SCALARS}
    seq_ok = np.zeros((n_p, n_s), bool)
    thr = {k: np.full((n_p, n_s), np.nan) for k in ("bulk", "interface")}
    stages_json = {}
    for j, tr in enumerate(truths):
        p, s = divmod(j, n_s)
        t = np.asarray(tr["time_h"], float)
        inside = grid <= (t[-1] if t.size else -1) + 1e-9
        for k in _SERIES:
            v = tr["metal_umol"][k[: -len("_umol")]] if k in _ROUTES else tr[k]
            arr = np.array([np.nan if x is None else x for x in v], float)
            if t.size:
                data[k][p, s, inside] = np.interp(grid[inside], t, arr)
        mids = grid[inside]
        for st in tr["stages"]:
            stage[p, s, inside] = np.where(
                (mids > st["start_h"]) & (mids <= st["end_h"]), st["name"], stage[p, s, inside]
            )
        for k in _SCALARS:
            v = tr.get(k)
            scalars[k][p, s] = np.nan if v is None else float(v)
        seq_ok[p, s] = bool(tr.get("sequence_ok", False))
        for k in thr:
            v = (tr.get("stage_rule") or {}).get(f"threshold_{k}_umol")
            thr[k][p, s] = np.nan if v is None else float(v)
        stages_json[f"point{p}_seed{seeds[s]}"] = tr["stages"]
    dims3, dims2 = ("point", "seed", "time"), ("point", "seed")
    ds = xr.Dataset(
        {k: (dims3, v) for k, v in data.items()}
        | {"stage": (dims3, stage.astype(str))}
        | {k: (dims2, v) for k, v in scalars.items()}
        | {"sequence_ok": (dims2, seq_ok)}
        | {f"stage_threshold_{k}_umol": (dims2, v) for k, v in thr.items()},
        coords={"point": np.arange(n_p), "seed": seeds, "time": grid},
    )
    keys = sorted({k for p in plist for k in p})
    for k in keys:
        ds = ds.assign_coords(
            {"param_" + k.replace(".", "__"): ("point", [p.get(k, np.nan) for p in plist])}
        )
    ds["time"].attrs["units"] = "h"
    ds.attrs["stages"] = json.dumps(stages_json)
    ds.attrs["schema"] = "dendritemr.results/1 (per run), stacked"
    return ds
