"""The small simulated CSI study shared by the MRI tests: the package's one definition
(:mod:`dendritemr.sim.small_csi`, also used by ``benchmarks/score_mri_sim.py``)."""

from __future__ import annotations

from pathlib import Path

from dendritemr.sim.small_csi import simulate_small_csi


def simulate_small_csi_study(out: Path, seed: int, **csi) -> dict:
    """A small simulated natural-Li cell (300 um pellet, 60 um wide, 6 h) with 7Li CSI scans of
    32 x 4 voxels x 128 spectral points (``csi``: further ``CsiSettings``, e.g. ``every_h``,
    ``snr``) written to ``out``; returns its ground truth. Natural Li: the 7Li image counts all
    the metal."""
    return simulate_small_csi(out, seed, **csi)
