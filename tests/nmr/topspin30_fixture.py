"""A TopSpin 3.0 7Li MAS Hahn-echo experiment with its 1r, built from the derived convention.

Issue 9 reports such an experiment (DSPFVS 20, GRPDLY 67.96875, SW 1 MHz, LB 500 Hz, phase set
by hand, no baseline correction; a paramagnetic cathode, no Li metal) that we do not have. This
writer makes one: the raw FID goes through a digital-filter delay of 67.96875 points (the
simulator's FIR model), and the 1r is what a perfect hand phase gives -- the pure absorption
spectrum of the undelayed samples -- computed here in a few lines of numpy, independent of the
package's pipeline. The procs PHC0/PHC1 are those the convention of ``dendritemr.nmr.topspin``
says TopSpin needs for that absorption spectrum:

    PHC1 = 360 delta,  PHC0 = phi_rx - 180 delta - 180 x GRPDLY   (mod 360)

(phi_rx the receiver phase, delta the echo top's offset in points). So the fixture checks the
replay against the convention, and the old rule 180 x frac(GRPDLY) against the issue's symptom.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from dendritemr.sim.topspin_writer import Acquisition, add_group_delay, write_experiment

GRPDLY = 67.96875
SW_HZ = 1.0e6
TD = 4096  # 2048 complex points
SI = 8192
LB_HZ = 500.0
BF1 = 155.50  # 7Li at 9.4 T, MHz
PHI_RX = 57.0  # receiver phase, degrees
DELTA = 0.0  # echo top offset (points) after the filter; PHC1 = 360 DELTA
#: (shift ppm, width Hz, amplitude): a paramagnetic centre band with MAS sidebands at 40 kHz,
#: and a narrow diamagnetic line
LINES = [
    (180.0 + k * 40e3 / BF1, 9e3, a)
    for k, a in zip(range(-4, 5), [1, 3, 8, 20, 60, 24, 9, 3, 1], strict=True)
]
LINES += [(0.5, 400.0, 15.0)]


def _jcamp(params: dict, version: str = "3.0") -> str:
    head = [f"##TITLE= Parameter file, TOPSPIN\t\tVersion {version}", "##JCAMPDX= 5.0"]
    body = [f"##${k}= {v}" for k, v in params.items()]
    return "\n".join(head + body + ["##END="]) + "\n"


def _audit(version: str = "3.0") -> str:
    return (
        "##TITLE= Audit trail, TOPSPIN\t\tVersion 3.0\n##JCAMPDX= 5.01\n"
        "##AUDIT TRAIL=  $$ (NUMBER, WHEN, WHO, WHERE, PROCESS, VERSION, WHAT)\n"
        f"(   1,<2012-05-04 10:00:00.000 +0100>,<nmr>,<av500>,<proc1d>,<TOPSPIN {version}>,\n"
        "      <Start of raw data processing\n"
        f"       efp BC_mod = 2 LB = {LB_HZ:g} FT_mod = 6 PKNL = 1 SI = 8K \n"
        "       data hash MD5: 8K\n       00 00>)\n##END=\n"
    )


def write_hahn_echo(folder: Path, seed: int = 0, grpdly: float = GRPDLY) -> Path:
    """Write the experiment (acqus, fid, pdata/1 procs, auditp.txt, 1r) into ``folder``."""
    rng = np.random.default_rng(seed)
    n = TD // 2
    t = (np.arange(n) - DELTA) / SW_HZ
    ideal = np.zeros(n, complex)
    for shift, width, amp in LINES:
        nu = (shift - 150.0) * BF1  # Hz from the carrier
        ideal += amp * np.exp(2j * np.pi * nu * t - np.pi * width * np.abs(t))
    ideal += 0.05 * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
    ideal *= np.exp(1j * np.deg2rad(PHI_RX))
    acq = Acquisition(
        "7Li", BF1, SW_HZ, TD, o1_hz=150e-6 * BF1 * 1e6, dspfvs=20, decim=4, grpdly=grpdly
    )
    start = dt.datetime(2012, 5, 4, 9, 50, tzinfo=dt.UTC)
    raw = add_group_delay(ideal, grpdly)
    write_experiment(folder, raw, acq, start, scale=2.0**24 / np.abs(raw).max())
    # TopSpin's 1r with a perfect hand phase: absorption spectrum of the undelayed samples
    x = ideal * np.exp(-np.pi * LB_HZ * np.arange(n) / SW_HZ)
    x[0] *= 0.5  # a band-limited FID that starts at t = 0 has half its value there
    # descending frequency, point i at SW/2 - i SW/SI from the carrier (point 0 = +SW/2)
    spec = np.roll(np.fft.fftshift(np.fft.fft(x, SI))[::-1], 1)
    f = SW_HZ / 2 - np.arange(SI) * SW_HZ / SI
    spec *= np.exp(-1j * np.deg2rad(PHI_RX)) * np.exp(2j * np.pi * f * DELTA / SW_HZ)
    nc = int(np.ceil(np.log2(np.abs(spec.real).max()))) - 28
    (folder / "pdata" / "1" / "1r").write_bytes(np.round(spec.real / 2.0**nc).astype("<i4"))
    phc1 = 360.0 * DELTA
    phc0 = (PHI_RX - 180.0 * DELTA - 180.0 * grpdly) % 360.0
    procs = {
        "SF": BF1,
        "SI": SI,
        "OFFSET": 150.0 + SW_HZ / 2 / BF1,
        "SW_p": SW_HZ,
        "NC_proc": nc,
        "BYTORDP": 0,
        "DTYPP": 0,
        "WDW": 1,
        "LB": LB_HZ,
        "FCOR": 1.0,
        "BC_mod": 2,
        "PHC0": phc0,
        "PHC1": phc1,
        "TDeff": 0,
        "ABSG": 5,
    }
    (folder / "pdata" / "1" / "procs").write_text(_jcamp(procs))
    (folder / "pdata" / "1" / "auditp.txt").write_text(_audit())
    return folder
