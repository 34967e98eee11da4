"""Contract every processing step honours (in the style of pybaselines' base tests).

Input not mutated; repeat calls identical; a series gives the same result as each spectrum
alone; a reversed (ascending) ppm axis gives the same spectrum, reversed; NaN input rejected
with a clear error; history appended and the step round-trips through JSON.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from dendritemr.errors import ProcessingError
from dendritemr.model import get_history, make_fid_series
from dendritemr.nmr import (
    AutoPhase,
    DCOffset,
    DigitalFilter,
    ExponentialApodization,
    FourierTransform,
    GaussianApodization,
    LinePhase,
    Magnitude,
    Phase,
    PolynomialBaseline,
    PybaselinesBaseline,
    Reference,
    Truncate,
    WindowPhase,
    ZeroFill,
    step_from_dict,
)


def _fids(n_rows=3, n=1024, seed=0):
    rng = np.random.default_rng(seed)
    sw, bf = 50_000.0, 116.66
    t = np.arange(n) / sw
    rows = []
    for k in range(n_rows):
        fid = (1 + 0.2 * k) * np.exp(2j * np.pi * (250 * bf - 15_000) * t - 300 * t)
        fid += 2 * np.exp(2j * np.pi * (0 * bf - 15_000) * t - 200 * t + 0.5j)
        rows.append(fid + 0.01 * (rng.standard_normal(n) + 1j * rng.standard_normal(n)))
    attrs = {
        "nucleus": "7Li",
        "sw_hz": sw,
        "sfo1_mhz": bf + 0.015,
        "bf1_mhz": bf,
        "sf_mhz": bf,
        "group_delay": 12.3,
    }
    return make_fid_series(np.array(rows), 1 / sw, None, attrs)


def _spectra(n_rows=3):
    fid = _fids(n_rows)
    return FourierTransform()(ZeroFill(2048)(DigitalFilter()(fid)))


FID_STEPS = [
    DCOffset(),
    DigitalFilter(),
    DigitalFilter(rounding="nearest"),
    Truncate(points=700),
    ExponentialApodization(lb_hz=20.0),
    GaussianApodization(gb_hz=30.0),
    ZeroFill(size=2048),
    FourierTransform(),
]
SPECTRUM_STEPS = [
    Phase(p0_deg=30.0, p1_deg=-20.0, pivot_ppm=100.0),
    AutoPhase(mode="each"),
    LinePhase(windows=[(200.0, 300.0), (-30.0, 30.0)]),
    LinePhase(windows=[(200.0, 300.0)], method="acme"),
    PolynomialBaseline(order=2, regions=[(60.0, 180.0), (-200.0, -60.0)]),
    PolynomialBaseline(order=3, regions="auto"),
    PybaselinesBaseline(method="modpoly", params={"poly_order": 2}),
    Reference(observed_ppm=1.0, reference_ppm=0.0),
    Magnitude(),
    Magnitude(power=True),
    WindowPhase(),
    WindowPhase(reference=None, order=1, flank_ppm=40.0),
]
ALL = [(s, _fids) for s in FID_STEPS] + [(s, _spectra) for s in SPECTRUM_STEPS]
IDS = [type(s).__name__ + str(i) for i, (s, _) in enumerate(ALL)]


@pytest.mark.parametrize(("step", "make"), ALL, ids=IDS)
def test_input_not_mutated_and_repeatable(step, make):
    data = make()
    before = data.copy(deep=True)
    first, second = step(data), step(data)
    xr.testing.assert_identical(data, before)
    xr.testing.assert_equal(first, second)


@pytest.mark.parametrize(("step", "make"), ALL, ids=IDS)
def test_series_equals_each_alone(step, make):
    data = make()
    whole = step(data)
    for i in range(data.sizes["time"]):
        alone = step(data.isel(time=[i]))
        np.testing.assert_allclose(whole.values[i], alone.values[0], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("step", SPECTRUM_STEPS, ids=[type(s).__name__ for s in SPECTRUM_STEPS])
def test_ascending_axis_gives_reversed_result(step):
    spectra = _spectra()
    ascending = spectra.isel(ppm=slice(None, None, -1))
    a, b = step(spectra), step(ascending)
    # AutoPhase's optimiser sees sums in another order: agree to 0.01 degree, not to rounding
    tol = 2e-4 if isinstance(step, AutoPhase) else 1e-7
    np.testing.assert_allclose(a.values, b.values[:, ::-1], rtol=tol, atol=tol * abs(a).max())


@pytest.mark.parametrize(("step", "make"), ALL, ids=IDS)
def test_nan_rejected_with_clear_error(step, make):
    data = make().copy()
    data.values[1, 5] = np.nan
    with pytest.raises(ProcessingError, match="non-finite"):
        step(data)


@pytest.mark.parametrize(("step", "make"), ALL, ids=IDS)
def test_history_appended_and_json_round_trip(step, make):
    data = make()
    out = step(data)
    history = get_history(out)
    assert len(history) == len(get_history(data)) + 1
    assert history[-1]["step"] == step.name
    rebuilt = step_from_dict(json.loads(json.dumps(history[-1])))
    xr.testing.assert_allclose(rebuilt(data), out)


def test_wrong_dimension_is_a_clear_error():
    with pytest.raises(ProcessingError, match="needs dimension 'ppm'"):
        Phase(p0_deg=10)(_fids())
