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
