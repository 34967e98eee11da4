"""line_fids computes each distinct line decay once: the FID must equal the per-line sum
bit for bit (the metal cells' lines share a few shift/width pairs)."""

from __future__ import annotations

import numpy as np

from dendritemr.sim.observables.lines import Lines
from dendritemr.sim.observables.spectra import line_fids
from dendritemr.sim.topspin_writer import Acquisition


def _per_line(lines: Lines, acq: Acquisition, phase_deg: float) -> np.ndarray:
    n = acq.td // 2
    t = np.arange(n) / acq.sw_hz
    offset_hz = lines.ppm * acq.bf1_mhz - acq.o1_hz
    rate = 2j * np.pi * offset_hz - np.pi * lines.fwhm_ppm * acq.bf1_mhz
    fid = (lines.amplitude[:, None] * np.exp(rate[:, None] * t[None, :])).sum(axis=0)
    return fid * np.exp(1j * np.deg2rad(phase_deg))


def test_shared_decays_give_the_per_line_fid_bit_for_bit():
    rng = np.random.default_rng(3)
    m = 400
    pairs = np.array([[260.0, 8.0], [262.5, 12.0], [1.2, 2.0], [250.0, 30.0]])
    pick = rng.integers(0, pairs.shape[0], m)
    ppm, fwhm = pairs[pick, 0], pairs[pick, 1]
    ppm[:5] = rng.uniform(240, 270, 5)  # a few lines of their own
    amp = rng.normal(size=m) * np.exp(1j * rng.uniform(0, 0.3, m))
    lines = Lines(np.full(m, "interface"), ppm, fwhm, amp, np.zeros(m, int), np.zeros(m, int))
    acq = Acquisition("7Li", 116.6, 50_000.0, 2048, o1_hz=100.0 * 116.6)
    got = line_fids(lines, acq, 25.0)
    np.testing.assert_array_equal(got, _per_line(lines, acq, 25.0))
    # and the lines' own decays are there: the FID's first point is the amplitude sum
    np.testing.assert_allclose(got[0], np.sum(amp) * np.exp(1j * np.deg2rad(25.0)), rtol=1e-12)
