"""Bruker TopSpin experiments: 1D ``fid``, pseudo-2D ``ser``, series of expnos, ``pdata``.

Everything returned is in the data model of :mod:`dendritemr.model`: FIDs as ``(time, t2)``,
processed spectra as ``(time, ppm)``, one row per acquisition with its absolute time.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nmrglue as ng
import numpy as np
import xarray as xr

from dendritemr.errors import DataError, TruncatedFile
from dendritemr.io.bruker_binary import fid_dtype, read_fid_rows, rows_padded, topspin_version
from dendritemr.io.bruker_nucleus import checked_nucleus, field_tesla
from dendritemr.io.bruker_params import (
    number,
    number_list,
    read_count_list,
    read_delay_list,
    read_parameters,
    strip_brackets,
)
from dendritemr.io.bruker_time import row_midpoints, scan_durations
from dendritemr.model import file_checksums, make_fid_series, make_spectrum_series

#: acqus keys copied into attrs (lower-cased) for provenance and later steps.
_KEPT = ("TD", "NS", "DS", "DECIM", "DSPFVS", "GRPDLY", "DIGMOD", "RG", "AQ_mod", "DE", "PULPROG")


def is_experiment(path: str | Path) -> bool:
    """True if ``path`` is a TopSpin experiment folder (acqus plus fid or ser)."""
    p = Path(path)
    return (p / "acqus").is_file() and ((p / "fid").exists() or (p / "ser").exists())


def experiments_in(folder: str | Path) -> list[Path]:
    """Numbered experiment folders inside a dataset folder, in expno order."""
    folder = Path(folder)
    found = [p for p in folder.iterdir() if p.is_dir() and p.name.isdigit() and is_experiment(p)]
    return sorted(found, key=lambda p: int(p.name))


def group_delay(acqus: dict[str, Any], path: str | Path = "acqus") -> float:
    """Digital-filter group delay in points: GRPDLY when set, else the DSPFVS/DECIM table."""
    grpdly = number(acqus, "GRPDLY", path, -1.0)
    if grpdly > 0:
        return grpdly
    if number(acqus, "DIGMOD", path, 1) == 0:
        return 0.0
    dspfvs = number(acqus, "DSPFVS", path, 0, integer=True)
    decim = int(number(acqus, "DECIM", path, 1))
    table = ng.bruker.bruker_dsp_table.get(dspfvs, {})
    return float(table.get(decim, 0.0))


def _reference_frequency(exp: Path, bf1: float) -> float:
    """SF (MHz, the frequency of 0 ppm) from pdata/1/procs if present, else BF1."""
    procs = exp / "pdata" / "1" / "procs"
    if procs.is_file():
        try:
            sf = number(read_parameters(procs), "SF", procs, 0.0)
        except DataError:
            sf = 0.0
        if sf > 0:
            return sf
    return bf1


def _acquisition_attrs(exp: Path, acqus: dict[str, Any], nucleus: str) -> dict[str, Any]:
    acqus_path = exp / "acqus"
    bf1 = number(acqus, "BF1", acqus_path, positive=True)
    sfo1 = number(acqus, "SFO1", acqus_path, positive=True)
    attrs: dict[str, Any] = {
        "nucleus": nucleus,
        "bf1_mhz": bf1,
        "sfo1_mhz": sfo1,
        "sf_mhz": _reference_frequency(exp, bf1),
        "sw_hz": number(acqus, "SW_h", acqus_path, positive=True),
        "o1_hz": number(acqus, "O1", acqus_path, 0.0),
        "group_delay": group_delay(acqus, acqus_path),
        "field_t": field_tesla(nucleus, bf1),
        "d1_s": number_list(acqus, "D", acqus_path, 1, 0.0),
        "source": str(exp),
    }
    for key in _KEPT:
        if key in acqus:
            value = acqus[key]
            attrs[key.lower()] = strip_brackets(value) if isinstance(value, str) else value
    return attrs


def _load_acqus(exp: Path) -> dict[str, Any]:
    exp = Path(exp)
    if not exp.is_dir():
        raise DataError(exp, "no such experiment folder")
    if not (exp / "acqus").is_file():
        raise DataError(exp, "not a TopSpin experiment (no acqus file)")
    acqus = read_parameters(exp / "acqus")
    number(acqus, "TD", exp / "acqus", integer=True)
    for key in ("SW_h", "BF1", "SFO1"):
        number(acqus, key, exp / "acqus", positive=True)
    return acqus


def _integer(params: dict[str, Any], key: str, path: Path, default: Any = None) -> int:
    if default is None:
        return number(params, key, path, integer=True)
    return number(params, key, path, default, integer=True)


def read_experiment(path: str | Path, nucleus: str | None = None) -> xr.DataArray:
    """Read one TopSpin experiment (``fid`` or pseudo-2D ``ser``) as a ``(time, t2)`` FID series.

    Parameters
    ----------
    path : experiment folder (holding acqus and fid or ser).
    nucleus : override NUC1 (e.g. when acqus names the wrong nucleus).
    """
    exp = Path(path)
    acqus = _load_acqus(exp)
    name = checked_nucleus(acqus, exp / "acqus", nucleus)
    td = _integer(acqus, "TD", exp / "acqus")
    dtypa = _integer(acqus, "DTYPA", exp / "acqus", 0)
    try:
        dtype = fid_dtype(dtypa, _integer(acqus, "BYTORDA", exp / "acqus", 0))
    except ValueError as exc:
        raise DataError(exp / "acqus", str(exc)) from exc
    row_coords: dict[str, Sequence[Any]] = {}
    files = [exp / "acqus"]
    if (exp / "ser").exists():
        acqu2s = read_parameters(exp / "acqu2s")
        n_rows = _integer(acqu2s, "TD", exp / "acqu2s")
        padded = rows_padded(dtypa, topspin_version(exp / "acqus"))
        data = read_fid_rows(exp / "ser", td, dtype, n_rows=n_rows, padded=padded)
        files += [exp / "acqu2s", exp / "ser"]
        delays = None
        if (exp / "vdlist").is_file():
            delays = read_delay_list(exp / "vdlist")
            row_coords["vd"] = _fit_list(delays, data.shape[0], exp / "vdlist")
            delays = list(row_coords["vd"])
            files.append(exp / "vdlist")
        if (exp / "vclist").is_file():
            row_coords["vc"] = _fit_list(read_count_list(exp / "vclist"), data.shape[0], exp)
            files.append(exp / "vclist")
        row_coords["row"] = np.arange(data.shape[0])
    else:
        data = read_fid_rows(exp / "fid", td, dtype)
        files.append(exp / "fid")
        delays = None
    durations = scan_durations(acqus, delays, exp / "acqus")
    if durations.size == 1 and data.shape[0] > 1:
        durations = np.repeat(durations, data.shape[0])
    times, timing = row_midpoints(exp, acqus, durations)
    row_coords["expno"] = [int(exp.name) if exp.name.isdigit() else -1] * data.shape[0]
    attrs = _acquisition_attrs(exp, acqus, name)
    attrs["checksums"] = file_checksums(files)
    if times[0] is not None:
        attrs["utc_offset_minutes"] = int(times[0].utcoffset().total_seconds() // 60)
    else:
        attrs["time_note"] = "acquisition times unknown (no audita.txt, no acqus DATE)"
    attrs["timing"] = json.dumps([timing])
    attrs["durations_s"] = json.dumps([float(d) for d in durations])
    return make_fid_series(data, 1.0 / attrs["sw_hz"], times, attrs, row_coords)


def _fit_list(values: list, n: int, path: Path) -> list:
    if len(values) < n:
        raise DataError(path, f"list has {len(values)} entries but the ser holds {n} FIDs")
    return values[:n]


_SERIES_KEYS = ("nucleus", "sw_hz", "sfo1_mhz", "td")
#: acquisition settings the FID amplitude is proportional to (number of scans, receiver gain):
#: a series mixing them was read as is, so a change of NS or RG read as a change of the metal
_SCALE_KEYS = ("ns", "rg")


def read_series(
    paths: Sequence[str | Path], nucleus: str | None = None, progress=None
) -> xr.DataArray:
    """Read several 1D experiments (e.g. consecutive expnos of an in situ run) as one series.

    All must share nucleus, TD, SW and SFO1; rows are ordered by acquisition time.
    ``progress`` is an optional callable wrapping the iterable (e.g. ``tqdm``). The last
    experiment's fid or ser, when truncated (copied while TopSpin was still writing it), is left
    out with a RuntimeWarning; a truncated one before it is an error. Experiments whose D1
    differs from the first one's are read with a RuntimeWarning (the series keeps the first D1).
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise DataError("<series>", "no experiments given")
    iterator = progress(paths) if progress else paths
    parts = []
    for i, p in enumerate(iterator):
        try:
            parts.append(read_experiment(p, nucleus))
        except TruncatedFile as exc:
            if i == len(paths) - 1 and parts:
                warnings.warn(
                    f"{exc}: the last experiment of the series is left out (an acquisition "
                    "still being written?)",
                    RuntimeWarning,
                    stacklevel=2,
                )
                paths = paths[:-1]
                continue
            raise
    first = parts[0]
    for part in parts[1:]:
        for key in _SERIES_KEYS + _SCALE_KEYS:
            a, b = first.attrs.get(key), part.attrs.get(key)
            if isinstance(a, float) and isinstance(b, float):
                same = bool(np.isclose(a, b, rtol=1e-9))
            else:
                same = a == b
            if not same:
                why = (
                    ": the signal scales with it and a series is not rescaled (read the "
                    "experiments with different NS or RG as separate series)"
                    if key in _SCALE_KEYS
                    else ""
                )
                label = key.upper() if key in _SCALE_KEYS else key  # NS, RG as in acqus
                raise DataError(
                    part.attrs["source"], f"{label}={b} differs from {paths[0]} ({a}){why}"
                )
        if part.sizes["t2"] != first.sizes["t2"]:
            raise DataError(
                part.attrs["source"], "number of points differs from the first experiment"
            )
    d1 = [part.attrs.get("d1_s") for part in parts]
    other = [i for i, v in enumerate(d1) if v is not None and d1[0] is not None and v != d1[0]]
    if other:
        names = ", ".join(str(paths[i]) for i in other[:3]) + (", ..." if len(other) > 3 else "")
        warnings.warn(
            f"{names}: D1 {d1[other[0]]:g} s differs from {paths[0]} ({d1[0]:g} s): lines whose "
            "T1 is not short against the recycle delay (the electrolyte) saturate differently "
            "from spectrum to spectrum; the series carries the first experiment's D1",
            RuntimeWarning,
            stacklevel=2,
        )
    combined = xr.concat(parts, dim="time", combine_attrs="override", coords="minimal")
    combined = combined.sortby("time")
    t0 = combined["time"].values[0]
    combined["hours"] = ("time", (combined["time"].values - t0) / np.timedelta64(1, "s") / 3600.0)
    combined["hours"].attrs = {"units": "h", "long_name": "time since first"}
    combined.attrs["source"] = str(paths[0].parent)
    combined.attrs["checksums"] = json.dumps(
        {k: v for p in parts for k, v in json.loads(p.attrs["checksums"]).items()}
    )
    combined.attrs["timing"] = json.dumps([json.loads(p.attrs["timing"])[0] for p in parts])
    combined.attrs["durations_s"] = json.dumps(
        [d for p in parts for d in json.loads(p.attrs["durations_s"])]
    )
    return combined


def warn_skipped(folder: Path) -> None:
    """Warn (RuntimeWarning) about numbered folders of a series folder that are not read: an
    interrupted acquisition, raw data deleted, a folder of processed data only."""
    skipped = []
    for p in sorted(
        (p for p in folder.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name)
    ):
        if not is_experiment(p):
            why = "no acqus" if not (p / "acqus").is_file() else "no fid or ser"
            skipped.append(f"{p.name} ({why})")
    if skipped:
        shown = ", ".join(skipped[:5]) + (
            f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        )
        warnings.warn(
            f"{folder}: {len(skipped)} numbered folder(s) not read as part of the series: {shown}",
            RuntimeWarning,
            stacklevel=3,
        )


def read_path(path: str | Path, nucleus: str | None = None, progress=None) -> xr.DataArray:
    """An experiment folder, or a dataset folder whose numbered experiments form a series."""
    path = Path(path)
    if not path.exists():
        raise DataError(path, "no such file or folder")
    if is_experiment(path) or (path / "acqus").is_file() or (path / "fid").is_file():
        return read_experiment(path, nucleus)
    if path.is_dir():
        exps = experiments_in(path)
        if exps:
            warn_skipped(path)
            return read_series(exps, nucleus, progress)
        if not any(path.iterdir()):
            raise DataError(path, "empty folder")
    raise DataError(path, "not a TopSpin experiment or a folder of experiments")


def _ppm_from_procs(procs: dict[str, Any], path: Path) -> np.ndarray:
    """ppm of each point of a processed dimension: OFFSET - i SW_p / SF / SI."""
    si = number(procs, "SI", path, integer=True, positive=True)
    sf = number(procs, "SF", path, positive=True)
    sw_p = number(procs, "SW_p", path, positive=True)
    offset = number(procs, "OFFSET", path)
    return offset - np.arange(si) * (sw_p / sf / si)


def _read_2rr(pdir: Path, procs: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
    """Pseudo-2D processed data ``2rr`` as rows x F2, scaled by ``2**NC_proc``.

    TopSpin stores 2D processed data in submatrices of ``XDIM`` (F1, proc2s) x ``XDIM`` (F2,
    procs) points, submatrix after submatrix, each row-major; int32 (``DTYPP`` 0) or float64
    (2), byte order ``BYTORDP``.
    """
    proc2s = read_parameters(pdir / "proc2s")
    p1, p2 = pdir / "proc2s", pdir / "procs"
    rows = number(proc2s, "SI", p1, integer=True, positive=True)
    cols = number(procs, "SI", p2, integer=True, positive=True)
    sub = (
        number(proc2s, "XDIM", p1, rows, integer=True, positive=True),
        number(procs, "XDIM", p2, cols, integer=True, positive=True),
    )
    if rows % sub[0] or cols % sub[1]:
        raise DataError(pdir, f"XDIM {sub} does not divide SI = {rows} x {cols}")
    order = "<" if number(procs, "BYTORDP", p2, 0) == 0 else ">"
    dtype = np.dtype(order + ("f8" if number(procs, "DTYPP", p2, 0) == 2 else "i4"))
    expected = rows * cols * dtype.itemsize
    if (pdir / "2rr").stat().st_size != expected:
        raise DataError(pdir / "2rr", f"size does not match SI x SI = {rows} x {cols}")
    tiles = np.fromfile(pdir / "2rr", dtype=dtype).reshape(
        rows // sub[0], cols // sub[1], sub[0], sub[1]
    )
    data = tiles.transpose(0, 2, 1, 3).reshape(rows, cols).astype(float)
    nc_proc = number(procs, "NC_proc", p2, 0, integer=True)
    if abs(nc_proc) > 1000:
        raise DataError(p2, f"NC_proc={nc_proc} is out of range")
    return data * 2.0**nc_proc, proc2s


def read_pdata(path: str | Path) -> xr.DataArray:
    """TopSpin's processed spectra: ``pdata/N`` with procs and 1r (+1i), or a pseudo-2D 2rr.

    Intensities are scaled by 2**NC_proc; the ppm axis comes from OFFSET, SW_p, SF and SI.
    Returns a complex ``(time, ppm)`` series: one row for 1D (imaginary part zero without 1i),
    one row per F1 increment for 2rr (rows then carry their acquisition times when the
    experiment is a pseudo-2D with a vdlist or vclist).
    """
    pdir = Path(path)
    procs = read_parameters(pdir / "procs")
    si = number(procs, "SI", pdir / "procs", integer=True, positive=True)
    if (pdir / "2rr").is_file() and not (pdir / "1r").is_file():
        values, _ = _read_2rr(pdir, procs)
        files = [pdir / "procs", pdir / "proc2s", pdir / "2rr"]
    else:
        order = "<" if number(procs, "BYTORDP", pdir / "procs", 0) == 0 else ">"
        dtype = np.dtype(order + "i4")
        if number(procs, "DTYPP", pdir / "procs", 0) == 2:
            dtype = np.dtype(order + "f8")
        nc_proc = number(procs, "NC_proc", pdir / "procs", 0, integer=True)
        if abs(nc_proc) > 1000:
            raise DataError(pdir / "procs", f"NC_proc={nc_proc} is out of range")
        scale = 2.0**nc_proc
        parts = []
        for name in ("1r", "1i"):
            f = pdir / name
            if not f.is_file():
                if name == "1r":
                    raise DataError(f, "missing processed spectrum (no 1r or 2rr)")
                parts.append(np.zeros(si))
                continue
            if f.stat().st_size != si * dtype.itemsize:
                raise DataError(f, f"size {f.stat().st_size} bytes does not match SI={si}")
            parts.append(np.fromfile(f, dtype=dtype).astype(float) * scale)
        values = (parts[0] + 1j * parts[1])[None, :]
        files = [pdir / "procs", pdir / "1r"]
    ppm = _ppm_from_procs(procs, pdir / "procs")
    exp = pdir.parent.parent
    times = None
    attrs: dict[str, Any] = {"sf_mhz": float(procs["SF"]), "sw_hz": float(procs["SW_p"])}
    if not (exp / "acqus").is_file():
        attrs["time_note"] = "no acqus beside pdata: acquisition time unknown"
    row_coords: dict[str, Sequence[Any]] = {}
    if (exp / "acqus").is_file():
        raw = read_experiment(exp) if (exp / "ser").exists() or (exp / "fid").exists() else None
        acqus = _load_acqus(exp)
        attrs.update(_acquisition_attrs(exp, acqus, checked_nucleus(acqus, exp / "acqus")))
        if raw is not None and raw.sizes["time"] == values.shape[0]:
            times = [t for t in _aware_times(raw)]
            row_coords = {
                c: raw[c].values
                for c in raw.coords
                if raw[c].dims == ("time",) and c not in ("time", "hours")
            }
            attrs["utc_offset_minutes"] = raw.attrs["utc_offset_minutes"]
    attrs.update({"sf_mhz": float(procs["SF"]), "source": str(pdir), "group_delay": 0.0})
    attrs["checksums"] = file_checksums(files)
    return make_spectrum_series(values, ppm, times, attrs, row_coords)


def _aware_times(da: xr.DataArray):
    from dendritemr.model import acquisition_times

    return acquisition_times(da)


def procs_parameters(pdir: str | Path) -> dict[str, Any]:
    """TopSpin processing parameters of ``pdata/N`` (for replaying TopSpin's processing)."""
    return read_parameters(Path(pdir) / "procs")
