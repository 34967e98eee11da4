"""Bruker ParaVision experiments: raw ``fid`` (k-space) and reconstructed ``pdata/N/2dseq``.

Raw data (``acqp``, ``method``, ``fid``): int32 (or int16) complex pairs, byte order from
``BYTORDA``; loops from fastest to slowest are ``ACQ_size[0] / 2`` complex points, the
``ACQ_phase_factor`` echoes of a train, the ``NI`` objects (slices, in ``ACQ_obj_order``),
the remaining ``ACQ_size[1] / ACQ_phase_factor`` steps, ``ACQ_size[2:]``, then ``NR``; with
``GO_block_size = Standard_KBlock_Format`` every innermost line is padded to 1 KiB.
Dimensions of the returned array: ``repetition``, ``slice``, then the encoding dimensions
slowest first: spatial ones are ``kx`` (first), ``ky``, ``kz``; a spectroscopic one is
``t2`` (s). Phase-encoding steps are sorted by ``PVM_EncSteps1/2`` when the method gives them.

Images (``2dseq`` with ``visu_pars``, else ``reco``): real value = stored x
``VisuCoreDataSlope`` + ``VisuCoreDataOffs`` per frame; dimensions ``slice`` (frames) then the
core dimensions slowest first, spatial ones ``x`` (first, fastest in the file), ``y``, ``z`` in
mm (centred), a spectroscopic one ``ppm``.

:func:`reconstruct` orients each slice as ParaVision's 2dseq does, applying the per-frame
``RECO_transposition`` of ``pdata/1/reco`` (1: read and phase exchanged).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from dendritemr.errors import DataError
from dendritemr.io.paravision_jcamp import read_pv_parameters
from dendritemr.model import file_checksums

__all__ = ["is_paravision", "read_raw", "read_2dseq", "reconstruct"]

_SPATIAL_K = ("kx", "ky", "kz")
_SPATIAL_R = ("x", "y", "z")
_WORD = {
    "_32BIT_SGN_INT": "i4",
    "_16BIT_SGN_INT": "i2",
    "_32BIT_FLOAT": "f4",
    "_8BIT_UNSGN_INT": "u1",
}


def is_paravision(path: str | Path) -> bool:
    """True if ``path`` is a ParaVision experiment folder (``acqp`` present)."""
    return (Path(path) / "acqp").is_file()


def _get(params: dict, key: str, path: Path) -> Any:
    if key not in params:
        raise DataError(path, f"parameter {key} missing")
    return params[key]


def _as_list(value: Any) -> list:
    return list(np.atleast_1d(value)) if not isinstance(value, list) else value


def _times(acqp: dict, method: dict, n_steps: int) -> dict[str, str]:
    if "ACQ_abs_time" not in acqp:
        return {}
    start = dt.datetime.fromtimestamp(float(_as_list(acqp["ACQ_abs_time"])[0]), dt.UTC)
    if "PVM_ScanTime" in method:
        dur = float(method["PVM_ScanTime"]) / 1e3
    else:
        tr = float(_as_list(method.get("PVM_RepetitionTime", 0.0))[0]) / 1e3
        dur = tr * n_steps * int(acqp.get("NA", 1))
    return {
        "time_start": start.isoformat(),
        "time_mid": (start + dt.timedelta(seconds=dur / 2)).isoformat(),
        "duration_s": dur,
    }


def read_raw(path: str | Path) -> xr.DataArray:
    """Read the raw ``fid`` of a ParaVision experiment as complex k-space.

    Parameters
    ----------
    path : experiment folder (``acqp``, ``method``, ``fid``).

    Returns
    -------
    xarray.DataArray
        complex, dims ``(repetition, slice, ...encoding dims slowest first...)``; attrs:
        nucleus, bf1_mhz, sfo1_mhz, o1_hz, sw_hz, field of view (``fov_m``), method,
        acquisition times (UTC ISO), source and checksums.

    Raises
    ------
    DataError : missing or inconsistent files (size does not match ACQ_size, NI, NR).
    """
    exp = Path(path)
    if not exp.is_dir():
        raise DataError(exp, "no such ParaVision experiment folder")
    acqp = read_pv_parameters(exp / "acqp")
    method = read_pv_parameters(exp / "method") if (exp / "method").is_file() else {}
    size = [int(v) for v in _as_list(_get(acqp, "ACQ_size", exp / "acqp"))]
    desc = _as_list(acqp.get("ACQ_dim_desc", ["Spatial"] * len(size)))
    ni, nr = int(acqp.get("NI", 1)), int(acqp.get("NR", 1))
    pf = max(int(acqp.get("ACQ_phase_factor", 1)), 1)
    word = str(acqp.get("ACQ_word_size", "_32_BIT"))
    order = ">" if str(acqp.get("BYTORDA", "little")).lower().startswith("big") else "<"
    dtype = np.dtype(order + ("i2" if "16" in word else "i4"))
    fid = exp / "fid"
    if not fid.is_file():
        raise DataError(fid, "missing raw data file")
    n_read = size[0]
    line = n_read * dtype.itemsize
    blocked = str(acqp.get("GO_block_size", "")) == "Standard_KBlock_Format"
    padded = -(-line // 1024) * 1024 if blocked else line
    n_lines = int(np.prod(size[1:])) * ni * nr
    if fid.stat().st_size != n_lines * padded:
        raise DataError(
            fid,
            f"size {fid.stat().st_size} bytes does not match ACQ_size {size}, NI={ni}, NR={nr} "
            f"({n_lines * padded} expected)",
        )
    raw = np.fromfile(fid, dtype=dtype).reshape(n_lines, padded // dtype.itemsize)[:, :n_read]
    data = raw[:, 0::2].astype(float) + 1j * raw[:, 1::2]
    n1 = size[1] if len(size) > 1 else 1
    if n1 % pf:
        raise DataError(exp / "acqp", f"ACQ_size[1]={n1} not a multiple of ACQ_phase_factor={pf}")
    outer = size[2:][::-1]
    data = data.reshape([nr, *outer, n1 // pf, ni, pf, n_read // 2])
    k = len(outer)
    # -> (NR, NI, outer..., n1/pf, pf, read)
    data = np.moveaxis(data, 2 + k, 1).reshape([nr, ni, *outer, n1, n_read // 2])
    obj = [int(v) for v in _as_list(acqp.get("ACQ_obj_order", list(range(ni))))]
    if sorted(obj) == list(range(ni)):
        ordered = np.empty_like(data)
        ordered[:, obj] = data
        data = ordered
    names, coords = [], {}
    spatial = 0
    fov = [float(v) / 100 for v in _as_list(acqp.get("ACQ_fov", []))]  # cm -> m
    sw_hz = float(acqp.get("SW_h", 0.0))
    for i, (n, d) in enumerate(zip([n_read // 2] + size[1:], desc, strict=False)):
        if str(d).lower().startswith("spectro"):
            names.append("t2")
            coords["t2"] = (
                "t2",
                np.arange(n) / sw_hz if sw_hz > 0 else np.arange(n),
                {"units": "s"},
            )
            continue
        name = _SPATIAL_K[spatial]
        steps = np.arange(n) - n // 2
        enc = method.get(f"PVM_EncSteps{i}") if i > 0 else None
        if enc is not None and np.size(enc) == n:
            enc = np.asarray(enc, dtype=int)
            sort = np.argsort(enc)
            axis = 2 + (len(size) - 1 - i)
            data = np.take(data, sort, axis=axis)
            steps = enc[sort]
        f = fov[spatial] if spatial < len(fov) else 1.0
        coords[name] = (name, steps / f, {"units": "1/m", "step": "encoding step / FOV"})
        names.append(name)
        spatial += 1
    dims = ["repetition", "slice", *names[::-1]]
    nucleus = str(acqp.get("NUCLEUS", acqp.get("NUC1", "")))
    attrs = {
        "nucleus": nucleus,
        "bf1_mhz": float(acqp.get("BF1", np.nan)),
        "sfo1_mhz": float(acqp.get("SFO1", np.nan)),
        "o1_hz": float(acqp.get("O1", 0.0)),
        "sw_hz": sw_hz,
        "fov_m": fov,
        "method": str(acqp.get("ACQ_method", method.get("Method", ""))),
        "source": str(exp),
        "checksums": file_checksums([exp / "acqp", fid]),
        "units": "counts",
    }
    attrs.update(_times(acqp, method, int(np.prod(size[1:]))))
    return xr.DataArray(data, dims=dims, coords=coords, attrs=attrs)


def _swap_pair(value: int, names: list[str]) -> tuple[int, int] | None:
    """Encoding dimensions (0 = first, fastest) exchanged by one ``RECO_transposition`` value.

    ``t`` exchanges dimensions ``t`` and ``t mod n + 1`` (1-based) of the ``n`` image
    dimensions: in 2D 1 swaps read and phase; in 3D 1 swaps 1st/2nd, 2 swaps 2nd/3rd, 3 swaps
    1st/3rd. ``(0, 0)`` for 0 (nothing exchanged); ``None`` for a value outside that rule.
    """
    n = len(names)
    if value == 0:
        return (0, 0)
    if n < 2 or not 1 <= value <= (1 if n == 2 else n):
        return None
    return (value - 1, value % n)


def _transpositions(raw: xr.DataArray, enc: list[str]) -> tuple[Path | None, list[int]]:
    """Per-slice ``RECO_transposition`` of the raw's experiment (``pdata/1/reco``), or zeros."""
    n_slices = raw.sizes.get("slice", 1)
    source = raw.attrs.get("source")
    reco = Path(source) / "pdata" / "1" / "reco" if source else None
    if reco is None or not reco.is_file():
        return None, [0] * n_slices
    value = read_pv_parameters(reco).get("RECO_transposition", 0)
    try:
        numbers = np.atleast_1d(np.asarray(value, dtype=float)).ravel()
    except (TypeError, ValueError):
        numbers = np.array([np.nan])
    if not np.all(np.isfinite(numbers) & (numbers == np.round(numbers))):
        raise DataError(reco, f"RECO_transposition {value!r} is not a list of integers")
    values = [int(v) for v in numbers]
    if len(values) == 1 or len(set(values)) == 1:
        values = values[:1] * n_slices
    if len(values) != n_slices:
        raise DataError(reco, f"RECO_transposition has {len(values)} values for {n_slices} slices")
    for s, v in enumerate(values):
        pair = _swap_pair(v, enc)
        if pair is None:
            allowed = "0" if len(enc) < 2 else ("0-1" if len(enc) == 2 else f"0-{len(enc)}")
            raise DataError(
                reco,
                f"RECO_transposition {v} (slice {s}) not supported for {len(enc)} encoding "
                f"dimensions (allowed {allowed})",
            )
        a, b = pair
        if a != b and "t2" in (enc[a], enc[b]):
            raise DataError(
                reco,
                f"RECO_transposition {v} (slice {s}) would exchange a spectroscopic dimension",
            )
    return reco, values


def reconstruct(raw: xr.DataArray, transposition: bool = True) -> xr.DataArray:
    """Cartesian reconstruction of :func:`read_raw` k-space (not EPI or non-Cartesian).

    Spatial dimensions: centred inverse DFT times N (``kx -> x`` ...). A spectroscopic
    dimension: DFT, ordered from high to low ppm (``t2 -> ppm``). Magnitude is left to the
    caller (``abs``).

    Orientation follows ParaVision's own reconstruction (``2dseq``): ``RECO_transposition``
    of ``pdata/1/reco`` in the experiment named by ``attrs["source"]`` gives one value per
    slice (2dseq frame order); 1 exchanges the first two image dimensions (read and phase),
    in 3D 2 exchanges the 2nd and 3rd and 3 the 1st and 3rd. Dimension names stay
    positional (``x`` is the first, fastest image dimension, as in :func:`read_2dseq`); the
    coordinates follow the data. ``attrs["reco_transposition"]`` records the values applied
    (``attrs["fov_m"]`` stays in acquisition order). No reco file: no transposition.

    Parameters
    ----------
    raw : k-space from :func:`read_raw`.
    transposition : apply ``RECO_transposition`` (``False``: acquisition orientation,
        read along ``x``).

    Raises
    ------
    DataError : a ``RECO_transposition`` value that is not supported, a count that does
        not match the slices, or slices transposed differently whose exchanged dimensions
        differ in size or field of view (their images would not share one grid; use
        ``transposition=False``).
    """
    data = raw.values
    dims = list(raw.dims)
    coords: dict[str, Any] = {}
    attrs = dict(raw.attrs)
    for ax, name in enumerate(dims):
        if name in _SPATIAL_K:
            n = data.shape[ax]
            data = np.fft.fftshift(np.fft.ifft(np.fft.ifftshift(data, ax), axis=ax), ax) * n
            new = _SPATIAL_R[_SPATIAL_K.index(name)]
            fov = attrs["fov_m"][_SPATIAL_K.index(name)] * 1e3
            coords[new] = (new, (np.arange(n) - n // 2) * fov / n, {"units": "mm"})
            dims[ax] = new
        elif name == "t2":
            n = data.shape[ax]
            data = np.flip(np.fft.fftshift(np.fft.fft(data, axis=ax), ax), ax)
            hz = np.fft.fftshift(np.fft.fftfreq(n, 1.0 / attrs["sw_hz"]))[::-1]
            coords["ppm"] = ("ppm", (hz + attrs["o1_hz"]) / attrs["bf1_mhz"], {"units": "ppm"})
            dims[ax] = "ppm"
    enc = [d for d in raw.dims if d in _SPATIAL_K or d == "t2"][::-1]  # first (fastest) first
    values = [0] * raw.sizes.get("slice", 1)
    if transposition and "slice" in dims:
        reco, values = _transpositions(raw, enc)
        data, coords = _transpose(data, dims, coords, values, reco)
    attrs["reco_transposition"] = values
    attrs["units"] = "a.u."
    return xr.DataArray(data, dims=dims, coords=coords, attrs=attrs)


def _transpose(
    data: np.ndarray, dims: list[str], coords: dict, values: list[int], reco: Path | None
) -> tuple[np.ndarray, dict]:
    """Apply per-slice transpositions to reconstructed ``data`` (dims positional)."""
    image = [d for d in dims if d in _SPATIAL_R or d == "ppm"][::-1]  # first (fastest) first
    axis = {i: dims.index(d) for i, d in enumerate(image)}
    s_ax = dims.index("slice")
    kinds = sorted(set(values))
    if kinds == [0]:
        return data, coords
    pairs = {v: _swap_pair(v, image) for v in kinds}
    if len(kinds) == 1:
        a, b = pairs[kinds[0]]
        data = np.swapaxes(data, axis[a], axis[b])
        ca, cb = coords[image[a]], coords[image[b]]
        coords = {**coords, image[a]: (image[a], *cb[1:]), image[b]: (image[b], *ca[1:])}
        return data, coords
    # mixed: every exchanged pair must share size and coordinates, so one grid holds all
    for a, b in pairs.values():
        if a == b:
            continue
        ca, cb = np.asarray(coords[image[a]][1]), np.asarray(coords[image[b]][1])
        if ca.shape != cb.shape or not np.allclose(ca, cb):
            fa, fb = (float(np.diff(c[:2]).sum()) * c.size for c in (ca, cb))
            raise DataError(
                reco or "reconstruct",
                f"RECO_transposition mixes {kinds} across slices but {image[a]} "
                f"({ca.size} points, FOV {fa:g} mm) and {image[b]} ({cb.size} points, "
                f"FOV {fb:g} mm) differ, so the slices share no grid; use transposition=False",
            )
    out = data.copy()
    for s, v in enumerate(values):
        a, b = pairs[v]
        if a == b:
            continue
        index = [slice(None)] * data.ndim
        index[s_ax] = s
        part = np.swapaxes(
            data[tuple(index)], axis[a] - (axis[a] > s_ax), axis[b] - (axis[b] > s_ax)
        )
        out[tuple(index)] = part
    return out, coords


def _frame_groups(visu: dict, frames: int) -> list[tuple[str, int]]:
    text = str(visu.get("VisuFGOrderDesc", ""))
    groups = re.findall(r"\(\s*(\d+)\s*,\s*<(\w+)>", text)
    names = {"FG_SLICE": "slice", "FG_CYCLE": "repetition", "FG_ECHO": "echo"}
    out = [(names.get(g, g.lower()), int(n)) for n, g in groups]
    if not out or int(np.prod([n for _, n in out])) != frames:
        return [("slice", frames)]
    if "slice" not in [n for n, _ in out]:
        out.append(("slice", 1))
    return out


def read_2dseq(path: str | Path) -> xr.DataArray:
    """Read a reconstructed ParaVision data set (``pdata/N`` folder holding ``2dseq``).

    Returns
    -------
    xarray.DataArray
        float, dims frame groups (``slice`` ...) then core dims slowest first (``y``, ``x``
        for an image; ``ppm`` last for a spectroscopic one), scaled to real values.
    """
    pdir = Path(path)
    seq = pdir / "2dseq"
    if not seq.is_file():
        raise DataError(seq, "missing reconstructed data file")
    if (pdir / "visu_pars").is_file():
        visu = read_pv_parameters(pdir / "visu_pars")
        size = [int(v) for v in _as_list(_get(visu, "VisuCoreSize", pdir / "visu_pars"))]
        frames = int(visu.get("VisuCoreFrameCount", 1))
        word = str(visu.get("VisuCoreWordType", "_16BIT_SGN_INT"))
        order = "<" if str(visu.get("VisuCoreByteOrder", "little")).startswith("little") else ">"
        slope = np.resize(np.asarray(visu.get("VisuCoreDataSlope", 1.0), float), frames)
        offs = np.resize(np.asarray(visu.get("VisuCoreDataOffs", 0.0), float), frames)
        desc = _as_list(visu.get("VisuCoreDimDesc", ["spatial"] * len(size)))
        extent = [float(v) for v in _as_list(visu.get("VisuCoreExtent", size))]
    else:
        reco = read_pv_parameters(pdir / "reco")
        size = [int(v) for v in _as_list(_get(reco, "RECO_size", pdir / "reco"))]
        word = str(reco.get("RECO_wordtype", "_16BIT_SGN_INT"))
        order = "<" if str(reco.get("RECO_byte_order", "little")).startswith("little") else ">"
        n_core = int(np.prod(size))
        frames = max(seq.stat().st_size // (n_core * np.dtype(_WORD.get(word, "i2")).itemsize), 1)
        slope = 1.0 / np.resize(np.asarray(reco.get("RECO_map_slope", 1.0), float), frames)
        offs = np.resize(np.asarray(reco.get("RECO_map_offset", 0.0), float), frames)
        desc = ["spatial"] * len(size)
        extent = [float(v) * 10 for v in _as_list(reco.get("RECO_fov", size))]
        visu = {}
    if word not in _WORD:
        raise DataError(pdir, f"unsupported word type {word}")
    dtype = np.dtype(order + _WORD[word])
    n_core = int(np.prod(size))
    expected = n_core * frames * dtype.itemsize
    if seq.stat().st_size != expected:
        raise DataError(
            seq,
            f"size {seq.stat().st_size} bytes, VisuCoreSize {size} x "
            f"{frames} frames needs {expected}",
        )
    data = np.fromfile(seq, dtype=dtype).astype(float).reshape(frames, n_core)
    data = data * slope[:, None] + offs[:, None]
    groups = _frame_groups(visu, frames)
    data = data.reshape([n for _, n in groups[::-1]] + size[::-1])
    dims_f = [g for g, _ in groups[::-1]]
    names, coords = [], {}
    spatial = 0
    for n, d, e in zip(size, desc, extent, strict=False):
        if str(d).lower().startswith("spectro"):
            names.append("ppm")
            coords["ppm"] = ("ppm", e * (0.5 - (np.arange(n) + 1) / n), {"units": "ppm"})
            continue
        name = _SPATIAL_R[spatial]
        coords[name] = (name, (np.arange(n) - n // 2) * e / n, {"units": "mm"})
        names.append(name)
        spatial += 1
    acq = pdir.parent.parent / "acqp"
    attrs: dict[str, Any] = {"source": str(pdir), "units": "a.u."}
    if acq.is_file():
        acqp = read_pv_parameters(acq)
        attrs["nucleus"] = str(acqp.get("NUCLEUS", ""))
        if "ppm" in coords and float(acqp.get("BF1", 0)) > 0:
            centre = float(acqp.get("O1", 0.0)) / float(acqp["BF1"])
            dim, values, meta = coords["ppm"]
            coords["ppm"] = (dim, values + centre, meta)
        attrs.update(
            _times(
                acqp,
                read_pv_parameters(acq.parent / "method")
                if (acq.parent / "method").is_file()
                else {},
                1,
            )
        )
    da = xr.DataArray(data, dims=dims_f + names[::-1], coords=coords, attrs=attrs)
    return da
