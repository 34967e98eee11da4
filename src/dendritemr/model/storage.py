"""NetCDF save and load of labelled datasets (the encoding is documented in docs/data-model.md).

Encoding ``dendritemr-netcdf/2`` (global attribute ``dendritemr_encoding``):

- Complex variables are stored as float64 with one extra, last dimension ``complex`` whose
  coordinate is ``["real", "imag"]`` (attribute ``complex_dimension = "complex"`` on the
  variable); :func:`load` joins them back into complex values. A plain xarray user writes
  ``v.sel(complex="real") + 1j * v.sel(complex="imag")``.
- Provenance (``source``, ``checksums``, ``versions``, ``history`` and the acquisition
  metadata) is stored once, as global attributes; variables keep only their own attributes
  (``units``, ``long_name``...). :func:`load` gives a saved DataArray its attributes back.
- Every variable and coordinate has ``units`` (``"1"`` when dimensionless or a label).
- ``time`` is CF-encoded: int64 ``nanoseconds since 1970-01-01T00:00:00+00:00`` (UTC),
  ``proleptic_gregorian``, NaT as the fill value; the spectrometer's own zone is the global
  ``utc_offset_minutes`` (and ``time`` carries ``timezone = "UTC"``).
- Files are written to a temporary name in the target folder and renamed, so a failed write
  leaves nothing; the file gets the permissions the user's umask gives new files.

Files written by earlier versions (complex as ``name__real``/``name__imag`` pairs) still load.

Output paths: :func:`create_output_folder` and :func:`check_not_in_raw_data` (raw instrument
data are never written into, by the CLI or by :func:`dendritemr.pipeline.analyze`).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from dendritemr.errors import DataError

ENCODING = "dendritemr-netcdf/2"
_COMPLEX_DIM = "complex"
_LEGACY_FLAG = "complex_parts"
_ARRAY_FLAG = "dendritemr_dataarray"
_TIME_UNITS = "nanoseconds since 1970-01-01T00:00:00+00:00"
#: units of coordinates that the constructors leave without (row labels and counters)
_DEFAULT_UNITS = {"vd": "s", "hours": "h", "t2": "s", "ppm": "ppm"}


def _plain(value: Any) -> Any:
    """An attribute value NetCDF can store (bool -> int, None -> "")."""
    if isinstance(value, bool | np.bool_):
        return int(value)
    if value is None:
        return ""
    return value


def _to_storable(obj: xr.DataArray | xr.Dataset) -> xr.Dataset:
    if isinstance(obj, xr.DataArray):
        name = str(obj.name or "data")
        ds = obj.to_dataset(name=name)
        ds.attrs = dict(obj.attrs)
        ds.attrs[_ARRAY_FLAG] = name
        ds[name].attrs = {"units": obj.attrs.get("units", "1")}
    else:
        ds = obj.copy()
        ds.attrs = dict(obj.attrs)
        for name in ds.data_vars:
            own = {k: v for k, v in ds[name].attrs.items() if ds.attrs.get(k, _MISSING) != v}
            own.setdefault("units", ds[name].attrs.get("units", "1"))
            ds[name].attrs = own
    ds.attrs["dendritemr_encoding"] = ENCODING
    ds.attrs.setdefault("Conventions", "CF-1.10")
    ds.attrs = {k: _plain(v) for k, v in ds.attrs.items()}
    for name in list(ds.data_vars):
        var = ds[name]
        if np.iscomplexobj(var.values):
            parts = np.stack([var.values.real, var.values.imag], axis=-1)
            attrs = dict(var.attrs, complex_dimension=_COMPLEX_DIM)
            ds[name] = xr.Variable((*var.dims, _COMPLEX_DIM), parts, attrs)
    if any(_COMPLEX_DIM in ds[v].dims for v in ds.data_vars):
        ds = ds.assign_coords({_COMPLEX_DIM: ["real", "imag"]})
        ds[_COMPLEX_DIM].attrs = {"units": "1", "long_name": "real and imaginary parts"}
    for name, var in ds.variables.items():
        var.attrs = {k: _plain(v) for k, v in var.attrs.items()}
        if name == "time" and np.issubdtype(var.dtype, np.datetime64):
            var.attrs.pop("units", None)
            var.attrs.setdefault("standard_name", "time")
            var.attrs["timezone"] = "UTC"
            var.encoding.update(units=_TIME_UNITS, calendar="proleptic_gregorian", dtype="int64")
            continue
        if "units" not in var.attrs:
            var.attrs["units"] = _DEFAULT_UNITS.get(str(name), "1")
    return ds


_MISSING = object()


def _from_storable(ds: xr.Dataset) -> xr.DataArray | xr.Dataset:
    for name in list(ds.data_vars):  # files of encoding 1: name__real / name__imag pairs
        if name not in ds.data_vars:
            continue
        target = ds[name].attrs.get(_LEGACY_FLAG)
        if target is not None and name.endswith("__real"):
            re, im = ds[name], ds[f"{target}__imag"]
            attrs = {k: v for k, v in re.attrs.items() if k != _LEGACY_FLAG}
            ds[target] = (re + 1j * im).assign_attrs(attrs)
            ds = ds.drop_vars([name, f"{target}__imag"])
    for name in list(ds.data_vars):
        var = ds[name]
        if var.attrs.get("complex_dimension") == _COMPLEX_DIM and _COMPLEX_DIM in var.dims:
            values = var.sel({_COMPLEX_DIM: "real"}) + 1j * var.sel({_COMPLEX_DIM: "imag"})
            attrs = {k: v for k, v in var.attrs.items() if k != "complex_dimension"}
            ds[name] = values.drop_vars(_COMPLEX_DIM, errors="ignore").assign_attrs(attrs)
    if _COMPLEX_DIM in ds.coords and not any(_COMPLEX_DIM in ds[v].dims for v in ds.data_vars):
        ds = ds.drop_vars(_COMPLEX_DIM)
    meta = {"dendritemr_encoding", "Conventions", _ARRAY_FLAG}
    global_attrs = {k: v for k, v in ds.attrs.items() if k not in meta}
    if "time" in ds.coords:
        ds["time"].attrs.pop("standard_name", None)
        ds["time"].encoding = {}
    array_name = ds.attrs.get(_ARRAY_FLAG)
    if array_name is not None:
        da = ds[array_name]
        da.attrs = global_attrs
        return da
    ds.attrs = global_attrs
    return ds


def save(obj: xr.DataArray | xr.Dataset, path: str | Path) -> Path:
    """Write ``obj`` to NetCDF at ``path`` (encoding in the module docstring), atomically.

    The parent folder is created when missing. Nothing is left at ``path`` (or beside it) if
    writing fails; the new file has the permissions of the user's umask.

    Raises
    ------
    Whatever the NetCDF writer raises for values it cannot store (e.g. a dict attribute).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = _to_storable(obj)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        ds.to_netcdf(tmp, engine="h5netcdf", invalid_netcdf=False)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def load(path: str | Path) -> xr.DataArray | xr.Dataset:
    """Load a file written by :func:`save` fully into memory (complex values joined again).

    Raises
    ------
    DataError : no such file, not a readable NetCDF file, or a NetCDF file not written by
        dendritemr (no ``dendritemr_encoding`` attribute or older marker: its variables would be
        guessed at).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "no such file")
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            ds = ds.load()
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise DataError(path, f"not a readable NetCDF file ({exc.__class__.__name__})") from exc
    ours = "dendritemr_encoding" in ds.attrs or _ARRAY_FLAG in ds.attrs
    ours = ours or any(_LEGACY_FLAG in v.attrs for v in ds.variables.values())
    if not ours:
        raise DataError(path, "a NetCDF file not written by dendritemr (no dendritemr_encoding)")
    return _from_storable(ds)


def create_output_folder(folder: str | Path, announce: bool = True) -> bool:
    """Create ``folder`` (and missing parents) for a command's ``--out``; True if created.

    Every command that writes into a folder that does not exist creates it and, with
    ``announce``, says so on stderr (``created folder PATH``).

    Raises
    ------
    DataError : the path exists but is not a folder, or cannot be created.
    """
    folder = Path(folder)
    if folder.is_dir():
        return False
    if folder.exists():
        raise DataError(folder, "exists and is not a folder")
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        raise DataError(folder, f"cannot create folder ({exc.strerror})") from exc
    if announce:
        print(f"created folder {folder}", file=sys.stderr)
    return True


#: files that mark a folder as raw instrument data (TopSpin, ParaVision, Varian)
RAW_MARKERS = ("acqus", "acqp", "fid", "ser", "procpar", "2dseq", "procs")


def raw_data_folder(path: str | Path, series: bool = True) -> tuple[Path, str] | None:
    """The nearest folder at or above ``path`` that is raw instrument data, with why.

    Raw data: a folder holding one of :data:`RAW_MARKERS` (a TopSpin or ParaVision
    experiment, a Varian ``.fid`` folder), and with ``series`` a folder of numbered
    experiments (a TopSpin series, a ParaVision study: a numbered subfolder holding ``acqus``
    or ``acqp``). ``path`` need not exist. Returns None when no such folder is found.
    """
    start = Path(os.path.abspath(path))
    for folder in (start, *start.parents):
        if not folder.is_dir():
            continue
        for marker in RAW_MARKERS:
            if (folder / marker).is_file():
                return folder, f"it holds {marker}"
        if not series:
            continue
        try:
            numbered = [c for c in folder.iterdir() if c.name.isdigit()]
        except OSError:
            continue
        for child in sorted(numbered, key=lambda c: int(c.name)):
            for marker in ("acqus", "acqp"):
                if (child / marker).is_file():
                    return folder, f"experiment {child.name} holds {marker}"
    return None


def check_not_in_raw_data(out: str | Path, series: bool = True) -> None:
    """An output path (``--out`` of every command, :func:`dendritemr.pipeline.analyze`'s
    ``out_dir``) neither in nor below a raw data folder (:func:`raw_data_folder`; ``analyze
    --out 7Li/1/results`` wrote its results into a TopSpin experiment of a series the study
    names from outside the study folder). A results or study folder (``series``) may not lie
    in a series folder either; a single output file (``process``/``image``) may sit beside
    numbered experiments, as in TopSpin's data folder.

    Raises
    ------
    DataError : one line naming ``out`` and the raw data folder.
    """
    found = raw_data_folder(out, series)
    if found is None:
        return
    folder, why = found
    here = Path(os.path.abspath(out))
    named = "" if folder in (here, here.parent) else f" {folder}"
    raise DataError(out, f"lies in a raw data folder{named} ({why}): raw data are never written to")
