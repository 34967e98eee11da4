"""The total metal's standard error with the electrode / microstructure covariance
(``decompose.metal_total``; issue 8, stop 16), on an independent generator (``pairgen.py``).

A skin-phased electrode line and an absorptive microstructure line 4.5 ppm above it trade area,
so the error of their sum is much smaller than their errors in quadrature. Forty spectra of the
same lines with fresh noise, fitted as one 7Li series: the scatter of the fitted totals about
their mean is the truth the reported errors must match.
"""

from __future__ import annotations

import numpy as np
import pairgen as pg
import pytest

from dendritemr.quant import decompose as D
from dendritemr.quant.run import fit_spectra

HOURS = np.arange(40.0)


def _lines(h):
    return [
        pg.GenLine("electrode", 247.0, 5.0, 1.0, 0.0759, bulk=True, phase_deg=-35.0),
        pg.GenLine("micro", 251.5, 8.0, 0.35, 0.0759),
        pg.GenLine("electrolyte", 1.5, 4.0, 3.0, 0.0759),
    ]


@pytest.fixture(scope="module")
def decomposition(tmp_path_factory):
    root = tmp_path_factory.mktemp("metal_total")
    paths = pg.write_series(root, _lines, HOURS, snr=100.0, seed=20261217)
    s7 = fit_spectra(paths["7Li"])
    return D.decompose([s7], n_micro=1, broad=False, baseline_drift="local")


def test_total_metal_error_carries_the_groups_covariance(decomposition):
    ds = decomposition
    m = D.metal_total(ds)
    tot, err = m["area"].values[0], m["area_err"].values[0]
    ga, ge = ds["group_area"].isel(nucleus=0), ds["group_area_err"].isel(nucleus=0)
    np.testing.assert_allclose(
        tot, ga.sel(group="electrode").values + ga.sel(group="microstructure").values
    )
    quad = np.hypot(ge.sel(group="electrode").values, ge.sel(group="microstructure").values)
    scatter = tot.std(ddof=1)
    print("scatter", scatter, "error", err.mean(), "quadrature", quad.mean())
    # measured: scatter / error 0.82, scatter / quadrature sum 0.59 (the quadrature sum
    # overstates the total's error; 40 draws: the sd of the scatter estimate is ~11 %)
    assert scatter / quad.mean() < 0.75
    assert 0.7 < scatter / err.mean() < 1.3
