"""Issue 8, real data: the joint decomposition of the real in situ 7Li series (TEGDME cell).

Prints, for the 50 spectra of ``li7-insitu-LiLi-TEGDME`` read in place from ../shared/data/real:

- growth last/first of TopSpin's own 1r window integral (200-300 ppm) and of the total fitted
  metal (electrode + microstructure line areas, each line at its own phase);
- scatter of each about a cubic trend (%), and the largest neighbour jump of the residuals
  about that trend in standard errors (errors as reported: Cramer-Rao, times the Birge ratio
  where the reduced chi-square rejects the model);
- single spectrum vs series: expnos fitted alone with the same model options, the difference of
  the microstructure and total metal areas in combined standard errors.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_real_li7.py [--drift centres|smooth|shared]
[--nonnegative auto|yes|no] [--single 1 20 50]``.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
SERIES = REAL / "li7-insitu-LiLi-TEGDME" / "2023-08-11_jana_insituLiLiTEGDME-02_galv"
WINDOW = (200.0, 300.0)


def window_integral(ppm: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Integral of the real part over ``WINDOW`` (signal x ppm), rows of ``y``."""
    m = (ppm >= WINDOW[0]) & (ppm <= WINDOW[1])
    return np.real(y[..., m]).sum(axis=-1) * abs(ppm[1] - ppm[0])


def trend_stats(t: np.ndarray, y: np.ndarray, err: np.ndarray | None = None):
    """(growth last/first - 1, scatter about a cubic in %, max neighbour jump in SE)."""
    res = y - np.polyval(np.polyfit(t, y, 3), t)
    jump = np.nan
    if err is not None:
        jump = float(np.max(np.abs(np.diff(res)) / np.hypot(err[1:], err[:-1])))
    return y[-1] / y[0] - 1, 100 * res.std() / np.abs(y).mean(), jump


def metal_totals(ds):
    """Electrode + microstructure areas of the 7Li decomposition and their errors (the two
    groups' covariance neglected: it is small next to each)."""
    ga, ge = ds["group_area"].isel(nucleus=0), ds["group_area_err"].isel(nucleus=0)
    tot = ga.sel(group="electrode").values + ga.sel(group="microstructure").values
    err = np.hypot(ge.sel(group="electrode").values, ge.sel(group="microstructure").values)
    micro = ga.sel(group="microstructure").values, ge.sel(group="microstructure").values
    return tot, err, micro


def main() -> None:
    from dendritemr.io.bruker import read_pdata
    from dendritemr.quant.decompose import decompose
    from dendritemr.quant.run import fit_spectra

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--drift", default="centres", choices=["centres", "smooth", "shared"])
    ap.add_argument("--nonnegative", default="auto", choices=["auto", "yes", "no"])
    ap.add_argument("--deposit", default="auto", choices=["auto", "yes", "no"])
    ap.add_argument("--single", type=int, nargs="*", default=[1, 20, 50], help="expnos")
    args = ap.parse_args()
    if not SERIES.is_dir():
        raise SystemExit(f"{SERIES}: real data not found (../shared/data/real)")
    nonneg = args.nonnegative if args.nonnegative == "auto" else args.nonnegative == "yes"
    dep = args.deposit if args.deposit == "auto" else args.deposit == "yes"
    kw = {"drift": args.drift, "nonnegative": nonneg, "deposit": dep}
    refs = [read_pdata(SERIES / str(i) / "pdata" / "1") for i in range(1, 51)]
    topspin = np.array([window_integral(r["ppm"].values, r.values[0]) for r in refs])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s7 = fit_spectra(SERIES)
        t0 = time.perf_counter()
        ds = decompose([s7], **kw)
        wall = time.perf_counter() - t0
    t = ds["hours"].values
    tot, err, (micro, micro_err) = metal_totals(ds)
    print(f"series fit ({kw}): {wall:.1f} s, model {ds.attrs['model_choice'][:200]}")
    print(
        f"skin phase {np.degrees(float(ds['skin_phase'])):.1f} +- "
        f"{np.degrees(float(ds['skin_phase_err'])):.1f} deg; deposit {ds.attrs['deposit']}"
    )
    print(
        f"reduced chi-square median {np.median(ds['redchi']):.2f}, max "
        f"{float(ds['redchi'].max()):.2f}; error scale (Birge) median "
        f"{np.median(ds['error_scale']):.2f}"
    )
    print("quantity                         growth   scatter%  max jump/SE")
    for name, y, e in (
        ("TopSpin 1r window 200-300 ppm", topspin, None),
        ("total fitted metal (areas)", tot, err),
        ("microstructure (areas)", micro, micro_err),
    ):
        g, sc, j = trend_stats(t, y, e)
        print(f"{name:32s} {g:+8.4f} {sc:9.3f} {j:11.1f}")
    print("single spectrum alone vs in the series (difference / combined SE)")
    for expno in args.single:
        i = expno - 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            one = decompose([s7.isel(time=[i])], **kw)
        t1, e1, (m1, me1) = metal_totals(one)
        dm = (m1[0] - micro[i]) / np.hypot(me1[0], micro_err[i])
        dt = (t1[0] - tot[i]) / np.hypot(e1[0], err[i])
        print(
            f"  expno {expno:2d}: microstructure {m1[0]:.4g} vs {micro[i]:.4g} ({dm:+.1f} SE), "
            f"total {t1[0]:.4g} vs {tot[i]:.4g} ({dt:+.1f} SE); model alone "
            f"{one.attrs['n_microstructure']} micro"
        )


if __name__ == "__main__":
    main()
