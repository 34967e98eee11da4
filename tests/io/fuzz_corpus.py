"""Seeds and mutations for fuzzing the readers (tests/io/test_fuzz_readers.py and
benchmarks/fuzz_readers.py).

A *seed* is a small dataset held in memory: ``{relative path: bytes}`` plus the path (relative to
the folder it is written into) that is opened. Seeds come from real files (read in place from
``../shared/data/real`` when present, only the files a reader needs) and from numpy-written
fixtures. A *mutation* changes one file of a seed: truncation, bit flips, zeroed blocks, inserted
or deleted bytes, a parameter line deleted or given an absurd value (0, negative, NaN, 1e999,
huge integers, words), data characters replaced.
"""

from __future__ import annotations

import random
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from vendor_fixtures import fid_rows, topspin_params, write_topspin

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real"
FAMILIES = (
    "topspin-fid",
    "topspin-ser",
    "topspin-pdata",
    "jcamp",
    "varian",
    "paravision",
    "topspin-text",
)
ABSURD = [
    "0",
    "-1",
    "-512",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e999",
    "-1e999",
    "1e308",
    "99999999999999999999999",
    "2147483648",
    "0.5",
    "",
    "abc",
    "<>",
    "(0..3)",
    "?",
    "(1, 2, 3)",
    "@3*(1)",
    "1 2 3",
    "-0",
]
PARAM_NAMES = {
    "acqus",
    "acqu2s",
    "procs",
    "proc2s",
    "acqp",
    "method",
    "visu_pars",
    "reco",
    "procpar",
    "audita.txt",
    "vdlist",
}


@dataclass
class Seed:
    family: str
    name: str
    files: dict[str, bytes]
    target: str  # path opened, relative to the folder the files are written into

    def write(self, folder: Path) -> Path:
        for rel, data in self.files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return folder / self.target


def _collect(root: Path, rels: list[str], prefix: str = "") -> dict[str, bytes]:
    return {prefix + rel: (root / rel).read_bytes() for rel in rels if (root / rel).is_file()}


def _from_folder(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _fixture(write) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        write(Path(tmp))
        return _from_folder(Path(tmp))


def _varian_fixture(folder: Path, n_traces: int = 3, n_complex: int = 64) -> None:
    """A Varian .fid folder: procpar and a big-endian int32 fid with block headers."""
    exp = folder / "x.fid"
    exp.mkdir()
    params = [
        ("np", 1, [2 * n_complex]),
        ("sw", 1, [5000.0]),
        ("sfrq", 1, [116.64]),
        ("tof", 1, [0.0]),
        ("nt", 1, [16]),
        ("arraydim", 1, [n_traces]),
        ("tn", 2, ["Li7"]),
        ("seqfil", 2, ["s2pul"]),
        ("array", 2, ["d2"]),
        ("d2", 1, [0.01 * (i + 1) for i in range(n_traces)]),
        ("time_run", 2, ["20240725T103159"]),
        ("time_complete", 2, ["20240725T104159"]),
    ]
    lines = []
    for name, kind, values in params:
        lines.append(f"{name} 1 {kind} 1e+18 -1e+18 0 2 1 0 1 64")
        if kind == 1:
            lines.append(f"{len(values)} " + " ".join(repr(float(v)) for v in values))
        else:
            lines.append(f'{len(values)} "{values[0]}"')
            lines += [f'"{v}"' for v in values[1:]]
        lines.append("0")
    (exp / "procpar").write_text("\n".join(lines) + "\n")
    rows = fid_rows(n_traces, n_complex, seed=21)
    npts, ebytes = 2 * n_complex, 4
    tbytes = npts * ebytes
    out = [struct.pack(">6i2hi", n_traces, 1, npts, ebytes, tbytes, tbytes + 28, 0, 0x45, 1)]
    for i, row in enumerate(rows):
        out.append(struct.pack(">4hi4f", 1, 0x45, i + 1, 0, 16, 0, 0, 0, 0))
        inter = np.empty(npts)
        inter[0::2], inter[1::2] = row.real, row.imag
        out.append(inter.astype(">i4").tobytes())
    (exp / "fid").write_bytes(b"".join(out))


def _pdata_fixture(folder: Path) -> None:
    exp = write_topspin(folder / "1", fid_rows(1, 256, seed=31))
    pdir = exp / "pdata" / "1"
    pdir.mkdir(parents=True)
    procs = {
        "SI": 256,
        "SF": 116.64,
        "SW_p": 50000.0,
        "OFFSET": 250.0,
        "NC_proc": -2,
        "BYTORDP": 0,
        "DTYPP": 0,
    }
    (pdir / "procs").write_text(topspin_params(procs))
    spectrum = np.round(np.random.default_rng(5).normal(0, 1e4, 256)).astype("<i4")
    (pdir / "1r").write_bytes(spectrum.tobytes())
    (pdir / "1i").write_bytes(spectrum[::-1].tobytes())


def _pv_fixture(folder: Path) -> None:
    head = "##TITLE=Parameter List\n##JCAMPDX=4.24\n##DATATYPE=Parameter Values\n"

    def pv(text: str) -> str:
        return head + text.strip() + "\n##END=\n"

    exp = folder / "5"
    pdir = exp / "pdata" / "1"
    pdir.mkdir(parents=True)
    (exp / "acqp").write_text(
        pv("""
##$ACQ_size=( 2 )
8 4
##$ACQ_dim_desc=( 2 )
Spatial Spatial
##$NI=2
##$NR=1
##$ACQ_obj_order=( 2 )
1 0
##$BYTORDA=little
##$NUCLEUS=( 8 )
<7Li>
##$BF1=116.6
##$SW_h=50000
##$ACQ_fov=( 2 )
2 1
##$ACQ_abs_time=(1721896319, 898, 120)
""")
    )
    (exp / "method").write_text(pv("##$PVM_ScanTime=60000\n##$PVM_EncSteps1=( 4 )\n0 -1 1 -2"))
    (exp / "fid").write_bytes((np.arange(2 * 4 * 8) - 20).astype("<i4").tobytes())
    (pdir / "visu_pars").write_text(
        pv("""
##$VisuCoreFrameCount=2
##$VisuCoreSize=( 2 )
4 4
##$VisuCoreDimDesc=( 2 )
spatial spatial
##$VisuCoreExtent=( 2 )
20 10
##$VisuCoreWordType=_16BIT_SGN_INT
##$VisuCoreByteOrder=littleEndian
##$VisuCoreDataSlope=( 2 )
@2*(2.5)
##$VisuCoreDataOffs=( 2 )
0 1
##$VisuFGOrderDesc=( 1 )
(2, <FG_SLICE>, <>, 0, 2)
""")
    )
    (pdir / "2dseq").write_bytes(np.arange(32, dtype="<i2").tobytes())


def _jcamp_fixtures() -> list[tuple[str, bytes]]:
    from test_jcamp_variants import FORMS, _link_file, _ntuples_fid, spectrum_text

    out = [(f"xy-{form}", spectrum_text(lines).encode()) for form, lines in FORMS.items()]
    out.append(("link", _link_file(spectrum_text(FORMS["DIFDUP"])).encode()))
    out.append(("ntuples-fid", _ntuples_fid(FORMS["DIF"], FORMS["SQZ"]).encode()))
    return out


def _totxt_fixture() -> bytes:
    values = "\n".join(str(v) for v in np.arange(64) * 3 - 50)
    return (
        "# File created = Thursday, July 25, 2024 10:31:59 AM CEST\n"
        "# Data set = Li7 12 1 C:/data\n# Spectral Region:\n"
        "# LEFT = 20.0 ppm. RIGHT = -20.0 ppm.\n#\n# SIZE = 64 ( = number of points)\n#\n"
        "# In the following a list of 64 intensities is given.\n" + values + "\n"
    ).encode()


def seeds(real: bool = True) -> dict[str, list[Seed]]:
    """Seeds per reader family: fixtures always, real files when ``real`` and present."""
    out: dict[str, list[Seed]] = {f: [] for f in FAMILIES}
    out["topspin-fid"].append(
        Seed(
            "topspin-fid",
            "ts4-f8",
            _fixture(lambda d: write_topspin(d / "1", fid_rows(1, 256, 1))),
            "1",
        )
    )
    out["topspin-fid"].append(
        Seed(
            "topspin-fid",
            "ts3-i4-big",
            _fixture(
                lambda d: write_topspin(
                    d / "1",
                    fid_rows(1, 300, 2),
                    title="Parameter file, TOPSPIN\t\tVersion 3.2",
                    dtypa=0,
                    bytorda=1,
                    padded=True,
                )
            ),
            "1",
        )
    )
    out["topspin-ser"].append(
        Seed(
            "topspin-ser",
            "ts4-f8-22x1344",
            _fixture(lambda d: write_topspin(d / "1", fid_rows(22, 672, 3))),
            "1",
        )
    )

    def ts3_ser(d: Path) -> None:
        exp = write_topspin(
            d / "1",
            fid_rows(4, 300, 4),
            title="Parameter file, TOPSPIN\t\tVersion 3.2",
            dtypa=0,
            padded=True,
        )
        (exp / "vdlist").write_text("10m\n50m\n0.1\n2\n")

    out["topspin-ser"].append(Seed("topspin-ser", "ts3-i4-vdlist", _fixture(ts3_ser), "1"))
    out["topspin-pdata"].append(
        Seed("topspin-pdata", "pdata-i4", _fixture(_pdata_fixture), "1/pdata/1")
    )
    for name, data in _jcamp_fixtures():
        out["jcamp"].append(Seed("jcamp", name, {"s.jdx": data}, "s.jdx"))
    out["varian"].append(Seed("varian", "varian-fixture", _fixture(_varian_fixture), "x.fid"))
    pv = _fixture(_pv_fixture)
    out["paravision"].append(Seed("paravision", "pv-raw", pv, "5"))
    out["paravision"].append(Seed("paravision", "pv-2dseq", pv, "5/pdata/1"))
    out["topspin-text"].append(Seed("topspin-text", "totxt", {"t.txt": _totxt_fixture()}, "t.txt"))
    if real and REAL.is_dir():
        _real_seeds(out)
    return out


def _real_seeds(out: dict[str, list[Seed]]) -> None:
    r = REAL.resolve()
    li7 = r / "li7-insitu-LiLi-TEGDME" / "2023-08-11_jana_insituLiLiTEGDME-02_galv" / "1"
    exp_files = ["acqus", "fid", "audita.txt", "pdata/1/procs"]
    for name, folder in [
        ("li7-ts21", li7),
        ("dnplab-1", r / "dnplab-bruker-odnp/topspin/1"),
        ("xwin-bruker1", r / "nmrpy-varian-31P-array-bruker-1H/bruker1/1"),
    ]:
        if folder.is_dir():
            out["topspin-fid"].append(
                Seed("topspin-fid", name, _collect(folder, exp_files, "1/"), "1")
            )
    for n in ("5", "28"):
        folder = r / "dnplab-bruker-odnp" / "topspin" / n
        if folder.is_dir():
            files = _collect(folder, ["acqus", "acqu2s", "ser", "vdlist", "audita.txt"], "1/")
            out["topspin-ser"].append(Seed("topspin-ser", f"dnplab-{n}", files, "1"))
    if li7.is_dir():
        files = _collect(li7, exp_files + ["pdata/1/1r", "pdata/1/1i"], "1/")
        out["topspin-pdata"].append(Seed("topspin-pdata", "li7-pdata", files, "1/pdata/1"))
        text = li7 / "pdata" / "1" / "ascii-spec.txt"
        out["topspin-text"].append(
            Seed(
                "topspin-text",
                "ascii-spec",
                {"ascii-spec.txt": text.read_bytes()},
                "ascii-spec.txt",
            )
        )
    totxt = sorted((r / "thienenkamp-19F-MRI-LiPEOLi").rglob("*(009).txt"))
    if totxt:
        out["topspin-text"].append(
            Seed("topspin-text", "totxt-19F", {"p.txt": totxt[0].read_bytes()}, "p.txt")
        )
    for f in [
        r / "cheminfo-jcamp/nmr/aspirin/1h.fid.dx",
        r / "cheminfo-jcamp/nmr/jeol/1h.dx",
        r / "cheminfo-jcamp/nmr/varian/1h.jdx",
    ]:
        if f.is_file():
            out["jcamp"].append(Seed("jcamp", f.parent.name, {"s.jdx": f.read_bytes()}, "s.jdx"))
    vn = r / "dnplab-jeol-varian" / "vnmrj" / "PROTON_01.fid"
    if vn.is_dir():
        out["varian"].append(
            Seed("varian", "vnmrj-proton", _collect(vn, ["procpar", "fid"], "x.fid/"), "x.fid")
        )
    for name, folder in [
        ("pv51-flash", r / "pv51-microimaging-flash-brukerMRI/example_dataset/100"),
        ("pv51-epi", r / "pv-biospec7T-banana-pvconv/BadBanana_01/18"),
    ]:
        if folder.is_dir():
            rels = ["acqp", "method", "fid", "pdata/1/2dseq", "pdata/1/visu_pars", "pdata/1/reco"]
            files = _collect(folder, rels, "5/")
            out["paravision"].append(Seed("paravision", name + "-raw", files, "5"))
            out["paravision"].append(Seed("paravision", name + "-2dseq", files, "5/pdata/1"))


def _is_text(name: str, data: bytes) -> bool:
    return Path(name).name in PARAM_NAMES or b"\x00" not in data[:2048]


def mutate(seed: Seed, rng: random.Random) -> tuple[dict[str, bytes], str]:
    """A mutated copy of the seed's files and a short description of the mutation."""
    files = dict(seed.files)
    name = rng.choice(sorted(files))
    data = bytearray(files[name])
    text = _is_text(name, bytes(data))
    kinds = ["truncate", "bitflip", "zero-block", "insert", "delete", "delete-file"]
    if text:
        kinds += ["param-absurd"] * 4 + ["param-delete"] * 2 + ["line-garbage", "dup-line"]
    kind = rng.choice(kinds)
    n = len(data)
    if kind == "truncate":
        data = data[: rng.randrange(0, n + 1)] if n else data
    elif kind == "bitflip" and n:
        for _ in range(rng.choice([1, 1, 2, 8, 64])):
            i = rng.randrange(n)
            data[i] ^= 1 << rng.randrange(8)
    elif kind == "zero-block" and n:
        i, size = rng.randrange(n), rng.choice([4, 64, 1024, 4096])
        data[i : i + size] = bytes(len(data[i : i + size]))
    elif kind == "insert":
        i = rng.randrange(n + 1)
        data[i:i] = bytes(rng.randrange(256) for _ in range(rng.choice([1, 3, 8, 1024])))
    elif kind == "delete" and n:
        i = rng.randrange(n)
        del data[i : i + rng.choice([1, 4, 100])]
    elif kind == "delete-file" and len(files) > 1:
        del files[name]
        return files, f"{kind} {name}"
    elif kind in ("param-absurd", "param-delete", "line-garbage", "dup-line"):
        lines = bytes(data).split(b"\n")
        labelled = [i for i, ln in enumerate(lines) if ln.lstrip().startswith((b"##", b"#"))]
        pool = labelled if labelled and kind != "line-garbage" else list(range(len(lines)))
        i = rng.choice(pool)
        line = lines[i]
        if kind == "param-absurd":
            head, eq, _ = line.partition(b"=")
            if eq:
                line = head + b"= " + rng.choice(ABSURD).encode()
            else:
                words = line.split()
                if words:
                    words[rng.randrange(len(words))] = rng.choice(ABSURD).encode()
                line = b" ".join(words)
            lines[i] = line
        elif kind == "param-delete":
            del lines[i]
        elif kind == "line-garbage":
            chars = b"@ABCIJRjrSsZ%?+-.,;eE0123456789 ()<>#$=\t"
            lines[i] = bytes(rng.choice(chars) for _ in range(rng.randrange(0, 40)))
        else:
            lines.insert(i, line)
        data = bytearray(b"\n".join(lines))
    files[name] = bytes(data)
    return files, f"{kind} {name}"


def write_files(files: dict[str, bytes], folder: Path) -> None:
    """Write ``files`` into an emptied ``folder``."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
