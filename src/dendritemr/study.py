"""Study folders: ``study.toml`` naming the data of one in situ experiment by role.

The format is documented in ``docs/study-format.md``. :func:`load_study` reads and validates a
study folder (one-line :class:`~dendritemr.errors.DataError` for every problem) and returns a
:class:`Study`; it only reads acquisition parameters (nucleus, field), never whole data sets.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dendritemr.errors import DataError

__all__ = ["Study", "CyclerSpec", "Reference", "load_study", "parse_study", "STUDY_FILE"]

STUDY_FILE = "study.toml"

#: cycler formats a study may name (``auto``: recognised from the file)
CYCLER_FORMATS = (
    "auto",
    "dendritemr-csv",
    "eclab-mpt",
    "eclab-txt",
    "eclab-mpr",
    "generic-csv",
    "neware-csv",
    "maccor-txt",
    "arbin-csv",
)

# section -> {key: accepted python types}
_STR = (str,)
_NUM = (int, float)
_SCHEMA: dict[str, dict[str, tuple]] = {
    "study": {"name": _STR, "description": _STR, "created": _STR},
    "cell": {
        "electrode_area_cm2": _NUM,
        "thickness_mm": _NUM,
        "electrolyte": _STR,
        "temperature_k": _NUM,
    },
    "isotopes": {
        "x6_electrode": _NUM,
        "x6_electrolyte": _NUM,
        "x6_electrode_err": _NUM,
        "x6_electrolyte_err": _NUM,
    },
    "nmr.li7": {"path": _STR},
    "nmr.li6": {"path": _STR},
    "mri": {"path": _STR},
    "cycler": {
        "path": _STR,
        "format": _STR,
        "timezone": _STR,
        "clock_offset_s": _NUM,
        "start": _STR,
        "current_mA": _NUM,
        "current_start": _STR,
        "decimal": _STR,
    },
    "reference": {
        "name": _STR,
        "li7": _STR,
        "li6": _STR,
        "x6": (dict,),
        "x6_err": (dict,),
        "amount_umol": (dict,),
        "relaxed": (bool,),
    },
    "t1_s": {"li7": (dict,), "li6": (dict,)},
    "t1_series": {"li7": _STR, "li6": _STR},
    "truth": {"path": _STR},
}
#: temperatures (K) a cell in a probe can have; outside, the value is taken for a mistake
#: (degrees Celsius given as kelvin)
_CELL_T_RANGE_K = (150.0, 500.0)
_LINES = ("metal", "electrode", "microstructure", "electrolyte")
_FIELD_RTOL = 1e-3


@dataclass(frozen=True)
class CyclerSpec:
    """The ``[cycler]`` section: where the cycler file is and how to put it on the NMR clock.

    Attributes
    ----------
    path : absolute path of the cycler file.
    format : one of :data:`CYCLER_FORMATS`.
    timezone : IANA zone of naive timestamps (file, ``start``, ``current_start``).
    clock_offset_s : seconds added to cycler times to put them on the NMR clock.
    start : absolute time of the file's time zero (timezone-aware), or None.
    current_mA : constant current, mA, for files without a current column, or None.
    current_start : when cycling starts (timezone-aware), or None.
    decimal : ``"auto"``, ``"."`` or ``","``.
    """

    path: Path
    format: str = "auto"
    timezone: str = "UTC"
    clock_offset_s: float = 0.0
    start: dt.datetime | None = None
    current_mA: float | None = None
    current_start: dt.datetime | None = None
    decimal: str = "auto"


@dataclass(frozen=True)
class Reference:
    """A calibration reference: a 6Li/7Li pair of known composition (and optionally amount)."""

    name: str
    li7: Path | None
    li6: Path | None
    x6: dict[str, float]
    x6_err: dict[str, float] = field(default_factory=dict)
    amount_umol: dict[str, float] = field(default_factory=dict)
    relaxed: bool = False


@dataclass(frozen=True)
class Study:
    """A validated study folder (see ``docs/study-format.md``).

    Paths are absolute. ``field_t`` is the magnetic field of the 7Li data, T.
    """

    root: Path
    li7: Path
    li6: Path | None = None
    mri: Path | None = None
    cycler: CyclerSpec | None = None
    references: tuple[Reference, ...] = ()
    name: str = ""
    description: str = ""
    electrode_area_cm2: float | None = None
    thickness_mm: float | None = None
    electrolyte: str = ""
    temperature_k: float = 298.15
    x6_electrode: float | None = None
    x6_electrolyte: float | None = None
    x6_electrode_err: float = 0.0
    x6_electrolyte_err: float = 0.0
    t1_s: dict[str, dict[str, float]] = field(default_factory=dict)
    t1_series: dict[str, Path] = field(default_factory=dict)
    truth: Path | None = None
    field_t: float | None = None

    @property
    def has_li6(self) -> bool:
        """True when the study has a 6Li series (x6, f_I and routes can be computed)."""
        return self.li6 is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable description (paths as strings)."""

        def conv(v: Any) -> Any:
            if isinstance(v, Path):
                return str(v)
            if isinstance(v, dt.datetime):
                return v.isoformat()
            if isinstance(v, tuple | list):
                return [conv(x) for x in v]
            if isinstance(v, dict):
                return {k: conv(x) for k, x in v.items()}
            if hasattr(v, "__dataclass_fields__"):
                return {k: conv(getattr(v, k)) for k in v.__dataclass_fields__}
            return v

        return conv(self)


def _flatten(doc: dict, where: str) -> dict[str, Any]:
    """Sections of the TOML document as ``{"nmr.li7": {...}, "reference": [..], ...}``."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if key == "nmr" and isinstance(value, dict):
            for sub, body in value.items():
                out[f"nmr.{sub}"] = body
        else:
            out[key] = value
    return out


def _zone(name: str, src: str, section: str) -> dt.tzinfo:
    if name.upper() == "UTC":
        return dt.UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = (
            "an IANA name such as 'Europe/London' (it knows summer time) or 'UTC'; a fixed "
            "offset goes into the time itself, e.g. start = '2023-08-11T12:40:15+01:00'"
        )
        if not zoneinfo.available_timezones():  # no time zone database (Windows, slim images)
            hint = "this Python has no time zone database: pip install tzdata"
        raise DataError(src, f"[{section}] unknown timezone {name!r} ({hint})") from None


def _time(text: str, zone: dt.tzinfo, src: str, section: str, key: str) -> dt.datetime | None:
    if not text.strip():
        return None
    try:
        t = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise DataError(src, f"[{section}] {key} {text!r} is not an ISO 8601 time") from None
    return t if t.tzinfo is not None else t.replace(tzinfo=zone)


def _path(root: Path, text: str, src: str, section: str, key: str = "path") -> Path:
    p = Path(text)
    p = p if p.is_absolute() else root / p
    if not p.exists():
        raise DataError(src, f"[{section}] {key} {text!r} does not exist")
    return p.resolve()  # results and the report name 'shared/data/x', not 'study/../../shared/..'


def _check_mri(path: Path, text: str, src: str, field_t: float | None = None) -> None:
    """``[mri]`` names a ParaVision scan or a folder holding them, not a file or NMR data; the
    scans are 7Li images at the 7Li data's field (a 1H FLASH image of 2013 was taken as the
    study's MRI and placed 108 000 h before it)."""
    from dendritemr.io.bruker import experiments_in, is_experiment
    from dendritemr.io.paravision import is_paravision

    if not path.is_dir():
        raise DataError(src, f"[mri] path {text!r} is a file, not a ParaVision scan or folder")
    scans = (
        [path]
        if is_paravision(path)
        else [p for p in path.iterdir() if p.is_dir() and p.name.isdigit() and is_paravision(p)]
    )
    if scans:
        for scan in scans:
            _check_mri_scan(scan, field_t)
        return
    if is_experiment(path) or experiments_in(path):
        raise DataError(src, f"[mri] path {text!r} holds TopSpin NMR data, not ParaVision scans")


def _check_mri_scan(scan: Path, field_t: float | None) -> None:
    """Nucleus (acqp NUCLEUS, else NUC1) and field (BF1) of one ParaVision scan."""
    from dendritemr.io.bruker_nucleus import field_tesla
    from dendritemr.io.paravision_jcamp import read_pv_parameters
    from dendritemr.physics.nuclei import get_nucleus

    acqp = scan / "acqp"
    if not acqp.is_file():
        return  # a scan of processed images only: read (and checked) by the MRI reader
    params = read_pv_parameters(acqp)
    label = str(params.get("NUCLEUS") or params.get("NUC1") or "").strip("<> ")
    try:
        nucleus = get_nucleus(label).name
    except ValueError:
        raise DataError(acqp, f"[mri] unknown nucleus {label!r}") from None
    if nucleus != "7Li":
        raise DataError(scan, f"[mri] data are {nucleus}, not 7Li")
    try:
        bf1 = float(params.get("BF1"))
    except (TypeError, ValueError):
        return
    b0 = field_tesla(nucleus, bf1)
    if field_t is not None and abs(b0 - field_t) > _FIELD_RTOL * field_t:
        raise DataError(scan, f"[mri] field {b0:.4f} T differs from the 7Li data's {field_t:.4f} T")


def _check_truth(path: Path) -> None:
    """``[truth] path`` is a results-schema JSON document (checked on load: analyze read it only
    after the whole analysis, to score it)."""
    import json

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(path, f"[truth] not a JSON file ({exc.__class__.__name__})") from None
    if not (isinstance(doc, dict) and str(doc.get("schema", "")).startswith("dendritemr.results")):
        raise DataError(path, "[truth] not a dendritemr results document (no 'schema')")


def _fraction(value: Any, src: str, what: str) -> float:
    v = float(value)
    if not 0.0 < v < 1.0:
        raise DataError(src, f"{what} must lie in (0, 1), not {v:g}")
    return v


#: how an accepted type is named in an error message
_KIND_NAMES = {_STR: "text in quotes", _NUM: "a number"}


def _check_keys(sections: dict[str, Any], src: str) -> None:
    for name, body in sections.items():
        if name not in _SCHEMA:
            known = ", ".join(sorted(_SCHEMA))
            raise DataError(src, f"unknown section [{name}] (known: {known})")
        bodies = body if name == "reference" else [body]
        if name == "reference" and not isinstance(body, list):
            raise DataError(src, "reference must be an array of tables ([[reference]])")
        for b in bodies:
            if not isinstance(b, dict):
                raise DataError(src, f"[{name}] must be a table")
            for key, value in b.items():
                types = _SCHEMA[name].get(key)
                if types is None:
                    known = ", ".join(sorted(_SCHEMA[name]))
                    raise DataError(src, f"[{name}] unknown key {key!r} (known: {known})")
                if isinstance(value, bool) and bool not in types:
                    raise DataError(src, f"[{name}] {key} must not be a boolean")
                if not isinstance(value, types):
                    kind = _KIND_NAMES.get(types, "/".join(t.__name__ for t in types))
                    raise DataError(src, f"[{name}] {key} must be {kind}, not {value!r}")
                if types == _NUM and not math.isfinite(value):
                    raise DataError(src, f"[{name}] {key} must be a finite number, not {value}")


def _nmr_info(path: Path, role: str) -> tuple[str, float, Path]:
    """Nucleus and field of the first experiment under ``path`` (a series, expno or pdata)."""
    from dendritemr.io.bruker import experiments_in, is_experiment, warn_skipped
    from dendritemr.io.bruker_nucleus import checked_nucleus, field_tesla
    from dendritemr.io.bruker_params import read_parameters

    exp = path
    if path.is_dir() and not is_experiment(path):
        exps = experiments_in(path)
        if not exps:
            raise DataError(path, f"[{role}] no TopSpin experiment (numbered folder with acqus)")
        warn_skipped(path)  # a numbered folder without raw data is not part of the series
        exp = exps[0]
    if not (exp / "acqus").is_file():
        raise DataError(path, f"[{role}] not a TopSpin experiment or series")
    acqus = read_parameters(exp / "acqus")
    nucleus = checked_nucleus(acqus, exp / "acqus")
    try:
        bf1 = float(acqus["BF1"])
    except (KeyError, TypeError, ValueError):
        raise DataError(exp / "acqus", f"[{role}] no BF1") from None
    return nucleus, field_tesla(nucleus, bf1), exp


def _check_role(path: Path, role: str, want: str, field_t: float | None) -> float:
    nucleus, b0, exp = _nmr_info(path, role)
    if nucleus != want:
        raise DataError(exp, f"[{role}] data are {nucleus}, not {want}")
    if field_t is not None and abs(b0 - field_t) > _FIELD_RTOL * field_t:
        raise DataError(
            exp, f"[{role}] field {b0:.4f} T differs from the 7Li data's {field_t:.4f} T"
        )
    return b0


def parse_study(doc: dict, root: str | Path, src: str | None = None, check_data: bool = True):
    """Validate a parsed ``study.toml`` document and build a :class:`Study`.

    Parameters
    ----------
    doc : the TOML document as a dict.
    root : study folder (relative paths are taken from it).
    src : name used in error messages (default ``<root>/study.toml``).
    check_data : read each NMR role's first ``acqus`` to check nucleus and field.

    Raises
    ------
    DataError : unknown section or key, wrong type, missing path, wrong nucleus for a role,
        6Li/7Li (or reference) data at different fields, x6 outside (0, 1), bad time or zone.
    """
    root = Path(root).resolve()
    src = src or str(root / STUDY_FILE)
    sec = _flatten(doc, src)
    _check_keys(sec, src)
    if "nmr.li7" not in sec or "path" not in sec["nmr.li7"]:
        raise DataError(src, "[nmr.li7] path is required (the 7Li series)")
    li7 = _path(root, sec["nmr.li7"]["path"], src, "nmr.li7")
    li6 = _path(root, sec["nmr.li6"]["path"], src, "nmr.li6") if "nmr.li6" in sec else None
    field_t = None
    if check_data:
        field_t = _check_role(li7, "nmr.li7", "7Li", None)
        if li6 is not None:
            _check_role(li6, "nmr.li6", "6Li", field_t)
    mri = _path(root, sec["mri"]["path"], src, "mri") if "mri" in sec else None
    if mri is not None and check_data:
        _check_mri(mri, sec["mri"]["path"], src, field_t)
    cell, iso = sec.get("cell", {}), sec.get("isotopes", {})
    area = cell.get("electrode_area_cm2")
    if area is not None and not area > 0:
        raise DataError(src, "[cell] electrode_area_cm2 must be positive")
    for key, unit in (("thickness_mm", "mm"), ("temperature_k", "K")):
        if key in cell and not cell[key] > 0:
            raise DataError(src, f"[cell] {key} must be positive ({unit}), not {cell[key]:g}")
    t_k = cell.get("temperature_k")
    if t_k is not None and not _CELL_T_RANGE_K[0] <= t_k <= _CELL_T_RANGE_K[1]:
        # 25 (meant as deg C) was taken as 25 K: Korringa T1 of the metal 12 times too long
        raise DataError(
            src,
            f"[cell] temperature_k {t_k:g} K is not a cell temperature (kelvin, "
            f"{_CELL_T_RANGE_K[0]:g}-{_CELL_T_RANGE_K[1]:g} K): 25 deg C is 298.15 K",
        )
    for key in ("x6_electrode_err", "x6_electrolyte_err"):
        if key in iso and not iso[key] >= 0:
            raise DataError(src, f"[isotopes] {key} must not be negative, not {iso[key]:g}")
    x6e = iso.get("x6_electrode")
    x6l = iso.get("x6_electrolyte")
    if x6e is not None:
        x6e = _fraction(x6e, src, "[isotopes] x6_electrode")
    if x6l is not None:
        x6l = _fraction(x6l, src, "[isotopes] x6_electrolyte")
    cycler = None
    if "cycler" in sec:
        c = sec["cycler"]
        if "path" not in c:
            raise DataError(src, "[cycler] path is required")
        fmt = c.get("format", "auto")
        if fmt not in CYCLER_FORMATS:
            raise DataError(src, f"[cycler] unknown format {fmt!r} ({', '.join(CYCLER_FORMATS)})")
        decimal = c.get("decimal", "auto")
        if decimal not in ("auto", ".", ","):
            raise DataError(src, f"[cycler] decimal must be auto, '.' or ',', not {decimal!r}")
        tzname = c.get("timezone", "UTC")
        zone = _zone(tzname, src, "cycler")
        current = c.get("current_mA")
        cycler_path = _path(root, c["path"], src, "cycler")
        if cycler_path.is_dir():
            raise DataError(src, f"[cycler] path {c['path']!r} is a folder, not a cycler file")
        cycler = CyclerSpec(
            path=cycler_path,
            format=fmt,
            timezone=tzname,
            clock_offset_s=float(c.get("clock_offset_s", 0.0)),
            start=_time(c.get("start", ""), zone, src, "cycler", "start"),
            current_mA=None if current is None else float(current),
            current_start=_time(c.get("current_start", ""), zone, src, "cycler", "current_start"),
            decimal=decimal,
        )
    refs = []
    for i, r in enumerate(sec.get("reference", [])):
        where = f"reference {i + 1}"
        x6 = r.get("x6", {})
        for key in ("x6", "x6_err", "amount_umol"):  # named in the message (it said 'metal')
            for line, value in r.get(key, {}).items():
                if line not in _LINES:
                    raise DataError(src, f"[{where}] unknown line {line!r} ({', '.join(_LINES)})")
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise DataError(src, f"[{where}] {key}.{line} must be a number, not {value!r}")
                if key != "x6" and not (math.isfinite(value) and value >= 0):
                    # a negative standard error (or amount) was accepted
                    raise DataError(
                        src, f"[{where}] {key}.{line} must be finite and >= 0, not {value!r}"
                    )
        x6 = {k: _fraction(v, src, f"[{where}] x6.{k}") for k, v in x6.items()}
        r7 = _path(root, r["li7"], src, where, "li7") if "li7" in r else None
        r6 = _path(root, r["li6"], src, where, "li6") if "li6" in r else None
        if r7 is None and r6 is None:
            raise DataError(src, f"[{where}] names no data (li7 and/or li6)")
        if check_data and field_t is not None:
            if r7 is not None:
                _check_role(r7, f"{where} li7", "7Li", field_t)
            if r6 is not None:
                _check_role(r6, f"{where} li6", "6Li", field_t)
        refs.append(
            Reference(
                name=r.get("name", where),
                li7=r7,
                li6=r6,
                x6=x6,
                x6_err={k: float(v) for k, v in r.get("x6_err", {}).items()},
                amount_umol={k: float(v) for k, v in r.get("amount_umol", {}).items()},
                relaxed=bool(r.get("relaxed", False)),
            )
        )
    t1 = {}
    for nuc, lines in sec.get("t1_s", {}).items():
        for line, value in lines.items():
            if line not in _LINES:
                raise DataError(src, f"[t1_s] unknown line {line!r} ({', '.join(_LINES)})")
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise DataError(src, f"[t1_s] {nuc}.{line} must be a positive number (s)")
        t1[nuc] = {k: float(v) for k, v in lines.items()}
    t1_series = {
        nuc: _path(root, p, src, "t1_series", nuc) for nuc, p in sec.get("t1_series", {}).items()
    }
    truth = _path(root, sec["truth"]["path"], src, "truth") if "truth" in sec else None
    if truth is not None and check_data:
        _check_truth(truth)
    meta = sec.get("study", {})
    return Study(
        root=root,
        li7=li7,
        li6=li6,
        mri=mri,
        cycler=cycler,
        references=tuple(refs),
        name=meta.get("name", root.name),
        description=meta.get("description", ""),
        electrode_area_cm2=None if area is None else float(area),
        thickness_mm=cell.get("thickness_mm"),
        electrolyte=cell.get("electrolyte", ""),
        temperature_k=float(cell.get("temperature_k", 298.15)),
        x6_electrode=x6e,
        x6_electrolyte=x6l,
        x6_electrode_err=float(iso.get("x6_electrode_err", 0.0)),
        x6_electrolyte_err=float(iso.get("x6_electrolyte_err", 0.0)),
        t1_s=t1,
        t1_series=t1_series,
        truth=truth,
        field_t=field_t,
    )


def _no_study_hint(folder: Path) -> str:
    """What a folder without study.toml is, when it is something a user may take for a study:
    the folder holding a study (``demo-out``: its ``study/``), raw NMR data, or results."""
    if not folder.is_dir():
        return ""
    try:
        subs = sorted(p for p in folder.iterdir() if (p / STUDY_FILE).is_file())
    except OSError:
        return ""
    if len(subs) == 1:
        return f": {subs[0]} holds one"
    if subs:
        return f": {len(subs)} of its folders hold one, e.g. {subs[0]}"
    if (folder / "results.json").is_file():
        return ": this is a results folder that `analyze` wrote"
    numbered = [p for p in folder.iterdir() if p.name.isdigit() and (p / "acqus").is_file()]
    if (folder / "acqus").is_file() or numbered:
        what = "a TopSpin series" if numbered else "a TopSpin experiment"
        return (
            f": this is {what}, raw data: describe it in a study.toml of a folder of its own "
            f"([nmr.li7] path = '{folder}')"
        )
    return ""


def load_study(folder: str | Path, check_data: bool = True) -> Study:
    """Read and validate ``folder/study.toml`` (or a ``study.toml`` path).

    Raises
    ------
    DataError : no such folder or file, invalid TOML, or any check of :func:`parse_study`.
    """
    path = Path(folder)
    if path.is_file() and path.name.endswith(".toml"):
        toml_path, root = path, path.parent
    else:
        if path.exists() and not path.is_dir():
            raise DataError(path, "not a study folder (give the folder holding study.toml)")
        if not path.is_dir():
            raise DataError(path, "no such study folder")
        toml_path, root = path / STUDY_FILE, path
    if not toml_path.is_file():
        raise DataError(
            toml_path,
            "no study.toml in the study folder" + _no_study_hint(root) + " (docs/study-format.md)",
        )
    try:
        raw = toml_path.read_bytes()
    except OSError as exc:
        raise DataError(toml_path, f"unreadable ({exc.strerror or exc})") from None
    try:
        # TOML is UTF-8; Windows editors (Notepad) may put a byte order mark first, which
        # tomllib calls 'Invalid statement (at line 1, column 1)'
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            toml_path,
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}): save it as UTF-8",
        ) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        hint = ""
        if "escape" in str(exc).lower():
            # a Windows path in double quotes: "C:\data\7Li"
            hint = "; write paths with / or in single quotes: path = 'C:\\data\\7Li'"
        raise DataError(toml_path, f"invalid TOML ({exc}){hint}") from None
    return parse_study(doc, root, str(toml_path), check_data)
