"""Benchmark and must-show table of the ensemble API: default scenario, seeds 1-10.

Run: ``python benchmarks/bench_ensemble.py [--workers N] [--seeds 1-10] [--out DIR]``.
Runs the default scenario (to the short or 100 h) for every seed through
:func:`dendritemr.sim.ensemble.ensemble` (``--workers`` processes; with ``--out`` each run is
written atomically to its own JSON and reused on a rerun), then prints one row per seed
(short time, first stall length, bulk share of the dendritic metal at the end of the first
bulk-nucleation stage, span of the interface fraction, x6 of the dendritic metal at the end of
the first interface-growth and of the first bulk-nucleation stage and its change in standard
errors, stage sequence) and the summary the issue asks for: runs that short within 100 h,
stall lengths, short times, medians, wall time.

Changed base scenario: ``--set KEY=V`` (repeatable, dotted keys as in ``Scenario.updated``)
runs every seed (and every scan point) on the default scenario with these changes, e.g.
``--set llzo.sigma_ion_grain_mS_cm=0.2`` prints the must-show table at that value (``true`` /
``false`` set a flag, other words a choice, e.g. ``--set growth.crack_filling_strength=depth``).

Same physics as another code: ``--compare-to DIR`` (with ``--out``) compares, after the runs,
every number of each run's ground truth with the same file in DIR (e.g. the ``--out`` of a run
with ``PYTHONPATH=<other checkout>/src``) to ``--rel`` relative (1e-9; run times excluded) and
prints the largest difference per run. Issue 11, tenth pass: seeds 3, 10 and 1 at c0fee14 and
after the speed-ups agree in every number (largest relative difference 0).

Sensitivity scan: ``--scan KEY=V1,V2 [--scan KEY2=...] [--max-h H]`` runs the base scenario and
each value of each key alone (one change at a time) and prints, per point, the shorts and the
medians over the seeds.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from dendritemr.sim.ensemble import ensemble
from dendritemr.sim.scenario import load_scenario

_SUMMARY = (
    "short_circuit_h",
    "first_stall_h",
    "bulk_share_first_bulk_end",
    "interface_fraction_span",
    "x6_move_se",
    "runtime_s",
    "cpu_s",
)


def _seeds(text: str) -> list[int]:
    if "-" in text:
        lo, hi = (int(v) for v in text.split("-"))
        return list(range(lo, hi + 1))
    return [int(v) for v in text.split(",")]


def _value(text: str):
    """A --set/--scan value: true/false as a flag, a number, or else a string (a choice)."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return float(text)
    except ValueError:
        return text.strip()


def _scan_points(specs: list[str]) -> list[dict]:
    points: list[dict] = [{}]
    for spec in specs:
        key, values = spec.split("=", 1)
        points += [{key: _value(v)} for v in values.split(",")]
    return points


def _table(ds, seeds: list[int], max_h: float) -> None:
    stages = json.loads(ds.attrs["stages"])
    print(
        "seed  short_h  stall_h  bulk_share  if_span  x6 (move/SE)          wall_s  cpu_s"
        "  steps  stages"
    )
    for i, seed in enumerate(seeds):
        d = ds.isel(point=0, seed=i)
        seq = " ".join(f"{s['name']}@{s['start_h']:.1f}" for s in stages[f"point0_seed{seed}"][:7])
        print(
            f"{seed:4d} {float(d.short_circuit_h):8.1f} {float(d.first_stall_h):8.2f} "
            f"{float(d.bulk_share_first_bulk_end):11.3f} {float(d.interface_fraction_span):8.2f} "
            f"{float(d.x6_first_interface_end):.3f}->{float(d.x6_first_bulk_end):.3f}"
            f" ({float(d.x6_move_se):4.1f} SE) "
            f"{float(d.runtime_s):7.1f} {float(d.cpu_s):6.1f} {int(d.n_steps):6d}"
            f"  {'OK ' if bool(d.sequence_ok) else 'NO '}{seq}"
        )
    d = ds.isel(point=0)
    short = d.short_circuit_h.values
    print(
        f"shorted within {max_h:g} h: {int(np.isfinite(short).sum())}/{len(seeds)}; "
        f"sequence interface -> stall -> bulk: {int(d.sequence_ok.sum())}/{len(seeds)}; "
        f"both: {int((np.isfinite(short) & d.sequence_ok.values).sum())}/{len(seeds)}"
    )
    for name in _SUMMARY:
        v = d[name].values
        v = v[np.isfinite(v)]
        if v.size:
            print(
                f"{name:26s} median {np.median(v):7.3f}  min {v.min():7.3f}  max {v.max():7.3f}"
                f"  ({v.size} runs)  sorted: {' '.join(f'{x:.2f}' for x in np.sort(v))}"
            )


def _scan(ds, points: list[dict], max_h: float) -> None:
    print(
        "point                                  shorts  seq_ok  both   short_h  stall_h  share"
        "  span  x6_SE (min over both)"
    )
    for p, change in enumerate(points):
        d = ds.isel(point=p)
        name = (
            ", ".join(
                f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in change.items()
            )
            or "base"
        )

        def med(var, d=d, width=7):
            v = d[var].values
            v = v[np.isfinite(v)]
            return f"{np.median(v):{width}.2f}" if v.size else " " * (width - 1) + "-"

        n = d.seed.size
        both = np.isfinite(d.short_circuit_h.values) & d.sequence_ok.values.astype(bool)
        se = d.x6_move_se.values[both]
        print(
            f"{name:38s} {int(np.isfinite(d.short_circuit_h.values).sum()):3d}/{n:<2d} "
            f"{int(d.sequence_ok.sum()):3d}/{n:<2d} {int(both.sum()):3d}/{n:<2d} "
            f"{med('short_circuit_h')} {med('first_stall_h')} "
            f"{med('bulk_share_first_bulk_end', width=6)} {med('interface_fraction_span', width=5)}"
            f" {med('x6_move_se', width=6)} ({np.min(se) if se.size else np.nan:.1f})"
        )
    print(
        "(medians over the seeds where defined; span over all seeds; both: short and sequence;"
        f" runs end at the short or {max_h:g} h)"
    )


#: Run scalars that may differ between two runs of the same physics (not compared).
_RUN_SCALARS = frozenset({"runtime_s", "cpu_s"})


def _differences(a, b, path: str, out: list) -> None:
    """Walk two ground truths; append ``(path, relative difference or message)`` per leaf."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key in _RUN_SCALARS:
                continue
            if key not in a or key not in b:
                out.append((f"{path}.{key}", "only in one file"))
            else:
                _differences(a[key], b[key], f"{path}.{key}", out)
    elif (
        isinstance(a, list)
        and isinstance(b, list)
        and any(isinstance(v, (dict, list, str)) for v in a + b)
    ):
        if len(a) != len(b):
            out.append((path, f"lengths {len(a)} and {len(b)}"))
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _differences(x, y, f"{path}[{i}]", out)
    elif isinstance(a, (str, bool)) or a is None or isinstance(b, (str, bool)) or b is None:
        if a != b:
            out.append((path, f"{a!r} != {b!r}"))
    else:
        x, y = np.asarray(a, float), np.asarray(b, float)
        if x.shape != y.shape:
            out.append((path, f"shapes {x.shape} and {y.shape}"))
        elif not np.array_equal(np.isnan(x), np.isnan(y)):
            out.append((path, "NaN at different places"))
        else:
            scale = np.maximum(np.abs(x), np.abs(y))
            both = np.isfinite(x) & np.isfinite(y) & (scale > 0)
            rel = np.abs(x - y)[both] / scale[both]
            inf_diff = np.any((x != y) & ~np.isnan(x) & ~both)
            out.append((path, np.inf if inf_diff else float(rel.max(initial=0.0))))


def _compare(out_dir: str, other_dir: str, points: int, seeds: list[int], rel: float) -> bool:
    """Compare every run's ground truth in OUT_DIR with the same file in OTHER_DIR: every
    number to REL relative (run times excluded); print one line per run. True if all agree."""
    ok = True
    for p in range(points):
        for seed in seeds:
            name = f"point{p}_seed{seed}.json"
            a = json.loads((Path(out_dir) / name).read_text())
            b_path = Path(other_dir) / name
            if not b_path.exists():
                print(f"compare {name}: missing in {other_dir}")
                ok = False
                continue
            diffs: list = []
            _differences(a, json.loads(b_path.read_text()), "", diffs)
            nums = [d for d in diffs if not isinstance(d[1], str)]
            bad = [d for d in diffs if isinstance(d[1], str) or d[1] > rel]
            worst = max((d[1] for d in nums), default=0.0)
            print(
                f"compare {name}: {len(nums)} numeric entries, largest relative difference "
                f"{worst:.3g}; {len(bad)} over {rel:g} or not equal"
                + "".join(f"\n    {path}: {what}" for path, what in bad[:10])
            )
            ok = ok and not bad
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seeds", default="1-10")
    ap.add_argument("--out", default=None, help="folder for the per-run JSON files")
    ap.add_argument("--scan", action="append", default=[], help="KEY=V1,V2 (one at a time)")
    ap.add_argument("--max-h", type=float, default=None, help="protocol.max_time_h")
    ap.add_argument("--set", action="append", default=[], help="KEY=V: change the base scenario")
    ap.add_argument(
        "--compare-to",
        metavar="DIR",
        help="after the runs, compare each ground truth in --out with the same file in DIR",
    )
    ap.add_argument("--rel", type=float, default=1e-9, help="--compare-to tolerance (relative)")
    args = ap.parse_args()
    if args.compare_to and not args.out:
        ap.error("--compare-to needs --out (the files to compare)")
    seeds = _seeds(args.seeds)
    base = load_scenario()
    for spec in args.set:
        key, value = spec.split("=", 1)
        base = base.updated(**{key: _value(value)})
        print(f"base scenario: {key} = {_value(value)}")
    if args.max_h is not None:
        base = base.updated(**{"protocol.max_time_h": args.max_h})
    points = _scan_points(args.scan) if args.scan else None
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as ex:
        ds = ensemble(base, seeds, points=points, out_dir=args.out, map_fn=ex.map)
    wall = time.perf_counter() - t0
    if points is None:
        _table(ds, seeds, base.protocol.max_time_h)
    else:
        _scan(ds, points, base.protocol.max_time_h)
    print(
        f"ensemble wall time: {wall:.1f} s for {ds.point.size * len(seeds)} runs, "
        f"{args.workers} workers"
    )
    if args.compare_to:
        same = _compare(args.out, args.compare_to, int(ds.point.size), seeds, args.rel)
        print(f"ground truths {'agree' if same else 'DIFFER'} with {args.compare_to}")


if __name__ == "__main__":
    main()
