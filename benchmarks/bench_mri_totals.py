"""Coverage of the CSI metal totals: estimate within 2 SE of the simulator's truth, over studies.

For each ``PRESET:SEED`` (default ``default:3`` -- the demo study -- ``default:11``,
``default:14``, ``scheme-b:11``): the study as ``dendritemr simulate [--preset P] --seed S``
writes it, every CSI scan fitted by the ``analyze`` path (:func:`dendritemr.mri.commands.
analyse_scans`) with the truth's 6Li fractions at its time (``x6_metal`` of the truth,
``x6_electrode`` the mean of the two electrode surfaces': the MRI scored apart from the NMR
series' x6), and the total compared with the truth's ``metal_umol_map`` sum. Printed per scan:
estimate +- SE, truth, pull (estimate - truth) / SE, the metal line model used.

``--draws N``: also the same study simulated with a noise-free CSI (stated SNR 1e9; same seed,
same cell), fitted noise-free (the model's bias) and with ``N`` fresh draws of white k-space
noise at the study's own level (the simulator's SNR definition, :mod:`dendritemr.sim.observables.
noise`: per-channel sigma = band peak of the first image / (SNR sqrt(size))). The coverage over
all scans and draws is the figure to compare with the nominal 95.4 % of +-2 SE.

Metal line shape, as ``analyze`` by default (``--nmr-shape``, the default): each scan's shape
held fixed at the NMR series' dendritic 7Li lines at its mid-time (``CsiModel.metal_shape_lines``,
:func:`dendritemr.mri.nmr_shape.scan_shape`: linear between the two significant series points
around it, held after the last; before the first significant point the CSI's own model choice)
from the series fit ``analyze`` runs (:func:`dendritemr.quant.decompose.decompose`, cached as
``PRESET-SEED-decomposition.nc`` in ``--out``). ``--no-nmr-shape``: the per-map model choice
for every scan (``analyze --no-mri-nmr-shape``).

``--shape-spread`` (with ``--draws``): also each noise-free image fitted with the shape of each
of the two NMR points its shape is interpolated between, printed as the change of its total
in units of the study's SE: how far the series' point-to-point scatter of the shape (fit noise
and 0.5 h of evolution) moves a total; ``analyze`` does not propagate that error yet.

``--analyzed DIR``: instead, the MRI totals that ``analyze`` wrote against the truth, per scan
(``DIR`` a ``dendritemr demo --out`` folder: ``DIR/results/results.json`` against
``DIR/study/ground_truth.json``): the estimate +- SE with the series' x6 as ``analyze`` uses
it, the truth, the pull and where the metal line shape came from.

Run: ``nice -n 5 python benchmarks/bench_mri_totals.py [--studies default:3 scheme-b:11]
[--draws 8] [--out DIR] [--no-nmr-shape] [--fit '{"metal_shape": "single"}']`` (``--out``
keeps the studies and reuses them on the next run; each simulation takes ~25 s, each fit
~1-2 s).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path

import numpy as np

NOISE_FREE_SNR = 1e9


def simulate_study(out: Path, preset: str, seed: int, snr: float | None = None) -> dict:
    """``dendritemr simulate [--preset]`` into ``out`` (reused when complete); ``snr``: CSI SNR."""
    from dendritemr.sim.presets import load_preset
    from dendritemr.sim.study import simulate

    if (out / "ground_truth.json").is_file():
        return json.loads((out / "ground_truth.json").read_text())
    scenario = load_preset(preset)
    obs = None
    if snr is not None:
        base = scenario.observation()
        obs = dataclasses.replace(base, csi=dataclasses.replace(base.csi, snr=snr))
    simulate(scenario, out, seed=seed, observation=obs)
    return json.loads((out / "ground_truth.json").read_text())


def nmr_decomposition(study: Path, cache: Path):
    """The series fit of the study's NMR (7Li, 6Li paired) as ``analyze`` runs it
    (:func:`dendritemr.quant.decompose.decompose`); kept in ``cache`` (netCDF) and reused."""
    import xarray as xr

    from dendritemr.pipeline import _load, _pair_li6
    from dendritemr.quant.decompose import decompose
    from dendritemr.study import load_study

    if cache.is_file():
        return xr.load_dataset(cache)
    st = load_study(study)
    li7 = _load(st.li7, "nmr.li7")
    series = [li7]
    if st.li6 is not None:
        li7, li6, _ = _pair_li6(li7, _load(st.li6, "nmr.li6"))
        s6 = li6.assign_coords(hours=("time", li7["hours"].values))
        s6.attrs = {k: v for k, v in li6.attrs.items() if k != "paired_index"}
        series = [li7, s6]
    ds = decompose(series)[
        ["area", "area_err", "group_area", "group_area_err", "center", "width", "micro_phase"]
    ]
    ds.attrs = {}
    ds.to_netcdf(cache)
    return ds


def fit_image(image, iso: dict, fit: dict, decomp=None):
    """Total and SE (umol) and the metal model of one reconstructed CSI (area 1 cm2, as
    simulated); ``decomp``: the NMR series fit, whose dendritic 7Li shape at the scan's time
    is then held fixed by ``analyze``'s rule (:func:`dendritemr.mri.nmr_shape.dendritic_shape`;
    None before the series' first significant dendritic 7Li: the model choice)."""
    from dendritemr.mri.csi import CsiModel, metal_map
    from dendritemr.mri.nmr_shape import dendritic_shape

    fit = dict(fit)
    if decomp is not None:
        when = np.datetime64(str(image.attrs["time_mid"]).replace("+00:00", ""), "ns")
        lines = dendritic_shape(decomp, when)
        if lines is not None:
            fit["metal_shape_lines"] = lines
    m = metal_map(image, CsiModel(electrode_area_cm2=1.0, **{**fit, **iso}))
    return float(m["total_umol"]), float(m["total_umol_err"]), m.attrs["metal_model"]


def shape_spread(image, iso: dict, decomp, total: float) -> list[float]:
    """Change of ``image``'s total (umol) with the shape of each NMR point around its time
    instead of the interpolated one (``--shape-spread``); [] without a shape."""
    from dendritemr.mri.csi import CsiModel, metal_map
    from dendritemr.mri.nmr_shape import dendritic_lines, scan_shape

    table = dendritic_lines(decomp)
    when = np.datetime64(str(image.attrs["time_mid"]).replace("+00:00", ""), "ns")
    sh = scan_shape(table, when)
    if sh.lines is None or len(sh.nmr_times) < 2:
        return []
    out = []
    for t in sh.nmr_times:
        lines = scan_shape(table, t).lines
        model = CsiModel(electrode_area_cm2=1.0, metal_shape_lines=lines, **iso)
        out.append(float(metal_map(image, model)["total_umol"]) - total)
    return out


def noise_sigma_raw(first_raw, snr: float) -> float:
    """Per-channel k-space noise (raw units) of stated ``snr`` on the first image."""
    from dendritemr.mri.recon import reconstruct
    from dendritemr.sim.observables.noise import band_mask, noise_sigma

    img = reconstruct(first_raw)
    band = band_mask(img["ppm"].values)
    peak = float(np.abs(img.isel(ppm=np.nonzero(band)[0]).values).max())
    return noise_sigma(peak, snr, first_raw.size)


def print_analyzed(folder: Path) -> None:
    """Per scan: ``analyze``'s MRI total +- SE against the truth (``--analyzed``)."""
    doc = json.loads((folder / "results" / "results.json").read_text())
    truth = json.loads((folder / "study" / "ground_truth.json").read_text())
    m = doc["mri_images"]
    print("scan   t_h    total +- SE       true   pull  model      shape from")
    pulls = []
    for j, scan in enumerate(m["scans"]):
        true = float(np.sum(truth["mri"][j]["metal_umol_map"]))
        tot, err = m["total_umol"][j], m["total_umol_err"][j]
        pulls.append((tot - true) / err)
        print(
            f"{scan:>4s} {m['time_h'][j]:5.2f} {tot:7.2f} +- {err:5.2f}  {true:7.2f} "
            f"{pulls[-1]:+6.2f}  {m.get('metal_model', ['?'] * len(m['scans']))[j]:9s}  "
            f"{m.get('metal_shape_from', [''] * len(m['scans']))[j]}"
        )
    p = np.array(pulls)
    print(
        f"{(np.abs(p) <= 2).sum()}/{p.size} within 2 SE; "
        f"pulls mean {p.mean():+.2f}, SD {p.std():.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--studies", nargs="+", default=["default:3", "default:11", "default:14", "scheme-b:11"]
    )
    parser.add_argument("--draws", type=int, default=0, help="noise draws on a noise-free copy")
    parser.add_argument("--fit", default="{}", help="CsiModel options as JSON")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--shape-spread",
        action="store_true",
        help="with --draws: noise-free totals with the shapes of the two NMR points around",
    )
    parser.add_argument(
        "--analyzed", type=Path, default=None, help="a demo --out folder: its MRI totals"
    )
    parser.add_argument(
        "--nmr-shape",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="hold the metal line shape at the NMR series' dendritic 7Li shape (default, as "
        "analyze); --no-nmr-shape: the per-map model choice",
    )
    args = parser.parse_args()
    if args.analyzed is not None:
        print_analyzed(args.analyzed)
        return
    from score_mri_sim import true_isotopes  # the truth's x6 per image (benchmarks/ on the path)

    from dendritemr.io.paravision import read_raw
    from dendritemr.mri.commands import scan_folders
    from dendritemr.mri.recon import reconstruct

    fit = json.loads(args.fit)
    root = args.out or Path(tempfile.mkdtemp(prefix="bench-mri-totals-"))
    study_pulls, draw_pulls, biases, spreads = [], [], [], []
    cpu = time.process_time()
    print("study          t_h    total +- SE       true   pull  model    | noise-free  draws")
    for spec in args.studies:
        preset, seed = spec.split(":")
        truth = simulate_study(root / f"{preset}-{seed}", preset, int(seed))
        iso = true_isotopes(truth)
        folders = scan_folders(root / f"{preset}-{seed}" / "mri")
        decomp = None
        if args.nmr_shape:
            decomp = nmr_decomposition(
                root / f"{preset}-{seed}", root / f"{preset}-{seed}-decomposition.nc"
            )
        nf_folders, sigma = [], 0.0
        if args.draws:
            nf = root / f"{preset}-{seed}-noisefree"
            simulate_study(nf, preset, int(seed), NOISE_FREE_SNR)
            nf_folders = scan_folders(nf / "mri")
            sigma = noise_sigma_raw(read_raw(nf_folders[0]), truth["mri"][0]["snr_stated"])
        for j, (folder, im) in enumerate(zip(folders, truth["mri"], strict=True)):
            true = float(np.sum(im["metal_umol_map"]))
            tot, err, kind = fit_image(reconstruct(read_raw(folder)), iso[j], fit, decomp)
            pull = (tot - true) / err
            study_pulls.append(pull)
            line = (
                f"{preset:>8s}:{seed:<3s} {im['time_h']:5.2f} {tot:7.2f} +- {err:5.2f}  "
                f"{true:7.2f} {pull:+6.2f}  {kind:8s} |"
            )
            if args.draws:
                raw = read_raw(nf_folders[j])
                t0, _, _ = fit_image(reconstruct(raw), iso[j], fit, decomp)
                biases.append((t0 - true) / true if true > 0 else np.nan)
                spread = []
                if args.shape_spread and decomp is not None:
                    spread = [d / err for d in shape_spread(reconstruct(raw), iso[j], decomp, t0)]
                    spreads.extend(spread)
                rng = np.random.default_rng([int(seed), j, 2718])
                pulls = []
                for _ in range(args.draws):
                    noise = rng.standard_normal(raw.shape) + 1j * rng.standard_normal(raw.shape)
                    t, e, _ = fit_image(reconstruct(raw + sigma * noise), iso[j], fit, decomp)
                    pulls.append((t - true) / e)
                pulls = np.array(pulls)
                draw_pulls.extend(pulls)
                line += (
                    f" {100 * biases[-1]:+6.1f} %   pulls {pulls.mean():+.2f} +- {pulls.std():.2f}"
                    f", outside 2 SE {(np.abs(pulls) > 2).sum()}/{args.draws}"
                )
                if spread:
                    line += "; neighbours' shapes " + " ".join(f"{d:+.2f}" for d in spread) + " SE"
            print(line, flush=True)
    p = np.array(study_pulls)
    print(
        f"studies as simulated: {(np.abs(p) <= 2).sum()}/{p.size} totals within 2 SE; "
        f"pulls mean {p.mean():+.2f}, SD {p.std():.2f}"
    )
    if draw_pulls:
        d = np.array(draw_pulls)
        b = np.array(biases)
        print(
            f"noise draws: {(np.abs(d) <= 2).sum()}/{d.size} within 2 SE "
            f"({100 * np.mean(np.abs(d) <= 2):.1f} %, nominal 95.4 %); pulls mean {d.mean():+.2f}, "
            f"SD {d.std():.2f}; noise-free bias {100 * np.nanmean(b):+.1f} % mean, "
            f"{100 * np.nanmin(b):+.1f} to {100 * np.nanmax(b):+.1f} %"
        )
    if spreads:
        sp = np.abs(np.array(spreads))
        print(
            f"NMR neighbours' shapes move the noise-free totals by {np.sqrt(np.mean(sp**2)):.2f} "
            f"SE rms, at most {sp.max():.2f} SE ({sp.size} shapes)"
        )
    print(f"fits: {time.process_time() - cpu:.0f} s CPU (with simulation); studies in {root}")


if __name__ == "__main__":
    main()
