"""One entry point for every cycler file: :func:`read_cycler` (format by name or recognised)."""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from dendritemr.errors import DataError

__all__ = ["read_cycler", "detect_format"]


def detect_format(path: str | Path) -> str:
    """Name of the cycler format of ``path`` (see ``docs/study-format.md``).

    Raises
    ------
    DataError : missing file.
    """
    from dendritemr.io.cycler_eclab import is_eclab_mpt
    from dendritemr.io.cycler_table import read_lines
    from dendritemr.io.cycler_vendor import sniff_vendor

    path = Path(path)
    if not path.is_file():
        raise DataError(path, "no such cycler file")
    if path.suffix.lower() == ".mpr":
        return "eclab-mpr"
    if is_eclab_mpt(path):
        return "eclab-mpt"
    lines = read_lines(path)
    _refuse_companion_file(path, lines)
    vendor = sniff_vendor(lines)
    if vendor:
        return vendor
    head = [ln for ln in lines[:5] if ln.strip()]
    if any(ln.startswith("# dendritemr cycler") for ln in head) or (
        head and head[0].startswith("#") and any("time/s,current/mA" in ln for ln in head)
    ):
        return "dendritemr-csv"
    if head and head[0].replace(" ", "").lower().startswith("time/s\tewe/v"):
        return "eclab-txt"
    return "generic-csv"


#: first lines of EC-Lab's companion files that hold no data (settings, loop indexes, the
#: .mgr XML), with what they are; a study naming one got 'no time column'
_COMPANIONS = {
    "EC-LAB SETTING FILE": "an EC-Lab settings file (.mps)",
    "VMP EXPERIMENT LOOP INDEXES": "an EC-Lab loop index file (_LOOP.txt)",
    "<?xml": "an XML file (EC-Lab .mgr or another program's settings)",
}


def _refuse_companion_file(path: Path, lines: list[str]) -> None:
    """Raise for a companion file of a cycler experiment that holds no cycler data."""
    first = next((ln.strip() for ln in lines if ln.strip()), "")
    for start, what in _COMPANIONS.items():
        if first.upper().startswith(start.upper()):
            raise DataError(
                path,
                f"{what}, not cycler data: give the data file (EC-Lab: the .mpr, or its "
                "export as text, .mpt/.txt)",
            )


def read_cycler(path: str | Path, format: str = "auto", decimal: str = "auto") -> xr.Dataset:
    """Read a cycler file as a Dataset over ``time_s`` with ``voltage_V`` and ``current_mA``
    (when the file has a current column); ``attrs["start"]``: the file's time zero when recorded.

    Parameters
    ----------
    path : the cycler file.
    format : ``auto`` or a name from :data:`dendritemr.study.CYCLER_FORMATS`.
    decimal : ``auto``, ``"."`` or ``","`` (text formats that allow a decimal comma).

    Raises
    ------
    DataError : unknown format, or any problem the format's reader finds (one line).
    """
    from dendritemr.io import cycler_eclab, cycler_mpr, cycler_table, cycler_vendor
    from dendritemr.io.cycler_csv import read_cycler_csv

    path = Path(path)
    fmt = detect_format(path) if format == "auto" else format
    if fmt == "dendritemr-csv":
        ds = read_cycler_csv(path)
        ds.attrs["format"] = fmt
        return ds
    readers = {
        "eclab-mpt": lambda: cycler_eclab.read_eclab_mpt(path, decimal),
        "eclab-txt": lambda: cycler_eclab.read_eclab_txt(path, decimal),
        "eclab-mpr": lambda: cycler_mpr.read_eclab_mpr(path),
        "generic-csv": lambda: cycler_table.read_generic(path, decimal),
        "neware-csv": lambda: cycler_vendor.read_neware_csv(path),
        "maccor-txt": lambda: cycler_vendor.read_maccor_txt(path),
        "arbin-csv": lambda: cycler_vendor.read_arbin_csv(path),
    }
    if fmt not in readers:
        raise DataError(path, f"unknown cycler format {fmt!r}")
    return readers[fmt]()
