"""User-facing errors: one line naming the file and what is wrong with it."""

from __future__ import annotations

import sys
from pathlib import Path


class DendriteMRError(Exception):
    """Base class for every error the CLI reports as a one-line message."""


class DataError(DendriteMRError):
    """A file or folder cannot be read as what it claims to be.

    Parameters
    ----------
    path : path of the offending file or folder.
    problem : what is wrong, in a few words (no trailing full stop).
    """

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class TruncatedFile(DataError):
    """A raw data file shorter than its parameters say (a copy taken while the spectrometer was
    still writing it, or a broken transfer)."""


class ProcessingError(DendriteMRError):
    """A processing step cannot be applied to the data it was given."""


def exit_with(exc: Exception, code: int = 2) -> None:
    """CLI: print ``error: <one line>`` to stderr and exit with ``code`` (user mistakes)."""
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(code)
