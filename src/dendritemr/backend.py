"""Array backend: FFTs through scipy.fft with all cores (numpy semantics, one switch point).

Keeping every FFT call here lets an optional GPU module (CuPy) replace them later without
touching the processing steps.
"""

from __future__ import annotations

import os

import numpy as np
import scipy.fft

#: threads used by FFTs (all cores by default; DENDRITEMR_FFT_WORKERS overrides)
WORKERS = int(os.environ.get("DENDRITEMR_FFT_WORKERS", os.cpu_count() or 1))


def fft(x: np.ndarray, axis: int = -1, overwrite_x: bool = False) -> np.ndarray:
    """Forward FFT along ``axis`` (unnormalised, like numpy.fft.fft)."""
    return scipy.fft.fft(x, axis=axis, workers=WORKERS, overwrite_x=overwrite_x)


def ifft(x: np.ndarray, axis: int = -1, overwrite_x: bool = False) -> np.ndarray:
    """Inverse FFT along ``axis`` (1/n normalised, like numpy.fft.ifft)."""
    return scipy.fft.ifft(x, axis=axis, workers=WORKERS, overwrite_x=overwrite_x)
