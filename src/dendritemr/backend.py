"""Array backend: one switch point between numpy (+ scipy.fft, all cores) and CuPy (GPU).

Every FFT of the package goes through this module, so an optional GPU array module can replace
them without touching the processing steps (the model: SigPy's ``sigpy/backend.py``).

- :func:`get_array_module` returns ``numpy`` or ``cupy`` for an array (numpy if CuPy is absent);
- :func:`set_backend` chooses where :func:`to_device` puts new arrays (``"numpy"`` default,
  ``"cupy"`` raises :class:`BackendError` when CuPy or a GPU is missing); the environment
  variable ``DENDRITEMR_BACKEND`` sets the initial choice;
- :func:`fft`, :func:`ifft`, :func:`fftn`, :func:`ifftn` dispatch on the array's module:
  numpy arrays use ``scipy.fft`` with ``WORKERS`` threads, CuPy arrays ``cupy.fft``;
- :func:`blas_threads` limits BLAS/LAPACK threads around the fits (``threadpoolctl``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np
import scipy.fft

from dendritemr.errors import DendriteMRError

__all__ = [
    "BackendError",
    "WORKERS",
    "backend_name",
    "blas_threads",
    "fft",
    "fftn",
    "get_array_module",
    "ifft",
    "ifftn",
    "set_backend",
    "to_device",
    "to_numpy",
]

#: threads used by FFTs (all cores by default; DENDRITEMR_FFT_WORKERS overrides)
WORKERS = int(os.environ.get("DENDRITEMR_FFT_WORKERS", os.cpu_count() or 1))


class BackendError(DendriteMRError):
    """The requested array backend is not available (e.g. CuPy not installed, no GPU)."""


_state = {"name": "numpy"}


def _cupy() -> ModuleType | None:
    try:
        import cupy  # type: ignore[import-not-found]
    except Exception:  # ImportError, or CUDA libraries failing to load
        return None
    return cupy


def set_backend(name: str) -> None:
    """Choose the module :func:`to_device` moves arrays to: ``"numpy"`` or ``"cupy"``.

    Raises
    ------
    BackendError : unknown name, or ``"cupy"`` without CuPy or without a usable GPU.
    """
    if name not in ("numpy", "cupy"):
        raise BackendError(f"unknown array backend {name!r} (numpy or cupy)")
    if name == "cupy":
        cp = _cupy()
        if cp is None:
            raise BackendError("backend cupy requested but CuPy is not installed")
        try:
            if cp.cuda.runtime.getDeviceCount() < 1:
                raise BackendError("backend cupy requested but no GPU is visible")
        except BackendError:
            raise
        except Exception as exc:
            raise BackendError(f"backend cupy requested but CUDA failed: {exc}") from exc
    _state["name"] = name


def backend_name() -> str:
    """The current backend, ``"numpy"`` or ``"cupy"``."""
    return _state["name"]


def get_array_module(x: Any) -> ModuleType:
    """``cupy`` for a CuPy array, else ``numpy``."""
    cp = _cupy() if type(x).__module__.startswith("cupy") else None
    return cp if cp is not None else np


def to_device(x: Any) -> Any:
    """``x`` as an array of the current backend (no copy when it already is one)."""
    if _state["name"] == "cupy":
        return _cupy().asarray(x)
    return to_numpy(x)


def to_numpy(x: Any) -> np.ndarray:
    """``x`` as a numpy array (copied from the GPU for a CuPy array)."""
    if type(x).__module__.startswith("cupy"):
        return x.get()
    return np.asarray(x)


def fft(x: Any, axis: int = -1, overwrite_x: bool = False, norm: str = "backward") -> Any:
    """Forward FFT along ``axis`` (unnormalised by default, like numpy.fft.fft)."""
    if get_array_module(x) is not np:
        return get_array_module(x).fft.fft(x, axis=axis, norm=norm)
    return scipy.fft.fft(x, axis=axis, workers=WORKERS, overwrite_x=overwrite_x, norm=norm)


def ifft(x: Any, axis: int = -1, overwrite_x: bool = False, norm: str = "backward") -> Any:
    """Inverse FFT along ``axis`` (1/n normalised by default, like numpy.fft.ifft)."""
    if get_array_module(x) is not np:
        return get_array_module(x).fft.ifft(x, axis=axis, norm=norm)
    return scipy.fft.ifft(x, axis=axis, workers=WORKERS, overwrite_x=overwrite_x, norm=norm)


def fftn(x: Any, axes: Sequence[int], overwrite_x: bool = False, norm: str = "backward") -> Any:
    """Forward FFT over ``axes`` (unnormalised by default)."""
    if get_array_module(x) is not np:
        return get_array_module(x).fft.fftn(x, axes=tuple(axes), norm=norm)
    return scipy.fft.fftn(x, axes=tuple(axes), workers=WORKERS, overwrite_x=overwrite_x, norm=norm)


def ifftn(x: Any, axes: Sequence[int], overwrite_x: bool = False, norm: str = "backward") -> Any:
    """Inverse FFT over ``axes`` (1/N normalised by default)."""
    if get_array_module(x) is not np:
        return get_array_module(x).fft.ifftn(x, axes=tuple(axes), norm=norm)
    return scipy.fft.ifftn(x, axes=tuple(axes), workers=WORKERS, overwrite_x=overwrite_x, norm=norm)


if os.environ.get("DENDRITEMR_BACKEND"):
    set_backend(os.environ["DENDRITEMR_BACKEND"])


def blas_threads(n: int | None):
    """Context limiting BLAS/LAPACK to ``n`` threads (``threadpoolctl``); a no-op for None or
    without ``threadpoolctl``.

    The fits' matrices are small or block-structured: threaded BLAS gains little on them, and on
    a loaded 2-core machine its spinning threads cost 5-8x the CPU time of one thread (a CSI
    image 4.7 s instead of 0.57 s; the 52-pair series fit 408 s CPU instead of 45 s).
    """
    if n is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a declared dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=int(n), user_api="blas")
