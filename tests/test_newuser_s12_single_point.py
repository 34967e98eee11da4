"""New-user test (stop 12): a one-spectrum study's metal shows its uncertainty.

With one time point the +-1 SE band is a polygon of no width: the report of a study of one
experiment (`[nmr.li7] path = "series/1"`) drew the point without any uncertainty.
"""

from __future__ import annotations

import numpy as np

from dendritemr.report.figures import metal_panel


def test_one_point_gets_an_error_bar_and_a_series_keeps_its_band():
    doc = {
        "schema": "dendritemr.results/1",
        "time_h": [0.04],
        "metal_umol": {"total": [7.42], "total_err": [0.23]},
    }
    fig = metal_panel(doc).figure
    line = next(tr for tr in fig.data if tr.name == "total")
    np.testing.assert_allclose(np.asarray(line.error_y.array, float), [0.23])
    doc = {
        "schema": "dendritemr.results/1",
        "time_h": [0.0, 0.5, 1.0],
        "metal_umol": {"total": [7.4, 7.9, 8.3], "total_err": [0.2, 0.2, 0.3]},
    }
    fig = metal_panel(doc).figure
    line = next(tr for tr in fig.data if tr.name == "total")
    assert line.error_y.array is None
    band = next(tr for tr in fig.data if tr.name == "total ±1 SE")
    np.testing.assert_allclose(np.asarray(band.y, float), [7.6, 8.1, 8.6, 8.0, 7.7, 7.2])
