"""6Li and 7Li in situ FIDs from the model state, with the digital-filter delay and noise.

Each line is a Lorentzian: ``a exp(2 pi i (nu - O1) t - pi FWHM t)`` times the receiver
phase; lines are summed, white noise is added at the stated SNR (:mod:`.noise`), and the
Bruker digital filter delays the result by GRPDLY points (:func:`add_group_delay`).
"""

from __future__ import annotations

import numpy as np

from dendritemr.physics.nuclei import larmor_mhz
from dendritemr.sim.observables.lines import Lines
from dendritemr.sim.observables.noise import band_mask, noise_sigma
from dendritemr.sim.observables.settings import NmrSettings, ObservationSettings
from dendritemr.sim.topspin_writer import Acquisition, add_group_delay

__all__ = [
    "acquisition",
    "line_fids",
    "noiseless_peak",
    "add_noise_and_filter",
    "ppm_axis",
    "series_sigma",
]


def acquisition(obs: ObservationSettings, nmr: NmrSettings, title: str) -> Acquisition:
    """TopSpin acquisition parameters of one series (BF1 = 0 ppm of the nucleus)."""
    bf1 = float(larmor_mhz(nmr.nucleus, obs.field_t))
    return Acquisition(
        nmr.nucleus,
        bf1,
        nmr.sw_ppm * bf1,
        nmr.td,
        o1_hz=nmr.o1_ppm * bf1,
        ns=nmr.ns,
        d1_s=nmr.d1_s,
        decim=nmr.decim,
        dspfvs=nmr.dspfvs,
        grpdly=nmr.grpdly,
        title=title,
    )


def line_fids(lines: Lines, acq: Acquisition, phase_deg: float) -> np.ndarray:
    """Noiseless complex FID (``td // 2`` points) of the lines, without filter delay."""
    n = acq.td // 2
    t = np.arange(n) / acq.sw_hz
    offset_hz = lines.ppm * acq.bf1_mhz - acq.o1_hz
    rate = 2j * np.pi * offset_hz - np.pi * lines.fwhm_ppm * acq.bf1_mhz
    # the metal cells' lines share a few (shift, width) pairs: each distinct decay is
    # computed once (the same numbers per line as computing every line's own)
    distinct, which = np.unique(rate, return_inverse=True)
    waves = np.exp(distinct[:, None] * t[None, :])
    fid = (lines.amplitude[:, None] * waves[which.ravel()]).sum(axis=0)
    return fid * np.exp(1j * np.deg2rad(phase_deg))


def ppm_axis(acq: Acquisition) -> np.ndarray:
    """ppm of each point of ``np.fft.fftshift(np.fft.fft(fid))``."""
    n = acq.td // 2
    hz = np.fft.fftshift(np.fft.fftfreq(n, 1.0 / acq.sw_hz))
    return (hz + acq.o1_hz) / acq.bf1_mhz


def noiseless_peak(fid: np.ndarray, acq: Acquisition) -> float:
    """Largest spectral magnitude of a noiseless FID in the SNR signal band."""
    spec = np.fft.fftshift(np.fft.fft(fid))
    return float(np.max(np.abs(spec[band_mask(ppm_axis(acq))])))


def add_noise_and_filter(
    fids: np.ndarray, sigma: float, acq: Acquisition, rng: np.random.Generator
) -> np.ndarray:
    """White complex noise of ``sigma`` per channel, then the digital-filter delay."""
    noise = rng.standard_normal(fids.shape) + 1j * rng.standard_normal(fids.shape)
    return add_group_delay(fids + sigma * noise, acq.grpdly)


def series_sigma(first_fid: np.ndarray, acq: Acquisition, snr: float) -> float:
    """Noise level of a series from its first noiseless FID (:mod:`.noise`)."""
    return noise_sigma(noiseless_peak(first_fid, acq), snr, acq.td // 2)
