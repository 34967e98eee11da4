"""Benchmark: vectorised series fit of 2,000 spectra against a per-spectrum lmfit loop.

Both fit the same model (electrode Lorentzian with free phase, microstructure and electrolyte
Lorentzians, linear baseline; every parameter free per spectrum) from the same starting values
(:func:`dendritemr.fit.initial.starting_values`) with tight tolerances and the same analytic
Jacobian (:func:`dendritemr.fit.lineshapes.partials`; lmfit gets it as ``Dfun``, and its
residual function evaluates the lines only), so both converge to the same minimum. lmfit
(MINPACK Levenberg-Marquardt) is timed on a subset of spectra and its time scaled to the full
series; the subset is spread evenly over the series (the microstructure line grows along it),
and parameter differences are taken on it (line parameters relative, baseline coefficients
in units of their standard error).

Both are timed by the wall clock and by the process CPU time (all threads): on a shared
machine the wall-clock ratio moves with the load of the other users (printed before and after),
the CPU-time ratio much less. Neither part depends on the BLAS thread count
(``OPENBLAS_NUM_THREADS=1`` gives the same CPU times).

Run: ``python benchmarks/bench_fit.py [--n-spectra 2000] [--n-lmfit 200]``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from dendritemr.fit import Component, Param, SeriesModel, fit_series, lorentzian
from dendritemr.fit.initial import starting_values
from dendritemr.fit.lineshapes import partials
from dendritemr.model import make_spectrum_series

N_PPM = 512
NAMES = ("electrode", "microstructure", "electrolyte")


def synthetic_series(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Growing microstructure line next to a phased electrode line; noise sigma 0.05."""
    rng = np.random.default_rng(seed)
    ppm = np.linspace(350.0, -50.0, N_PPM)
    micro = np.linspace(5.0, 20.0, n)[:, None]
    y = (
        lorentzian(ppm, 40.0, 245.0, 14.0, 0.5)
        + lorentzian(ppm, micro, 262.0, 6.0)
        + lorentzian(ppm, 30.0, 1.5, 3.0)
        + rng.normal(0.0, 0.05, (n, N_PPM))
    )
    return ppm, y


def model() -> SeriesModel:
    """Every parameter free per spectrum (what a per-spectrum loop can do)."""
    return SeriesModel(
        (
            Component("electrode", center=244.0, width=12.0, phase=Param(0.2, "free")),
            Component("microstructure", center=263.0, width=5.0),
            Component("electrolyte", center=1.0),
        ),
        baseline="linear",
    )


NAMES_LM = ("a0", "c0", "w0", "p0", "a1", "c1", "w1", "a2", "c2", "w2", "b0", "b1")


def _scaled_axis(ppm: np.ndarray) -> np.ndarray:
    """ppm scaled to [-1, 1] over the window (the baseline's axis in fit_series)."""
    return (ppm - 0.5 * (ppm.max() + ppm.min())) / (0.5 * np.ptp(ppm))


def _value(ppm, xn, v):
    """Model spectrum for parameter values ``v`` (lines only evaluated, no derivatives)."""
    return (
        lorentzian(ppm, v[0], v[1], v[2], v[3])
        + lorentzian(ppm, v[4], v[5], v[6])
        + lorentzian(ppm, v[7], v[8], v[9])
        + (v[10] + v[11] * xn)
    )


def _jacobian(ppm, xn, v):
    """The ``(n_ppm, 12)`` analytic Jacobian for parameter values ``v``."""
    d0 = partials("lorentzian", ppm, v[0], v[1], v[2], 0.0, v[3])
    d1 = partials("lorentzian", ppm, v[4], v[5], v[6])
    d2 = partials("lorentzian", ppm, v[7], v[8], v[9])
    cols = [d0[k] for k in ("amplitude", "center", "width", "phase")]
    cols += [d[k] for d in (d1, d2) for k in ("amplitude", "center", "width")]
    cols += [np.ones_like(ppm), xn]
    return np.column_stack(cols)


def lmfit_loop(ppm: np.ndarray, y: np.ndarray, start: dict) -> tuple[np.ndarray, Clock]:
    """Fit each spectrum with lmfit (MINPACK LM, analytic Jacobian ``Dfun``; the residual
    function evaluates the lines only).

    Returns the ``(n, 13)`` line parameters, RSS and baseline coefficients, and the time taken.
    """
    import lmfit

    xn = _scaled_axis(ppm)

    def residual(params, yi):
        v = [params[k].value for k in NAMES_LM]
        return _value(ppm, xn, v) - yi

    def dfun(params, yi):
        v = [params[k].value for k in NAMES_LM]
        return _jacobian(ppm, xn, v)

    out = np.empty((y.shape[0], 13))
    tight = {"xtol": 1e-13, "ftol": 1e-13, "gtol": 1e-13, "max_nfev": 2000}
    clock = Clock()
    for i in range(y.shape[0]):
        params = lmfit.Parameters()
        s = start
        init = [s["area"][i, 0], s["center"][i, 0], s["width"][i, 0], s["phase"][i, 0]]
        for c in (1, 2):
            init += [s["area"][i, c], s["center"][i, c], s["width"][i, c]]
        init += [s["baseline"][i, 0], s["baseline"][i, 1]]
        for k, v0 in zip(NAMES_LM, init, strict=True):
            params.add(k, value=float(v0))
        res = lmfit.minimize(
            residual, params, args=(y[i],), method="leastsq", Dfun=dfun, col_deriv=0, **tight
        )
        v = res.params
        out[i] = [v[k].value for k in NAMES_LM[:10]] + [res.chisqr, v["b0"].value, v["b1"].value]
    return out, clock.stop()


class Clock:
    """Wall-clock and process CPU time (all threads) since construction."""

    def __init__(self) -> None:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        self.wall = self.cpu = float("nan")

    def stop(self) -> Clock:
        """Record the elapsed times; returns ``self``."""
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0
        return self


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def main() -> None:
    """Run the benchmark and print differences and the speed ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-spectra", type=int, default=2000)
    ap.add_argument("--n-lmfit", type=int, default=200, help="spectra fitted by the lmfit loop")
    args = ap.parse_args()
    ppm, y = synthetic_series(args.n_spectra)
    da = make_spectrum_series(y, ppm)
    m = model()
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    print(f"before: {_load()}; OPENBLAS_NUM_THREADS={threads}")

    clock = Clock()
    ds = fit_series(da, m)
    t_vec = clock.stop()

    order = np.argsort(ppm)
    start = starting_values(m, ppm[order], y[:, order])
    n_lm = min(args.n_lmfit, args.n_spectra)
    sub = np.unique(np.linspace(0, args.n_spectra - 1, n_lm).round().astype(int))  # whole series
    n_lm = sub.size
    ref, t_lm = lmfit_loop(ppm, y[sub], {k: v[sub] for k, v in start.items()})
    scale = args.n_spectra / n_lm
    print(f"after:  {_load()}")

    ours = np.column_stack(
        [ds["area"][sub, 0], ds["center"][sub, 0], ds["width"][sub, 0], ds["phase"][sub, 0]]
        + [ds[k][sub, c] for c in (1, 2) for k in ("area", "center", "width")]
    )
    labels = ["area", "center", "width", "phase"] + ["area", "center", "width"] * 2
    rss_lm, base_lm, ref = ref[:, 10], ref[:, 11:], ref[:, :10]
    rel = np.abs(ours - ref) / np.maximum(np.abs(ref), 1e-300)
    rss_ours = ds["rss"].values[sub]
    base_z = np.abs(ds["baseline_coef"].values[sub] - base_lm) / ds["baseline_coef_err"].values[sub]
    print(f"spectra: {args.n_spectra} x {N_PPM} points, {ds.attrs['fit_nfev']} evaluations")
    print(f"vectorised fit_series: {t_vec.wall:.2f} s wall, {t_vec.cpu:.2f} s CPU")
    subset = "" if n_lm == args.n_spectra else " (timed on evenly spaced spectra, scaled)"
    print(
        f"lmfit loop: {t_lm.wall:.2f} s wall, {t_lm.cpu:.2f} s CPU for {n_lm} spectra, scaled to "
        f"{args.n_spectra}: {t_lm.wall * scale:.1f} s wall, {t_lm.cpu * scale:.1f} s CPU{subset}"
    )
    for k in dict.fromkeys(labels):
        cols = [i for i, lab in enumerate(labels) if lab == k]
        print(f"max relative difference, {k:6s}: {rel[:, cols].max():.2e}")
    print(f"max relative parameter difference: {rel.max():.2e} (target < 1e-6)")
    print(f"baseline coefficients: max |difference| / standard error {float(base_z.max()):.1e}")
    print(
        "RSS, vectorised minus lmfit (negative: ours is the lower minimum): "
        f"max {np.max(rss_ours - rss_lm):.2e}, min {np.min(rss_ours - rss_lm):.2e}, "
        f"relative to RSS {np.max(np.abs(rss_ours - rss_lm) / rss_lm):.1e}"
    )
    print(
        f"speed ratio lmfit / vectorised: {t_lm.wall * scale / t_vec.wall:.1f}x wall clock, "
        f"{t_lm.cpu * scale / t_vec.cpu:.1f}x CPU time (target >= 10x)"
    )


if __name__ == "__main__":
    main()
