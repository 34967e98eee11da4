"""Atomic NetCDF save and load of labelled datasets (complex data split into real/imag)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import xarray as xr

from dendritemr.errors import DataError

_COMPLEX_FLAG = "complex_parts"


def _to_storable(obj: xr.DataArray | xr.Dataset) -> xr.Dataset:
    ds = obj.to_dataset(name=obj.name or "data") if isinstance(obj, xr.DataArray) else obj.copy()
    if isinstance(obj, xr.DataArray):
        ds.attrs = dict(obj.attrs)
        ds.attrs["dendritemr_dataarray"] = str(obj.name or "data")
    for name in list(ds.data_vars):
        var = ds[name]
        if np.iscomplexobj(var.values):
            ds[f"{name}__real"] = var.real.assign_attrs(var.attrs)
            ds[f"{name}__imag"] = var.imag.assign_attrs(var.attrs)
            ds = ds.drop_vars(name)
            ds[f"{name}__real"].attrs[_COMPLEX_FLAG] = name
    return ds


def _from_storable(ds: xr.Dataset) -> xr.DataArray | xr.Dataset:
    for name in list(ds.data_vars):
        if name not in ds.data_vars:
            continue
        target = ds[name].attrs.get(_COMPLEX_FLAG)
        if target is not None and name.endswith("__real"):
            re, im = ds[name], ds[f"{target}__imag"]
            attrs = {k: v for k, v in re.attrs.items() if k != _COMPLEX_FLAG}
            ds[target] = (re + 1j * im).assign_attrs(attrs)
            ds = ds.drop_vars([name, f"{target}__imag"])
    array_name = ds.attrs.get("dendritemr_dataarray")
    if array_name is not None:
        da = ds[array_name]
        da.attrs = {k: v for k, v in ds.attrs.items() if k != "dendritemr_dataarray"}
        return da
    return ds


def save(obj: xr.DataArray | xr.Dataset, path: str | Path) -> Path:
    """Write ``obj`` to NetCDF at ``path`` atomically (temporary file in the same folder, rename).

    Nothing is left at ``path`` if writing fails.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = _to_storable(obj)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        ds.to_netcdf(tmp, engine="h5netcdf", invalid_netcdf=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(path: str | Path) -> xr.DataArray | xr.Dataset:
    """Load a file written by :func:`save` fully into memory."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "no such file")
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            ds = ds.load()
    except (OSError, ValueError) as exc:
        raise DataError(path, f"not a readable NetCDF file ({exc.__class__.__name__})") from exc
    return _from_storable(ds)
