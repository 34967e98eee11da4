"""Coverage of the x6 standard errors on independent paired 6Li/7Li TopSpin files.

Draws N noise realisations of a resolved pair at 9.4 T (electrode x6 0.95, 4 ppm, -30 deg skin
phase; microstructure x6 0.5 at +18 ppm, 7 ppm; natural LLZO), written by tests/quant/pairgen.py
(numpy only), read back and fitted with the joint decomposition (model fixed to one
microstructure line, absorptive as generated: every draw fits the same model), K from a
natural-abundance reference pair. Prints, per SNR, the fraction of draws whose 2-SE interval
covers the true x6 (nominal 95.4 %), the mean bias and the ratio of the scatter to the mean
reported SE.

Run: ``python benchmarks/bench_x6_coverage.py [--draws 200] [--snr 30 300]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "quant"))

import pairgen as pg  # noqa: E402

from dendritemr.quant import atoms as A  # noqa: E402
from dendritemr.quant.decompose import decompose  # noqa: E402
from dendritemr.quant.run import acquisition, fit_spectra  # noqa: E402

FIELD, NAT = 9.4, 0.0759
SCALES = {"7Li": 2.0e7, "6Li": 1.0e8}


def write(root, name, lines, snr, seed):
    out = pg.write_pair(root / name, lines, snr=snr, seed=seed, scales=SCALES, field_t=FIELD)
    return fit_spectra(out["7Li"]), fit_spectra(out["6Li"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--snr", type=float, nargs="+", default=[30.0, 300.0])
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp())
    ref = [
        pg.GenLine("electrode", 246.0, 4.0, 1.0, NAT, bulk=True, phase_deg=-40.0),
        pg.GenLine("llzo", 1.5, 3.0, 20.0, NAT),
    ]
    r7, r6 = write(root, "ref", ref, 2000.0, 99)
    rds = decompose([r7, r6], n_micro=0, broad=False, split=False)
    relax = A.Relaxation()
    k, krel = A.calibrate_k_from_line(
        rds, "electrolyte", NAT, acquisition(r6), acquisition(r7), relax, FIELD
    )
    truth = {"electrode": 0.95, "microstructure": 0.5}
    lines = [
        pg.GenLine("electrode", 246.0, 4.0, 1.0, 0.95, bulk=True, phase_deg=-30.0),
        pg.GenLine("micro", 264.0, 7.0, 0.6, 0.5),
        pg.GenLine("llzo", 1.5, 3.0, 5.0, NAT),
    ]
    print(f"K = {k:.5g} +- {100 * krel:.2g} %  ({args.draws} draws per SNR)")
    for snr in args.snr:
        vals = {g: [] for g in truth}
        errs = {g: [] for g in truth}
        t0 = time.perf_counter()
        for d in range(args.draws):
            s7, s6 = write(root, f"s{snr}-{d}", lines, snr, 5000 + d)
            ds = decompose(
                [s7, s6],
                n_micro=1,
                broad=False,
                split=False,
                micro_phase=False,
                deposit=False,
                electrode_ppm=246.0,
            )
            x = A.x6_series(ds, k, krel, acquisition(s6), acquisition(s7), relax, FIELD)
            for g in truth:
                vals[g].append(float(x.x6.sel(group=g)[0]))
                errs[g].append(float(x.x6_err.sel(group=g)[0]))
        dt = time.perf_counter() - t0
        for g, want in truth.items():
            v, e = np.array(vals[g]), np.array(errs[g])
            cover = np.mean(np.abs(v - want) <= 2 * e)
            print(
                f"SNR {snr:5g} {g:15s} 2-SE coverage {100 * cover:5.1f} %  bias "
                f"{v.mean() - want:+.4f}  scatter/SE {v.std(ddof=1) / e.mean():.2f}  "
                f"mean SE {e.mean():.4f}  max |error| {np.abs(v - want).max():.4f}"
            )
        print(f"  ({dt / args.draws:.2f} s per pair)")


if __name__ == "__main__":
    main()
