"""Pipelines: fused FID -> spectrum run, chunked and threaded runs, JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
from test_step_contract import _fids

from dendritemr.errors import ProcessingError
from dendritemr.model import get_history
from dendritemr.nmr import (
    AutoPhase,
    DCOffset,
    DigitalFilter,
    ExponentialApodization,
    FourierTransform,
    GaussianApodization,
    LinePhase,
    Phase,
    Pipeline,
    PolynomialBaseline,
    Truncate,
    ZeroFill,
    integrate_regions,
)
from dendritemr.nmr.fused import fusable_length

RUNS = [
    [
        DigitalFilter(),
        ExponentialApodization(10.0),
        ZeroFill(2048),
        FourierTransform(),
        Phase(20.0, 30.0),
    ],
    [
        DCOffset(),
        DigitalFilter(),
        Truncate(700),
        GaussianApodization(30.0),
        ExponentialApodization(10.0),
        ZeroFill(2048),
        FourierTransform(first_point=1.0),
        Phase(20.0, 30.0, 100.0),
        PolynomialBaseline(1, [(60.0, 180.0)]),
    ],
    [DigitalFilter(), FourierTransform(reverse=True)],
    [Truncate(600), ZeroFill(1024), FourierTransform(), Phase(-10.0)],
]


def _stepwise(steps, data):
    for step in steps:
        data = step(data)
    return data


@pytest.mark.parametrize("steps", RUNS)
def test_fused_run_equals_step_by_step(steps):
    data = _fids(4)
    fused, plain = Pipeline(steps)(data), _stepwise(steps, data)
    np.testing.assert_allclose(fused.values, plain.values, rtol=0, atol=1e-12 * abs(plain).max())
    np.testing.assert_array_equal(fused["ppm"].values, plain["ppm"].values)
    assert get_history(fused) == get_history(plain)
    assert fused.attrs["group_delay"] == plain.attrs["group_delay"] == 0.0


def test_fusable_length_stops_at_other_steps():
    assert fusable_length(RUNS[1][1:]) == 7
    assert fusable_length([DCOffset(), FourierTransform()]) == 0
    assert fusable_length([DigitalFilter(method="shift"), FourierTransform()]) == 0


def test_fused_run_keeps_step_errors():
    with pytest.raises(ProcessingError, match="zero_fill: size 100"):
        Pipeline([ZeroFill(100), FourierTransform()])(_fids(2))
    bad = _fids(2).copy()
    bad.values[0, 3] = np.nan
    with pytest.raises(ProcessingError, match="non-finite"):
        Pipeline(RUNS[0])(bad)


@pytest.mark.parametrize("threads", [1, 2])
def test_chunked_run_equals_whole_series(threads):
    data = _fids(10)
    steps = RUNS[1] + [LinePhase()]
    whole = Pipeline(steps)(data)
    chunked = Pipeline(steps)(data, chunk=3, threads=threads)
    xr.testing.assert_allclose(whole, chunked)
    h_whole, h_chunk = get_history(whole), get_history(chunked)
    assert [h["step"] for h in h_whole] == [h["step"] for h in h_chunk]
    np.testing.assert_allclose(h_whole[-1]["fitted"], h_chunk[-1]["fitted"])


def test_map_chunks_keeps_only_the_reduction():
    data = _fids(9)
    pipe = Pipeline(RUNS[0])
    regions = {"metal": (200.0, 300.0), "electrolyte": (-30.0, 30.0)}
    reduced = pipe.map_chunks(data, lambda s: integrate_regions(s, regions, (60.0, 180.0)), 4)
    direct = integrate_regions(pipe(data), regions, (60.0, 180.0))
    xr.testing.assert_allclose(reduced, direct)
    assert reduced["area"].dims == ("time", "region")


def test_series_wide_steps_run_unchunked():
    data = _fids(6)
    steps = RUNS[0] + [AutoPhase(mode="series")]
    assert Pipeline(steps)(data, chunk=2).equals(Pipeline(steps)(data))


def test_json_round_trip():
    pipe = Pipeline(RUNS[1])
    again = Pipeline.from_json(pipe.to_json())
    assert json.loads(again.to_json()) == json.loads(pipe.to_json())
    xr.testing.assert_identical(again(_fids(2)), pipe(_fids(2)))


def test_in_place_baseline_equals_step_by_step_and_spares_the_input():
    fids = _fids()
    front = [DigitalFilter(), ZeroFill(2048), FourierTransform(), Phase(10.0, 5.0)]
    baseline = PolynomialBaseline(order=2, regions=[(60.0, 180.0), (-200.0, -60.0)])
    whole = Pipeline([*front, baseline])(fids)
    spectra = Pipeline(front)(fids)
    before = spectra.copy(deep=True)
    np.testing.assert_allclose(whole.values, baseline(spectra).values, rtol=1e-12, atol=1e-12)
    xr.testing.assert_identical(spectra, before)
    # a pipeline whose first step may hand its input's memory on must not write into it
    from dendritemr.nmr import Reference

    again = Pipeline([Reference(observed_ppm=0.0, reference_ppm=0.0), baseline])(spectra)
    xr.testing.assert_identical(spectra, before)
    np.testing.assert_allclose(again.values, whole.values, rtol=1e-12, atol=1e-12)
