"""Simulate a whole in situ study and write it as the instruments would.

Layout of ``out_dir``::

    7Li/<expno>/       TopSpin experiments (acqus, fid, audita.txt, pdata/1/procs), 1 per time point
    6Li/<expno>/       the same for 6Li, acquired right after each 7Li experiment
    mri/<expno>/       ParaVision 7Li CSI (acqp, method, fid, pdata/1/2dseq, reco, visu_pars)
    cycler.csv         time, current, voltage
    scenario.toml      the scenario that was run: cell, observation sections and seed
    ground_truth.json  truth in the shared results schema (docs/results-schema.md)

Time points: every ``interval_h`` from the start of the current, as long as the 7Li and 6Li
acquisitions end before the run ends (short circuit or ``max_time_h``). ``time_h`` of the
truth is the 7Li acquisition mid-point. Every random draw derives from the seed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from dendritemr.sim.cell import SimulationResult, run
from dendritemr.sim.observables.csi import (
    csi_geometry,
    csi_sigma,
    encode,
    metal_map,
)
from dendritemr.sim.observables.cycler import cycler_table, cycler_text
from dendritemr.sim.observables.lines import spectral_lines, tr_seconds
from dendritemr.sim.observables.settings import ObservationSettings
from dendritemr.sim.observables.snapshot import snapshot
from dendritemr.sim.observables.spectra import (
    acquisition,
    add_noise_and_filter,
    line_fids,
    series_sigma,
)
from dendritemr.sim.observables.truth import ground_truth
from dendritemr.sim.parameters import toml_value
from dendritemr.sim.paravision_writer import PvScan, write_csi_experiment
from dendritemr.sim.scenario import Scenario
from dendritemr.sim.topspin_writer import int32_scale, write_experiment

__all__ = ["simulate", "scenario_toml"]

Progress = Callable[[float, str], None]
_GAP_S = 5.0  # dead time between consecutive acquisitions (s)


def scenario_toml(scenario: Scenario) -> str:
    """TOML text of a scenario (all keys of the cell and observation sections, seed included).

    :func:`dendritemr.sim.scenario.load_scenario` of the text gives an equal scenario.
    """
    data = scenario.to_dict()
    lines = [
        f"# scenario run by dendritemr simulate (source: {scenario.source})",
        f"seed = {data.pop('seed')}",
    ]
    for section, values in data.items():
        lines.append(f"\n[{section}]")
        lines.extend(f"{key} = {toml_value(value)}" for key, value in values.items())
    return "\n".join(lines) + "\n"


def _schedule(result: SimulationResult, obs: ObservationSettings) -> list[dict]:
    """Start times (s since the current started) of each time point's acquisitions."""
    end_s = float(result.history["time_h"][-1]) * 3600.0
    acqs = [acquisition(obs, n, "") for n in obs.nmr()]
    csi = obs.csi
    csi_s = csi.tr_s * csi.na * csi.matrix_z * csi.matrix_x if csi else 0.0
    points, t, next_mri = [], 0.0, 0.0
    while True:
        starts, cursor = [], t
        for a in acqs:
            starts.append(cursor)
            cursor += a.duration_s + _GAP_S
        mri = csi is not None and t >= next_mri - 1e-6 and cursor + csi_s <= end_s
        if cursor > end_s:
            break
        point = {"nmr": starts, "mri": cursor if mri else None}
        if mri:
            next_mri += csi.every_h * 3600.0
        points.append(point)
        t += obs.interval_h * 3600.0
    return points


def simulate(
    scenario: Scenario,
    out_dir: str | Path,
    seed: int | None = None,
    progress: Progress | None = None,
    observation: ObservationSettings | None = None,
) -> dict:
    """Run the cell model and write a complete study folder; return the ground truth.

    Parameters
    ----------
    scenario : the cell and its observation (:func:`dendritemr.sim.scenario.load_scenario`).
    out_dir : study folder (created; existing files of the same names are replaced).
    seed : overrides ``scenario.seed`` (microstructure, nucleation and all noise).
    progress : optional ``progress(fraction, label)`` callback, fraction in [0, 1].
    observation : magnet, acquisitions and line parameters; None: ``scenario.observation()``
        (sections ``[spectrometer]``, ``[li7]``, ``[li6]``, ``[mri]``). When given, it replaces
        those sections, also in the ``scenario.toml`` written.
    """
    if observation is not None:
        scenario = scenario.with_observation(observation)
    obs = scenario.observation()
    if seed is not None:
        scenario = scenario.updated(seed=int(seed))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda f, label: None)
    max_h = scenario.protocol.max_time_h
    result = run(scenario, lambda t, m: report(0.7 * min(t / max_h, 1.0), "cell model"))
    rng = np.random.default_rng([scenario.seed, 7])
    points = _schedule(result, obs)
    if not points:
        raise ValueError("the run is shorter than one NMR time point")
    files: dict[str, list[str]] = {}
    signals: dict[str, dict[str, list[float]]] = {}
    time_h = []
    for k, nmr in enumerate(obs.nmr()):
        acq = acquisition(obs, nmr, f"dendritemr {nmr.nucleus} in situ, {scenario.source}")
        tr = tr_seconds(nmr, acq.sw_hz)
        fids, amps = (
            [],
            {c: [] for c in ("electrode_B", "electrode_A", "interface", "bulk", "llzo")},
        )
        for p in points:
            mid_h = (p["nmr"][k] + acq.duration_s / 2) / 3600.0
            if k == 0:
                time_h.append(mid_h)
            lines = spectral_lines(result, snapshot(result, mid_h), obs, nmr, tr)
            for c in amps:
                amps[c].append(abs(lines.total(c)))
            fids.append(line_fids(lines, acq, nmr.receiver_phase_deg))
        fids = np.array(fids)
        sigma = series_sigma(fids[0], acq, nmr.snr)
        noisy = add_noise_and_filter(fids, sigma, acq, rng)
        scale = int32_scale(noisy)
        folder = out / nmr.nucleus
        for i, (p, fid) in enumerate(zip(points, noisy, strict=True)):
            start = obs.start + dt.timedelta(seconds=p["nmr"][k])
            label = f"/opt/topspin3.6/data/dendritemr/nmr/{nmr.nucleus}/{i + 1}"
            write_experiment(folder / str(i + 1), fid, acq, start, scale, path_label=label)
        files[nmr.nucleus] = [f"{nmr.nucleus}/{i + 1}" for i in range(len(points))]
        signals[nmr.nucleus] = {c: v for c, v in amps.items()}
        signals[nmr.nucleus]["noise_sigma"] = sigma
        signals[nmr.nucleus]["snr_stated"] = nmr.snr
        report(0.7 + 0.1 * (k + 1), f"{nmr.nucleus} spectra")
    mri = _write_mri(result, obs, points, out, rng)
    report(0.95, "MRI")
    table = cycler_table(result, obs.cycler_interval_s, obs.voltage_noise_V, rng)
    (out / "cycler.csv").write_text(cycler_text(table, obs.start))
    (out / "scenario.toml").write_text(scenario_toml(scenario))
    extras = {
        "start_time": obs.start.isoformat(),
        "seed": scenario.seed,
        "field_t": obs.field_t,
        "files": {**files, "mri": [m["folder"] for m in mri], "cycler": "cycler.csv"},
        "signals": signals,
        "mri": mri,
        "snr_definition": "dendritemr.sim.observables.noise",
    }
    truth = ground_truth(result, np.array(time_h), extras)
    tmp = out / ".ground_truth.json.tmp"
    tmp.write_text(json.dumps(truth, indent=1))
    tmp.replace(out / "ground_truth.json")
    report(1.0, "done")
    return truth


def _write_mri(result, obs, points, out: Path, rng) -> list[dict]:
    csi = obs.csi
    slots = [p["mri"] for p in points if p["mri"] is not None]
    if csi is None or not slots:
        return []
    geo = csi_geometry(result, csi, obs.field_t)
    nmr = obs.li7.__class__("7Li", snr=csi.snr, flip_deg=csi.flip_deg, llzo_t1_s=obs.li7.llzo_t1_s)
    scan_s = csi.tr_s * csi.na * csi.matrix_z * csi.matrix_x
    kspaces, info = [], []
    for start_s in slots:
        mid_h = (start_s + scan_s / 2) / 3600.0
        snap = snapshot(result, mid_h)
        lines = spectral_lines(result, snap, obs, nmr, csi.tr_s)
        kspaces.append(encode(result, lines, geo))
        info.append(
            {
                "time_h": mid_h,
                "metal_umol_map": metal_map(result, snap.iz, snap.ix, snap.mol, geo).tolist(),
            }
        )
    kspaces = np.array(kspaces)
    sigma = csi_sigma(kspaces[0], geo, csi.snr)
    noise = rng.standard_normal(kspaces.shape) + 1j * rng.standard_normal(kspaces.shape)
    kspaces = kspaces + sigma * noise
    scale = int32_scale(kspaces.reshape(len(slots), -1))
    for i, (start_s, k) in enumerate(zip(slots, kspaces, strict=True)):
        label = f"/opt/PV5.1/data/dendritemr.mri/{i + 1}"
        scan = PvScan(
            "7Li", csi.tr_s, csi.na, csi.flip_deg, obs.start + dt.timedelta(seconds=start_s), label
        )
        write_csi_experiment(out / "mri" / str(i + 1), k, geo, scan, scale)
        info[i].update(
            {
                "folder": f"mri/{i + 1}",
                "pixel_z_um": geo.pixel_z_um().tolist(),
                "pixel_x_um": geo.pixel_x_um().tolist(),
                "axes": "image x = across the pellet (cell z, B at 0), image y = lateral (cell x)",
                "noise_sigma": sigma,
                "snr_stated": csi.snr,
            }
        )
    return info
