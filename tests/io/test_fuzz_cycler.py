"""Mutated cycler exports (lines deleted, swapped, duplicated, cut off; bytes changed; cells
emptied) are read or refused with a one-line DataError naming the file -- never another
exception. Seeds: the shared real exports (EC-Lab text, Neware, Maccor, Arbin; their first 20 kB)
and small EC-Lab .mpt / generic CSV fixtures. Fixed random seeds: the same 400 files each run."""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import pytest

from dendritemr.errors import DataError
from dendritemr.io.cycler_formats import read_cycler

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
REAL_SEEDS = {
    "eclab.txt": REAL / "li7-insitu-LiLi-TEGDME" / "LiLiTEGDMEinsitu_02" / "eChem"
    / "jr862_11_08_23_insitu-impedance-LiLi_1MLiTFSI_TEGDME-1mA_03_GCPL_C05.txt",
    "neware.csv": REAL / "cellpy-arbin-maccor-neware" / "nw_regular_export_ife_example.csv",
    "maccor.txt": REAL / "cellpy-arbin-maccor-neware" / "maccor_002.txt",
    "arbin.csv": REAL / "datalab-echem-biologic-arbin" / "arbin_example.bdf.csv",
}  # fmt: skip
FIXTURES = {
    "run.mpt": (
        b"EC-Lab ASCII FILE\r\nNb header lines : 5\r\n\r\n"
        b"Acquisition started on : 03/02/2026 09:15:30.250\r\n"
        b"mode\ttime/s\tEwe/V\t<I>/mA\tcontrol/V/mA\r\n"
        b"2\t0,000\t0,1250\t0,300\t0,3\r\n2\t60,000\t0,1300\t0,300\t0,3\r\n"
        b"2\t120,500\t0,1400\t-0,300\t0,3\r\n"
    ),
    "generic.csv": b"Time (h);Current (uA);Voltage (mV)\n0;300;125\n0,5;300;130\n1;300;140\n",
}


def _seeds() -> dict[str, bytes]:
    out = dict(FIXTURES)
    for name, path in REAL_SEEDS.items():
        if path.is_file():
            out[name] = path.read_bytes()[:20000]
    return out


def _mutate(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    op = rng.randrange(6)
    if op == 0 and len(lines) > 3:
        del lines[rng.randrange(len(lines))]
    elif op == 1:
        i = rng.randrange(min(10, len(lines)))
        cut = bytearray(lines[i])
        for _ in range(rng.randint(1, 4)):
            if cut:
                cut[rng.randrange(len(cut))] = rng.choice(b'0123456789,.;:/\t -eE"x')
        lines[i] = bytes(cut)
    elif op == 2:
        lines = lines[: rng.randint(0, len(lines))]
        if lines and rng.random() < 0.5:  # and the last kept line cut mid-row
            lines[-1] = lines[-1][: rng.randint(0, len(lines[-1]))]
    elif op == 3 and len(lines) > 3:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 4:
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    else:
        i = rng.randrange(len(lines))
        lines[i] = lines[i].replace(b"\t", b"\t\t", 1).replace(b",", b",,", 1)
    return b"\n".join(lines)


@pytest.mark.parametrize("name", sorted(set(FIXTURES) | set(REAL_SEEDS)))
def test_mutated_cycler_exports_read_or_fail_in_one_line(tmp_path, name):
    seeds = _seeds()
    if name not in seeds:
        pytest.skip("shared real data not present")
    rng = random.Random(f"cycler-{name}")
    for k in range(60):
        f = tmp_path / f"{k}{Path(name).suffix}"
        f.write_bytes(_mutate(seeds[name], rng))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                read_cycler(f)
        except DataError as exc:
            text = str(exc)
            assert text.startswith(f"{f}: ") and "\n" not in text, text
