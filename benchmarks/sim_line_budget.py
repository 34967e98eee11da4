"""Issue 8 diagnosis: where each line of the decomposition puts the metal of a simulated study.

For a study written by ``dendritemr simulate`` (its ``scenario.toml`` and ``ground_truth.json``):

1. the joint 6Li/7Li decomposition of the study's series (the model ``analyze`` uses), then, per
   nucleus and time point, every fitted metal line's area in % of the true electrode signal
   (the LLZO line of the fit scales fit to truth), the dendritic metal (microstructure lines +
   deposit) minus its truth, in % of the electrode and in standard errors of the sum of its
   lines, and the fitted electrode over the true electrode; the fitted skin phase;
2. with ``--truth-lines`` (reruns the cell model of the study: minutes), the simulator's own
   dendritic lines at the same times: their share by phase (how far from absorptive) and by
   offset from the electrode line (ppm), i.e. what the model has to describe.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/sim_line_budget.py STUDY [--every 8]
[--truth-lines]``. Stop 11 (default seed 12, ``dendritemr simulate --seed 12``): the truth's
dendritic lines are all absorptive (|phase| < 10 deg) and sit -4..+12 ppm from the electrode; the
fitted "broad electrode" (skin phase) holds 1 -> 26 % of the 7Li electrode over the run.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np


def decomposition(folder: Path):
    from dendritemr.pipeline import _load, _pair_li6
    from dendritemr.quant.decompose import decompose
    from dendritemr.study import load_study

    study = load_study(folder)
    li7 = _load(study.li7, "li7")
    li7, li6, _ = _pair_li6(li7, _load(study.li6, "li6"))
    li6 = li6.assign_coords(hours=("time", li7["hours"].values))
    li6.attrs = {k: v for k, v in li6.attrs.items() if k != "paired_index"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return decompose([li7, li6])


def print_budget(ds, truth: dict, every: int) -> None:
    comps = [str(c) for c in ds.component.values]
    metal = [i for i, c in enumerate(comps) if not c.startswith("electrolyte")]
    dend = [i for i, c in enumerate(comps) if c.startswith("micro") or c == "deposit"]
    elec = [i for i, c in enumerate(comps) if c.startswith("electrode")]
    llzo = [i for i, c in enumerate(comps) if c.startswith("electrolyte")]
    hours = ds["hours"].values
    print(ds.attrs.get("model_choice", ""))
    print(f"skin phase {np.degrees(float(ds['skin_phase'])):.2f} deg")
    sig = truth["signals"]
    for k, nuc in enumerate(["7Li", "6Li"]):
        a = ds["area"].isel(nucleus=k).values
        ae = ds["area_err"].isel(nucleus=k).values
        n = a.shape[0]
        scale = np.asarray(sig[nuc]["llzo"])[:n] / a[:, llzo].sum(axis=1)
        e_true = (np.asarray(sig[nuc]["electrode_A"]) + np.asarray(sig[nuc]["electrode_B"]))[:n]
        d_true = (np.asarray(sig[nuc]["interface"]) + np.asarray(sig[nuc]["bulk"]))[:n]
        print(f"== {nuc}: line areas in % of the true electrode signal")
        for t in range(0, n, every):
            pct = a[t] * scale[t] / e_true[t] * 100
            d_fit = a[t, dend].sum() * scale[t]
            d_err = np.sqrt((ae[t, dend] ** 2).sum()) * scale[t]
            lines = " ".join(f"{comps[i][:8]}={pct[i]:7.2f}" for i in metal)
            print(
                f"{hours[t]:6.2f} h {lines} | dendritic true {d_true[t] / e_true[t] * 100:6.2f} "
                f"fit-true {(d_fit - d_true[t]) / e_true[t] * 100:+6.2f} "
                f"({(d_fit - d_true[t]) / d_err:+.1f} SE) | electrode fit/true "
                f"{a[t, elec].sum() * scale[t] / e_true[t]:.4f}"
            )


def print_truth_lines(folder: Path, times: list[float]) -> None:
    from dendritemr.sim.cell import run
    from dendritemr.sim.observables.lines import spectral_lines, tr_seconds
    from dendritemr.sim.observables.snapshot import snapshot
    from dendritemr.sim.observables.spectra import acquisition
    from dendritemr.sim.scenario import load_scenario

    sc = load_scenario(folder / "scenario.toml")
    res = run(sc)
    obs = sc.observation()
    for nmr in obs.nmr():
        acq = acquisition(obs, nmr, "x")
        tr = tr_seconds(nmr, acq.sw_hz)
        print(f"== {nmr.nucleus}: the simulator's dendritic lines (share of their magnitude)")
        for t in times:
            lines = spectral_lines(res, snapshot(res, t), obs, nmr, tr)
            e = np.isin(lines.component, ["electrode_A", "electrode_B"])
            d = np.isin(lines.component, ["interface", "bulk"])
            e_sum = abs(lines.amplitude[e].sum())
            amp = lines.amplitude[d]
            mag = np.abs(amp)
            tot = max(mag.sum(), 1e-300)
            ph = np.degrees(np.angle(amp))
            off = lines.ppm[d] - lines.ppm[e][0]
            out = f"{t:6.2f} h dendritic/electrode {tot / e_sum * 100:6.2f} % |"
            for lo, hi in ((-90, -30), (-30, -10), (-10, 10)):
                out += f" phase [{lo},{hi}) {mag[(ph >= lo) & (ph < hi)].sum() / tot * 100:5.1f}"
            out += " |"
            for lo, hi in ((-20, -4), (-4, 4), (4, 12), (12, 60)):
                out += f" offset [{lo},{hi}) {mag[(off >= lo) & (off < hi)].sum() / tot * 100:5.1f}"
            print(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("study", type=Path)
    ap.add_argument("--every", type=int, default=8, help="print every n-th time point")
    ap.add_argument("--truth-lines", action="store_true", help="rerun the cell model (slow)")
    args = ap.parse_args()
    truth = json.loads((args.study / "ground_truth.json").read_text())
    ds = decomposition(args.study)
    print_budget(ds, truth, args.every)
    if args.truth_lines:
        hours = ds["hours"].values
        print_truth_lines(args.study, [float(h) for h in hours[:: args.every]])


if __name__ == "__main__":
    main()
