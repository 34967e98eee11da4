"""Write FIDs as TopSpin experiments, exactly in the layout the spectrometer writes.

Each experiment folder gets ``acqus`` (and its copy ``acqu``), ``fid`` (int32, little-endian,
rows padded to 1024 bytes), ``audita.txt`` with start and end of the acquisition,
``pulseprogram`` and ``pdata/1/procs`` holding the referencing (SF). The FIDs passed in must
already carry the digital-filter delay (:func:`add_group_delay`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np

from dendritemr.physics.nuclei import get_nucleus

_PULSEPROGRAM = """# 1 "zg"
;zg : 1D sequence, written by dendritemr's simulator
1 ze
2 d1
  p1 ph1
  go=2 ph31
  wr #0
exit
ph1=0 2 2 0 1 3 3 1
ph31=0 2 2 0 1 3 3 1
"""


#: digital receiver of the simulated spectrometer: DECIM, DSPFVS and its GRPDLY (points)
DEFAULT_DECIM, DEFAULT_DSPFVS, DEFAULT_GRPDLY = 16, 20, 67.98623657226562


@dataclasses.dataclass
class Acquisition:
    """Parameters of one 1D acquisition (units in names).

    ``bf1_mhz`` is the basic frequency of the nucleus (0 ppm), ``o1_hz`` the carrier offset.
    """

    nucleus: str
    bf1_mhz: float
    sw_hz: float
    td: int
    o1_hz: float = 0.0
    ns: int = 64
    ds: int = 0
    d1_s: float = 1.0
    de_us: float = 6.0
    decim: int = DEFAULT_DECIM
    dspfvs: int = DEFAULT_DSPFVS
    grpdly: float = DEFAULT_GRPDLY
    rg: float = 64.0
    p1_us: float = 5.0
    title: str = "dendritemr synthetic"

    @property
    def sfo1_mhz(self) -> float:
        return self.bf1_mhz + self.o1_hz * 1e-6

    @property
    def duration_s(self) -> float:
        """(NS + DS) (D1 + AQ + DE): the acquisition time as the reader computes it."""
        aq = self.td / (2.0 * self.sw_hz)
        return (self.ns + self.ds) * (self.d1_s + aq + self.de_us * 1e-6)


def add_group_delay(fid: np.ndarray, group_delay: float, beta: float = 10.0) -> np.ndarray:
    """Delay complex FIDs (last axis) by ``group_delay`` points, as the digital filter does.

    A causal FIR low-pass: a Kaiser-windowed sinc of 2 x ceil(delay) + 1 taps centred on the
    delay, applied to the FID preceded by zeros (nothing before the pulse). Its pre-ringing
    fills the first ``delay`` points and the last points of the FID fall outside the
    acquisition, as on a Bruker digital receiver.
    """
    n = fid.shape[-1]
    if group_delay <= 0:
        return np.array(fid, dtype=complex)
    taps = 2 * int(np.ceil(group_delay)) + 1
    k = np.arange(taps)
    h = np.sinc(k - group_delay) * np.kaiser(taps, beta)
    h /= h.sum()
    size = 1 << int(np.ceil(np.log2(n + taps)))
    out = np.fft.ifft(np.fft.fft(fid, size, axis=-1) * np.fft.fft(h, size), axis=-1)
    return out[..., :n]


def _jcamp_value(value) -> str:
    if isinstance(value, str):
        return f"<{value}>"
    if isinstance(value, float | np.floating):
        return repr(float(value))
    return str(int(value)) if isinstance(value, np.integer) else str(value)


def _jcamp_text(title: str, params: dict, stamp: dt.datetime, path: str) -> str:
    lines = [
        "##TITLE= Parameter file, TOPSPIN\t\tVersion 3.6",
        "##JCAMPDX= 5.0",
        "##DATATYPE= Parameter Values",
        "##NPOINTS= 1\t$$ modification sequence number",
        "##ORIGIN= Bruker BioSpin GmbH (written by dendritemr)",
        "##OWNER= dendritemr",
        f"$$ {stamp.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]} {stamp.strftime('%z')}  dendritemr@sim",
        f"$$ {path}",
    ]
    for key in sorted(params):
        value = params[key]
        if isinstance(value, list | tuple):
            lines.append(f"##${key}= (0..{len(value) - 1})")
            words = [_jcamp_value(v) for v in value]
            for i in range(0, len(words), 10):
                lines.append(" ".join(words[i : i + 10]))
        else:
            lines.append(f"##${key}= {_jcamp_value(value)}")
    lines.append("##END=")
    return "\n".join(lines) + "\n"


def _audit_text(start: dt.datetime, end: dt.datetime) -> str:
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    return (
        "##TITLE= Audit trail, TOPSPIN\t\tVersion 3.6\n##JCAMPDX= 5.01\n"
        "##ORIGIN= Bruker BioSpin GmbH\n##OWNER= dendritemr\n"
        "##AUDIT TRAIL=  $$ (NUMBER, WHEN, WHO, WHERE, PROCESS, VERSION, WHAT)\n"
        f"(   1,<{end.strftime(fmt)[:-3]} {end.strftime('%z')}>,<dendritemr>,<sim>,<go>,"
        "<TOPSPIN 3.6>,\n"
        f"      <created by zg\n\tstarted at {start.strftime(fmt)[:-3]} {start.strftime('%z')},\n"
        "\tPOWCHK enabled, PULCHK enabled>)\n##END=\n"
    )


def int32_scale(fids: np.ndarray) -> float:
    """One factor for a whole series that maps its largest point to 2**28 (headroom kept)."""
    peak = float(np.max(np.abs(np.stack([np.asarray(fids).real, np.asarray(fids).imag]))))
    return 2.0**28 / peak if peak > 0 else 1.0


def write_experiment(
    folder: Path,
    fid: np.ndarray,
    acq: Acquisition,
    start: dt.datetime,
    scale: float,
    path_label: str | None = None,
) -> Path:
    """Write one experiment; ``fid`` is complex with ``acq.td // 2`` points, ``start`` aware.

    ``path_label`` (optional) is the instrument path written in the ``$$`` header lines
    instead of ``folder`` (so that the files do not depend on where they are written).

    The FID is multiplied by ``scale`` (the same for a whole series, as a fixed receiver gain
    is: see :func:`int32_scale`) and rounded to int32. Returns the folder.
    """
    folder = Path(folder)
    (folder / "pdata" / "1").mkdir(parents=True, exist_ok=True)
    if fid.shape != (acq.td // 2,):
        raise ValueError(f"FID has shape {fid.shape}, TD={acq.td} needs ({acq.td // 2},)")
    end = start + dt.timedelta(seconds=acq.duration_s)
    nucleus = get_nucleus(acq.nucleus)
    proton = acq.bf1_mhz / (nucleus.xi_percent / 100.0)
    carbon = proton * get_nucleus("13C").xi_percent / 100.0
    delays = [0.0] * 64
    delays[1] = acq.d1_s
    pulses = [0.0] * 64
    pulses[1] = acq.p1_us
    params = {
        "AQ_mod": 3,
        "BF1": acq.bf1_mhz,
        "BF2": proton,
        "BF3": carbon,
        "BYTORDA": 0,
        "D": delays,
        "DATE": int(end.timestamp()),
        "DE": acq.de_us,
        "DECIM": acq.decim,
        "DIGMOD": 1,
        "DS": acq.ds,
        "DSPFVS": acq.dspfvs,
        "DTYPA": 0,
        "GRPDLY": acq.grpdly,
        "NS": acq.ns,
        "NUC1": nucleus.name,
        "NUC2": "1H",
        "NUC3": "off",
        "O1": acq.o1_hz,
        "P": pulses,
        "PARMODE": 0,
        "PULPROG": "zg",
        "RG": acq.rg,
        "SFO1": acq.sfo1_mhz,
        "SW": acq.sw_hz / acq.sfo1_mhz,
        "SW_h": acq.sw_hz,
        "TD": acq.td,
        "TE": 298.0,
    }
    label = str(folder) if path_label is None else path_label
    text = _jcamp_text("acqus", params, end, f"{label}/acqus")
    (folder / "acqus").write_text(text)
    (folder / "acqu").write_text(text)
    (folder / "audita.txt").write_text(_audit_text(start, end))
    (folder / "pulseprogram").write_text(_PULSEPROGRAM)
    procs = {
        "SF": acq.bf1_mhz,
        "SI": acq.td,
        "OFFSET": 0.0,
        "SW_p": acq.sw_hz,
        "NC_proc": 0,
        "BYTORDP": 0,
        "LB": 0.0,
        "WDW": 1,
        "PHC0": 0.0,
        "PHC1": 0.0,
        "BC_mod": 2,
    }
    (folder / "pdata" / "1" / "procs").write_text(
        _jcamp_text("procs", procs, end, f"{label}/pdata/1/procs")
    )
    (folder / "pdata" / "1" / "title").write_text(acq.title + "\n")
    interleaved = np.empty(acq.td)
    interleaved[0::2], interleaved[1::2] = fid.real, fid.imag
    scaled = np.round(interleaved * scale)
    if np.max(np.abs(scaled)) >= 2**31:
        raise ValueError("FID overflows int32 at this scale")
    ints = scaled.astype("<i4")
    padded = -(-ints.nbytes // 1024) * 1024
    raw = ints.tobytes() + b"\0" * (padded - ints.nbytes)
    tmp = folder / ".fid.tmp"
    tmp.write_bytes(raw)
    tmp.replace(folder / "fid")
    return folder
