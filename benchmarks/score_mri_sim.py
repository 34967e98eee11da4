"""Score the CSI metal maps against simulator truth on small studies of fresh seeds.

For each seed: a small Li|LLZO|Li study (300 um pellet, 60 um section, natural Li everywhere so
the 7Li image counts all the metal, CSI 32 x 4 x 128 every 1.5 h), then ``dendritemr image``'s
analysis (:func:`dendritemr.mri.commands.analyse_scans`). Printed per image: correlation of the
metal map with the true ``metal_umol_map``, whether the time point qualifies (the true map's
largest pixel above 10x the map's noise), total metal against the truth in standard errors,
penetration depth from B and from A against the true tip depths, and the pixel size.

Run: ``python benchmarks/score_mri_sim.py [--seeds 11 12 13] [--snr 200] [--out DIR]``
(``--out``: keep the studies there; studies already in ``DIR/seed<N>`` are reused, not
simulated again, so use one folder per SNR).

``--enriched``: the default scenario instead (1 mm pellet, 150 um section, CSI 64 x 8 x 256
every 10 h, electrodes 95 % 6Li: the 7Li image holds ~5-25 % of the metal), each image fitted
with the true 6Li fractions at its time (``x6_metal`` of the truth; ``x6_electrode`` the mean of
the two electrode surfaces', which is what the two-face calibration needs), so the maps are
scored apart from the NMR quantification's x6. Also printed: the depth's standard error and the
"visible tip" (the deepest row from B, through rows whose true metal in the 7Li image exceeds
2x the row's SE, holding > 3x: the tip an ideal front walk on this map's noise would reach).

``--shared-shape``: one metal line for all scans of a study
(:func:`dendritemr.mri.commands.analyse_scans` ``shared_metal_shape``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np


def simulate_small(out: Path, seed: int, snr: float = 50.0) -> dict:
    """The small CSI study (:func:`dendritemr.sim.small_csi.simulate_small_csi`, the one the
    MRI tests use) with an image every 1.5 h at ``snr``."""
    from dendritemr.sim.small_csi import simulate_small_csi

    return simulate_small_csi(out, seed, every_h=1.5, snr=snr)


def simulate_enriched(out: Path, seed: int, snr: float = 50.0) -> dict:
    from dendritemr.sim.observables.settings import CsiSettings, ObservationSettings
    from dendritemr.sim.scenario import load_scenario
    from dendritemr.sim.study import simulate

    obs = ObservationSettings(csi=CsiSettings(snr=snr))
    simulate(load_scenario(), out, seed=seed, observation=obs)
    return json.loads((out / "ground_truth.json").read_text())


def true_isotopes(truth: dict) -> list[dict]:
    """Per image: the truth's x6 of the dendritic metal and the mean of the electrode surfaces'."""
    th = np.array(truth["time_h"], float)
    xm = np.array([np.nan if v is None else v for v in truth["x6_metal"]], float)
    xe = 0.5 * (np.array(truth["x6_electrode_b"], float) + np.array(truth["x6_electrode_a"], float))
    ok = np.isfinite(xm)
    out = []
    for im in truth["mri"]:
        m = float(np.interp(im["time_h"], th[ok], xm[ok])) if ok.any() else float(xe[0])
        out.append({"x6_metal": m, "x6_electrode": float(np.interp(im["time_h"], th, xe))})
    return out


def visible_tip(true_profile: np.ndarray, row_se: np.ndarray, depth_um: np.ndarray, f7: float):
    """Deepest row from B an ideal walk reaches on the true profile (7Li-weighted by ``f7``
    relative to the map's calibration: amounts read as ``true * f7``)."""
    from dendritemr.mri.profiles import _run_depth

    p = true_profile * f7
    present = p > 2 * row_se
    return _run_depth(present, (p > 3 * row_se) & present, depth_um, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13])
    parser.add_argument("--snr", type=float, default=50.0, help="stated CSI SNR (sim default 50)")
    parser.add_argument("--fit", default="{}", help="CsiModel options as JSON")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--enriched", action="store_true", help="default scenario (6Li-enriched), true x6"
    )
    parser.add_argument(
        "--shared-shape", action="store_true", help="one metal line shared by a study's scans"
    )
    args = parser.parse_args()
    import time

    from dendritemr.mri.commands import analyse_scans, scan_folders

    root = args.out or Path(tempfile.mkdtemp(prefix="score-mri-"))
    print(
        "seed  t_h   r      r_max  qualifies  total_umol       true   dev/SE  dev%   "
        "depthB+-SE/tipB (visible)  depthA/tipA  pixel"
    )
    rows = []
    for seed in args.seeds:
        study = root / f"seed{seed}"
        if (study / "ground_truth.json").is_file():  # reuse a study simulated before (--out)
            truth = json.loads((study / "ground_truth.json").read_text())
        elif args.enriched:
            truth = simulate_enriched(study, seed, args.snr)
        else:
            truth = simulate_small(study, seed, args.snr)
        iso = true_isotopes(truth) if args.enriched else None
        cpu = time.process_time()
        maps, series = analyse_scans(
            scan_folders(study / "mri"),
            1.0,
            fit_options=json.loads(args.fit),
            per_scan_options=iso,
            shared_metal_shape=args.shared_shape,
        )
        cpu = time.process_time() - cpu
        times = np.array(truth["time_h"])
        for j, (m, im) in enumerate(zip(maps, truth["mri"], strict=True)):
            true_map = np.array(im["metal_umol_map"])
            est = m["metal_umol"].values.T
            r = np.corrcoef(est.ravel(), true_map.ravel())[0, 1] if true_map.any() else np.nan
            noise = m.attrs["noise_umol"]
            # the best r that noise alone allows: sqrt(var(truth) / (var(truth) + mean SE^2))
            nv = float((m["metal_umol_err"].values ** 2).mean())
            r_max = np.sqrt(true_map.var() / (true_map.var() + nv)) if true_map.any() else np.nan
            qual = true_map.max() > 10 * noise
            i = int(np.argmin(np.abs(times - im["time_h"])))
            tot, err = float(m["total_umol"]), float(m["total_umol_err"])
            dev = (tot - true_map.sum()) / err
            pct = 100 * (tot - true_map.sum()) / true_map.sum() if true_map.any() else np.nan
            pix = m.attrs["pixel_mm"] * 1e3
            db, da = series["depth_b_um"].values[j], series["depth_a_um"].values[j]
            db_err = series["depth_b_um_err"].values[j]
            tb, ta = truth["tip_depth_um"][i], truth["tip_depth_a_um"][i]
            # the visible tip: rows of the true profile inside the pellet, from B
            zb = float(m.attrs["z_b_mm"])
            zrow = m["z_mm"].values
            inside = (zrow > zb) & (zrow < float(m.attrs["z_a_mm"]))
            row_se = np.sqrt((m["metal_umol_err"].values ** 2).sum(axis=0))
            tp = true_map.sum(axis=1)  # (z,)
            # enriched: a voxel reads true x (1 - x6_voxel) / (1 - x6_metal); the truth has no
            # per-voxel x6, so the mean composition is assumed (f7 = 1)
            vt = visible_tip(tp[inside], row_se[inside], (zrow[inside] - zb) * 1e3, 1.0)
            rows.append(
                (
                    qual,
                    r,
                    abs(dev) <= 2 or abs(pct) <= 10,
                    abs(db - tb) <= pix,
                    abs(da - ta) <= pix,
                    abs(db - vt) <= pix,
                    dev,
                )
            )
            print(
                f"{seed:4d} {im['time_h']:5.2f} {r:6.3f} {r_max:6.3f}  {str(qual):9s}  "
                f"{tot:7.2f} +- {err:5.2f}  {true_map.sum():7.2f} {dev:6.2f} {pct:6.1f}  "
                f"{db:5.0f}+-{db_err:3.0f}/{tb:4.0f} (vis {vt:4.0f})  {da:5.0f}/{ta:4.0f}     "
                f"{pix:.1f}"
            )
        print(f"      map noise (median pixel SE) {noise:.3f} umol; fits {cpu:.2f} s CPU")
    q = [x for x in rows if x[0]]
    good_r = sum(x[1] >= 0.9 for x in q)
    print(
        f"qualifying images: {len(q)}/{len(rows)}; r >= 0.9 in {good_r}/{len(q)}; "
        f"total within 10 % or 2 SE in {sum(x[2] for x in rows)}/{len(rows)}; "
        f"depth within one pixel: B {sum(x[3] for x in rows)}/{len(rows)} "
        f"(of the visible tip {sum(x[5] for x in rows)}/{len(rows)}), "
        f"A {sum(x[4] for x in rows)}/{len(rows)}"
    )
    pulls = np.array([x[6] for x in rows if np.isfinite(x[6])])
    if pulls.size > 1:
        print(f"total pulls (estimate - truth) / SE: mean {pulls.mean():.2f}, SD {pulls.std():.2f}")


if __name__ == "__main__":
    main()
