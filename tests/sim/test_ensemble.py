"""Ensemble API: seeds x parameter points -> one Dataset; runs pure and written atomically."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dendritemr.sim.ensemble import ensemble, first_stage_summary, run_truth, x6_move

#: A tiny cell; the surface-damage profile is given (30 um / 20 um e-folding) so that both
#: seeds grow interface metal within 3 h whatever the default's profile (with a P1200 face,
#: 15 / 7.5 um, seed 2 of this 40 um section grows none in 3 h at either current).
CHANGES = {
    "geometry.thickness_um": 200.0,
    "geometry.width_um": 40.0,
    "protocol.max_time_h": 3.0,
    "isotopes.rest_h": 0.5,
    "llzo.surface_flaw_um": 30.0,
    "llzo.surface_damage_depth_um": 20.0,
}


@pytest.fixture(scope="module")
def tiny(make_small):
    return make_small(**CHANGES)


def test_ensemble_dataset_matches_single_runs(tiny, tmp_path):
    points = {"protocol.current_density_mA_cm2": [0.3, 0.6]}
    ds = ensemble(tiny, [1, 2], points=points, out_dir=tmp_path)
    assert dict(ds.sizes) == {"point": 2, "seed": 2, "time": ds.sizes["time"]}
    np.testing.assert_array_equal(ds["param_protocol__current_density_mA_cm2"], [0.3, 0.6])
    # each cell of the dataset is the pure single run of that scenario and seed
    one = run_truth(tiny.updated(**{"protocol.current_density_mA_cm2": 0.6}), 2)
    t = np.asarray(one["time_h"])
    got = ds.bulk_umol.sel(point=1, seed=2).values[: t.size]
    np.testing.assert_allclose(got, one["metal_umol"]["bulk"], rtol=0, atol=0)
    assert float(ds.end_h.sel(point=1, seed=2)) == one["end_h"]
    # CPU time of each run is recorded beside its wall time
    assert np.all(ds.cpu_s.values > 0) and np.all(ds.runtime_s.values > 0)
    # higher current: more dendritic metal by the end of the same time
    total = (ds.interface_umol + ds.bulk_umol).isel(time=t.size - 1)
    assert np.all(total.sel(point=1) > total.sel(point=0))
    # one JSON per run, no temporary files left
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [f"point{p}_seed{s}.json" for p in (0, 1) for s in (1, 2)]
    assert json.loads((tmp_path / "point1_seed2.json").read_text())["seed"] == 2


def test_ensemble_reuses_written_runs(tiny, tmp_path):
    ds1 = ensemble(tiny, [3], out_dir=tmp_path)
    path = tmp_path / "point0_seed3.json"
    doc = json.loads(path.read_text())
    doc["end_h"] = 123.0  # a finished run is not repeated
    path.write_text(json.dumps(doc))
    ds2 = ensemble(tiny, [3], out_dir=tmp_path)
    assert float(ds2.end_h.squeeze()) == 123.0
    assert float(ds1.end_h.squeeze()) != 123.0


def test_first_stage_summary():
    t = np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
    itf = np.array([0.5, 1.0, 1.0, 1.0, 1.0, 1.0])
    bulk = np.array([0.0, 0.0, 0.0, 0.2, 0.5, 0.5])
    stages = [
        {"name": "interface-growth", "start_h": 0.0, "end_h": 1.0},
        {"name": "stall", "start_h": 1.0, "end_h": 1.5},
        {"name": "bulk-nucleation", "start_h": 1.5, "end_h": 2.5},
        {"name": "stall", "start_h": 2.5, "end_h": 3.0},
    ]
    out = first_stage_summary(t, itf, bulk, stages)
    assert out["sequence_ok"] and out["first_stall_h"] == 0.5
    assert out["bulk_share_first_bulk_end"] == pytest.approx(0.5 / 1.5)
    assert out["interface_fraction_span"] == pytest.approx(1 - 1 / 1.5)


def test_x6_move_two_end_members():
    # 1 umol of interface metal at x6 0.95; then 0.5 umol of bulk metal at 0.08 is added
    t = np.array([1.0, 2.0, 3.0])
    itf = np.array([1.0, 1.0, 1.0])
    bulk = np.array([0.0, 0.25, 0.5])
    x_i = np.array([0.95, 0.95, 0.95])
    x_b = np.array([np.nan, 0.08, 0.08])
    s6, s7 = 0.02, 0.05
    x0, x1, se = x6_move(t, itf, bulk, x_i, x_b, 1.0, 3.0, s6, s7)
    assert x0 == pytest.approx(0.95)
    x_end = (0.95 + 0.5 * 0.08) / 1.5
    assert x1 == pytest.approx(x_end)
    e0 = np.hypot(0.05 * s6, 0.95 * s7) / 1.0
    e1 = np.hypot((1 - x_end) * s6, x_end * s7) / 1.5
    assert se == pytest.approx((0.95 - x_end) / np.hypot(e0, e1))


def test_run_truth_pins_blas_during_the_run(tiny, monkeypatch):
    """Each run computes on SIM_BLAS_THREADS BLAS thread(s) and restores the setting after."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    import dendritemr.sim.cell as cell
    from dendritemr.sim.study import SIM_BLAS_THREADS

    def blas_threads_now():
        info = threadpoolctl.threadpool_info()
        return [p["num_threads"] for p in info if p["user_api"] == "blas"]

    before = blas_threads_now()
    if not before:
        pytest.skip("no BLAS library visible to threadpoolctl")
    seen = []
    real_run = cell.run

    def spying_run(scenario, progress=None):
        seen.append(blas_threads_now())
        return real_run(scenario, progress)

    monkeypatch.setattr(cell, "run", spying_run)
    run_truth(tiny, 1)
    assert seen == [[SIM_BLAS_THREADS] * len(before)]
    assert blas_threads_now() == before
