"""`dendritemr analyze`: speed on simulated studies, and accuracy against their truth.

Speed (default): simulate the default study (seed 3; not timed), time ``analyze`` of it (target
<= 60 s on 2 cores), then studies of about 50 and 500 time points (``[spectrometer]
interval_h`` shortened, no MRI) and print the cost per time point and the ratio 500 / 50 (the
baseline: the 50-point study, measured in the same run).

Accuracy (``--accuracy``): for seeds x presets (default, scheme-b, defective-llzo: bulk route
large), run ``analyze``
(the real chain, quantification included) and score it against ``ground_truth.json``; then run
the timeline alone (stages, routes, short) on the truth's metal and x6 with noise of stated
size ("oracle quantification"), which separates the timeline's accuracy from the
quantification's. Boundary errors are given as a fraction of the experiment's duration.

Usage:
    python benchmarks/bench_analyze.py [--keep DIR]
    python benchmarks/bench_analyze.py --accuracy [--seeds 3 4 5] [--keep DIR]
    (with --keep, studies already simulated there are reused)
    python benchmarks/bench_analyze.py --studies STUDY_DIR [STUDY_DIR ...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

STUDY = """[study]
name = "{name}"
[cell]
electrode_area_cm2 = {area}
thickness_mm = {thickness}
electrolyte = "LLZO"
[isotopes]
x6_electrode = {x6e}
x6_electrolyte = {x6l}
[nmr.li7]
path = "7Li"
[nmr.li6]
path = "6Li"
[t1_s]
li7 = {{ electrolyte = {t1_7} }}
li6 = {{ electrolyte = {t1_6} }}
[cycler]
path = "cycler.csv"
[truth]
path = "ground_truth.json"
"""


def make_study(
    folder: Path, seed: int, changes: dict | None = None, name: str = "", preset: str = ""
) -> dict:
    """Simulate a study into ``folder``; describe it by hand unless simulate wrote study.toml."""
    from dendritemr.sim.presets import load_preset
    from dendritemr.sim.scenario import load_scenario
    from dendritemr.sim.study import simulate

    if (folder / "ground_truth.json").is_file() and (folder / "study.toml").is_file():
        return json.loads((folder / "ground_truth.json").read_text())  # kept from a run
    scenario = load_preset(preset) if preset else load_scenario()
    if changes:
        scenario = scenario.updated(**changes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        truth = simulate(scenario, folder, seed=seed)
    d = scenario.to_dict()
    if (folder / "study.toml").is_file():
        return truth
    (folder / "study.toml").write_text(
        STUDY.format(
            name=name or f"seed {seed}",
            area=d["geometry"]["area_cm2"],
            thickness=d["geometry"]["thickness_um"] / 1000.0,
            x6e=d["isotopes"]["electrode_x6"],
            x6l=d["isotopes"]["llzo_x6"],
            t1_7=d["li7"]["llzo_t1_s"],
            t1_6=d["li6"]["llzo_t1_s"],
        )
    )
    return truth


def timed_analyze(folder: Path, out: Path) -> tuple[float, dict]:
    from dendritemr.pipeline import analyze

    t0 = time.perf_counter()
    doc = analyze(folder, out)
    return time.perf_counter() - t0, doc


def speed(work: Path) -> None:
    print("== speed of analyze (2-core machine shared with others: wall clock)")
    folder = work / "default"
    truth = make_study(folder, 3, name="default seed 3")
    secs, doc = timed_analyze(folder, work / "default-out")
    n = len(doc["time_h"])
    print(f"default study, seed 3: {n} time points, analyze {secs:.1f} s (target <= 60 s)")
    print(f"  short: {doc['short_circuit_h']} h (truth {truth['short_circuit_h']:.3f} h)")
    per = {}
    for target in (50, 500):
        f = work / f"n{target}"
        interval = 22.0 / target
        make_study(f, 3, {"spectrometer.interval_h": interval, "mri.enabled": False})
        secs, doc = timed_analyze(f, work / f"n{target}-out")
        n = len(doc["time_h"])
        per[target] = secs / n
        print(f"~{target} time points ({n}): analyze {secs:.1f} s, {1e3 * secs / n:.0f} ms/point")
    print(f"cost per time point, 500 vs 50 (baseline): x{per[500] / per[50]:.2f}")


def speed_of(studies: list[Path], work: Path) -> None:
    """Time analyze of existing study folders (cost per time point, ratio to the first)."""
    print("== speed of analyze on given studies (wall clock, shared machine)")
    base = None
    for k, folder in enumerate(studies):
        secs, doc = timed_analyze(folder, work / f"given-{k}-out")
        n = len(doc["time_h"])
        per = secs / n
        base = base or per
        print(
            f"{folder}: {n} time points, analyze {secs:.1f} s, {1e3 * per:.0f} ms/point "
            f"(x{per / base:.2f} of the first)"
        )


def oracle(truth: dict, folder: Path, rng, kappa: float, x6_sigma=0.01, rel=0.02) -> dict:
    """Timeline on the truth's trajectories with noise: stages, routes, short; scored."""
    from dendritemr.io.cycler_formats import read_cycler
    from dendritemr.results_schema import SCHEMA_ID, score
    from dendritemr.study import load_study
    from dendritemr.timeline import attribute_routes, cycler_clock, detect_short, detect_stages

    study = load_study(folder)
    t = np.array(truth["time_h"])
    inter = np.array(truth["metal_umol"]["interface"], float)
    bulk = np.array(truth["metal_umol"]["bulk"], float)
    total = inter + bulk
    s_n = rel * np.nanmax(total) + 0.01
    n_obs = total + rng.normal(0, s_n, t.size)
    x6 = np.array(truth["x6_metal"], float)
    x6_obs = x6 + rng.normal(0, x6_sigma, t.size)
    xi = np.full(t.size, study.x6_electrode)
    xl = np.full(t.size, study.x6_electrolyte)
    r = attribute_routes(
        t, n_obs, np.full(t.size, s_n), x6_obs, np.full(t.size, x6_sigma),
        xi, np.full(t.size, 0.005), xl, np.full(t.size, 0.002), kappa,
    )  # fmt: skip
    clock = cycler_clock(read_cycler(study.cycler.path), study.cycler)
    short = detect_short(clock.hours(), clock.voltage_V, clock.current_mA)
    st = detect_stages(
        t,
        {
            "total": (n_obs, np.full(t.size, s_n)),
            "interface": (r.interface_umol, r.interface_umol_err),
            "bulk": (r.bulk_umol, r.bulk_umol_err),
        },
        routes_known=True,
        short_h=short.time_h,
        n_boot=60,
    )
    clean = lambda a: [None if not np.isfinite(v) else float(v) for v in a]  # noqa: E731
    doc = {
        "schema": SCHEMA_ID,
        "time_h": t.tolist(),
        "metal_umol": {
            "interface": clean(r.interface_umol),
            "interface_err": clean(r.interface_umol_err),
            "bulk": clean(r.bulk_umol),
            "bulk_err": clean(r.bulk_umol_err),
        },
        "x6_metal": clean(x6_obs),
        "x6_metal_err": [x6_sigma] * t.size,
        "interface_fraction": clean(r.interface_fraction),
        "interface_fraction_err": clean(r.interface_fraction_err),
        "stages": [s.to_dict() for s in st.stages],
        "short_circuit_h": short.time_h,
    }
    out = score(doc, truth)
    out["stages"] = [(s.name, round(s.start_h, 2)) for s in st.stages]
    out["short_err_h"] = short.time_err_h
    return out


def _end_totals(doc: dict, truth: dict) -> str:
    """Total dendritic metal at the last analysed point before the short: analysis +- err and
    the truth (umol)."""
    t = np.array(doc["time_h"], float)
    short = truth["short_circuit_h"]
    k = int(np.flatnonzero(t <= short)[-1]) if short is not None and (t <= short).any() else -1
    m = doc["metal_umol"]
    tot = m["total"][k]
    err = m["total_err"][k]
    true = truth["metal_umol"]["interface"][k] + truth["metal_umol"]["bulk"][k]
    if tot is None:
        return f"n/a (truth {true:.2f})"
    return f"{tot:.2f} +- {err:.2f} vs {true:.2f} at {t[k]:.1f} h"


def accuracy(work: Path, seeds: list[int]) -> None:
    from dendritemr.results_schema import score

    rows = []
    for label in ("default", "scheme-b", "defective-llzo"):
        for seed in seeds:
            folder = work / f"{label}-{seed}"
            truth = make_study(folder, seed, {"mri.enabled": False}, preset=label)
            secs, doc = timed_analyze(folder, work / f"{folder.name}-out")
            real = score(doc, truth)
            rng = np.random.default_rng(1000 + seed)
            orc0 = oracle(truth, folder, rng, 0.0)
            orc1 = oracle(truth, folder, np.random.default_rng(1000 + seed), 0.01)
            rows.append((label, seed, truth, real, orc0, orc1, secs))
            print(f"\n== {label}, seed {seed} ({secs:.0f} s analyze)")
            print("truth stages:", [(s["name"], round(s["start_h"], 2)) for s in truth["stages"]])
            print(f"truth short {truth['short_circuit_h']}")
            for name, sc in (("analyze", real), ("oracle k=0", orc0), ("oracle k=0.01/h", orc1)):
                keys = (
                    "short_circuit_error_h",
                    "short_circuit_within_interval",
                    "stage_boundary_max_error_fraction",
                    "interface_fraction_mae",
                    "interface_fraction_truth_span",
                    "interface_fraction_coverage",
                    "metal_interface_nrmse",
                    "metal_bulk_nrmse",
                    "metal_interface_coverage",
                    "metal_bulk_coverage",
                )
                vals = {k: sc.get(k) for k in keys}
                if name == "analyze":
                    vals["metal_total_end"] = _end_totals(doc, truth)
                print(f"  {name}: " + json.dumps(vals, default=lambda v: round(v, 3)))
                if name == "analyze":
                    found = [(s["name"], round(s["start_h"], 2)) for s in doc["stages"]]
                    print(f"    stages {found}  boundary errors {sc['stage_boundary_errors_h']}")
                    print(f"    short {doc['short_circuit_h']} +- {doc['short_circuit_err_h']}")
                if "stages" in sc:
                    errs = sc["stage_boundary_errors_h"]
                    print(f"    stages {sc['stages']}  boundary errors {errs}")
    for title, col in (
        ("analyze (the whole chain)", 3),
        ("oracle k=0.01/h, the simulator's dendrite exchange time is 100 h", 5),
    ):
        _summary(rows, title, col)
    within = [r[3]["short_circuit_within_interval"] for r in rows]
    print(f"  analyze: short within one acquisition interval: {within}")


def _summary(rows, title, col) -> None:
    print(f"\n== summary: {title}")
    for key in (
        "stage_boundary_max_error_fraction",
        "interface_fraction_mae",
        "interface_fraction_coverage",
        "metal_interface_coverage",
        "metal_bulk_coverage",
        "metal_interface_nrmse",
        "metal_bulk_nrmse",
    ):
        vals = [r[col].get(key) for r in rows if r[col].get(key) is not None]
        if vals:
            print(f"  {key}: median {np.median(vals):.3f}, max {np.max(vals):.3f} (n={len(vals)})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accuracy", action="store_true")
    ap.add_argument("--seeds", type=int, nargs="+", default=[3, 4, 5])
    ap.add_argument("--keep", type=Path, default=None, help="keep the studies in this folder")
    ap.add_argument("--studies", type=Path, nargs="+", default=None, help="time these instead")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench_analyze_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.accuracy:
            accuracy(work, args.seeds)
        elif args.studies:
            speed_of(args.studies, work)
        else:
            speed(work)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
