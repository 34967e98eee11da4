"""New-user test (stop 12): the report's score table gives times to 0.001 h.

The demo's report listed `stage_bulk-nucleation_start_error_h -3.897e-08` and
`stage_boundary_errors_h [5.5, 4.5, 3.897e-08, ...]`: float residues of boundaries that agree
exactly, in a table a reader scans for large numbers.
"""

from __future__ import annotations

from dendritemr.report.html import render_html


def test_hours_in_the_score_table():
    doc = {
        "schema": "dendritemr.results/1",
        "time_h": [0.0, 1.0],
        "score": {
            "stage_bulk-nucleation_start_error_h": -3.896733691277632e-08,
            "stage_interface-growth_start_error_h": 32.499999961032664,
            "short_circuit_error_h": -0.013754436126184544,
            "stage_boundary_errors_h": [5.499999961032662, 3.896733691277632e-08],
            "x6_metal_mae": 0.015859908454348065,
        },
    }
    page = render_html(doc, {}, panels=[])
    table = page[page.index("id='score'") :]
    cells = {
        k: table[table.index(f"({k})" if k == "x6_metal_mae" else k) :].split("<td class='num'>")[1]
        for k in doc["score"]
    }
    got = {k: v[: v.index("</td>")] for k, v in cells.items()}
    assert got == {
        "stage_bulk-nucleation_start_error_h": "0.000",
        "stage_interface-growth_start_error_h": "32.500",
        "short_circuit_error_h": "-0.014",
        "stage_boundary_errors_h": "[5.500, 0.000]",
        "x6_metal_mae": "0.01586",
    }
