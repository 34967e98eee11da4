"""Benchmark and must-show table of the ensemble API: default scenario, seeds 1-10.

Run: ``python benchmarks/bench_ensemble.py [--workers N] [--seeds 1-10] [--out DIR]``.
Runs the default scenario (to the short or 100 h) for every seed through
:func:`dendritemr.sim.ensemble.ensemble` (``--workers`` processes; with ``--out`` each run is
written atomically to its own JSON and reused on a rerun), then prints one row per seed
(short time, first stall length, bulk share of the dendritic metal at the end of the first
bulk-nucleation stage, span of the interface fraction, x6 of the dendritic metal at the end of
the first interface-growth and of the first bulk-nucleation stage and its change in standard
errors, stage sequence) and the summary the
issue asks for: runs that short within 100 h, stall lengths, short times, medians, wall time.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from dendritemr.sim.ensemble import ensemble
from dendritemr.sim.scenario import load_scenario


def _seeds(text: str) -> list[int]:
    if "-" in text:
        lo, hi = (int(v) for v in text.split("-"))
        return list(range(lo, hi + 1))
    return [int(v) for v in text.split(",")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seeds", default="1-10")
    ap.add_argument("--out", default=None, help="folder for the per-run JSON files")
    args = ap.parse_args()
    seeds = _seeds(args.seeds)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as ex:
        ds = ensemble(load_scenario(), seeds, out_dir=args.out, map_fn=ex.map)
    wall = time.perf_counter() - t0
    stages = json.loads(ds.attrs["stages"])
    print("seed  short_h  stall_h  bulk_share  if_span  x6_move  runtime_s  stages")
    for i, seed in enumerate(seeds):
        d = ds.isel(point=0, seed=i)
        seq = " ".join(f"{s['name']}@{s['start_h']:.1f}" for s in stages[f"point0_seed{seed}"][:7])
        print(
            f"{seed:4d} {float(d.short_circuit_h):8.1f} {float(d.first_stall_h):8.2f} "
            f"{float(d.bulk_share_first_bulk_end):11.3f} {float(d.interface_fraction_span):8.2f} "
            f"{float(d.x6_first_interface_end):.3f}->{float(d.x6_first_bulk_end):.3f}"
            f"({float(d.x6_move_se):4.1f}SE) "
            f"{float(d.runtime_s):10.1f}  {'OK ' if bool(d.sequence_ok) else 'NO '}{seq}"
        )
    d = ds.isel(point=0)
    short = d.short_circuit_h.values
    print(
        f"shorted within {load_scenario().protocol.max_time_h:g} h: "
        f"{int(np.isfinite(short).sum())}/{len(seeds)}; "
        f"sequence interface -> stall -> bulk: {int(d.sequence_ok.sum())}/{len(seeds)}"
    )
    for name in (
        "short_circuit_h",
        "first_stall_h",
        "bulk_share_first_bulk_end",
        "interface_fraction_span",
        "x6_move_se",
        "runtime_s",
    ):
        v = d[name].values
        v = v[np.isfinite(v)]
        if v.size:
            print(f"{name:26s} median {np.median(v):7.3f}  min {v.min():7.3f}  max {v.max():7.3f}")
    print(f"ensemble wall time: {wall:.1f} s for {len(seeds)} runs, {args.workers} workers")


if __name__ == "__main__":
    main()
