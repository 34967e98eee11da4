"""Input checksums and package versions recorded with every result."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

_PACKAGES = ("dendritemr", "numpy", "scipy", "xarray", "nmrglue", "pybaselines")


def sha256(path: str | Path) -> str:
    """SHA-256 hex digest of one file (read in 1 MiB blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_checksums(paths: list[str | Path]) -> str:
    """JSON string mapping each input file path to its SHA-256 digest."""
    return json.dumps({str(p): sha256(p) for p in paths})


def package_versions() -> str:
    """JSON string of the versions of the packages a result depends on."""
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return json.dumps(versions)
