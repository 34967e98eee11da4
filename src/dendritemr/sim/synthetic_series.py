"""A small synthetic in situ 7Li series with known truth, written in TopSpin layout.

Lorentzian lines (Li metal electrode, growing Li microstructure, electrolyte) with a common
receiver phase and white noise. Used by ``dendritemr demo`` and by end-to-end tests of the
readers and processing until the cell forward model drives the spectra.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import numpy as np

from dendritemr.physics.nuclei import larmor_mhz
from dendritemr.sim.topspin_writer import (
    Acquisition,
    add_group_delay,
    int32_scale,
    write_experiment,
)


@dataclasses.dataclass
class Line:
    """One Lorentzian: centre and FWHM in ppm, area (intensity x ppm) at start and end."""

    name: str
    centre_ppm: float
    fwhm_ppm: float
    area_start: float
    area_end: float
    #: time constant of the change, as a fraction of the run (logistic mid-point at 0.4)
    rate: float = 0.12


DEFAULT_LINES = (
    Line("electrode", 245.0, 9.0, 1.0, 1.0),
    Line("microstructure", 262.0, 5.0, 0.02, 0.45),
    Line("electrolyte", 1.5, 4.0, 2.0, 1.8),
)


@dataclasses.dataclass
class SyntheticSeries:
    """Settings of the synthetic series (field in T, noise as a fraction of the first point)."""

    n_spectra: int = 24
    field_t: float = 7.05
    sw_ppm: float = 800.0
    td: int = 8192
    ns: int = 64
    d1_s: float = 1.0
    receiver_phase_deg: float = 37.0
    noise: float = 2e-3
    lines: tuple[Line, ...] = DEFAULT_LINES
    start: dt.datetime = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))

    def acquisition(self) -> Acquisition:
        bf1 = larmor_mhz("7Li", self.field_t)
        return Acquisition(
            "7Li", bf1, self.sw_ppm * bf1, self.td, o1_hz=130.0 * bf1, ns=self.ns, d1_s=self.d1_s
        )

    def areas(self) -> dict[str, np.ndarray]:
        """True area of each line at each time point (logistic change from start to end)."""
        x = np.linspace(0.0, 1.0, self.n_spectra)
        out = {}
        for line in self.lines:
            s = 1.0 / (1.0 + np.exp(-(x - 0.4) / line.rate))
            s = (s - s[0]) / (s[-1] - s[0])
            out[line.name] = line.area_start + (line.area_end - line.area_start) * s
        return out


def synthesize(cfg: SyntheticSeries, seed: int = 1) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Complex FIDs (n_spectra, td/2) with digital-filter delay, and the true line areas."""
    acq = cfg.acquisition()
    rng = np.random.default_rng(seed)
    n = acq.td // 2
    t = np.arange(n) / acq.sw_hz
    areas = cfg.areas()
    fids = np.zeros((cfg.n_spectra, n), complex)
    for line in cfg.lines:
        offset_hz = (line.centre_ppm * 1e-6 * acq.bf1_mhz * 1e6) - acq.o1_hz
        decay = np.exp(2j * np.pi * offset_hz * t - np.pi * line.fwhm_ppm * acq.bf1_mhz * t)
        # the first point of a FID of area A (intensity x ppm) is 2 A SF / SW
        first = 2.0 * areas[line.name] * acq.bf1_mhz / acq.sw_hz
        fids += first[:, None] * decay[None, :]
    fids *= np.exp(1j * np.deg2rad(cfg.receiver_phase_deg))
    sigma = cfg.noise * np.abs(fids[0, 0])
    fids += sigma * (rng.standard_normal(fids.shape) + 1j * rng.standard_normal(fids.shape))
    return add_group_delay(fids, acq.grpdly), areas


def write_series(folder: Path, cfg: SyntheticSeries, seed: int = 1) -> dict:
    """Write expnos 1..n in ``folder`` plus ``truth.json``; returns the truth."""
    folder = Path(folder)
    fids, areas = synthesize(cfg, seed)
    acq = cfg.acquisition()
    scale = int32_scale(fids)
    gap = dt.timedelta(seconds=3.0)
    start = cfg.start
    mids = []
    for i, fid in enumerate(fids):
        write_experiment(folder / str(i + 1), fid, acq, start, scale)
        mids.append(start + dt.timedelta(seconds=acq.duration_s / 2))
        start += dt.timedelta(seconds=acq.duration_s) + gap
    truth = {
        "times": [m.isoformat() for m in mids],
        "areas": {k: v.tolist() for k, v in areas.items()},
        "int32_scale": scale,
        "seed": seed,
    }
    (folder / "truth.json").write_text(json.dumps(truth, indent=1))
    return truth
