"""Cartesian reconstruction (k-space -> image, FID -> spectrum) as one chain of operators.

:func:`reconstruction_operator` builds, for an array whose axes are named (``kx``, ``ky``, ``kz``:
phase/read encoding; ``t2``: the spectral FID of chemical-shift imaging; any other name, such as
``slice`` or ``repetition``, is left alone: multi-slice and series are batch axes), the operator

    R = Flip_t2 * Scale * FFT_t2 * IFFT_k * Embed (zero filling, partial Fourier) * Apodisation

with conventions of ParaVision's own reconstruction (and of :mod:`dendritemr.sim`):

- spatial axes: centred inverse DFT times N (``x_j = sum_k s_k exp(+2 pi i k j / N)``, ``j, k``
  from ``-N // 2``); pixel ``j`` lies at ``(j - N // 2) FOV / N`` from the isocentre;
- spectral axis: DFT of the FID from ``t = 0`` (unnormalised), centred, then reversed so the
  spectrum runs from high to low ppm as ParaVision and TopSpin display it;
- apodisation: one weight per point of an encoding axis (k-space window, or FID window);
- zero filling: spatial axes centred (the ``-N // 2`` convention is kept), the FID at its end;
- partial Fourier: ``acquired`` points of an axis of full length ``n`` occupy the last ones
  (ParaVision's ``PVM_EncPftOverscans`` layout); missing lines are zero (the adjoint reads
  them back), so the image is the zero-filled, minimum-norm reconstruction.

:func:`reconstruct` applies it to :func:`dendritemr.io.paravision.read_raw` k-space and
orients the slices as ParaVision's 2dseq (:mod:`.orientation`). The adjoint ``R.H`` is the
forward (encoding) model of the same sampling, used by the analytic-phantom tests.

EPI (echo-planar) raw data are refused with the reason (:func:`check_cartesian`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from dendritemr.errors import DataError, ProcessingError
from dendritemr.model.history import add_step
from dendritemr.mri.linop import FFT, Compose, Embed, Flip, Identity, Linop, Multiply
from dendritemr.mri.orientation import transpose, transpositions

__all__ = [
    "SPATIAL_K",
    "SPATIAL_R",
    "reconstruction_operator",
    "reconstruct",
    "reconstruct_array",
    "check_cartesian",
    "spectral_ppm",
]

SPATIAL_K = ("kx", "ky", "kz")
SPATIAL_R = ("x", "y", "z")


def reconstruction_operator(
    dims: Sequence[str],
    shape: Sequence[int],
    *,
    zero_fill: Mapping[str, int] | None = None,
    apodization: Mapping[str, Any] | None = None,
    partial_fourier: Mapping[str, int] | None = None,
    flip_spectrum: bool = True,
) -> Linop:
    """The operator from k-space (``dims``, ``shape``) to image/spectra (same axis order).

    Parameters
    ----------
    dims, shape : axis names and sizes of the acquired data.
    zero_fill : final size per encoding axis name (``>= acquired``; partial Fourier included).
    apodization : weights per encoding axis name (1D, one per acquired point).
    partial_fourier : full size per spatial axis that was acquired partially (last points).
    flip_spectrum : reverse the spectral axis (high ppm first).

    Returns
    -------
    Linop : ishape = ``shape``, oshape = ``shape`` with zero-filled sizes.

    Raises
    ------
    ProcessingError : an option naming an axis that is not an encoding axis, a size smaller
        than the acquired one, apodisation weights of the wrong length.
    """
    dims, shape = list(dims), [int(n) for n in shape]
    zero_fill = dict(zero_fill or {})
    apodization = dict(apodization or {})
    partial_fourier = dict(partial_fourier or {})
    encoding = [d for d in dims if d in SPATIAL_K or d == "t2"]
    for option in (zero_fill, apodization, partial_fourier):
        for name in option:
            if name not in encoding:
                raise ProcessingError(f"{name!r} is not an encoding axis of {tuple(dims)}")
    if "t2" in partial_fourier:
        raise ProcessingError("partial Fourier applies to spatial axes, not to t2")
    ops: list[Linop] = []
    current = list(shape)
    # apodisation
    for name, w in apodization.items():
        ax = dims.index(name)
        w = np.asarray(w)
        if w.shape != (shape[ax],):
            raise ProcessingError(
                f"apodization of {name}: {w.shape[0]} weights, {shape[ax]} points"
            )
        bshape = [1] * len(shape)
        bshape[ax] = shape[ax]
        ops.append(Multiply(current, w.reshape(bshape)))
    # partial Fourier and zero filling
    out, offsets = list(current), [0] * len(current)
    for ax, name in enumerate(dims):
        if name not in encoding:
            continue
        n = current[ax]
        full = int(partial_fourier.get(name, n))
        final = int(zero_fill.get(name, full))
        if full < n or final < full:
            raise ProcessingError(
                f"{name}: acquired {n}, partial-Fourier size {full}, zero-filled size {final}"
            )
        if name == "t2":
            offsets[ax] = 0
        else:
            offsets[ax] = final // 2 - full // 2 + (full - n)
        out[ax] = final
    if out != current:
        ops.append(Embed(out, current, offsets))
        current = out
    # transforms with ParaVision's scaling
    spatial = [ax for ax, d in enumerate(dims) if d in SPATIAL_K]
    spectral = [ax for ax, d in enumerate(dims) if d == "t2"]
    scale = 1.0
    if spatial:
        ops.append(FFT(current, spatial, inverse=True))
        scale *= float(np.sqrt(np.prod([current[a] for a in spatial])))
    if spectral:
        ops.append(FFT(current, spectral, inverse=False, centre_in=False, centre_out=True))
        scale *= float(np.sqrt(current[spectral[0]]))
    if spatial or spectral:
        ops.append(Multiply(current, scale))
    if spectral and flip_spectrum:
        ops.append(Flip(current, spectral[0]))
    if not ops:
        return Identity(shape)
    return Compose(ops[::-1])


def reconstruct_array(kspace: Any, dims: Sequence[str], **options: Any) -> Any:
    """Apply :func:`reconstruction_operator` to a bare array (numpy or CuPy) with named axes."""
    return reconstruction_operator(dims, kspace.shape, **options)(kspace)


def check_cartesian(raw: xr.DataArray) -> None:
    """Refuse raw data this reconstruction cannot handle, saying why.

    Raises
    ------
    DataError : EPI (echo-planar: every other echo runs backwards in k, samples on the gradient
        ramps need regridding, and the N/2 ghost needs a phase correction that ParaVision
        derives from its adjustment scans), or data without any encoding axis.
    """
    source = raw.attrs.get("source", "raw data")
    method = str(raw.attrs.get("method", ""))
    if "EPI" in method.upper():
        raise DataError(
            source,
            f"method {method} is echo-planar imaging: reconstruction needs echo reversal, ramp "
            "regridding and N/2-ghost correction, not implemented (Cartesian methods only)",
        )
    if not any(d in SPATIAL_K or d == "t2" for d in raw.dims):
        raise DataError(source, "no encoding dimension (kx, ky, kz or t2) to reconstruct")


def spectral_ppm(n: int, sw_hz: float, o1_hz: float, bf1_mhz: float) -> np.ndarray:
    """ppm of the points of a reconstructed spectral axis (high to low).

    Point ``k`` (after the flip) is at ``f = -(k - n // 2) sw / n`` Hz from the carrier
    (``n`` even: the centred DFT's frequencies reversed), ``ppm = (f + o1) / bf1``.
    """
    if not (sw_hz > 0 and bf1_mhz > 0):
        raise ProcessingError(f"spectral axis needs sw_hz > 0 and bf1_mhz > 0 ({sw_hz}, {bf1_mhz})")
    hz = np.fft.fftshift(np.fft.fftfreq(n, 1.0 / sw_hz))[::-1]
    return (hz + o1_hz) / bf1_mhz


def reconstruct(
    raw: xr.DataArray,
    transposition: bool = True,
    *,
    zero_fill: Mapping[str, int] | None = None,
    apodization: Mapping[str, Any] | None = None,
    partial_fourier: Mapping[str, int] | None = None,
) -> xr.DataArray:
    """Reconstruct :func:`dendritemr.io.paravision.read_raw` k-space as ParaVision does.

    Spatial dimensions ``kx, ky, kz -> x, y, z`` (mm, centred: ``(j - N // 2) FOV / N``); a
    spectroscopic ``t2 -> ppm`` (high to low). Complex result; magnitude is the caller's.
    Orientation: ``RECO_transposition`` of ``pdata/1/reco`` per slice (:mod:`.orientation`;
    ``transposition=False``: acquisition orientation). ``attrs["reco_transposition"]`` records
    the values applied; ``attrs["history"]`` the reconstruction options.

    Raises
    ------
    DataError : EPI or no encoding axis (:func:`check_cartesian`), a bad RECO_transposition,
        a spectral axis without spectral width or frequency.
    """
    check_cartesian(raw)
    dims = list(raw.dims)
    op = reconstruction_operator(
        dims,
        raw.shape,
        zero_fill=zero_fill,
        apodization=apodization,
        partial_fourier=partial_fourier,
    )
    data = op(np.asarray(raw.values))
    attrs = dict(raw.attrs)
    coords: dict[str, Any] = {}
    new_dims = list(dims)
    for ax, name in enumerate(dims):
        n = data.shape[ax]
        if name in SPATIAL_K:
            i = SPATIAL_K.index(name)
            fov_m = attrs.get("fov_m") or []
            if i >= len(fov_m):
                raise DataError(attrs.get("source", "raw"), f"no field of view for {name}")
            fov = float(fov_m[i]) * 1e3
            new = SPATIAL_R[i]
            coords[new] = (new, (np.arange(n) - n // 2) * fov / n, {"units": "mm"})
            new_dims[ax] = new
        elif name == "t2":
            try:
                ppm = spectral_ppm(n, attrs["sw_hz"], attrs.get("o1_hz", 0.0), attrs["bf1_mhz"])
            except (KeyError, ProcessingError) as exc:
                raise DataError(attrs.get("source", "raw"), f"spectral axis: {exc}") from exc
            coords["ppm"] = ("ppm", ppm, {"units": "ppm"})
            new_dims[ax] = "ppm"
    values = [0] * raw.sizes.get("slice", 1)
    if transposition and "slice" in new_dims:
        enc = [d for d in dims if d in SPATIAL_K or d == "t2"][::-1]
        reco, values = transpositions(raw, enc)
        data, coords = transpose(data, new_dims, coords, values, reco)
    attrs["reco_transposition"] = values
    attrs["units"] = "a.u."
    out = xr.DataArray(data, dims=new_dims, coords=coords, attrs=attrs)
    add_step(
        out,
        {
            "step": "reconstruct",
            "operator": " * ".join(type(o).__name__ for o in getattr(op, "ops", [op])),
            "zero_fill": dict(zero_fill or {}),
            "apodization": sorted((apodization or {}).keys()),
            "partial_fourier": dict(partial_fourier or {}),
            "transposition": values,
        },
    )
    return out
