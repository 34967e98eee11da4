"""Scenario presets shipped with the package: one TOML file per preset in this folder.

Each preset is a partial scenario file (missing keys take the defaults of
``default_scenario.toml``) whose first line is ``# description: <one line>``. The CLI offers
them as ``dendritemr simulate --preset NAME`` and ``--list-presets``.
"""

from __future__ import annotations

import importlib.resources

from dendritemr.errors import DataError
from dendritemr.sim.scenario import Scenario, scenario_from_dict

__all__ = ["list_presets", "preset_text", "load_preset"]

_PREFIX = "# description:"


def _files() -> dict[str, object]:
    root = importlib.resources.files("dendritemr.sim.presets")
    return {
        f.name[: -len(".toml")]: f
        for f in sorted(root.iterdir(), key=lambda f: f.name)
        if f.name.endswith(".toml")
    }


def preset_text(name: str) -> str:
    """TOML text of preset ``name``.

    Raises
    ------
    DataError
        Unknown preset (the message lists the known names).
    """
    files = _files()
    if name not in files:
        raise DataError(f"preset {name!r}", f"unknown preset (known: {', '.join(files)})")
    return files[name].read_text(encoding="utf-8")


def list_presets() -> dict[str, str]:
    """``{name: one-line description}`` of every preset, sorted by name."""
    out = {}
    for name in _files():
        first = preset_text(name).splitlines()[0]
        out[name] = first[len(_PREFIX) :].strip() if first.startswith(_PREFIX) else ""
    return out


def load_preset(name: str) -> Scenario:
    """Scenario of preset ``name`` (its keys over the package defaults).

    Raises
    ------
    DataError
        Unknown preset, or a preset file that is not a valid scenario.
    """
    import tomllib

    text = preset_text(name)
    return scenario_from_dict(tomllib.loads(text), f"<package>/presets/{name}.toml")
