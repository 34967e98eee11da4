"""TopSpin processing records of ``pdata/N``: the procs parameters and the audit trail.

The processing module (:mod:`dendritemr.nmr.topspin`) replays what these files record; this
module only reads them. ``auditp.txt`` is a JCAMP-DX ``##AUDIT TRAIL`` of entries
``(NUMBER, <WHEN>, <WHO>, <WHERE>, [<PROCESS>,] <VERSION>, <WHAT>)`` (TopSpin >= 2 adds the
PROCESS field). The first line of WHAT is the command with its parameters; an entry whose WHAT
starts with ``Start of raw data processing`` begins a new processing from the FID (its second
line holds the command, e.g. ``efp BC_mod = 2 LB = 50 ...``), so only the commands from the
last such entry on made the current 1r.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from dendritemr.errors import DataError
from dendritemr.io.bruker_params import read_parameters

_ENTRY = re.compile(r"\(\s*(\d+)\s*,((?:\s*<[^>]*>\s*,)+)\s*<(.*?)>\)", re.DOTALL)
_FIELD = re.compile(r"<([^>]*)>")
_RAW_START = "start of raw data processing"
#: commands that process the raw FID (XWIN-NMR records them without the "Start of ..." line)
RAW_COMMANDS = frozenset({"ft", "ef", "efp", "fp", "gf", "gfp", "fmc", "trf", "ftf"})


@dataclasses.dataclass(frozen=True)
class AuditCommand:
    """One processing command of ``auditp.txt``.

    name : the command, lower case (``efp``, ``apk``, ``abs``, ``mc`` ...).
    text : the command line as recorded (parameters included).
    version : the program that ran it (e.g. ``TopSpin 4.1.4``).
    from_raw : True if this command (re)started processing from the raw FID.
    """

    name: str
    text: str
    version: str
    from_raw: bool


def procs_parameters(pdir: str | Path) -> dict[str, Any]:
    """Processing parameters of ``pdata/N/procs`` (raises :class:`DataError` when missing)."""
    path = Path(pdir) / "procs"
    if not path.is_file():
        raise DataError(path, "no TopSpin processing parameters (procs)")
    return read_parameters(path)


def audit_commands(pdir: str | Path) -> list[AuditCommand]:
    """Every processing command recorded in ``pdata/N/auditp.txt``, in order ([] if absent).

    The acquisition entry (``created by zg``) is skipped.
    """
    path = Path(pdir) / "auditp.txt"
    if not path.is_file():
        return []
    commands = []
    for match in _ENTRY.finditer(path.read_text(errors="replace")):
        fields = _FIELD.findall(match.group(2))
        version = fields[-1].strip() if len(fields) >= 4 else ""  # WHEN, WHO, WHERE first
        what = [line.strip() for line in match.group(3).splitlines() if line.strip()]
        if not what or what[0].lower().startswith("created by"):
            continue
        from_raw = what[0].lower().startswith(_RAW_START)
        line = what[1] if from_raw and len(what) > 1 else what[0]
        if line.lower().startswith("data hash"):
            continue
        name = line.split()[0].lower() if line.split() else ""
        commands.append(AuditCommand(name, line, version, from_raw or name in RAW_COMMANDS))
    return commands


def current_commands(pdir: str | Path) -> list[AuditCommand]:
    """The commands that made the current 1r: from the last raw-data processing on."""
    commands = audit_commands(pdir)
    starts = [i for i, c in enumerate(commands) if c.from_raw]
    return commands[starts[-1] :] if starts else commands


__all__ = ["RAW_COMMANDS", "AuditCommand", "audit_commands", "current_commands", "procs_parameters"]
