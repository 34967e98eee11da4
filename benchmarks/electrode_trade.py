"""How much of the dendritic metal's statistical error is its trade with the electrode line.

Runs the quantification that ``analyze`` runs on a study folder (``bench_sim_quant.quantify``),
keeps the series' fitted :class:`~dendritemr.fit.joint.JointProblem`, and prints for nine time
points per nucleus: the standard deviation of the sum of the dendritic lines' areas (comb,
microstructure, deposit) from the spectrum's local covariance block, the same conditional on
the electrode lines' areas being known (Schur complement: ``var(S) - cov(S, E)^2 / var(E)``)
and their correlation. The ratio is the error an electrode area known from elsewhere (e.g. a
smooth function of time fitted to the whole series) would leave.

Usage: python benchmarks/electrode_trade.py STUDY_DIR   (e.g. a bench_analyze / simulate study)
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("study", type=Path)
    args = ap.parse_args()
    import bench_real_li7 as real
    import bench_sim_quant as simq

    kept: list = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with real.keep_problems(kept):
            simq.quantify(args.study)
    # the series fit: most time points, then most lines (the reference pair is fitted too)
    p, theta = max(kept, key=lambda pt: (pt[0].n_time, len(pt[0].lines)))
    names = [ln.name for ln in p.lines]
    dend = [i for i, n in enumerate(names) if n.startswith(("comb_", "micro", "deposit"))]
    elec = [i for i, n in enumerate(names) if n.startswith("electrode")]
    cov = p.covariance(theta).local
    times = range(0, p.n_time, max(1, p.n_time // 8))
    print(f"{args.study}: lines {names}")
    label = ["7Li", "6Li"]  # analyze's order of the series
    for k in range(len(p.nuclei)):
        w, we = np.zeros(cov.shape[1]), np.zeros(cov.shape[1])
        w[[p.local_index("area", k, i) for i in dend]] = 1.0
        we[[p.local_index("area", k, i) for i in elec]] = 1.0
        for t in times:
            c = cov[t]
            vs, ve, cse = w @ c @ w, we @ c @ we, w @ c @ we
            cond = np.sqrt(max(vs - cse * cse / ve, 0.0))
            print(
                f"  nucleus {k} ({label[k]}) time {t:3d}: sd(dendritic) {np.sqrt(vs):.4g}, "
                f"given the electrode {cond:.4g} (ratio {cond / np.sqrt(vs):.2f}), "
                f"corr {cse / np.sqrt(vs * ve):+.2f}"
            )


if __name__ == "__main__":
    main()
