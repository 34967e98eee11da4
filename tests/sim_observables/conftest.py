"""A small simulated study shared by the observables tests."""

from __future__ import annotations

import pytest

from dendritemr.sim.scenario import load_scenario

SMALL = {
    "geometry.thickness_um": 300.0,
    "geometry.width_um": 60.0,
    "protocol.max_time_h": 5.0,
    "isotopes.rest_h": 2.0,
}


@pytest.fixture(scope="session")
def small_scenario():
    return load_scenario().updated(**SMALL)


@pytest.fixture(scope="session")
def study(tmp_path_factory, small_scenario):
    from dendritemr.sim.observables.settings import CsiSettings, ObservationSettings
    from dendritemr.sim.study import simulate

    obs = ObservationSettings(
        csi=CsiSettings(every_h=2.0, matrix_z=32, matrix_x=4, spectral_points=128)
    )

    out = tmp_path_factory.mktemp("study") / "s"
    truth = simulate(small_scenario, out, seed=3, observation=obs)
    return out, truth
