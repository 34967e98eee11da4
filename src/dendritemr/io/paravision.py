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

:func:`reconstruct` is a thin entry to :mod:`dendritemr.mri.recon`, where the reconstruction
lives (operators with adjoints; orientation as ParaVision's 2dseq).
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


def _number(params: dict, key: str, path: Path, default: Any = None, index: int = 0) -> float:
    """``params[key]`` (element ``index`` of an array) as a finite float, else a DataError."""
    if key not in params:
        if default is None:
            raise DataError(path, f"parameter {key} missing")
        return default
    values = _as_list(params[key])
    try:
        value = float(values[index])
    except (IndexError, TypeError, ValueError):
        raise DataError(
            path, f"parameter {key}={str(params[key])[:40]!r} is not a number"
        ) from None
    if not np.isfinite(value):
        raise DataError(path, f"parameter {key}={value} is not finite")
    return value


def _count(params: dict, key: str, path: Path, default: int) -> int:
    """A positive whole-number parameter (NI, NR, ACQ_phase_factor...)."""
    value = _number(params, key, path, default)
    if value != round(value) or not 1 <= value <= 2**31:
        raise DataError(path, f"parameter {key}={value:g} is not a positive whole number")
    return int(value)


def _counts(params: dict, key: str, path: Path) -> list[int]:
    """A list of positive whole numbers (``VisuCoreSize``, ``RECO_size``)."""
    values = _as_list(_get(params, key, path))
    out = [_count({key: v}, key, path, 1) for v in values]
    if not out or float(np.prod([float(v) for v in out])) > 2**40:
        raise DataError(path, f"{key} {values} is not a usable size")
    return out


def _floats(params: dict, key: str, path: Path, default: list) -> list[float]:
    """A list of finite numbers (``default`` when absent)."""
    if key not in params:
        return [float(v) for v in default]
    flat = list(np.ravel(np.asarray(params[key], dtype=object)))
    return [_number({key: flat}, key, path, index=i) for i in range(len(flat))]


def _per_frame(params: dict, key: str, path: Path, default: float, frames: int) -> np.ndarray:
    """One finite value per frame (a single value is repeated)."""
    values = np.asarray(_floats(params, key, path, [default]), dtype=float)
    if values.size == 0:
        raise DataError(path, f"{key} is empty")
    return np.resize(values, frames)


def _times(acqp: dict, method: dict, n_steps: int) -> dict[str, str]:
    """Start, mid-point (ISO 8601 with the scanner's UTC offset) and duration of a scan.

    ``ACQ_abs_time`` is Unix seconds (ParaVision 5.1), or ``(seconds, milliseconds, UTC offset in
    minutes)`` (ParaVision 6 and 360, on the value line or the label line). Absent or absurd:
    no times.
    """
    if "ACQ_abs_time" not in acqp:
        return {}
    fields = _as_list(acqp["ACQ_abs_time"])
    try:
        seconds = float(fields[0]) + (float(fields[1]) / 1e3 if len(fields) > 2 else 0.0)
        offset = float(fields[2]) if len(fields) > 2 else 0.0
        tz = dt.timezone(dt.timedelta(minutes=offset))
        if not 0 < seconds < 32503680000:  # after 1970, before year 3000
            return {}
        start = dt.datetime.fromtimestamp(seconds, dt.UTC).astimezone(tz)
    except (IndexError, TypeError, ValueError, OverflowError):
        return {}
    try:
        if "PVM_ScanTime" in method:
            dur = float(_as_list(method["PVM_ScanTime"])[0]) / 1e3
        else:
            tr = float(_as_list(method.get("PVM_RepetitionTime", 0.0))[0]) / 1e3
            dur = tr * n_steps * float(acqp.get("NA", 1))
        half = dt.timedelta(seconds=dur / 2)
    except (IndexError, TypeError, ValueError, OverflowError):
        return {"time_start": start.isoformat()}
    if not np.isfinite(dur) or not 0 <= dur < 1e9:
        return {"time_start": start.isoformat()}
    return {
        "time_start": start.isoformat(),
        "time_mid": (start + half).isoformat(),
        "duration_s": dur,
    }


_RAW_FORMATS = {"GO_32BIT_SGN_INT": "i4", "GO_16BIT_SGN_INT": "i2", "GO_32BIT_FLOAT": "f4"}


def _raw_file(exp: Path, acqp: dict) -> Path:
    """The raw data file of an experiment, or a one-line refusal naming the layout.

    ParaVision 5.1 and 6 write ``fid``; ParaVision 360 writes ``rawdata.job0`` (one file per
    acquisition job, in job order, not in the ``ACQ_size`` order read here) and, from 360 3.x,
    ``fid_proc.64`` (float64, already reordered by ParaVision): neither is read yet.
    """
    fid = exp / "fid"
    if fid.is_file():
        return fid
    jobs = sorted(p.name for p in exp.glob("rawdata.job*"))
    if jobs or (exp / "fid_proc.64").is_file():
        found = ", ".join(jobs + (["fid_proc.64"] if (exp / "fid_proc.64").is_file() else []))
        raise DataError(
            exp,
            f"ParaVision 360 raw layout ({found}, no fid) is not supported: open its "
            "reconstruction pdata/N (2dseq) instead",
        )
    raise DataError(fid, "missing raw data file")


def _raw_dtype(acqp: dict, path: Path) -> np.dtype:
    """Raw sample type: ``GO_raw_data_format`` (int32, int16, float32), else ``ACQ_word_size``;
    byte order from ``BYTORDA``."""
    order = ">" if str(acqp.get("BYTORDA", "little")).lower().startswith("big") else "<"
    fmt = str(acqp.get("GO_raw_data_format", ""))
    if fmt:
        if fmt not in _RAW_FORMATS:
            raise DataError(path, f"raw data format {fmt} is not supported")
        return np.dtype(order + _RAW_FORMATS[fmt])
    word = str(acqp.get("ACQ_word_size", "_32_BIT"))
    return np.dtype(order + ("i2" if "16" in word else "i4"))


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
    fid = _raw_file(exp, acqp)
    size_value = _get(acqp, "ACQ_size", exp / "acqp")
    size = [_count({"ACQ_size": v}, "ACQ_size", exp / "acqp", 1) for v in _as_list(size_value)]
    if not size or size[0] % 2:
        raise DataError(exp / "acqp", f"ACQ_size {size} needs an even number of read points")
    desc = _as_list(acqp.get("ACQ_dim_desc", ["Spatial"] * len(size)))
    if len(desc) != len(size):
        raise DataError(exp / "acqp", f"ACQ_dim_desc {desc} does not match ACQ_size {size}")
    spatial_dims = sum(not str(d).lower().startswith("spectro") for d in desc)
    if spatial_dims > 3 or len(desc) - spatial_dims > 1:
        raise DataError(exp / "acqp", f"acquisition dimensions {desc} are not supported")
    ni, nr = _count(acqp, "NI", exp / "acqp", 1), _count(acqp, "NR", exp / "acqp", 1)
    pf = _count(acqp, "ACQ_phase_factor", exp / "acqp", 1)
    dtype = _raw_dtype(acqp, exp / "acqp")
    n_read = size[0]
    line = n_read * dtype.itemsize
    blocked = str(acqp.get("GO_block_size", "")) == "Standard_KBlock_Format"
    padded = -(-line // 1024) * 1024 if blocked else line
    n_lines = int(np.prod([float(v) for v in size[1:]])) * ni * nr
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
    try:
        obj = [int(v) for v in _as_list(acqp.get("ACQ_obj_order", list(range(ni))))]
    except (TypeError, ValueError, OverflowError):
        raise DataError(exp / "acqp", "ACQ_obj_order is not a list of slice numbers") from None
    if sorted(obj) == list(range(ni)):
        ordered = np.empty_like(data)
        ordered[:, obj] = data
        data = ordered
    names, coords = [], {}
    spatial = 0
    fov = [
        _number(acqp, "ACQ_fov", exp / "acqp", index=i) / 100  # cm -> m
        for i in range(len(_as_list(acqp.get("ACQ_fov", []))))
    ]
    sw_hz = _number(acqp, "SW_h", exp / "acqp", 0.0)
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
            try:
                enc = np.asarray(enc, dtype=float).astype(int)
            except (TypeError, ValueError):
                raise DataError(exp / "method", f"PVM_EncSteps{i} is not numeric") from None
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
        "bf1_mhz": _number(acqp, "BF1", exp / "acqp", np.nan),
        "sfo1_mhz": _number(acqp, "SFO1", exp / "acqp", np.nan),
        "o1_hz": _number(acqp, "O1", exp / "acqp", 0.0),
        "sw_hz": sw_hz,
        "fov_m": fov,
        "method": str(acqp.get("ACQ_method", method.get("Method", ""))),
        "source": str(exp),
        "checksums": file_checksums([exp / "acqp", fid]),
        "units": "counts",
    }
    attrs.update(_times(acqp, method, int(np.prod(size[1:]))))
    return xr.DataArray(data, dims=dims, coords=coords, attrs=attrs)


def reconstruct(raw: xr.DataArray, transposition: bool = True) -> xr.DataArray:
    """Reconstruct :func:`read_raw` k-space: kept here for callers; the reader only reads.

    Delegates to :func:`dendritemr.mri.recon.reconstruct` (the operator chain with adjoints,
    ParaVision's orientation ``RECO_transposition``); see there for conventions and errors.
    """
    from dendritemr.mri.recon import reconstruct as _reconstruct

    return _reconstruct(raw, transposition)


def _frame_groups(visu: dict, frames: int) -> list[tuple[str, int]]:
    text = str(visu.get("VisuFGOrderDesc", ""))
    groups = re.findall(r"\(\s*(\d+)\s*,\s*<(\w+)>", text)
    names = {"FG_SLICE": "slice", "FG_CYCLE": "repetition", "FG_ECHO": "echo"}
    out = [(names.get(g, g.lower()), int(n)) for n, g in groups]
    names_only = [n for n, _ in out]
    if (
        not out
        or int(np.prod([n for _, n in out])) != frames
        or len(set(names_only)) != len(names_only)
    ):
        return [("slice", frames)]
    if "slice" not in [n for n, _ in out]:
        out.append(("slice", 1))
    return out


def _geometry(visu: dict, frames: int, path: Path) -> dict[str, Any]:
    """Frame geometry from visu_pars: ``position_mm`` (frames x 3, the first voxel's corner in
    the magnet frame, ``VisuCorePosition``) and ``orientation`` (frames x 9, the row-major
    rotation from image to magnet axes, ``VisuCoreOrientation``), flattened; absent or of the
    wrong size: left out."""
    out: dict[str, Any] = {}
    for key, name, per in (("VisuCorePosition", "position_mm", 3), ("VisuCoreOrientation",
                           "orientation", 9)):  # fmt: skip
        if key not in visu:
            continue
        values = _floats(visu, key, path, [])
        if len(values) == frames * per:
            out[name] = values
    return out


def read_2dseq(path: str | Path) -> xr.DataArray:
    """Read a reconstructed ParaVision data set (``pdata/N`` folder holding ``2dseq``).

    Returns
    -------
    xarray.DataArray
        float, dims frame groups (``slice`` ...) then core dims slowest first (``y``, ``x``
        for an image; ``ppm`` last for a spectroscopic one), scaled to real values; attrs
        ``position_mm`` and ``orientation`` (per frame, flattened) when visu_pars gives them.

    Raises
    ------
    DataError : missing 2dseq, missing or unusable visu_pars/reco values (sizes, slopes, word
        type), a 2dseq whose size does not match, unsupported dimensions.
    """
    pdir = Path(path)
    seq = pdir / "2dseq"
    if not seq.is_file():
        raise DataError(seq, "missing reconstructed data file")
    if (pdir / "visu_pars").is_file():
        vp = pdir / "visu_pars"
        visu = read_pv_parameters(vp)
        size = _counts(visu, "VisuCoreSize", vp)
        frames = _count(visu, "VisuCoreFrameCount", vp, 1)
        if frames * int(np.prod(size)) > seq.stat().st_size:
            raise DataError(
                seq, f"{seq.stat().st_size} bytes cannot hold {frames} frames of {size} points"
            )
        word = str(visu.get("VisuCoreWordType", "_16BIT_SGN_INT"))
        order = "<" if str(visu.get("VisuCoreByteOrder", "little")).startswith("little") else ">"
        slope = _per_frame(visu, "VisuCoreDataSlope", vp, 1.0, frames)
        offs = _per_frame(visu, "VisuCoreDataOffs", vp, 0.0, frames)
        desc = _as_list(visu.get("VisuCoreDimDesc", ["spatial"] * len(size)))
        extent = _floats(visu, "VisuCoreExtent", vp, size)
    else:
        rp = pdir / "reco"
        reco = read_pv_parameters(rp)
        size = _counts(reco, "RECO_size", rp)
        word = str(reco.get("RECO_wordtype", "_16BIT_SGN_INT"))
        order = "<" if str(reco.get("RECO_byte_order", "little")).startswith("little") else ">"
        n_core = int(np.prod(size))
        frames = max(seq.stat().st_size // (n_core * np.dtype(_WORD.get(word, "i2")).itemsize), 1)
        slope = 1.0 / _per_frame(reco, "RECO_map_slope", rp, 1.0, frames)
        offs = _per_frame(reco, "RECO_map_offset", rp, 0.0, frames)
        desc = ["spatial"] * len(size)
        extent = [v * 10 for v in _floats(reco, "RECO_fov", rp, size)]
        visu = {}
    if len(desc) != len(size) or len(extent) != len(size):
        raise DataError(pdir, f"core dimensions {desc} / extent {extent} do not match {size}")
    spectro = sum(str(d).lower().startswith("spectro") for d in desc)
    if len(size) - spectro > 3 or spectro > 1:
        raise DataError(pdir, f"image dimensions {desc} are not supported")
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
    attrs.update(_geometry(visu, frames, pdir / "visu_pars"))
    if acq.is_file():
        acqp = read_pv_parameters(acq)
        attrs["nucleus"] = str(acqp.get("NUCLEUS", ""))
        bf1 = _number(acqp, "BF1", acq, 0.0)
        if "ppm" in coords and bf1 > 0:
            centre = _number(acqp, "O1", acq, 0.0) / bf1
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
