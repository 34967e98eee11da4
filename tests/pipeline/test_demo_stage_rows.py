"""The demo's stage table: a short found a little early is not a stage difference (stop 13:
the table ended with '* 33.65 - 33.66  -  shorted'); other gaps still are."""

from __future__ import annotations

from dendritemr.demo import stage_rows


def _st(*rows):
    return [{"name": n, "start_h": a, "end_h": b} for n, a, b in rows]


def test_shorted_runs_to_the_end_of_either_table():
    found = _st(
        ("stall", 0.0, 32.51), ("interface-growth", 32.51, 33.51), ("shorted", 33.51, 33.647)
    )
    true = _st(
        ("stall", 0.0, 32.51), ("interface-growth", 32.51, 33.51), ("shorted", 33.51, 33.661)
    )
    rows = stage_rows(found, true)[1:]
    assert len(rows) == 3 and not any(r.lstrip().startswith("*") for r in rows), rows
    assert rows[-1].split()[-2:] == ["shorted", "shorted"] and "33.66" in rows[-1]


def test_a_stage_missing_at_the_end_is_still_marked():
    found = _st(("stall", 0.0, 10.0))
    true = _st(("stall", 0.0, 10.0), ("interface-growth", 10.0, 12.0))
    rows = stage_rows(found, true)[1:]
    assert rows[-1].lstrip().startswith("*") and rows[-1].split()[-2:] == ["-", "interface-growth"]
