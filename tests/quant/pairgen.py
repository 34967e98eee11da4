"""Independent generator of paired 6Li/7Li TopSpin experiments from known Lorentzian lines.

A few lines of numpy (no dendritemr code): each line is a damped complex exponential in the
Bruker sense of rotation, delayed by a digital-filter group delay (band-limited shift by GRPDLY
points), with white complex Gaussian noise, written as int32 fid + acqus with nmrglue.

Areas follow ``A_k = N_k * w_k * v_k * K_k`` with the atoms ``N_6 = x6 N``, ``N_7 = (1 - x6) N``,
receptivity ``w`` (gamma^3 I (I + 1), IUPAC 2001), bulk-metal visibility ratio
``v6 / v7 = sqrt(gamma7 / gamma6)`` (skin depth) and instrument factors ``K`` (6Li: ``k6``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

GAMMA = {"6Li": 3.9371709e7, "7Li": 10.3977013e7}
SPIN = {"6Li": 1.0, "7Li": 1.5}
W6 = (
    (GAMMA["6Li"] / GAMMA["7Li"]) ** 3
    * (SPIN["6Li"] * (SPIN["6Li"] + 1))
    / (SPIN["7Li"] * (SPIN["7Li"] + 1))
)
V6_BULK = np.sqrt(GAMMA["7Li"] / GAMMA["6Li"])
H_MHZ_PER_T = 42.577478518


@dataclass
class GenLine:
    name: str
    ppm: float
    fwhm_ppm: float
    atoms: float  # arbitrary units of Li atoms (both isotopes)
    x6: float
    bulk: bool = False  # skin-depth visibility ratio and phase
    phase_deg: float = 0.0  # extra phase (skin depth), degrees


def line_areas(lines: list[GenLine], k6: float = 1.0) -> dict[str, dict[str, float]]:
    """True areas per nucleus and line (signal x ppm)."""
    out = {"6Li": {}, "7Li": {}}
    for ln in lines:
        v6 = V6_BULK if ln.bulk else 1.0
        out["7Li"][ln.name] = ln.atoms * (1.0 - ln.x6)
        out["6Li"][ln.name] = ln.atoms * ln.x6 * W6 * v6 * k6
    return out


def fid(
    nucleus: str,
    lines: list[GenLine],
    *,
    field_t: float,
    td: int,
    sw_ppm: float,
    o1_ppm: float,
    snr: float,
    rng: np.random.Generator,
    grpdly: float,
    phase0_deg: float = 0.0,
    k6: float = 1.0,
) -> tuple[np.ndarray, dict]:
    """Complex FID (``td // 2`` points) and its acquisition parameters."""
    xi = {"6Li": 14.716086, "7Li": 38.863797}[nucleus] / 100.0
    bf = H_MHZ_PER_T * field_t * xi
    sw = sw_ppm * bf
    n = td // 2
    t = np.arange(n) / sw
    areas = line_areas(lines, k6)[nucleus]
    y = np.zeros(n, complex)
    for ln in lines:
        f = (ln.ppm - o1_ppm) * bf  # Hz from the carrier
        r = np.pi * ln.fwhm_ppm * bf  # 1/s
        ph = np.radians(phase0_deg + ln.phase_deg)
        # a one-sided FID a e^{-r t} transforms to a line of integral a / 2 (Hz units), i.e.
        # a sw / (2 bf) in (DFT signal) x ppm: amplitude for the wanted area
        amp = 2.0 * areas[ln.name] * bf / sw
        y += amp * np.exp(1j * ph) * np.exp((2j * np.pi * f - r) * t)
    # digital filter: delay by grpdly points (band-limited circular shift)
    # noise: SNR = tallest metal line (peak height) / spectral noise sigma, where a line of
    # area A and FWHM w peaks at 2 A / (pi w) / dppm in DFT units and the noise is sigma sqrt(n)
    dppm = sw_ppm / n
    peak = max(2 * areas[ln.name] / (np.pi * ln.fwhm_ppm) / dppm for ln in lines if ln.ppm > 100)
    snr_sigma = peak / (snr * np.sqrt(n))
    k = np.fft.fftfreq(n)
    y = np.fft.ifft(np.fft.fft(y) * np.exp(-2j * np.pi * grpdly * k))
    y = y + rng.normal(0, snr_sigma, n) + 1j * rng.normal(0, snr_sigma, n)
    params = {"BF1": bf, "SFO1": bf * (1 + o1_ppm * 1e-6), "SW_h": sw, "O1": o1_ppm * bf}
    params["noise_sigma"] = snr_sigma
    return y, params


def write_experiment(folder: Path, nucleus: str, y: np.ndarray, params: dict, **extra) -> Path:
    """TopSpin experiment folder with acqus and an int32 little-endian fid."""
    # int32 like a spectrometer: ``scale`` is the receiver gain (keep it fixed between a sample
    # and its reference); by default the noise becomes ~50 counts
    params = dict(params)
    sigma = params.pop("noise_sigma")
    data = np.round(y * extra.pop("scale", 50.0 / sigma))
    acqus = {
        "TD": 2 * y.size,
        "NUC1": f"<{nucleus}>",
        "DTYPA": 0,
        "BYTORDA": 0,
        "DECIM": 16,
        "DSPFVS": 20,
        "GRPDLY": float(extra.pop("GRPDLY")),
        "DATE": int(extra.pop("DATE", 1700000000)),
        "NS": 16,
        "D": [0.0, float(extra.pop("D1", 10.0))] + [0.0] * 62,
        "AQ_mod": 3,
        "DIGMOD": 1,
        "TITLE": "Parameter file, TopSpin 3.6",
        **params,
        **extra,
    }
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "acqus", "w") as fh:
        fh.write("##TITLE= Parameter file, TopSpin 3.6\n##JCAMPDX= 5.0\n")
        for key, value in acqus.items():
            if isinstance(value, list):
                fh.write(f"##${key}= (0..{len(value) - 1})\n" + " ".join(map(str, value)) + "\n")
            else:
                fh.write(f"##${key}= {value}\n")
        fh.write("##END=\n")
    inter = np.empty(2 * data.size, dtype="<i4")
    inter[0::2], inter[1::2] = data.real, data.imag
    inter.tofile(folder / "fid")
    return folder


def write_pair(
    folder: Path,
    lines: list[GenLine],
    *,
    snr: float,
    seed: int,
    scales: dict[str, float] | None = None,
    field_t: float = 9.4,
    phase0_deg: dict[str, float] | None = None,
) -> dict[str, Path]:
    """A 7Li and a 6Li experiment (``folder/7Li/1``, ``folder/6Li/1``) of the same lines at
    9.4 T (800 ppm, TD 8192, GRPDLY 67.98); ``scales`` fixes the receiver gain per nucleus."""
    rng = np.random.default_rng(seed)
    phases = phase0_deg or {"7Li": 25.0, "6Li": 25.0}
    out = {}
    for nuc in ("7Li", "6Li"):
        y, p = fid(nuc, lines, field_t=field_t, td=8192, sw_ppm=800.0, o1_ppm=130.0, snr=snr,
                   rng=rng, grpdly=67.98, phase0_deg=phases[nuc])  # fmt: skip
        scale = scales[nuc] if scales else 50.0 / p["noise_sigma"]
        out[nuc] = write_experiment(folder / nuc / "1", nuc, y, p, GRPDLY=67.98, scale=scale)
    return out


def write_series(root: Path, lines_at, hours, *, snr: float, seed: int) -> dict[str, Path]:
    """Paired 7Li and 6Li series (``root/7Li/1..n``, ``root/6Li/1..n``) of the lines
    ``lines_at(h)`` at each of ``hours`` (9.4 T, 800 ppm, TD 8192, GRPDLY 67.98, spectrum phase
    25 deg), acquisition dates one per hour offset; one receiver gain per nucleus for the whole
    series (set by its first experiment)."""
    rng = np.random.default_rng(seed)
    scales: dict[str, float] = {}
    for i, h in enumerate(hours):
        for nuc in ("7Li", "6Li"):
            y, p = fid(nuc, lines_at(h), field_t=9.4, td=8192, sw_ppm=800.0, o1_ppm=130.0,
                       snr=snr, rng=rng, grpdly=67.98, phase0_deg=25.0)  # fmt: skip
            scales.setdefault(nuc, 50.0 / p["noise_sigma"])
            write_experiment(root / nuc / str(i + 1), nuc, y, p, GRPDLY=67.98,
                             scale=scales[nuc], DATE=1700000000 + int(h * 3600))  # fmt: skip
    return {"7Li": root / "7Li", "6Li": root / "6Li"}


def read_series(root: Path):
    """The ``(7Li, 6Li)`` spectra of a :func:`write_series` folder as ``decompose`` takes them
    (``dendritemr.quant.run.fit_spectra``: the analysis side, not the generator's), the 6Li on
    the 7Li series' hours: each time point is one pair."""
    from dendritemr.quant.run import fit_spectra

    s7, s6 = fit_spectra(root / "7Li"), fit_spectra(root / "6Li")
    return s7, s6.assign_coords(hours=("time", s7["hours"].values))
