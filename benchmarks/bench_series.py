"""Series processing speed and memory: dendritemr's vectorised pipeline against baselines.

2,000 FIDs of 16,384 complex points (Li metal at 248 ppm and electrolyte at 0 ppm, noise,
Bruker digital-filter delay), full pipeline: digital filter, exponential window, zero fill to
32,768, FFT, phase, linear baseline, three region integrals. Printed, measured in this run:
(a) time ratio against a per-spectrum loop of nmrglue's processing functions (same steps),
(b) time ratio against numpy's FFT alone on the same input array,
(c) peak memory of the pipeline relative to the input array (tracemalloc).
Usage: python benchmarks/bench_series.py [N_SPECTRA]
"""

from __future__ import annotations

import os

# The pipeline runs chunks on `threads` threads; OpenBLAS threads on top of those (the
# baseline's small matrix products) oversubscribe a 2-core machine and spin-wait: one BLAS
# thread per worker, as tests/conftest.py does.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys
import time
import tracemalloc

import nmrglue as ng
import numpy as np

from dendritemr.model import make_fid_series
from dendritemr.nmr import (
    DigitalFilter,
    ExponentialApodization,
    FourierTransform,
    Phase,
    Pipeline,
    PolynomialBaseline,
    ZeroFill,
    defaults,
    integrate_regions,
)
from dendritemr.nmr.fourier import ppm_axis
from dendritemr.sim.topspin_writer import add_group_delay

N_POINTS, ZERO_FILL, SW, BF, O1 = 16384, 32768, 100_000.0, 116.66, 15_000.0
DECIM, DSPFVS, GRPDLY = 16, 20, 67.98623657226562
REGIONS = {
    "metal": defaults.METAL_WINDOW,
    "electrolyte": defaults.ELECTROLYTE_WINDOW,
    "between": (100.0, 150.0),
}
BASELINE = defaults.LI_BASELINE_REGIONS
LB_HZ, P0, P1 = 50.0, 30.0, 10.0


def make_fids(n_spectra: int, seed: int = 0) -> np.ndarray:
    t = np.arange(N_POINTS) / SW
    metal = np.exp(2j * np.pi * (248 * BF - O1) * t - np.pi * 1000 * t)
    electrolyte = 2 * np.exp(2j * np.pi * (0 * BF - O1) * t - np.pi * 300 * t)
    base = add_group_delay(metal + electrolyte, GRPDLY)
    rng = np.random.default_rng(seed)
    fids = np.empty((n_spectra, N_POINTS), complex)
    growth = np.linspace(1.0, 1.3, n_spectra)[:, None]
    fids[:] = base * growth
    fids += 0.01 * (rng.standard_normal(fids.shape) + 1j * rng.standard_normal(fids.shape))
    return fids


def dendritemr_pipeline(
    fids: np.ndarray, chunk: int = 128, threads: int = 2, dtype: type = np.complex128
):
    attrs = {
        "nucleus": "7Li",
        "sw_hz": SW,
        "sfo1_mhz": BF + O1 * 1e-6,
        "bf1_mhz": BF,
        "sf_mhz": BF,
        "group_delay": GRPDLY,
    }
    da = make_fid_series(fids.astype(dtype, copy=False), 1 / SW, None, attrs)
    pipe = Pipeline(
        [
            DigitalFilter(),
            ExponentialApodization(LB_HZ),
            ZeroFill(ZERO_FILL),
            FourierTransform(first_point=1.0),  # as nmrglue.proc_base.fft
            Phase(P0, P1),
            PolynomialBaseline(1, BASELINE),
        ]
    )
    return pipe.map_chunks(da, lambda s: integrate_regions(s, REGIONS), chunk, threads)[
        "area"
    ].values


def nmrglue_loop(fids: np.ndarray) -> np.ndarray:
    """The same steps with nmrglue's per-spectrum functions (and numpy for the rest)."""
    ppm = None
    out = np.empty((fids.shape[0], len(REGIONS)))
    shift, frac = int(GRPDLY), GRPDLY - int(GRPDLY)
    # the fractional filter delay as a first-order phase, as TopSpin removes it
    p0 = P0 + 360.0 * frac * (ZERO_FILL // 2 - 1) / ZERO_FILL
    p1 = P1 - 360.0 * frac
    for i, fid in enumerate(fids):
        x = ng.proc_base.zf_size(np.roll(fid, -shift)[: N_POINTS - shift], N_POINTS)
        x = ng.proc_base.em(x, LB_HZ / SW)
        x = ng.proc_base.zf_size(x, ZERO_FILL)
        x = ng.proc_base.rev(ng.proc_base.fft(x))  # Bruker: reverse for descending ppm
        x = ng.proc_base.ps(x, p0, p1)
        if ppm is None:  # the same ppm axis as dendritemr, so the regions hold the same points
            ppm = ppm_axis(ZERO_FILL, SW, BF + O1 * 1e-6, BF)
            mask = np.zeros(ppm.size, bool)
            for lo, hi in BASELINE:
                mask |= (ppm >= lo) & (ppm <= hi)
            windows = [(ppm >= lo) & (ppm <= hi) for lo, hi in REGIONS.values()]
            step = abs(ppm[1] - ppm[0])
        coef = np.polyfit(ppm[mask], x.real[mask], 1)
        y = x.real - np.polyval(coef, ppm)
        out[i] = [y[w].sum() * step for w in windows]
    return out


def timed(func, *args):
    start = time.perf_counter()
    result = func(*args)
    return time.perf_counter() - start, result


def main(n_spectra: int = 2000) -> None:
    fids = make_fids(n_spectra)
    print(f"{n_spectra} FIDs x {N_POINTS} complex points ({fids.nbytes / 2**20:.0f} MiB)")
    dendritemr_pipeline(fids[:64])  # warm-up (imports, FFT plans)
    t_fft, _ = timed(np.fft.fft, fids, N_POINTS, 1)
    t_loop, theirs = timed(nmrglue_loop, fids)
    print(f"nmrglue loop        : {t_loop:7.2f} s")
    print(f"numpy FFT alone     : {t_fft:7.2f} s")
    for label, dtype in (("double", np.complex128), ("single", np.complex64)):
        t_ours, ours = timed(dendritemr_pipeline, fids, 128, 2, dtype)
        agree = np.max(np.abs(ours - theirs) / np.abs(theirs).max(axis=0))
        tracemalloc.start()
        tracemalloc.reset_peak()
        dendritemr_pipeline(fids, 128, 2, dtype)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"dendritemr ({label}): {t_ours:7.2f} s: {t_loop / t_ours:5.1f}x faster than the"
            f" nmrglue loop (target >= 10x), {t_ours / t_fft:5.1f}x numpy's FFT alone"
            f" (target <= 4x); integrals agree to {agree:.1e}; peak memory"
            f" {(fids.nbytes + peak) / fids.nbytes:4.2f}x the input (target <= 3x)"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
