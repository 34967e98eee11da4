"""An ordered list of processing steps that round-trips through JSON (provenance model)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable

import xarray as xr

from dendritemr.nmr.base import ProcessingStep, step_from_dict


@dataclasses.dataclass
class Pipeline:
    """Apply ``steps`` in order; ``to_json``/``from_json`` reproduce it exactly."""

    steps: list[ProcessingStep]

    def __call__(self, da: xr.DataArray) -> xr.DataArray:
        for step in self.steps:
            da = step(da)
        return da

    def to_json(self) -> str:
        return json.dumps([s.to_dict() for s in self.steps])

    @classmethod
    def from_json(cls, text: str) -> Pipeline:
        return cls([step_from_dict(s) for s in json.loads(text)])

    @classmethod
    def from_history(cls, history: Iterable[dict]) -> Pipeline:
        """Rebuild the pipeline recorded in a result's ``attrs['history']``."""
        return cls([step_from_dict(s) for s in history])
