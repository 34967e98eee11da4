"""CSI reconstruction of 64 x 64 voxels x 2,048 spectral points vs numpy's FFT of the same array.

Baseline: ``numpy.fft.fftn`` over the three axes of the same complex128 array (one 3D FFT, no
shifts), measured in the same run. Target: the operator chain of ``dendritemr.mri.recon``
(centred 2D inverse DFT, 1D DFT, scaling, flip) within 2x of it. Then the per-voxel metal fit
(``dendritemr.mri.csi.metal_map``) of the same data set, time printed.

Run: ``python benchmarks/bench_recon.py [--repeat 3] [--no-fit]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import xarray as xr


def _best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _phantom(nz=64, nx=64, nt=2048, seed=0):
    """k-space of LLZO box + electrodes-free metal points, with noise (a CSI-like array)."""
    from dendritemr.mri.csi import SpectralAxis, line_shapes  # noqa: F401

    rng = np.random.default_rng(seed)
    sw, bf1, o1 = 80000.0, 116.658, 130 * 116.658
    t = np.arange(nt) / sw
    kz = (np.arange(nz) - nz // 2) / 1.2  # 1/mm, FOV 1.2 mm
    fid_llzo = np.exp((2j * np.pi * (1.5 * bf1 - o1) - np.pi * 6 * bf1) * t)
    fid_metal = np.exp((2j * np.pi * (258 * bf1 - o1) - np.pi * 8 * bf1) * t)
    box = np.where(kz == 0, 1.0, np.sin(np.pi * kz * 1.0) / (np.pi * np.where(kz == 0, 1, kz)))
    k = np.zeros((nz, nx, nt), complex)
    k[:, nx // 2, :] += box[:, None] * fid_llzo[None, :]
    for _ in range(50):
        z, x = rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5)
        kx = np.arange(nx) - nx // 2
        ph = np.exp(-2j * np.pi * (kz[:, None] * z + kx[None, :] * x))
        k += 1e-3 * ph[:, :, None] * fid_metal[None, None, :]
    k += 1e-4 * (rng.normal(size=k.shape) + 1j * rng.normal(size=k.shape))
    return k, dict(sw_hz=sw, bf1_mhz=bf1, o1_hz=o1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-fit", action="store_true")
    args = parser.parse_args()
    from dendritemr.mri.recon import reconstruction_operator, spectral_ppm

    k, meta = _phantom()
    op = reconstruction_operator(("kz", "kx", "t2"), k.shape)
    t_np = _best(lambda: np.fft.fftn(k), args.repeat)
    t_op = _best(lambda: op(k), args.repeat)
    print(f"array {k.shape} complex128 ({k.nbytes / 2**20:.0f} MiB)")
    print(f"numpy.fft.fftn (baseline)     {t_np * 1e3:8.1f} ms")
    print(
        f"mri.recon operator chain      {t_op * 1e3:8.1f} ms   "
        f"ratio {t_op / t_np:.2f} (target <= 2)"
    )
    if args.no_fit:
        return
    from dendritemr.mri.csi import CsiModel, metal_map

    img = op(k)
    da = xr.DataArray(
        img,
        dims=("x", "y", "ppm"),
        coords={
            "x": (np.arange(64) - 32) * 1.2 / 64,
            "y": (np.arange(64) - 32) * 1.0 / 64,
            "ppm": spectral_ppm(k.shape[2], meta["sw_hz"], meta["o1_hz"], meta["bf1_mhz"]),
        },
        attrs={**meta, "nucleus": "7Li", "fov_m": [1.2e-3, 1e-3]},
    )
    t, cpu = time.perf_counter(), time.process_time()
    ds = metal_map(da.transpose("y", "x", "ppm"), CsiModel(calibration_umol_per_signal=1.0))
    print(
        f"per-voxel metal fit (64 x 64 x 2048): {time.perf_counter() - t:.1f} s wall, "
        f"{time.process_time() - cpu:.1f} s CPU (total {float(ds.total_umol):.3g} a.u., "
        f"metal model {ds.attrs['metal_model']})"
    )


if __name__ == "__main__":
    main()
