"""Agreement of ``process --mode topspin`` and ``--mode auto`` with TopSpin's own 1r.

Every real pair of raw FID and TopSpin 1r in ../shared/data/real (``find -name 1r``):
- li7-insitu-LiLi-TEGDME, 50 expnos (TopSpin 2.1 acquisition, processed with TopSpin 4.1.4:
  efp, apk, abs n ABSG 5), DSPFVS 10, DECIM 2 (group delay 44.75);
- dnplab-bruker-odnp/topspin/1 pdata/1 (TopSpin 1.3: efp, apk0, mc), same filter.
Not pairs: dnplab topspin/1 pdata/999 holds a zero-filled *FID* (``zf``) of an earlier
acquisition (other data hash in auditp.txt); nmrpy bruker1 (XWIN-NMR) and dnplab topspin/5
have procs but no 1r. Added: the TopSpin 3.0 Hahn-echo fixture (``topspin30_fixture``).

Run ``python tests/nmr/agreement.py`` from the repository root to print the table, and
``python tests/nmr/agreement.py --metal [SIM/7Li]`` for the metal-window figures of issue 8.
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import xarray as xr

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real"
LI7 = Path("li7-insitu-LiLi-TEGDME") / "2023-08-11_jana_insituLiLiTEGDME-02_galv"
DNPLAB = Path("dnplab-bruker-odnp") / "topspin" / "1"


def on_axis(ref: xr.DataArray, ppm: np.ndarray) -> np.ndarray:
    """TopSpin's 1r (real part of row 0) interpolated onto the descending axis ``ppm``."""
    return np.interp(ppm[::-1], ref["ppm"].values[::-1], ref.values[0].real[::-1])[::-1]


def pearson(spectrum: xr.DataArray, ref: xr.DataArray, row: int = 0, exclude=()) -> float:
    """Pearson r of the real part of ``spectrum[row]`` and the 1r over the 1r's whole window
    (points inside the ppm spans ``exclude`` left out)."""
    ppm = spectrum["ppm"].values
    lo, hi = ref["ppm"].values.min(), ref["ppm"].values.max()
    keep = (ppm >= lo) & (ppm <= hi)
    for a, b in exclude:
        keep &= ~((ppm >= min(a, b)) & (ppm <= max(a, b)))
    ours = spectrum.values[row].real[keep]
    return float(np.corrcoef(ours, on_axis(ref, ppm)[keep])[0, 1])


def pairs(real: Path = REAL, fixture_dir: Path | None = None) -> list[tuple[str, Path, Path]]:
    """(label, experiment folder, pdata folder) of every FID/1r pair."""
    out = []
    series = real / LI7
    for expno in range(1, 51):
        out.append((f"li7 expno {expno}", series / str(expno), series / str(expno) / "pdata/1"))
    out.append(("dnplab topspin/1", real / DNPLAB, real / DNPLAB / "pdata/1"))
    if fixture_dir is not None:
        sys.path.insert(0, str(Path(__file__).parent))
        from topspin30_fixture import write_hahn_echo

        exp = write_hahn_echo(fixture_dir / "1")
        out.append(("TopSpin 3.0 Hahn echo (fixture)", exp, exp / "pdata/1"))
    return out


def scores(exp: Path, pdata: Path) -> dict[str, float]:
    """r against TopSpin's 1r for one pair: the replay (``topspin``), the automatic pipeline with
    its own line broadening (``auto``) and with TopSpin's LB (``auto_lb``). A magnitude 1r
    (``mc``) is compared with the magnitude of the automatic spectrum."""
    from dendritemr.io import open_dataset
    from dendritemr.io.bruker import read_pdata
    from dendritemr.io.bruker_procs import procs_parameters
    from dendritemr.nmr.auto import auto_spectra
    from dendritemr.nmr.magnitude import Magnitude
    from dendritemr.nmr.topspin import replay_topspin

    fid = open_dataset(exp)
    ref = read_pdata(pdata)
    lb = float(procs_parameters(pdata).get("LB", 0.0))
    out = {"topspin": pearson(replay_topspin(fid), ref)}
    magnitude = bool(np.all(ref.values[0].real >= 0) and np.all(ref.values[0].imag == 0))
    for key, auto in (("auto", auto_spectra(fid)), ("auto_lb", auto_spectra(fid, lb_hz=lb))):
        if magnitude:  # TopSpin was asked for a magnitude spectrum (mc): compare magnitudes
            auto = Magnitude()(auto)
        out[key] = pearson(auto, ref)
    return out


def metal_window_figures(sim_7li: Path | None = None) -> None:
    """Issue 8 item 4: metal-window growth, scatter and dip of ``process`` vs TopSpin's 1r on
    the real series; with ``sim_7li`` (``dendritemr simulate --seed 3``'s 7Li folder) the
    baseline at 150-210 ppm relative to the metal peak."""
    from dendritemr.io import open_dataset
    from dendritemr.io.bruker import read_pdata
    from dendritemr.nmr.noise import noise_std
    from dendritemr.process import process_series

    def window(ppm, y):
        m = (ppm >= 200) & (ppm <= 300)
        return y[..., m].sum(-1) * abs(ppm[1] - ppm[0])

    def scatter(a):
        x = np.arange(a.size)
        return float(np.std(a / np.polyval(np.polyfit(x, a, 3), x) - 1))

    series = REAL / LI7
    refs = [read_pdata(series / str(i) / "pdata" / "1") for i in range(1, 51)]
    theirs = np.array([window(r["ppm"].values, r.values[0].real) for r in refs])
    result = process_series(open_dataset(series))
    ours = result["area"].sel(region="metal").values
    spectra = result["spectrum"]
    ppm, last = spectra["ppm"].values, spectra.values[-1].real
    peak = last[(ppm > 200) & (ppm < 300)].max()
    sigma = float(noise_std(spectra.isel(time=[49]))[0])
    dip = last[(ppm >= 275) & (ppm <= 300)].min()
    print(
        f"metal window growth last/first: process {ours[-1] / ours[0] - 1:+.4f}, "
        f"TopSpin 1r {theirs[-1] / theirs[0] - 1:+.4f}"
    )
    print(
        f"scatter about a cubic trend: process {scatter(ours):.4f}, TopSpin {scatter(theirs):.4f}"
    )
    print(
        f"expno 50, minimum at 275-300 ppm: {dip / peak:+.4f} x metal peak "
        f"({dip / sigma:+.1f} sigma)"
    )
    if sim_7li is not None:
        x = process_series(open_dataset(sim_7li))["spectrum"]
        q, real = x["ppm"].values, x.values.real
        top = real[:, (q > 200) & (q < 300)].max(axis=1)
        base = real[:, (q > 150) & (q < 210)]
        print(
            f"simulated cell: baseline 150-210 ppm / metal peak: mean "
            f"{np.abs(base.mean(axis=1) / top).max():.4f}, "
            f"max |.| {(np.abs(base).max(axis=1) / top).max():.4f} (worst spectrum)"
        )


def main() -> None:
    warnings.simplefilter("ignore")
    if len(sys.argv) > 1 and sys.argv[1] == "--metal":
        metal_window_figures(Path(sys.argv[2]) if len(sys.argv) > 2 else None)
        return
    with tempfile.TemporaryDirectory() as tmp:
        rows = [(label, scores(exp, pdata)) for label, exp, pdata in pairs(fixture_dir=Path(tmp))]
    print("| pair | r `--mode topspin` | r `--mode auto` | r `--mode auto --lb <TopSpin's LB>` |")
    print("|---|---|---|---|")
    for label, s in rows:
        print(f"| {label} | {s['topspin']:.5f} | {s['auto']:.4f} | {s['auto_lb']:.4f} |")
    li7 = np.array([list(s.values()) for label, s in rows if label.startswith("li7")])
    print(
        "li7 minimum: "
        + ", ".join(f"{k} {v:.5f}" for k, v in zip(rows[0][1], li7.min(0), strict=True))
    )


if __name__ == "__main__":
    main()
