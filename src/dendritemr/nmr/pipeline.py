"""An ordered list of processing steps that round-trips through JSON (provenance model).

A long series can run in chunks of spectra along ``time`` (``chunk=``): intermediates then
stay small and only the result (or a reduction of it, e.g. region integrals) is kept for
the whole series. Steps that need the whole series (``series_wide``) run it unchunked.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import xarray as xr

from dendritemr.model import get_history
from dendritemr.nmr.base import ProcessingStep, step_from_dict
from dendritemr.nmr.fused import fusable_length, run_fused


def _merge_histories(histories: list[list[dict]]) -> str:
    """History of a chunked run: results found per chunk (``fitted``) are concatenated."""
    merged = [dict(h) for h in histories[0]]
    for entry_index, entry in enumerate(merged):
        if "fitted" in entry:
            entry["fitted"] = [f for h in histories for f in h[entry_index]["fitted"]]
    return json.dumps(merged)


@dataclasses.dataclass
class Pipeline:
    """Apply ``steps`` in order; ``to_json``/``from_json`` reproduce it exactly."""

    steps: list[ProcessingStep]

    def __call__(
        self, da: xr.DataArray, chunk: int | None = None, threads: int = 1
    ) -> xr.DataArray:
        """Run the pipeline, in chunks of ``chunk`` spectra when given and allowed."""
        return self.map_chunks(da, lambda result: result, chunk, threads)

    def _run(self, da: xr.DataArray) -> xr.DataArray:
        source = da.values
        i = 0
        while i < len(self.steps):
            run = fusable_length(self.steps[i:])
            if run >= 2:  # FID -> spectrum in one pass (same numbers, see nmr.fused)
                da = run_fused(da, self.steps[i : i + run], check_finite=i == 0)
                i += run
            else:
                # an intermediate that shares no memory with the input may be overwritten
                own = i > 0 and not np.may_share_memory(da.values, source)
                da = self.steps[i](da, check_finite=i == 0, overwrite=own)
                i += 1
        return da

    def map_chunks(
        self,
        da: xr.DataArray,
        func: Callable[[xr.DataArray], xr.DataArray | xr.Dataset],
        chunk: int | None,
        threads: int = 1,
    ) -> xr.DataArray | xr.Dataset:
        """``func(pipeline(part))`` for consecutive parts of ``chunk`` spectra, reassembled.

        Only ``func``'s outputs are kept for the whole series, so e.g. integrating each chunk
        keeps memory near the size of the input. ``threads`` > 1 processes that many chunks
        at once (numpy and the FFTs release the GIL).
        """
        n = da.sizes.get("time", 1)
        if (
            chunk is None
            or "time" not in da.dims
            or n <= chunk
            or any(s.series_wide for s in self.steps)
        ):
            return func(self._run(da))
        first = func(self._run(da.isel(time=slice(0, chunk))))
        as_array = isinstance(first, xr.DataArray)
        first_ds = first.to_dataset(name="__result__") if as_array else first
        timed = [k for k, v in first_ds.data_vars.items() if "time" in v.dims]
        dims = {k: ("time",) + tuple(d for d in first_ds[k].dims if d != "time") for k in timed}
        buffers = {}
        for k in timed:
            var = first_ds[k].transpose(*dims[k])
            buffers[k] = np.empty((n,) + var.shape[1:], dtype=var.dtype)
            buffers[k][:chunk] = var.values
        histories = [get_history(first)]
        starts = list(range(chunk, n, chunk))

        def job(start: int):
            return func(self._run(da.isel(time=slice(start, start + chunk))))

        if threads > 1:
            pool = ThreadPoolExecutor(max_workers=threads)
            parts = pool.map(job, starts)
        else:
            pool, parts = None, map(job, starts)
        for start, part in zip(starts, parts, strict=True):
            part_ds = part.to_dataset(name="__result__") if as_array else part
            for k in timed:
                buffers[k][start : start + chunk] = part_ds[k].transpose(*dims[k]).values
            histories.append(get_history(part))
        if pool is not None:
            pool.shutdown()
        coords = {c: v for c, v in first_ds.coords.items() if "time" not in v.dims}
        coords.update({c: v for c, v in da.coords.items() if v.dims == ("time",)})
        out = xr.Dataset(
            {k: (dims[k], buffers[k], first_ds[k].attrs) for k in timed}, coords=coords
        )
        for k, v in first_ds.data_vars.items():
            if k not in buffers:
                out[k] = v
        out = out.transpose(*[d for d in first_ds.dims if d in out.dims])
        out.attrs = dict(first_ds.attrs)
        if "history" in first.attrs:
            out.attrs["history"] = _merge_histories(histories)
        if as_array:
            result = out["__result__"].transpose(*first.dims).rename(first.name)
            result.attrs = dict(out.attrs)
            return result
        return out

    def to_json(self) -> str:
        return json.dumps([s.to_dict() for s in self.steps])

    @classmethod
    def from_json(cls, text: str) -> Pipeline:
        return cls([step_from_dict(s) for s in json.loads(text)])

    @classmethod
    def from_history(cls, history: Iterable[dict]) -> Pipeline:
        """Rebuild the pipeline recorded in a result's ``attrs['history']``."""
        return cls([step_from_dict(s) for s in history])
