"""Issue 8 / 10: where the dendritic metal's noise comes from, by the Fisher information.

Fits a simulated (or any paired 6Li/7Li) study with the default ``decompose`` and, at a few
time points, compares the standard error of the dendritic signal (all microstructure and comb
lines of one nucleus summed) when groups of that spectrum's parameters are known instead of
fitted: the spectrum phase, the baselines, the electrode line's area, the electrode area and
the baselines together. Each factor is ``SE(held) / SE(all fitted)`` from the local block of
the Fisher matrix (the series' global parameters -- centres, widths, phases -- held at their
fitted values in both), so it says how much a smooth-in-time model of that group could give at
best. An ideal observer knows all of them.

Measured on the demo study (default scenario, seed 3, first 20 time points; 2026-11-30):
phase x0.93-1.00, baselines x0.68-0.72, electrode area x0.87-0.90, electrode area and
baselines x0.53-0.57 (both nuclei); scheme B seed 11: x0.99-1.00, x0.72-0.73, x0.75-0.81,
x0.55-0.57. Knowing the electrode area with the baselines would bring the interface metal's
point-to-point error from ~1.7x to about the ideal observer's (issue 10's first hour of
interface growth needs that). But the electrode area is not slow where it matters: in the demo
study's truth the 7Li electrode signal rises 5.6 % and the 6Li one falls 5 % within the first
2 h (plating changes the electrode's skin-depth layer), and an electrode area as a cubic
B-spline in time (tried, not kept) read the 7Li electrode 6 % high at the first point and the
6Li one 4 % low; knots every 6 h did not follow it either. Smooth baselines alone read scheme
B seed 12 +1.2 umol high (docs/quantification.md).

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_fisher_noise.py STUDY [--points N]``
(STUDY: a folder written by ``dendritemr simulate``).
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

import dendritemr.quant.decompose as D
from dendritemr.pipeline import _load, _pair_li6
from dendritemr.study import load_study


def _series(folder, n):
    study = load_study(folder)
    li7, li6, _ = _pair_li6(_load(study.li7, "li7"), _load(study.li6, "li6"))
    li7, li6 = li7.isel(time=slice(0, n)), li6.isel(time=slice(0, n))
    li6 = li6.assign_coords(hours=("time", li7["hours"].values))
    li6.attrs = {k: v for k, v in li6.attrs.items() if k != "paired_index"}
    return li7, li6


def _fitted_problem(li7, li6):
    """The series problem and its solution, as ``decompose`` left them."""
    cap = {}
    orig = D._result

    def grab(problem, theta, spectra, best, sol):
        cap["problem"], cap["theta"] = problem, theta
        return orig(problem, theta, spectra, best, sol)

    D._result = grab
    try:
        D.decompose([li7, li6])
    finally:
        D._result = orig
    return cap["problem"], cap["theta"]


def _variance(fisher, weights, keep):
    """Variance of ``weights . params`` with only the ``keep`` parameters fitted."""
    g = fisher[np.ix_(keep, keep)]
    d = np.sqrt(np.maximum(np.diag(g), 1e-300))
    ok = np.diag(g) > 0
    g = g[np.ix_(ok, ok)] / np.outer(d[ok], d[ok])
    w = weights[keep][ok] / d[ok]
    return float(w @ np.linalg.solve(g, w))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("study")
    ap.add_argument("--points", type=int, default=20, help="first N time points (default 20)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    li7, li6 = _series(args.study, args.points)
    p, theta = _fitted_problem(li7, li6)
    jac = p.jacobian(theta).tocsc()
    local = p.blocks[: p.n_local]
    names = [ln.name for ln in p.lines]
    dendritic = {i for i, nm in enumerate(names) if nm.startswith(("comb_", "micro"))}
    print(f"{args.study}: {p.n_time} time points, lines {names[:3]} ... ({len(names)})")
    print("factor = SE(dendritic signal, group known) / SE(all fitted)")
    print(" time nucleus   phase  baselines  electrode  electrode+baselines")
    for t in range(0, p.n_time, max(1, p.n_time // 4)):
        cols = [b.start + t for b in local]
        jt = jac[:, cols].toarray()
        jt = jt[np.abs(jt).sum(axis=1) > 0]
        fisher = jt.T @ jt
        base = np.array([not b.kind.startswith("base") for b in local])
        phase = np.array([b.kind != "phi0" for b in local])
        electrode = np.array(
            [not (b.kind == "area" and names[b.line] == "electrode") for b in local]
        )
        for k, nuc in enumerate(str(s.attrs.get("nucleus")) for s in (li7, li6)):
            w = np.array(
                [float(b.kind == "area" and b.k == k and b.line in dendritic) for b in local]
            )
            v0 = _variance(fisher, w, np.ones(len(local), bool))
            f = [np.sqrt(_variance(fisher, w, m) / v0) for m in (phase, base, electrode)]
            both = np.sqrt(_variance(fisher, w, electrode & base) / v0)
            print(f" {t:4d} {nuc:7s}  x{f[0]:.2f}   x{f[1]:.2f}      x{f[2]:.2f}      x{both:.2f}")


if __name__ == "__main__":
    main()
