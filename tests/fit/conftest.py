"""Synthetic Li-metal series with known truth for the fit tests."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from dendritemr.fit import Component, Param, SeriesModel, lorentzian

PPM = np.linspace(350.0, -50.0, 512)  # descending, as spectrometers plot it
TRUE_CENTER = np.array([245.0, 262.0, 1.5])  # electrode, microstructure, electrolyte (ppm)
TRUE_WIDTH = np.array([14.0, 6.0, 3.0])  # FWHM, ppm
TRUE_PHASE = np.array([0.3, 0.0, 0.0])  # rad


def series_truth(n: int) -> dict[str, np.ndarray]:
    """Per-spectrum truth: microstructure grows, electrode and electrolyte constant."""
    area = np.column_stack([np.full(n, 40.0), np.linspace(5.0, 20.0, n), np.full(n, 30.0)])
    return {
        "area": area,
        "center": np.broadcast_to(TRUE_CENTER, (n, 3)).copy(),
        "width": np.broadcast_to(TRUE_WIDTH, (n, 3)).copy(),
        "phase": np.broadcast_to(TRUE_PHASE, (n, 3)).copy(),
        "eta": np.full((n, 3), 0.5),
    }


def synth(truth: dict[str, np.ndarray], ppm: np.ndarray = PPM) -> np.ndarray:
    """Noiseless spectra ``(n, n_ppm)`` of three Lorentzians."""
    return sum(
        lorentzian(
            ppm[None, :],
            truth["area"][:, c, None],
            truth["center"][:, c, None],
            truth["width"][:, c, None],
            truth["phase"][:, c, None],
        )
        for c in range(3)
    )


def metal_model(shared_widths: bool = False, baseline: str = "linear") -> SeriesModel:
    """Electrode (free phase), microstructure and electrolyte lines, started off the truth."""
    vary = "shared" if shared_widths else "free"
    return SeriesModel(
        (
            Component("electrode", center=244.0, width=Param(12.0, vary), phase=Param(0.1, vary)),
            Component("microstructure", center=263.0, width=Param(5.0, vary)),
            Component("electrolyte", center=1.0, width=Param(2.5, vary)),
        ),
        baseline=baseline,
    )


@pytest.fixture(scope="session")
def tools() -> SimpleNamespace:
    """Truth generators and the standard model, for tests in this folder."""
    return SimpleNamespace(ppm=PPM, series_truth=series_truth, synth=synth, metal_model=metal_model)
