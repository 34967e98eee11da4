"""The processing-step contract (style of mrsimulator's signal processors).

A step is a dataclass whose fields are its parameters. ``step(da)`` checks the input (the named
dimension exists, values are finite), computes a NEW DataArray (never mutating the input),
and appends ``{"step": name, **parameters}`` to the result's history, so that a pipeline is an
ordered list that round-trips through JSON. Steps act along one named dimension and broadcast
over all others, so a series of spectra is processed as one array.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np
import xarray as xr

from dendritemr.errors import ProcessingError
from dendritemr.model import add_step, require_finite

#: attrs key by which a step hands values it found from the data to its history entry
FITTED_KEY = "_fitted"

_REGISTRY: dict[str, type[ProcessingStep]] = {}


@dataclasses.dataclass
class ProcessingStep:
    """Base class of all processing steps; subclasses implement :meth:`_apply`."""

    #: registry name used in the history and in JSON pipelines
    name: ClassVar[str] = "step"
    #: dimension the step needs in its input
    input_dim: ClassVar[str] = "t2"

    @property
    def series_wide(self) -> bool:
        """True if the result of one spectrum depends on the others (cannot run in chunks)."""
        return False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.name] = cls

    def __call__(
        self, da: xr.DataArray, check_finite: bool = True, overwrite: bool = False
    ) -> xr.DataArray:
        """Apply the step; ``check_finite=False`` skips the NaN/inf scan (a pipeline checks
        its input once: finite data stays finite through every step). ``overwrite=True``
        lets a step that can (``_apply_inplace``) reuse ``da``'s memory for its result: only
        for intermediates nobody else holds (:class:`~dendritemr.nmr.pipeline.Pipeline`)."""
        if self.input_dim not in da.dims:
            raise ProcessingError(
                f"{self.name}: needs dimension {self.input_dim!r}, data has {tuple(da.dims)}"
            )
        if check_finite:
            require_finite(da, f"input of {self.name}")
        inplace = getattr(self, "_apply_inplace", None)
        out = inplace(da) if overwrite and inplace is not None else self._apply(da)
        out.attrs = {**da.attrs, **out.attrs}
        self._update_attrs(out)
        entry = self.to_dict()
        fitted = out.attrs.pop(FITTED_KEY, None)
        if fitted is not None:  # values found from the data (automatic steps)
            entry["fitted"] = fitted
        add_step(out, entry)
        return out

    def _apply(self, da: xr.DataArray) -> xr.DataArray:
        raise NotImplementedError

    def _update_attrs(self, out: xr.DataArray) -> None:
        """Hook for steps that change acquisition metadata (e.g. remaining group delay)."""

    def to_dict(self) -> dict[str, Any]:
        """Name and parameters, JSON-serialisable."""
        return {"step": self.name, **dataclasses.asdict(self)}


def step_from_dict(spec: dict[str, Any]) -> ProcessingStep:
    """Rebuild a step from :meth:`ProcessingStep.to_dict` output."""
    spec = dict(spec)
    name = spec.pop("step", None)
    spec.pop("fitted", None)  # results of automatic steps, not parameters
    if name not in _REGISTRY:
        raise ProcessingError(f"unknown processing step {name!r}")
    return _REGISTRY[name](**spec)


def copy_with(da: xr.DataArray, values: Any, **coords: Any) -> xr.DataArray:
    """A new DataArray like ``da`` holding ``values`` (same dims), attrs copied not shared."""
    out = da.copy(deep=False, data=values)
    out.attrs = dict(da.attrs)
    if coords:
        out = out.assign_coords(coords)
    return out


def spectra_rows(da: xr.DataArray, dim: str = "ppm") -> np.ndarray:
    """All spectra of ``da`` as a 2D (spectra, points along ``dim``) array (a view if possible)."""
    other = [d for d in da.dims if d != dim]
    return da.transpose(*other, dim).values.reshape(-1, da.sizes[dim])


def from_rows(da: xr.DataArray, rows: np.ndarray, dim: str = "ppm") -> xr.DataArray:
    """A DataArray like ``da`` holding ``rows`` from :func:`spectra_rows` (attrs copied)."""
    other = [d for d in da.dims if d != dim]
    t = da.transpose(*other, dim)
    out = t.copy(data=rows.reshape(t.shape)).transpose(*da.dims)
    out.attrs = dict(da.attrs)
    return out
