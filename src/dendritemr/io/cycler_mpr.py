"""EC-Lab binary ``.mpr`` through the optional extra ``dendritemr[mpr]``.

The maintained ``.mpr`` readers are GPL (galvani: GPL-3.0-or-later). They are not a core
dependency and no code of theirs is part of dendritemr: this module only imports galvani when
a user asks for an ``.mpr`` file and it is installed; otherwise the user gets a one-line error
saying how to install it or to export the file as text (``.mpt``), which the core reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from dendritemr.errors import DataError
from dendritemr.io.cycler_table import cycler_dataset

__all__ = ["mpr_available", "read_eclab_mpr"]

_HINT = "install the optional extra 'dendritemr[mpr]' (galvani, GPL-3) or export it as .mpt text"


def mpr_available() -> bool:
    """True when the optional GPL reader (galvani) is importable."""
    try:
        import galvani  # noqa: F401
    except ImportError:
        return False
    return True


def read_eclab_mpr(path: str | Path) -> xr.Dataset:
    """Read an EC-Lab ``.mpr`` (time, Ewe, I) with its recorded start (cycler PC local time).

    Raises
    ------
    DataError : galvani not installed, unreadable file, or no time / Ewe column.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "no such cycler file")
    try:
        from galvani import BioLogic
    except ImportError:
        raise DataError(path, f"EC-Lab binary .mpr: {_HINT}") from None
    try:
        mpr = BioLogic.MPRfile(str(path))
    except Exception as exc:  # galvani raises assorted errors on files it cannot parse
        raise DataError(path, f"unreadable .mpr ({exc.__class__.__name__}: {exc})") from None
    names = mpr.data.dtype.names
    volt = next((n for n in ("Ewe/V", "<Ewe>/V", "Ecell/V") if n in names), None)
    if "time/s" not in names or volt is None:
        raise DataError(path, "the .mpr has no time/s or Ewe/V column")
    cur = next((n for n in ("I/mA", "<I>/mA", "control/V/mA") if n in names), None)
    current = None if cur is None else np.asarray(mpr.data[cur], float)
    start = getattr(mpr, "timestamp", None)
    return cycler_dataset(
        path,
        np.asarray(mpr.data["time/s"], float),
        np.asarray(mpr.data[volt], float),
        current,
        "eclab-mpr",
        start,
    )
