"""A small simulated CSI study shared by the MRI tests (a module, like tests/quant/pairgen.py)."""

from __future__ import annotations

import json
from pathlib import Path


def simulate_small_csi_study(out: Path, seed: int, **csi) -> dict:
    """A small simulated natural-Li cell (300 um pellet, 60 um wide, 6 h) with 7Li CSI scans of
    32 x 4 voxels x 128 spectral points (``csi``: further ``CsiSettings``, e.g. ``every_h``,
    ``snr``) written to ``out``; returns its ground truth. Natural Li: the 7Li image counts all
    the metal."""
    from dendritemr.sim.observables.settings import CsiSettings, ObservationSettings
    from dendritemr.sim.scenario import load_scenario
    from dendritemr.sim.study import simulate

    scenario = load_scenario().updated(
        **{
            "geometry.thickness_um": 300.0,
            "geometry.width_um": 60.0,
            "protocol.max_time_h": 6.0,
            "isotopes.rest_h": 0.5,
            "isotopes.electrode_x6": 0.0759,
        }
    )
    settings = {"matrix_z": 32, "matrix_x": 4, "spectral_points": 128, **csi}
    simulate(scenario, out, seed=seed, observation=ObservationSettings(csi=CsiSettings(**settings)))
    return json.loads((out / "ground_truth.json").read_text())
