"""score(): analyses made from a truth by known perturbations give the known numbers."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from dendritemr.errors import DataError
from dendritemr.results_schema import load_results, score, validate


def _truth(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 20.0, 41)
    inter = np.cumsum(rng.uniform(0.0, 1.0, t.size))
    bulk = np.where(t > 8, (t - 8) * rng.uniform(0.5, 1.5), 0.0)
    total = inter + bulk
    x6 = (0.95 * inter + 0.08 * bulk) / total
    return {
        "schema": "dendritemr.results/1",
        "time_h": t.tolist(),
        "metal_umol": {"interface": inter.tolist(), "bulk": bulk.tolist()},
        "x6_metal": x6.tolist(),
        "interface_fraction": (inter / total).tolist(),
        "stages": [
            {"name": "interface-growth", "start_h": 0.0, "end_h": 3.0},
            {"name": "stall", "start_h": 3.0, "end_h": 8.0},
            {"name": "bulk-nucleation", "start_h": 8.0, "end_h": 19.0},
            {"name": "shorted", "start_h": 19.0, "end_h": 20.0},
        ],
        "short_circuit_h": 19.0,
        "end_h": 20.0,
    }


def test_identity_scores_zero():
    truth = _truth()
    s = score(truth, truth)
    assert s["metal_interface_rmse_umol"] == 0.0 and s["x6_metal_mae"] == 0.0
    assert s["stage_boundary_errors_h"] == [0.0, 0.0, 0.0]
    assert s["stage_boundary_spurious_errors_h"] == [0.0, 0.0, 0.0]
    assert s["short_circuit_error_h"] == 0.0 and s["short_circuit_within_interval"] == 1.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_known_perturbations(seed):
    rng = np.random.default_rng(seed + 10)
    truth = _truth(seed)
    res = copy.deepcopy(truth)
    scale = float(rng.uniform(0.05, 0.2))
    shift_x6 = float(rng.uniform(0.01, 0.05))
    shift_stage = float(rng.uniform(0.2, 0.9))
    shift_short = float(rng.uniform(0.1, 0.4))
    inter = np.array(truth["metal_umol"]["interface"])
    res["metal_umol"]["interface"] = (inter * (1 + scale)).tolist()
    res["x6_metal"] = (np.array(truth["x6_metal"]) + shift_x6).tolist()
    res["interface_fraction"] = (np.array(truth["interface_fraction"]) - shift_x6).tolist()
    for st in res["stages"][1:]:
        st["start_h"] += shift_stage
    for a, b in zip(res["stages"][:-1], res["stages"][1:], strict=True):
        a["end_h"] = b["start_h"]
    res["short_circuit_h"] = truth["short_circuit_h"] + shift_short
    s = score(res, truth)
    rmse = scale * np.sqrt(np.mean(inter**2))
    assert s["metal_interface_rmse_umol"] == pytest.approx(rmse, rel=1e-9)
    assert s["metal_interface_nrmse"] == pytest.approx(rmse / inter.max(), rel=1e-9)
    assert s["metal_bulk_rmse_umol"] == 0.0
    assert s["x6_metal_mae"] == pytest.approx(shift_x6, rel=1e-9)
    assert s["interface_fraction_mae"] == pytest.approx(shift_x6, rel=1e-9)
    assert s["stage_stall_start_error_h"] == pytest.approx(shift_stage)
    assert s["stage_interface-growth_start_error_h"] == 0.0
    np.testing.assert_allclose(s["stage_boundary_errors_h"], shift_stage)
    assert s["stage_boundary_max_error_fraction"] == pytest.approx(shift_stage / 20.0)
    # the shorted stage (1 h) lasts two 0.5 h intervals: every boundary is resolvable
    assert s["stage_boundary_resolvable_max_error_fraction"] == pytest.approx(shift_stage / 20.0)
    assert s["short_circuit_error_h"] == pytest.approx(shift_short)
    assert s["short_circuit_within_interval"] == 1.0  # spacing 0.5 h


def test_coverage_counts_points_within_two_errors():
    truth = _truth()
    res = copy.deepcopy(truth)
    n = len(truth["time_h"])
    x6 = np.array(truth["x6_metal"])
    res["x6_metal"] = (x6 + 0.01).tolist()
    err = np.where(np.arange(n) % 4 == 0, 0.01, 0.004)  # 2 x 0.01 covers, 2 x 0.004 does not
    res["x6_metal_err"] = err.tolist()
    s = score(res, truth)
    assert s["x6_metal_coverage"] == pytest.approx(np.mean(np.arange(n) % 4 == 0))


def test_interpolates_truth_onto_analysis_times():
    truth = _truth()
    t = np.array(truth["time_h"])
    res = copy.deepcopy(truth)
    mid = 0.5 * (t[1:] + t[:-1])
    inter = np.interp(mid, t, truth["metal_umol"]["interface"])
    res["time_h"] = mid.tolist()
    res["metal_umol"] = {
        "interface": inter.tolist(),
        "bulk": np.interp(mid, t, truth["metal_umol"]["bulk"]).tolist(),
    }
    for key in ("x6_metal", "interface_fraction"):
        res[key] = np.interp(mid, t, truth[key]).tolist()
    s = score(res, truth)
    assert s["metal_interface_rmse_umol"] == pytest.approx(0.0, abs=1e-12)


def test_boundaries_of_stages_shorter_than_two_intervals_are_not_resolvable():
    truth = _truth()
    truth["stages"].insert(2, {"name": "mixed-growth", "start_h": 8.0, "end_h": 8.6})
    truth["stages"][3]["start_h"] = 8.6
    res = copy.deepcopy(_truth())
    s = score(res, truth)
    assert len(s["stage_boundary_errors_h"]) == 4
    assert s["stage_boundary_max_error_fraction"] == pytest.approx(0.6 / 20)
    # 3.0 (stall start) and 19.0 (shorted) remain; both analysis boundaries exact
    assert s["stage_boundary_resolvable_max_error_fraction"] == 0.0


def test_short_disagreement_and_missing_boundaries():
    truth = _truth()
    res = copy.deepcopy(truth)
    res["short_circuit_h"] = None
    res["stages"] = [{"name": "interface-growth", "start_h": 0.0, "end_h": 20.0}]
    s = score(res, truth)
    assert s["short_circuit_agrees"] == 0.0 and s["short_circuit_within_interval"] is None
    assert s["stage_boundary_errors_h"] == [float("inf")] * 3


def test_load_results_rejects_missing_schema(tmp_path):
    doc = _truth()
    del doc["schema"]
    f = tmp_path / "r.json"
    f.write_text(json.dumps(doc))
    with pytest.raises(DataError, match="schema must be 'dendritemr.results/1'"):
        load_results(f)
    validate(_truth())


def test_a_spurious_analysis_stage_counts_in_the_other_direction():
    truth = _truth()
    res = copy.deepcopy(truth)
    # an extra stall inside the bulk-nucleation stage, 12-14 h: every true boundary is still
    # found exactly, but the analysis has two boundaries 4 h and 5 h from any true one
    bulk = res["stages"][2]
    res["stages"][2:3] = [
        {"name": "bulk-nucleation", "start_h": 8.0, "end_h": 12.0},
        {"name": "stall", "start_h": 12.0, "end_h": 14.0},
        {"name": "bulk-nucleation", "start_h": 14.0, "end_h": bulk["end_h"]},
    ]
    s = score(res, truth)
    assert s["stage_boundary_max_error_fraction"] == 0.0
    assert s["stage_boundary_spurious_errors_h"] == [0.0, 0.0, 4.0, 5.0, 0.0]
    assert s["stage_boundary_spurious_max_error_fraction"] == pytest.approx(5.0 / 20.0)


@pytest.mark.parametrize("offset_h", [4e-8, -4e-8])
def test_shorted_boundary_on_the_last_point_survives_clock_round_off(offset_h):
    # the truth's `shorted` stage starts at its last time point before the short; an analysis
    # reads its time points back from the raw files, ~4e-8 h off (simulated studies): the
    # boundary lay just outside the analysed span and was dropped from the score
    truth = _truth()
    t = np.array(truth["time_h"])[:39]  # last point 19.0 h, the short at 19.4 h
    for key in ("x6_metal", "interface_fraction"):
        truth[key] = truth[key][:39]
    truth["metal_umol"] = {k: v[:39] for k, v in truth["metal_umol"].items()}
    truth["time_h"] = t.tolist()
    truth["stages"][-2]["end_h"] = 19.0
    truth["stages"][-1] = {"name": "shorted", "start_h": 19.0, "end_h": 19.4}
    truth["short_circuit_h"], truth["end_h"] = 19.4, 19.4
    res = copy.deepcopy(truth)
    res["time_h"] = (t - offset_h).tolist()
    for s in res["stages"]:
        s["start_h"] = max(s["start_h"] - offset_h, 0.0)
        s["end_h"] -= offset_h
    s = score(res, truth)
    assert len(s["stage_boundary_errors_h"]) == 3  # 3.0, 8.0 and the shorted 19.0
    assert max(s["stage_boundary_errors_h"]) == pytest.approx(abs(offset_h), abs=1e-12)
    assert len(s["stage_boundary_spurious_errors_h"]) == 3
    # a boundary well outside the analysed span is still left out
    res["time_h"] = res["time_h"][:31]  # to 15 h
    for key in ("x6_metal", "interface_fraction"):
        res[key] = res[key][:31]
    res["metal_umol"] = {k: v[:31] for k, v in res["metal_umol"].items()}
    assert len(score(res, truth)["stage_boundary_errors_h"]) == 2
