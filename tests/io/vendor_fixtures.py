"""Small vendor-format files written by numpy for reader tests (never real data).

Each writer produces the layout the vendor program writes, with values chosen by the test so
that the reader's output can be checked against them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

BLOCK = 1024


def topspin_params(params: dict, title: str = "Parameter file, TopSpin 4.1.4") -> str:
    """TopSpin JCAMP parameter text (``##$KEY= value``; lists as ``(0..n-1)`` + values)."""
    lines = [f"##TITLE= {title}", "##JCAMPDX= 5.0", "##DATATYPE= Parameter Values"]
    lines.append("$$ 2024-07-25 10:31:59.898 +0200  nmr@spectrometer")
    for key, value in params.items():
        if isinstance(value, list | tuple):
            lines.append(f"##${key}= (0..{len(value) - 1})")
            lines.append(" ".join(str(v) for v in value))
        else:
            lines.append(f"##${key}= {value}")
    return "\n".join(lines + ["##END="]) + "\n"


def fid_rows(n_rows: int, n_complex: int, seed: int) -> np.ndarray:
    """Decaying complex FIDs with a distinct frequency and amplitude per row (exactly
    representable as int32 after rounding)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_complex)
    freq = rng.uniform(0.01, 0.2, n_rows)
    amp = 1e5 * (1 + np.arange(n_rows))
    rows = amp[:, None] * np.exp(2j * np.pi * freq[:, None] * t - t / 300.0)
    return np.round(rows.real) + 1j * np.round(rows.imag)


def write_topspin(
    exp: Path,
    rows: np.ndarray,
    *,
    title: str = "Parameter file, TopSpin 4.1.4",
    dtypa: int = 2,
    bytorda: int = 0,
    padded: bool = False,
    date: float | None = 1721896319.0,
    nucleus: str = "7Li",
    bf1: float = 116.6419,
    sw_h: float = 50000.0,
    extra: dict | None = None,
    ser: bool | None = None,
) -> Path:
    """Write a TopSpin experiment folder: acqus (+ acqu2s and ser for several rows) and data.

    ``rows``: complex, ``(n_rows, td // 2)``; ``padded`` puts every row on a 1024-byte
    boundary (TopSpin < 4).
    """
    exp.mkdir(parents=True, exist_ok=True)
    rows = np.atleast_2d(rows)
    n_rows, n_complex = rows.shape
    td = 2 * n_complex
    params = {
        "TD": td,
        "SW_h": sw_h,
        "BF1": bf1,
        "SFO1": bf1 + 0.0001,
        "O1": 100.0,
        "NUC1": f"<{nucleus}>",
        "NS": 16,
        "DS": 0,
        "D": [0, 1.0, 0],
        "DE": 6.5,
        "DTYPA": dtypa,
        "BYTORDA": bytorda,
        "DECIM": 1,
        "DSPFVS": 23,
        "GRPDLY": 76.0,
        "DIGMOD": 1,
    }
    if date is not None:
        params["DATE"] = int(date)
    params.update(extra or {})
    (exp / "acqus").write_text(topspin_params(params, title))
    kind = {0: "i4", 1: "f4", 2: "f8"}[dtypa]
    dtype = np.dtype((">" if bytorda else "<") + kind)
    inter = np.empty((n_rows, td))
    inter[:, 0::2], inter[:, 1::2] = rows.real, rows.imag
    if padded:
        per_row = -(-td * dtype.itemsize // BLOCK) * BLOCK // dtype.itemsize
        inter = np.concatenate([inter, np.zeros((n_rows, per_row - td))], axis=1)
    raw = inter.astype(dtype)
    as_ser = n_rows > 1 if ser is None else ser
    if as_ser:
        (exp / "acqu2s").write_text(topspin_params({"TD": n_rows, "NUC1": "<off>"}, title))
    (exp / ("ser" if as_ser else "fid")).write_bytes(raw.tobytes())
    return exp
