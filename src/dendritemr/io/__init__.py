"""Readers: vendor files in, labelled series (:mod:`dendritemr.model`) out.

:func:`open_dataset` recognises what a path is and calls the right reader.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import xarray as xr

from dendritemr.errors import DataError


def _kind(path: Path) -> str:
    from dendritemr.io import bruker, jcamp, paravision, topspin_text, varian

    if path.is_file() and path.suffix == ".nc":
        return "netcdf"
    if paravision.is_paravision(path):
        return "paravision"
    if path.is_dir() and (path / "2dseq").is_file():
        return "paravision-image"
    if path.is_dir() and (path / "procs").is_file():
        return "bruker-pdata"
    if varian.is_varian(path):
        return "varian"
    raw = (path / "fid").is_file() or (path / "ser").is_file()
    if path.is_dir() and (raw or (path / "acqus").is_file() or bruker.experiments_in(path)):
        return "bruker"
    if path.is_file() and topspin_text.is_topspin_text(path):
        return "topspin-text"
    if path.is_dir() and any(
        topspin_text.is_topspin_text(f) for f in path.iterdir() if f.is_file()
    ):
        return "topspin-text"
    if path.is_file() and jcamp.is_jcamp(path):
        return "jcamp"
    if path.is_file() and (jcamp.is_jeol_delta(path) or path.name.endswith((".jdf", ".jdf.gz"))):
        return "jeol"
    return "unknown"


def open_dataset(
    path: str | Path, nucleus: str | None = None, progress: Callable | None = None
) -> xr.DataArray:
    """Read any supported dataset as a ``(time, t2)`` FID or ``(time, ppm)`` spectrum series.

    Supported: TopSpin experiment (fid or pseudo-2D ser), a folder of TopSpin experiments (one
    in situ series), TopSpin ``pdata/N``, ParaVision experiments (acqp/method/fid: raw k-space)
    and ``pdata/N`` (2dseq: image), TopSpin text exports (ascii-spec, totxt), Varian /
    Agilent ``.fid`` folders, JCAMP-DX, and NetCDF files written by dendritemr.

    Raises
    ------
    DataError : the path does not exist or is not a dataset of a supported kind.
    """
    from dendritemr.io import bruker, jcamp, paravision, topspin_text, varian
    from dendritemr.model import load

    path = Path(path)
    if not path.exists():
        raise DataError(path, "no such file or folder")
    if path.is_file() and path.stat().st_size == 0:
        raise DataError(path, "empty file")
    kind = _kind(path)
    if kind == "netcdf":
        return load(path)
    if kind == "paravision":
        return paravision.read_raw(path)
    if kind == "paravision-image":
        return paravision.read_2dseq(path)
    if kind == "bruker-pdata":
        return bruker.read_pdata(path)
    if kind == "bruker":
        return bruker.read_path(path, nucleus, progress)
    if kind == "varian":
        return varian.read_varian(path)
    if kind == "topspin-text":
        name = path.name.lower()
        return (
            topspin_text.read_ascii_spec(path) if "ascii" in name else topspin_text.read_totxt(path)
        )
    if kind == "jcamp":
        return jcamp.read_jcamp(path)
    if kind == "jeol":
        raise DataError(path, "JEOL Delta .jdf is not supported yet (export JCAMP-DX from Delta)")
    if path.is_dir() and not any(path.iterdir()):
        raise DataError(path, "empty folder")
    if path.is_dir():
        scans = sorted(
            (p for p in path.iterdir() if p.is_dir() and p.name.isdigit() and _is_pv(p)),
            key=lambda p: int(p.name),
        )
        if scans:  # 'not a recognised NMR dataset' before, for a study's mri/ folder
            raise DataError(
                path,
                f"a folder of {len(scans)} ParaVision scans, not one dataset: give one scan "
                f"({scans[0]}) or read them all with `dendritemr image {path}`",
            )
    hint = _other_reader(path) if path.is_file() else _other_folder(path)
    if hint:
        raise DataError(path, f"not an NMR/MRI dataset: {hint}")
    raise DataError(
        path, "not a recognised NMR dataset (TopSpin, ParaVision, Varian, JCAMP-DX, NetCDF)"
    )


def _is_pv(path: Path) -> bool:
    from dendritemr.io import paravision

    return paravision.is_paravision(path)


_CYCLER_WORDS = ("ewe", "voltage", "current", "capacity", "cycle", "i/ma", "<i>", "potential")


def _other_folder(path: Path) -> str | None:
    """For a folder no NMR reader takes: what it is when dendritemr made or reads it (a study
    folder, an ``analyze`` results folder), or None."""
    if not path.is_dir():
        return None
    if (path / "study.toml").is_file():
        return (
            "a study folder (study.toml): analyse it with "
            f"`dendritemr analyze {path} --out RESULTS`; `dendritemr info` takes one of the "
            "data folders it names"
        )
    if (path / "results.json").is_file():
        return _results_hint(path / "results.json")
    return None


def _results_hint(path: Path) -> str:
    """What a results document ``path`` (or the folder holding it) is, and what reads it."""
    folder = path.parent
    if not (folder / "summary.txt").is_file():  # e.g. simulate's ground_truth.json
        return (
            f"a results document ({path.name}, schema dendritemr.results; a simulated "
            "study's ground truth is one): dendritemr.results_schema.load_results reads it"
        )
    return (
        f"the results of `dendritemr analyze` ({folder / 'summary.txt'} in words, "
        f"{folder / 'report.html'} in a browser; dendritemr.results_schema.load_results "
        "reads results.json)"
    )


def _other_reader(path: Path) -> str | None:
    """For a file no NMR reader takes: which reader would (cycler exports), what dendritemr
    file it is (results.json, study.toml), or None."""
    from dendritemr.io.cycler_formats import detect_format

    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError:
        return None
    suffix = path.suffix.lower()
    if suffix == ".json" and b'"dendritemr.results/' in head:
        return _results_hint(path)
    if (path.parent / "results.json").is_file():  # summary.txt was 'a cycler export'
        return _results_hint(path.parent / "results.json")
    if path.name == "study.toml":
        return (
            f"a study description: analyse its folder with `dendritemr analyze {path.parent} "
            "--out RESULTS`"
        )
    if suffix in (".res", ".ndax", ".nda"):
        return (
            f"looks like a cycler file ({suffix}: Arbin/Neware binary), which dendritemr does not "
            "read: export it from the cycler software as CSV/text"
        )
    cycler_suffix = suffix in (".mpr", ".mpt")
    if b"\x00" in head and not cycler_suffix:
        return None
    try:
        fmt = detect_format(path)
    except Exception:  # a sniffer that cannot read the file: no hint
        fmt = None
    text = head.decode("latin-1", errors="replace").lower()
    if fmt and fmt != "generic-csv":
        kind = fmt
    elif cycler_suffix:
        kind = suffix.lstrip(".")
    elif any(word in text for word in _CYCLER_WORDS) and "time" in text:
        kind = "generic-csv"
    else:
        return None
    return (
        f"looks like a cycler export ({kind}): read it with "
        "dendritemr.io.cycler_formats.read_cycler (or list it as the cycler file of a study)"
    )
