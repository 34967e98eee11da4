"""New-user test (stop 12): a boundary between two stages of one name is drawn.

The real TEGDME study (7Li only) has three `mixed-growth` stages (-0.42 to -0.02, -0.02 to
0.30, 0.30 to 3.72 h, with rates 4.78, 1.12 and 2.64 umol/h); the report drew them as one band
on every time axis, so the two boundaries of its stage table were nowhere in the figures.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from dendritemr.report.figures import metal_panel  # noqa: E402
from dendritemr.report.html import render_html  # noqa: E402
from dendritemr.report.static import _stages  # noqa: E402
from dendritemr.report.style import STAGE_BOUNDARY, same_name_boundaries  # noqa: E402

STAGES = [
    {"name": "mixed-growth", "start_h": -0.42, "end_h": -0.02, "rates": {}},
    {"name": "mixed-growth", "start_h": -0.02, "end_h": 0.30, "rates": {}},
    {"name": "mixed-growth", "start_h": 0.30, "end_h": 2.5, "rates": {}},
    {"name": "stall", "start_h": 2.5, "end_h": 3.72, "rates": {}},
]


def _doc():
    t = np.linspace(-0.42, 3.72, 12)
    total = 7.4 + 2.8 * (t + 0.42)
    return {
        "schema": "dendritemr.results/1",
        "time_h": t.tolist(),
        "metal_umol": {"total": total.tolist(), "total_err": [0.2] * t.size},
        "stages": STAGES,
        "short_circuit_h": None,
    }


def test_boundaries_between_stages_of_one_name():
    assert same_name_boundaries(STAGES) == [-0.02, 0.30]  # not 2.5: there the name changes
    assert same_name_boundaries(STAGES[:1]) == []


def test_interactive_and_static_figures_draw_them():
    doc = _doc()
    fig = metal_panel(doc).figure
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert sorted(s.x0 for s in lines) == [-0.02, 0.30]
    assert {s.line.color for s in lines} == {STAGE_BOUNDARY["color"]}
    bands = [(s.x0, s.x1) for s in fig.layout.shapes if s.type == "rect"]
    assert bands == [(s["start_h"], s["end_h"]) for s in STAGES]
    fig_s, ax = plt.subplots()
    _stages(ax, doc)
    xs = sorted(line.get_xdata()[0] for line in ax.get_lines())
    plt.close(fig_s)
    assert xs == [-0.02, 0.30]
    assert "boundary between two stages of one name" in render_html(doc, {}, panels=[])
