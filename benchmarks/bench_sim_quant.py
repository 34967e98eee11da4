"""Issue 8, simulated studies: per-time x6 and amount of the dendritic metal against the truth.

For each seed and preset: ``dendritemr simulate`` writes a study (TopSpin 7Li/6Li series,
references, study.toml, ground_truth.json); the same quantification ``analyze`` runs
(``pipeline._quantify_metal``: joint 6Li/7Li decomposition, K from the study's reference, C7
from the electrode) gives the dendritic (non-electrode) metal and its x6 per 7Li time point;
both are compared with ``ground_truth.json`` (``metal_umol.interface + bulk``, ``x6_metal``).

A time point passes when ``|fit - truth| <= max(10 % of truth, 2 SE)`` (amount) and
``|fit - truth| <= 2 SE`` or ``<= 0.01`` (x6). Points where the true dendritic metal is below
``--min-umol`` are not scored (they are listed). Prints one table per study and a summary, and
with ``--plot FILE.png`` both trajectories against the truth.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_sim_quant.py --seeds 3 4 5
--presets default scheme-b --work /tmp/simq [--plot /tmp/simq.png] [--decompose
skin_phase=anchor --decompose dendritic=comb]`` (``--decompose``: options of the series
decomposition, docs/quantification.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def simulate(work: Path, seed: int, preset: str) -> Path:
    out = work / f"{preset}-s{seed}"
    if not (out / "ground_truth.json").is_file():
        exe = Path(sys.executable).with_name("dendritemr")
        cmd = [str(exe), "simulate", "--preset", preset]
        cmd += ["--seed", str(seed), "--out", str(out)]
        subprocess.run(cmd, check=True, capture_output=True)
    return out


def use_decompose_options(pairs: list[str]) -> None:
    """Make the quantification's series decomposition use these ``KEY=VALUE`` keywords (the
    analyze chain calls ``decompose(series)`` with the defaults)."""
    if not pairs:
        return
    import dendritemr.quant.decompose as D

    kw = {}
    for p in pairs:
        key, _, val = p.partition("=")
        if val.lower() in ("true", "false"):
            kw[key] = val.lower() == "true"
            continue
        try:
            kw[key] = float(val)
        except ValueError:
            kw[key] = val
    orig = D.decompose

    def decompose(spectra, **given):
        return orig(spectra, **{**kw, **given})

    D.decompose = decompose
    print("decompose options:", kw)


def quantify(folder: Path):
    from dendritemr.pipeline import _load, _pair_li6, _quantify_metal
    from dendritemr.study import load_study

    study = load_study(folder)
    li7 = _load(study.li7, "li7")
    li6 = None
    if study.li6 is not None:
        li7, li6, _ = _pair_li6(li7, _load(study.li6, "li6"))
    return _quantify_metal(li7, li6, study)


def score(q, truth: dict, min_umol: float) -> dict:
    t = np.asarray(truth["time_h"], float)
    m_true = np.asarray(truth["metal_umol"]["interface"], float) + np.asarray(
        truth["metal_umol"]["bulk"], float
    )
    x_true = np.asarray(truth["x6_metal"], float)
    m, me = q["metal_umol"].values, q["metal_umol_err"].values
    x, xe = q["x6_metal"].values, q["x6_metal_err"].values
    n = min(t.size, m.size)
    t, m_true, x_true, m, me, x, xe = (a[:n] for a in (t, m_true, x_true, m, me, x, xe))
    scored = m_true >= min_umol
    ok_m = np.abs(m - m_true) <= np.maximum(0.1 * m_true, 2 * me)
    ok_x = (np.abs(x - x_true) <= np.maximum(2 * xe, 0.01)) & np.isfinite(x)
    return {
        "t": t,
        "m_true": m_true,
        "x_true": x_true,
        "m": m,
        "me": me,
        "x": x,
        "xe": xe,
        "scored": scored,
        "ok_m": ok_m,
        "ok_x": ok_x,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[3, 4, 5])
    ap.add_argument("--presets", nargs="+", default=["default", "scheme-b"])
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench_sim_quant"))
    ap.add_argument("--min-umol", type=float, default=0.5)
    ap.add_argument("--plot", type=Path, default=None)
    ap.add_argument(
        "--decompose",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="keyword of quant.decompose.decompose for the series fit, e.g. skin_phase=anchor, "
        "dendritic=comb (repeatable; numbers are read as floats, true/false as booleans)",
    )
    args = ap.parse_args()
    use_decompose_options(args.decompose)
    args.work.mkdir(parents=True, exist_ok=True)
    results = {}
    for preset in args.presets:
        for seed in args.seeds:
            t0 = time.perf_counter()
            folder = simulate(args.work, seed, preset)
            t1 = time.perf_counter()
            q = quantify(folder)
            t2 = time.perf_counter()
            truth = json.loads((folder / "ground_truth.json").read_text())
            r = score(q, truth, args.min_umol)
            results[(preset, seed)] = r
            s = r["scored"]
            print(
                f"\n{preset} seed {seed}: simulate {t1 - t0:.0f} s, quantify {t2 - t1:.0f} s; "
                f"amount ok {int(r['ok_m'][s].sum())}/{int(s.sum())}, x6 ok "
                f"{int(r['ok_x'][s].sum())}/{int(s.sum())} (true metal >= {args.min_umol} umol)"
            )
            print("   t/h  metal umol (fit +- SE)   truth    x6 (fit +- SE)    truth")
            for i in range(r["t"].size):
                mark = "" if s[i] else "  (not scored)"
                mark += "" if r["ok_m"][i] else "  amount OFF"
                mark += "" if r["ok_x"][i] else "  x6 OFF"
                print(
                    f"{r['t'][i]:6.2f}  {r['m'][i]:8.3f} +- {r['me'][i]:6.3f}  "
                    f"{r['m_true'][i]:8.3f}   {r['x'][i]:6.3f} +- {r['xe'][i]:5.3f}  "
                    f"{r['x_true'][i]:6.3f}{mark}"
                )
    print("\nsummary (scored points)")
    for (preset, seed), r in results.items():
        s = r["scored"]
        rel = np.abs(r["m"] - r["m_true"])[s] / r["m_true"][s]
        dx = np.abs(r["x"] - r["x_true"])[s]
        print(
            f"{preset:10s} seed {seed}: amount ok {int(r['ok_m'][s].sum())}/{int(s.sum())} "
            f"(median |rel err| {np.nanmedian(rel):.3f}), x6 ok {int(r['ok_x'][s].sum())}/"
            f"{int(s.sum())} (median |dx6| {np.nanmedian(dx):.3f})"
        )
    if args.plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        keys = list(results)
        fig, axes = plt.subplots(2, len(keys), figsize=(3.2 * len(keys), 5.5), squeeze=False)
        for j, key in enumerate(keys):
            r = results[key]
            a = axes[0, j]
            a.plot(r["t"], r["m_true"], "k-", label="truth")
            a.errorbar(r["t"], r["m"], 2 * r["me"], fmt=".", color="C0", label="fit +- 2 SE")
            a.set_title(f"{key[0]} seed {key[1]}", fontsize=9)
            a.set_ylabel("dendritic Li / umol")
            b = axes[1, j]
            b.plot(r["t"], r["x_true"], "k-")
            b.errorbar(r["t"], r["x"], 2 * r["xe"], fmt=".", color="C1")
            b.set_ylabel("x6 of the metal")
            b.set_ylim(-0.1, 1.2)  # points with huge errors (metal near zero) run off the axis
            b.set_xlabel("time / h")
        axes[0, 0].legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=90)
        print(f"plot -> {args.plot}")


if __name__ == "__main__":
    main()
