"""Stage rule: route growth against an ideal observer's detection limit (analytic checks)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dendritemr.sim.cell.stages import label_steps, observer_stages, stage_intervals
from dendritemr.sim.observables.detection import route_detection


def test_labels_follow_detectable_growth():
    # interface grows 1 umol/h until 2 h; bulk 0.5 umol/h from 4 to 6 h; window 1 h,
    # thresholds 0.35 and 0.25 umol: the rise over the window crosses them at known times
    t = np.round(np.arange(1, 101) * 0.1, 10)
    itf = np.minimum(t, 2.0)
    bulk = 0.5 * np.clip(t - 4.0, 0.0, 2.0)
    lab = label_steps(t, itf, bulk, np.zeros(t.size, bool), 1.0, 0.35, 0.25)
    got = [
        (s["name"], round(s["start_h"], 1), round(s["end_h"], 1)) for s in stage_intervals(t, lab)
    ]
    # interface: rise min(t, 1) > 0.35 from t = 0.4; after 2 h the rise 3 - t > 0.35 to 2.6
    # bulk: 0.5 (t - 4) > 0.25 from t = 4.6; after 6 h 0.5 (7 - t) > 0.25 to t = 6.4
    # (a step labels the interval since the previous step)
    assert got == [
        ("stall", 0.0, 0.3),
        ("interface-growth", 0.3, 2.6),
        ("stall", 2.6, 4.5),
        ("bulk-nucleation", 4.5, 6.4),
        ("stall", 6.4, 10.0),
    ]


def test_mixed_and_shorted_and_undetectable():
    t = np.arange(1, 21) * 0.25
    lab = label_steps(t, t, t, t > 4.6, 1.0, 0.5, np.inf)
    assert set(lab[(t > 0.5) & (t <= 4.6)]) == {"interface-growth"}  # bulk never detectable
    assert lab[-1] == "shorted"
    lab = label_steps(t, t, t, np.zeros(t.size, bool), 1.0, 0.5, 0.5)
    assert lab[-1] == "mixed-growth"


def test_detection_limit_scales_with_snr(small_run):
    obs = small_run.scenario.observation()
    base = route_detection(small_run, obs)
    twice = dataclasses.replace(
        obs,
        li7=dataclasses.replace(obs.li7, snr=2 * obs.li7.snr),
        li6=dataclasses.replace(obs.li6, snr=2 * obs.li6.snr),
    )
    det = route_detection(small_run, twice)
    # white noise sigma ~ 1/SNR and the Cramer-Rao bound ~ sigma: every error halves exactly
    for name in ("sigma_interface_umol", "sigma_bulk_umol", "sigma_li7_umol", "sigma_li6_umol"):
        assert getattr(det, name) == pytest.approx(getattr(base, name) / 2, rel=1e-9)
    assert 0 < base.sigma_bulk_umol < np.inf


def test_no_isotope_contrast_no_route_detection(make_small):
    from dendritemr.sim.cell import run

    res = run(make_small(**{"isotopes.electrode_x6": 0.0759, "protocol.max_time_h": 2.0}))
    det = route_detection(res, res.scenario.observation())
    assert det.sigma_bulk_umol == np.inf and det.sigma_interface_umol == np.inf
    assert res.detection["threshold_bulk_umol"] is None
    assert {s["name"] for s in res.stages} == {"stall"}


def test_observer_stages_on_the_measurement_grid():
    # measurements every 0.5 h; interface 1 umol/h to 2 h, bulk 0.5 umol/h from 4 to 6 h;
    # window 1 h, thresholds 0.35 / 0.25 umol (as above, now seen only at the time points:
    # at 6.5 h the bulk rose by 1.0 - 0.75 = 0.25, not more than its threshold)
    t = np.arange(1, 17) * 0.5
    itf = np.minimum(t, 2.0)
    bulk = 0.5 * np.clip(t - 4.0, 0.0, 2.0)
    got = observer_stages(t, itf, bulk, 8.2, False, 1.0, 0.35, 0.25)
    assert [(s["name"], s["start_h"], s["end_h"]) for s in got] == [
        ("interface-growth", 0.0, 2.5),
        ("stall", 2.5, 4.5),
        ("bulk-nucleation", 4.5, 6.0),
        ("stall", 6.0, 8.2),
    ]
    # a short at 7.3 h: the interval since the last measurement (7.0 h) is "shorted"
    got = observer_stages(t, itf, bulk, 7.3, True, 1.0, 0.35, 0.25)
    assert got[-1] == {"name": "shorted", "start_h": 7.0, "end_h": 7.3}
    # growth that only exceeds its threshold between two measurements is not a stage
    t_fine = np.arange(1, 161) * 0.05
    blip = 0.3 * np.exp(-(((t_fine - 3.25) / 0.05) ** 2))  # 0.3 umol bump between 3.0 and 3.5 h
    lab = label_steps(t_fine, np.zeros_like(t_fine), blip, np.zeros(160, bool), 1.0, 1, 0.25)
    assert "bulk-nucleation" in set(lab)
    coarse = observer_stages(
        t, np.zeros_like(t), np.interp(t, t_fine, blip), 8.0, False, 1, 1, 0.25
    )
    assert [s["name"] for s in coarse] == ["stall"]
