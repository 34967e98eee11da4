"""A small 7Li in situ study written from a few lines of numpy (no dendritemr code).

TopSpin experiments ``1..N`` (int32 little-endian ``fid`` + ``acqus``) of three Lorentzian
lines -- a bulk electrode line with a -45 deg skin phase, a dendritic line 12 ppm above it
whose area grows linearly, an electrolyte line at 0 ppm -- with white complex noise and a
digital-filter delay, one spectrum every ``step_h`` hours; optionally a dendritemr-style cycler
CSV (``# start:`` header, ``time/s,current/mA,voltage/V``) over a chosen span, and study.toml.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

FIELD_T = 7.05
BF = 42.577478518 * FIELD_T * 0.38863797  # 7Li Larmor frequency, MHz (IUPAC 2001 Xi)
TD, SW_PPM, O1_PPM, GRPDLY = 2048, 800.0, 120.0, 67.98
T0 = dt.datetime(2025, 5, 6, 10, 0, 0, tzinfo=dt.UTC)  # end of the first acquisition
AQ_S = TD // 2 / (SW_PPM * BF * 1e6)


def micro_area(h: float) -> float:
    """Area of the dendritic line at hour ``h`` (electrode line area 1)."""
    return 0.1 + 0.04 * h


def _fid(h: float, rng: np.random.Generator, sigma: float) -> np.ndarray:
    n = TD // 2
    sw_hz = SW_PPM * BF
    t = np.arange(n) / sw_hz
    y = np.zeros(n, complex)
    for ppm, fwhm, area, ph in ((246.0, 8.0, 1.0, -45.0), (258.0, 5.0, micro_area(h), 0.0),
                                (0.0, 4.0, 0.6, 0.0)):  # fmt: skip
        amp = 2.0 * area * BF / sw_hz
        f, r = (ppm - O1_PPM) * BF, np.pi * fwhm * BF
        y += amp * np.exp(1j * np.radians(ph + 20.0)) * np.exp((2j * np.pi * f - r) * t)
    k = np.fft.fftfreq(n)
    y = np.fft.ifft(np.fft.fft(y) * np.exp(-2j * np.pi * GRPDLY * k))
    return y + sigma * (rng.normal(size=n) + 1j * rng.normal(size=n))


def write_series(folder: Path, n: int = 6, step_h: float = 0.5, seed: int = 5) -> list[float]:
    """Write ``folder/1..n``; return the acquisition end times, h after :data:`T0`."""
    rng = np.random.default_rng(seed)
    npts = TD // 2
    peak = 2.0 / (np.pi * 8.0) / (SW_PPM / npts)
    sigma = peak / (300.0 * np.sqrt(npts))
    scale = 40.0 / sigma
    hours = [i * step_h for i in range(n)]
    for i, h in enumerate(hours):
        exp = folder / str(i + 1)
        exp.mkdir(parents=True)
        data = np.round(_fid(h, rng, sigma) * scale)
        acqus = {
            "TD": TD, "NUC1": "<7Li>", "BF1": BF, "SFO1": BF * (1 + O1_PPM * 1e-6),
            "O1": O1_PPM * BF, "SW_h": SW_PPM * BF, "SW": SW_PPM, "DTYPA": 0, "BYTORDA": 0,
            "DECIM": 16, "DSPFVS": 20, "GRPDLY": GRPDLY,
            "DATE": int(T0.timestamp() + round(h * 3600)), "NS": 4, "DS": 0,
            "D": "(0..63)\n0 1.0" + " 0" * 62, "AQ_mod": 3, "DIGMOD": 1,
        }  # fmt: skip
        write_experiment(exp, data, acqus)
    return hours


def write_experiment(exp: Path, counts: np.ndarray, acqus: dict) -> None:
    """One TopSpin experiment: ``exp/acqus`` (JCAMP-DX ``##$KEY= value`` lines) and ``exp/fid``
    (``counts``, complex integers, as interleaved int32 little-endian); ``exp`` must exist."""
    with open(exp / "acqus", "w") as fh:
        fh.write("##TITLE= Parameter file, TopSpin 3.6\n##JCAMPDX= 5.0\n")
        fh.writelines(f"##${k}= {v}\n" for k, v in acqus.items())
        fh.write("##END=\n")
    raw = np.empty(2 * counts.size, dtype="<i4")
    raw[0::2], raw[1::2] = counts.real, counts.imag
    raw.tofile(exp / "fid")


def write_cycler(path: Path, start: dt.datetime, hours: float, current_ma: float = 0.2) -> None:
    """A constant-current record of ``hours`` from ``start`` (one row a minute)."""
    t = np.arange(0.0, hours * 3600.0 + 1.0, 60.0)
    v = 0.05 + 0.002 * t / 3600.0
    rows = "\n".join(f"{a:.1f},{current_ma:g},{b:.6f}" for a, b in zip(t, v, strict=True))
    path.write_text(
        f"# dendritemr cycler export\n# start: {start.isoformat()}\ntime/s,current/mA,voltage/V\n"
        + rows
        + "\n"
    )


def write_study(root: Path, li7: Path, cycler: Path | None = None, area: float | None = 0.5,
                name: str = "pipegen") -> Path:  # fmt: skip
    """``root/study.toml`` naming ``li7`` (and ``cycler``); returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    text = f'[study]\nname = "{name}"\n'
    if area is not None:
        text += f"[cell]\nelectrode_area_cm2 = {area}\n"
    text += f'[nmr.li7]\npath = "{li7}"\n'
    if cycler is not None:
        text += f'[cycler]\npath = "{cycler}"\n'
    (root / "study.toml").write_text(text)
    return root
