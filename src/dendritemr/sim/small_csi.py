"""A small simulated CSI study: seconds to simulate, for MRI tests, benchmarks and examples.

One definition of the scenario that ``tests/mri`` and ``benchmarks/score_mri_sim.py`` simulate
(and the CLI examples' test): the default scenario (``default_scenario.toml``) cut down to a
300 um pellet, a 60 um wide section and 6 h of plating, with natural-abundance Li everywhere
(electrodes too), so a 7Li image counts all the metal; 7Li CSI of 32 x 4 voxels x 128
spectral points (the default every-h and SNR of :class:`~dendritemr.sim.observables.settings.
CsiSettings` unless given).
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["SMALL_CSI_CHANGES", "SMALL_CSI_MATRIX", "small_csi_scenario", "simulate_small_csi"]

#: changes to the default scenario (dotted keys of ``Scenario.updated``)
SMALL_CSI_CHANGES = {
    "geometry.thickness_um": 300.0,
    "geometry.width_um": 60.0,
    "protocol.max_time_h": 6.0,
    "isotopes.rest_h": 0.5,
    "isotopes.electrode_x6": 0.0759,  # natural Li (physics.LI6_NATURAL_FRACTION)
}

#: CSI matrix of the small study (``CsiSettings`` keys)
SMALL_CSI_MATRIX = {"matrix_z": 32, "matrix_x": 4, "spectral_points": 128}


def small_csi_scenario():
    """The small cell: :data:`SMALL_CSI_CHANGES` applied to the default scenario
    (:class:`dendritemr.sim.scenario.Scenario`)."""
    from dendritemr.sim.scenario import load_scenario

    return load_scenario().updated(**SMALL_CSI_CHANGES)


def simulate_small_csi(out: str | Path, seed: int, **csi) -> dict:
    """Simulate the small CSI study into ``out`` (a study folder as ``dendritemr simulate``
    writes it) and return its ground truth (``ground_truth.json``).

    ``csi``: further :class:`~dendritemr.sim.observables.settings.CsiSettings` (e.g.
    ``every_h``, ``snr``; they override :data:`SMALL_CSI_MATRIX`).

    Raises
    ------
    DendriteMRError : the output folder cannot be written.
    """
    from dendritemr.sim.observables.settings import CsiSettings, ObservationSettings
    from dendritemr.sim.study import simulate

    out = Path(out)
    settings = {**SMALL_CSI_MATRIX, **csi}
    observation = ObservationSettings(csi=CsiSettings(**settings))
    simulate(small_csi_scenario(), out, seed=seed, observation=observation)
    return json.loads((out / "ground_truth.json").read_text())
