"""analyze holds each CSI scan's metal line shape at the NMR series' dendritic 7Li lines by
default (issue 13): on the small simulated study (``small_study_changes``: a 300 um pellet that
shorts after a few hours, 7Li CSI every 2 h), the first scan (0.1 h, before the series sees
dendritic 7Li) keeps the CSI's model choice, the later ones the series' shape interpolated
between the two NMR points around them, and results.json and mri.nc say which."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from dendritemr.cli import main
from dendritemr.pipeline import AnalyzeOptions, run_study, summary_text
from dendritemr.sim.presets import load_preset
from dendritemr.sim.study import simulate
from dendritemr.study import load_study


@pytest.fixture(scope="module")
def analysed(tmp_path_factory, small_study_changes):
    out = tmp_path_factory.mktemp("nmr-shape") / "study"
    truth = simulate(load_preset("high-current").updated(**small_study_changes), out, seed=3)
    doc, datasets = run_study(load_study(out), AnalyzeOptions(n_boot=0))
    return doc, datasets, truth


def test_analyze_holds_the_nmr_shape_by_default(analysed):
    doc, datasets, truth = analysed
    assert AnalyzeOptions().mri_nmr_shape is True
    m = doc["mri_images"]
    n = len(m["scans"])
    assert n == len(truth["mri"]) >= 3
    assert m["metal_model"][0] != "nmr"
    assert m["metal_shape_from"][0] == "model choice: no significant dendritic 7Li before the scan"
    assert m["metal_shape_nmr_h"][0] is None
    step = float(np.median(np.diff(doc["time_h"])))
    for j in range(1, n):
        assert m["metal_model"][j] == "nmr"
        assert m["metal_shape_from"][j].startswith("NMR series, interpolated (")
        h0, h1 = m["metal_shape_nmr_h"][j]
        assert h0 <= m["time_h"][j] <= h1 and h1 - h0 <= step + 1e-6  # the two around it
    mri = datasets["mri"]
    assert mri["metal_model"].values.tolist() == m["metal_model"]
    # the pellet faces (the report marks them on maps and profiles): 300 um apart
    assert mri.attrs["z_a_mm"] - mri.attrs["z_b_mm"] == pytest.approx(0.300, abs=0.03)
    shapes = json.loads(mri.attrs["metal_shape_lines"])
    assert shapes[0] is None
    for s in shapes[1:]:
        lines = np.array(s)
        assert lines.shape[1] == 3 and lines[:, 2].sum() > 0
        assert np.all(np.abs(lines[:, 0]) < 40) and np.all(lines[:, 1] > 0)
    # the totals of the scans with the shape against the simulator's truth (within 3 SE)
    for j in range(1, n):
        true = float(np.sum(truth["mri"][j]["metal_umol_map"]))
        assert abs(m["total_umol"][j] - true) < 3 * m["total_umol_err"][j]
    text = summary_text(doc)
    assert text.count("(metal line: NMR series)") == n - 1
    assert f"(metal line: model choice, {m['metal_model'][0]})" in text
    # the line table is the MRI step's input, not a per time point quantity of the timeline
    assert not [v for v in datasets["timeline"].data_vars if str(v).startswith("dendritic_")]


def test_cli_has_the_switch():
    out = CliRunner().invoke(main, ["analyze", "--help"])
    assert out.exit_code == 0 and "--no-mri-nmr-shape" in out.output
