"""Benchmark of the cell model: default scenario run time and time per step vs grid size.

Plain mode (the code of this working tree only)::

    python benchmarks/bench_cell.py [SEED]

prints the default scenario at SEED (default 4, a seed that shorts at ~32 h; seed 2 runs the
full 100 h without a short), and the mean time per step on three grids (cell size 10, 7, 5 um,
3 h each) with the fitted exponent of time-per-step ~ n_cells^p. Budget from the issue: default
run to short <= 60 s on 2 cores.

Against a named baseline (the team's rule for speed claims: a ratio against a named baseline
measured in the same run, since the shared machine is noisy)::

    python benchmarks/bench_cell.py --baseline 30adaf5^ [--seeds 4] [--max-h H] [--repeat N]

(``30adaf5^``: the code just before the banded-Cholesky field solves of commit 30adaf5. The
default workload, seed 4 to its short and the three grids, takes 1-2 min of wall time on the
shared 2-core machine; ``--seeds 10,4`` adds seed 10 to its short, ~250 s of CPU for both codes
together, 15 min of wall time at load average 5.)

``--baseline REV`` extracts ``src/`` of git revision REV (``git archive``, read-only for the
repository: no worktree, branch or index is touched) into a temporary directory, then runs the
same workload once with that code and once with the code of this working tree (``--current
REV`` takes a second revision instead), each in a fresh subprocess of the same Python with the
same environment (``OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=MKL_NUM_THREADS=1``; the package is
imported from ``PYTHONPATH=<code>/src``, which comes before the editable install; each worker
prints the file it imported so that this is checked, not assumed). The order alternates
(baseline first, then current first, ...) over the workloads and repeats to spread the drift of
the machine's load. Workloads: the default scenario at each seed of ``--seeds`` to its short
(or to ``--max-h`` hours), then the time per step of the three grids (``--grid-h`` hours each;
``--no-grid`` skips them). Printed per workload and code: wall time, CPU time of the worker
(``time.process_time``: what one free core needs), steps and simulated hours / short time (the
same physics gives the same steps and short); then the ratio current/baseline of wall and CPU
(below 1: the current code is faster), and the command line that printed it. The temporary
directory is removed at the end (also on an error or Ctrl-C).

Measured (docs/simulator-model.md, "Cheaper field solves"): ``--baseline 30adaf5^ --seeds
10,4`` at load average 2.5-5.6: seed 10 to its short (1630 steps, 36.4887 h in both) CPU 156.9 ->
96.3 s (ratio 0.61), seed 4 (357 steps, 32.3410 h in both) 12.3 -> 8.8 s (0.72), three grids
0.63; ``--baseline 30adaf5^ --repeat 3`` at load 2.5 (medians): seed 4 9.3 -> 6.0 s (0.64),
grids 0.68. Tenth pass (less overhead, same numbers): ``--baseline c0fee14 --seeds 10,1`` at
load 2.1-3.9: seed 10 67.2 -> 55.4 s CPU (0.82), seed 1 28.0 -> 21.3 s (0.76), grids 0.93
(13.4 ms per step at 6000 cells, ~ n_cells^0.65); both histories bit-for-bit identical.

Each run's history is hashed (SHA-256 of every history array); the summary says whether the
two codes' trajectories are bit-for-bit identical.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

_REPO = Path(__file__).resolve().parents[1]
_GRID_UM = (10.0, 7.0, 5.0)
_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


# ----------------------------------------------------------------------------- workloads
def _work_run(seed: int, max_h: float | None) -> dict:
    """Default scenario at SEED to its short (or MAX_H hours); wall and CPU of the run."""
    import dendritemr
    from dendritemr.sim.cell import run
    from dendritemr.sim.scenario import load_scenario

    sc = load_scenario().updated(seed=seed)
    if max_h is not None:
        sc = sc.updated(**{"protocol.max_time_h": float(max_h)})
    t0, c0 = time.perf_counter(), time.process_time()
    res = run(sc)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "module": dendritemr.__file__,
        "wall_s": wall,
        "cpu_s": cpu,
        "steps": int(res.history["time_h"].size),
        "end_h": float(res.history["time_h"][-1]),
        "short_h": res.short_circuit_h,
        "history_sha256": _history_digest(res.history),
    }


def _history_digest(history: dict) -> str:
    """SHA-256 of every history array (keys sorted, values as stored): equal digests mean a
    bit-for-bit identical trajectory (every step's ledger, amounts, x6, voltage, stage)."""
    import hashlib

    h = hashlib.sha256()
    for key in sorted(history):
        value = np.asarray(history[key])
        h.update(key.encode())
        h.update(value.astype(str).tobytes() if value.dtype.kind == "U" else value.tobytes())
    return h.hexdigest()


def _work_grid(grid_h: float) -> dict:
    """Time per step on the three grids (default scenario, seed 4, GRID_H hours, no rest),
    after one short untimed run."""
    import dendritemr
    from dendritemr.sim.cell import run
    from dendritemr.sim.scenario import load_scenario

    sc = load_scenario().updated(seed=4)
    out: dict = {"module": dendritemr.__file__, "rows": []}
    # untimed warm-up (first calls into scipy/LAPACK, caches), as in plain mode where the
    # default run comes first
    run(sc.updated(**{"geometry.cell_um": _GRID_UM[0], "protocol.max_time_h": 0.2}))
    for cell_um in _GRID_UM:
        s = sc.updated(
            **{
                "geometry.cell_um": cell_um,
                "protocol.max_time_h": grid_h,
                "isotopes.rest_h": 0.0,
            }
        )
        t0, c0 = time.perf_counter(), time.process_time()
        r = run(s)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        n = int(r.history["time_h"].size)
        out["rows"].append(
            {"cell_um": cell_um, "cells": int(r.grid.n), "steps": n, "wall_s": wall, "cpu_s": cpu}
        )
    out["wall_s"] = sum(r["wall_s"] for r in out["rows"])
    out["cpu_s"] = sum(r["cpu_s"] for r in out["rows"])
    out["steps"] = sum(r["steps"] for r in out["rows"])
    return out


def _worker(spec: str) -> None:
    """Subprocess entry: run one workload described by the JSON SPEC, print one JSON line."""
    job = json.loads(spec)
    if job["kind"] == "run":
        out = _work_run(int(job["seed"]), job.get("max_h"))
    else:
        out = _work_grid(float(job["grid_h"]))
    print("RESULT " + json.dumps(out))


# ----------------------------------------------------------------------------- plain mode
def _plain(seed: int) -> None:
    from dendritemr.sim.cell import run
    from dendritemr.sim.scenario import load_scenario

    sc = load_scenario().updated(seed=seed)
    res = run(sc)
    n_steps = res.history["time_h"].size
    print(f"cores available: {os.cpu_count()}")
    print(
        f"default, seed {seed}: {res.runtime_s:.1f} s, {n_steps} steps, simulated "
        f"{res.history['time_h'][-1]:.1f} h, short at {res.short_circuit_h} h "
        f"(budget 60 s: {'OK' if res.runtime_s <= 60 else 'OVER'})"
    )
    sizes, per_step = [], []
    for cell_um in _GRID_UM:
        s = sc.updated(
            **{"geometry.cell_um": cell_um, "protocol.max_time_h": 3.0, "isotopes.rest_h": 0.0}
        )
        t0 = time.perf_counter()
        r = run(s)
        dt = (time.perf_counter() - t0) / r.history["time_h"].size
        sizes.append(r.grid.n)
        per_step.append(dt)
        print(f"h={cell_um:4.1f} um  cells={r.grid.n:6d}  {dt * 1e3:7.1f} ms/step")
    p = np.polyfit(np.log(sizes), np.log(per_step), 1)[0]
    print(f"time per step ~ n_cells^{p:.2f}")


# ----------------------------------------------------------------------------- baseline mode
def _git(*args: str) -> str:
    res = subprocess.run(
        ["git", "-C", str(_REPO), *args], capture_output=True, text=True, check=False
    )
    if res.returncode != 0:
        msg = (res.stderr.strip().splitlines() or ["git failed"])[-1]
        raise SystemExit(f"error: git {' '.join(args)}: {msg}")
    return res.stdout.strip()


def _extract(rev: str, dest: Path) -> str:
    """Write src/ of REV into DEST (git archive); return the full commit id."""
    res = subprocess.run(
        ["git", "-C", str(_REPO), "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        raise SystemExit(f"error: revision {rev!r} is not a commit of {_REPO}")
    sha = res.stdout.strip()
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(_REPO), "archive", "--format=tar", sha, "src"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise SystemExit(f"error: git archive {rev}: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return sha


def _run_worker(code_root: Path, job: dict) -> dict:
    env = dict(os.environ)
    for var in _THREAD_VARS:
        env[var] = "1"
    env["PYTHONPATH"] = str(code_root / "src")
    res = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(job)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("RESULT ")]
    if res.returncode != 0 or not lines:
        tail = (res.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"error: worker {job} with code {code_root} failed: {tail}")
    out = json.loads(lines[-1][len("RESULT ") :])
    expected = (code_root / "src" / "dendritemr" / "__init__.py").resolve()
    if Path(out["module"]).resolve() != expected:
        raise SystemExit(
            f"error: worker imported {out['module']}, not {expected} (PYTHONPATH not first)"
        )
    return out


def _describe(job: dict, out: dict) -> str:
    if job["kind"] == "run":
        short = f"short {out['short_h']:.4f} h" if out["short_h"] is not None else "no short"
        return f"{out['steps']:5d} steps, {out['end_h']:6.2f} h, {short}"
    per = ", ".join(
        f"{r['cell_um']:g} um {r['cells']} cells {r['cpu_s'] / r['steps'] * 1e3:.1f} ms/step"
        for r in out["rows"]
    )
    return f"{out['steps']:5d} steps ({per})"


def _baseline(args: argparse.Namespace) -> None:
    jobs: list[dict] = [{"kind": "run", "seed": s, "max_h": args.max_h} for s in args.seeds]
    if not args.no_grid:
        jobs.append({"kind": "grid", "grid_h": args.grid_h})
    command = "python benchmarks/bench_cell.py " + " ".join(shlex.quote(a) for a in args.argv)
    with tempfile.TemporaryDirectory(prefix="bench_cell_") as tmp:
        base_root = Path(tmp) / "baseline"
        base_sha = _extract(args.baseline, base_root)
        if args.current is None:
            cur_root = _REPO
            head = _git("rev-parse", "HEAD")
            dirty = [
                ln.split(maxsplit=1)[-1]
                for ln in _git("status", "--porcelain", "--", "src").splitlines()
            ]
            cur_name = f"working tree (HEAD {head[:10]})"
            if dirty:
                cur_name += f", uncommitted in src/: {', '.join(dirty)}"
        else:
            cur_root = Path(tmp) / "current"
            cur_name = _extract(args.current, cur_root)[:10]
        codes = {"baseline": base_root, "current": cur_root}
        print(f"baseline: {args.baseline} = {base_sha[:10]}")
        print(f"current:  {cur_name}")
        print(
            f"python {sys.version.split()[0]}, {os.cpu_count()} cores, "
            f"load average {os.getloadavg()[0]:.1f}, threads: "
            + ", ".join(f"{v}=1" for v in _THREAD_VARS)
        )
        results: dict[int, dict[str, list[dict]]] = {
            i: {"baseline": [], "current": []} for i in range(len(jobs))
        }
        for rep in range(args.repeat):
            for i, job in enumerate(jobs):
                # each workload alternates over the repeats, neighbours alternate within one
                first = (rep + i) % 2 == 0
                order = ("baseline", "current") if first else ("current", "baseline")
                for name in order:
                    out = _run_worker(codes[name], job)
                    results[i][name].append(out)
                    label = f"seed {job['seed']}" if job["kind"] == "run" else "grids 10/7/5 um"
                    print(
                        f"  [{rep + 1}/{args.repeat}] {label:15s} {name:8s} "
                        f"wall {out['wall_s']:7.1f} s  CPU {out['cpu_s']:7.1f} s  "
                        f"{_describe(job, out)}",
                        flush=True,
                    )
    print()
    print(
        "workload           baseline wall/CPU (s)   current wall/CPU (s)   "
        "current/baseline wall  CPU"
    )
    for i, job in enumerate(jobs):
        label = (
            f"seed {job['seed']}" + (f" to {job['max_h']:g} h" if job["max_h"] else " to short")
            if job["kind"] == "run"
            else f"grids, {job['grid_h']:g} h each"
        )
        b, c = results[i]["baseline"], results[i]["current"]
        bw, bc = np.median([o["wall_s"] for o in b]), np.median([o["cpu_s"] for o in b])
        cw, cc = np.median([o["wall_s"] for o in c]), np.median([o["cpu_s"] for o in c])
        print(
            f"{label:18s} {bw:9.1f} / {bc:8.1f}      {cw:9.1f} / {cc:8.1f}      "
            f"{cw / bw:8.2f}          {cc / bc:5.2f}"
        )
        # round-off (~1e-14 h) is not a difference
        same = {
            (o["steps"], None if o.get("short_h") is None else round(o["short_h"], 6))
            for o in b + c
        }
        if len(same) > 1:
            print(f"    NOTE: the codes differ in steps or short time: {sorted(same, key=str)}")
        digests = {o.get("history_sha256") for o in b + c}
        if job["kind"] == "run" and None not in digests:
            if len(digests) == 1:
                print(
                    f"    history bit-for-bit identical in both codes (sha256 {digests.pop()[:16]})"
                )
            else:
                print("    NOTE: the histories differ (not bit-for-bit identical)")
        if job["kind"] == "grid":
            for name, outs in (("baseline", b), ("current", c)):
                rows = outs[0]["rows"]
                sizes = [r["cells"] for r in rows]
                per = [
                    np.median([o["rows"][k]["cpu_s"] / o["rows"][k]["steps"] for o in outs])
                    for k in range(len(rows))
                ]
                p = np.polyfit(np.log(sizes), np.log(per), 1)[0]
                cells = ", ".join(
                    f"{n} cells {t * 1e3:.1f}" for n, t in zip(sizes, per, strict=True)
                )
                print(f"    {name:8s} CPU ms/step: {cells}; ~ n_cells^{p:.2f}")
    print(f"(medians over {args.repeat} repeat(s); ratio < 1: the current code is faster)")
    print(f"command: {command}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("seed", nargs="?", type=int, default=4, help="plain mode: seed")
    parser.add_argument("--baseline", metavar="REV", help="git revision to compare against")
    parser.add_argument("--current", metavar="REV", help="second revision (default: work tree)")
    parser.add_argument("--seeds", default="4", help="baseline mode: seeds, comma-separated")
    parser.add_argument("--max-h", type=float, default=None, help="stop runs at H hours")
    parser.add_argument("--grid-h", type=float, default=3.0, help="hours per grid run")
    parser.add_argument("--no-grid", action="store_true", help="skip the three-grid timing")
    parser.add_argument("--repeat", type=int, default=1, help="runs per workload and code")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.argv = argv
    if args.worker:
        _worker(args.worker)
        return
    if args.baseline is None:
        _plain(args.seed)
        return
    args.seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    _baseline(args)


if __name__ == "__main__":
    main()
