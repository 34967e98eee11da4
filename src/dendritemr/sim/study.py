"""Simulate a whole in situ study and write it as the instruments would.

Layout of ``out_dir``::

    7Li/<expno>/       TopSpin experiments (acqus, fid, audita.txt, pdata/1/procs), 1 per time point
    6Li/<expno>/       the same for 6Li, acquired right after each 7Li experiment
    mri/<expno>/       ParaVision 7Li CSI (acqp, method, fid, pdata/1/2dseq, reco, visu_pars)
    cycler.csv         time, current, voltage
    reference/<nuc>/1  calibration reference, recorded before the cell: a natural-abundance
                       Li | LLZO | Li cell of the same geometry, no current, fully relaxed
                       (D1 >= 5 T1 of every line), 7Li and 6Li at the series' receiver scale
    reference/<nuc>/2  the same reference at the in situ D1 (saturation of each line)
    scenario.toml      the scenario that was run: cell, observation sections and seed
    study.toml         the study description (docs/study-format.md): data roles, isotopes,
                       references, T1 per nucleus and line, truth
    ground_truth.json  truth in the shared results schema (docs/results-schema.md)

Time points: every ``interval_h`` from the start of the current, as long as the 7Li and 6Li
acquisitions end before the run ends (short circuit or ``max_time_h``). ``time_h`` of the
truth is the 7Li acquisition mid-point. Every random draw derives from the seed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from dendritemr.physics.relaxation import korringa_t1
from dendritemr.sim.cell import SimulationResult, run
from dendritemr.sim.observables.csi import (
    csi_geometry,
    csi_sigma,
    encode,
    metal_map,
)
from dendritemr.sim.observables.cycler import cycler_table, cycler_text
from dendritemr.sim.observables.detection import GAP_S
from dendritemr.sim.observables.lines import spectral_lines, tr_seconds
from dendritemr.sim.observables.settings import ObservationSettings
from dendritemr.sim.observables.snapshot import Snapshot, snapshot
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

__all__ = [
    "SIM_BLAS_THREADS",
    "check_simulate_out",
    "simulate",
    "scenario_toml",
    "study_toml",
    "nmr_time_points",
    "REFERENCE_RELAXED_T1",
]

Progress = Callable[[float, str], None]
_GAP_S = GAP_S  # dead time between consecutive acquisitions (s)
#: Recycle delay of the relaxed reference, in units of the longest T1 of its lines.
REFERENCE_RELAXED_T1 = 5.0
_NATURAL_X6 = 0.0759  # [checked] natural 6Li abundance (IUPAC), as scenario.NATURAL_X6


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


def nmr_time_points(result: SimulationResult, obs: ObservationSettings) -> np.ndarray:
    """Mid-points (h since the current started) of the 7Li acquisitions the study records."""
    first = obs.nmr()[0]
    duration = acquisition(obs, first, "").duration_s
    return np.array([(p["nmr"][0] + duration / 2.0) / 3600.0 for p in _schedule(result, obs)])


#: BLAS/LAPACK threads while simulating (:func:`simulate`'s default). The cell model factorises
#: small banded matrices; OpenBLAS's default two threads spin on a loaded 2-core machine:
#: ``dendritemr simulate --seed 3`` took 280 s wall, 130 s user CPU with them and 58 s wall,
#: 21.5 s CPU with one (back to back, load average 4.5-5.7); the demo's simulate step took
#: 180 s in one run and 29 s in the next (analyze runs on one thread too:
#: ``AnalyzeOptions.blas_threads``). From Python (``simulate(load_preset("default"), out,
#: seed=3)``, back to back, load 2.7-6.1): 27.4 s wall / 20.6 s CPU pinned, 134 s / 87.7 s with
#: ``blas_threads=None`` on OpenBLAS's two threads
SIM_BLAS_THREADS = 1

#: files that mark a folder as a study :func:`simulate` wrote (it may be written over again)
SIMULATED_STUDY = ("ground_truth.json", "scenario.toml")


#: prefix of the hidden folder :func:`simulate` writes into before moving the study in
_TMP_PREFIX = ".simulate-"


def _leftover(p: Path) -> bool:
    """A hidden folder of a simulate run that was killed before it could remove it."""
    return p.name.startswith(_TMP_PREFIX) and p.is_dir()


def check_simulate_out(out: str | Path) -> None:
    """A study folder :func:`simulate` may write: new, empty, or an earlier simulated study
    (:data:`SIMULATED_STUDY`). The simulator replaces files of its own names (``study.toml``,
    ``7Li/1``, ...): ``simulate --out tegdme`` wrote over the README tour's hand-written
    study.toml, and any folder's likewise.

    Raises
    ------
    DataError : ``out`` is a file, or a folder holding anything else (naming one entry; the
        hidden folder a killed run left, ``.simulate-*``, does not count: the next run removes it).
    """
    from dendritemr.errors import DataError

    out = Path(out)
    if not out.exists():
        return
    if not out.is_dir():
        raise DataError(out, "exists and is not a folder")
    entries = sorted(p.name for p in out.iterdir() if not _leftover(p))
    if entries and not all((out / name).is_file() for name in SIMULATED_STUDY):
        raise DataError(
            out,
            f"holds files that are not an earlier simulated study ({entries[0]}): not written "
            "into (simulate replaces files of its own names, such as study.toml)",
        )


def simulate(
    scenario: Scenario,
    out_dir: str | Path,
    seed: int | None = None,
    progress: Progress | None = None,
    observation: ObservationSettings | None = None,
    blas_threads: int | None = SIM_BLAS_THREADS,
) -> dict:
    """Run the cell model and write a complete study folder; return the ground truth.

    Parameters
    ----------
    scenario : the cell and its observation (:func:`dendritemr.sim.scenario.load_scenario`).
    out_dir : study folder: new (created), empty, or an earlier simulated study, whose files of
        the same names are replaced (:func:`check_simulate_out`).
    seed : overrides ``scenario.seed`` (microstructure, nucleation and all noise).
    progress : optional ``progress(fraction, label)`` callback, fraction in [0, 1].
    observation : magnet, acquisitions and line parameters; None: ``scenario.observation()``
        (sections ``[spectrometer]``, ``[li7]``, ``[li6]``, ``[mri]``). When given, it replaces
        those sections, also in the ``scenario.toml`` written.
    blas_threads : BLAS/LAPACK threads while simulating (``threadpoolctl``, restored after;
        default :data:`SIM_BLAS_THREADS`; None: as the environment sets them).

    Raises
    ------
    DataError : ``out_dir`` holds anything but an earlier simulated study.
    ValueError : the run is shorter than one NMR time point.
    """
    from dendritemr.backend import blas_threads as limit_blas

    check_simulate_out(out_dir)
    out = Path(out_dir)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    # written into a hidden folder first, then moved in: a run that fails leaves an earlier
    # study as it was (and no folder it created), and one with fewer time points leaves none
    # of the earlier run's 7Li/N behind (they would be read as part of the new series)
    stale = [p for p in out.iterdir() if _leftover(p)]  # of runs killed (SIGKILL) mid-way
    tmp = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=out))
    try:
        with limit_blas(blas_threads):
            truth = _simulate(scenario, tmp, seed, progress, observation)
        _move_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if created and not any(out.iterdir()):
            out.rmdir()
        raise
    tmp.rmdir()
    for p in stale:
        shutil.rmtree(p, ignore_errors=True)
    return truth


#: what :func:`simulate` writes into a study folder (an earlier run's are replaced as a whole;
#: other entries of the folder are kept)
SIMULATED_ENTRIES = (
    "7Li",
    "6Li",
    "mri",
    "reference",
    "cycler.csv",
    "scenario.toml",
    "study.toml",
    "ground_truth.json",
)


def _move_in(tmp: Path, out: Path) -> None:
    """Replace the simulator's entries of ``out`` by those of ``tmp`` (emptied)."""
    for name in SIMULATED_ENTRIES:  # an earlier run's, also those this run does not write
        old = out / name
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        elif old.exists() or old.is_symlink():
            old.unlink()
    for entry in sorted(tmp.iterdir(), key=lambda p: p.name == "ground_truth.json"):
        entry.rename(out / entry.name)  # the truth last: it marks a complete study


def _simulate(
    scenario: Scenario,
    out_dir: str | Path,
    seed: int | None,
    progress: Progress | None,
    observation: ObservationSettings | None,
) -> dict:
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
    references: dict[str, list[dict]] = {}
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
        references[nmr.nucleus] = _write_references(result, obs, nmr, acq, sigma, scale, out, k)
        signals[nmr.nucleus] = {c: v for c, v in amps.items()}
        signals[nmr.nucleus]["noise_sigma"] = sigma
        signals[nmr.nucleus]["snr_stated"] = nmr.snr
        report(0.7 + 0.1 * (k + 1), f"{nmr.nucleus} spectra")
    mri = _write_mri(result, obs, points, out, rng)
    report(0.95, "MRI")
    table = cycler_table(result, obs.cycler_interval_s, obs.voltage_noise_V, rng)
    (out / "cycler.csv").write_text(cycler_text(table, obs.start))
    (out / "scenario.toml").write_text(scenario_toml(scenario))
    _atomic_write(out / "study.toml", study_toml(result, obs, mri_written=bool(mri)))
    extras = {
        "start_time": obs.start.isoformat(),
        "seed": scenario.seed,
        "field_t": obs.field_t,
        "files": {
            **files,
            "mri": [m["folder"] for m in mri],
            "cycler": "cycler.csv",
            "reference": references,
        },
        "stage_rule": result.detection,
        "signals": signals,
        "mri": mri,
        "snr_definition": "dendritemr.sim.observables.noise",
    }
    truth = ground_truth(result, np.array(time_h), extras)
    _atomic_write(out / "ground_truth.json", json.dumps(truth, indent=1))
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


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _t1(result: SimulationResult, nmr) -> dict[str, float]:
    """T1 (s) of the metal (Korringa at the cell temperature) and LLZO lines of a nucleus."""
    temp_k = result.scenario.protocol.temperature_C + 273.15
    return {"metal": float(korringa_t1(nmr.nucleus, temp_k)), "electrolyte": nmr.llzo_t1_s}


def _reference_snapshot() -> Snapshot:
    """A natural-abundance Li | LLZO | Li cell before any current: no dendritic metal."""
    empty_i, empty_f = np.zeros(0, int), np.zeros(0)
    return Snapshot(
        time_h=0.0,
        iz=empty_i,
        ix=empty_i,
        route=empty_i,
        mol=empty_f,
        x6=empty_f,
        crystallinity=empty_f,
        cluster=empty_i,
        x6_electrode={"B": _NATURAL_X6, "A": _NATURAL_X6},
        x6_llzo=_NATURAL_X6,
    )


def _write_references(result, obs, nmr, acq, sigma, scale, out: Path, k: int) -> list[dict]:
    """Reference experiments of one nucleus: relaxed (expno 1) and at the in situ D1 (2).

    Same receiver (noise ``sigma`` per scan-averaged FID and int32 ``scale`` of the in situ
    series of this nucleus), so intensities compare with the series directly. Recorded before
    the cell's rest: the four reference experiments end 30 min before it starts.
    """
    t1 = _t1(result, nmr)
    relaxed_d1 = float(np.ceil(REFERENCE_RELAXED_T1 * max(t1.values())))
    rng = np.random.default_rng([result.scenario.seed, 11, k])
    snap = _reference_snapshot()
    rows, fids = [], []
    for expno, d1 in ((1, relaxed_d1), (2, nmr.d1_s)):
        ref_nmr = dataclasses.replace(nmr, d1_s=d1)
        ref_acq = dataclasses.replace(
            acq, d1_s=d1, title=f"reference: natural-abundance Li | LLZO | Li, D1 {d1:g} s"
        )
        lines = spectral_lines(result, snap, obs, ref_nmr, tr_seconds(ref_nmr, acq.sw_hz))
        fids.append(line_fids(lines, ref_acq, nmr.receiver_phase_deg))
        rows.append((expno, ref_acq, lines))
    noisy = add_noise_and_filter(np.array(fids), sigma, acq, rng)
    # the four reference experiments (7Li 1, 6Li 1, 7Li 2, 6Li 2) in that order, ending
    # 30 min before the rest of the cell starts
    durations = {}
    for nuc_nmr in obs.nmr():
        for d1 in (None, nuc_nmr.d1_s):
            t1n = _t1(result, nuc_nmr)
            d = float(np.ceil(REFERENCE_RELAXED_T1 * max(t1n.values()))) if d1 is None else d1
            a = acquisition(obs, nuc_nmr, "")
            durations[(nuc_nmr.nucleus, d1 is not None)] = dataclasses.replace(a, d1_s=d).duration_s
    order = [(n.nucleus, False) for n in obs.nmr()] + [(n.nucleus, True) for n in obs.nmr()]
    total = sum(durations[o] + _GAP_S for o in order)
    t0 = obs.start - dt.timedelta(hours=result.scenario.isotopes.rest_h, minutes=30, seconds=total)
    out_rows = []
    for (expno, ref_acq, lines), fid in zip(rows, noisy, strict=True):
        key = (nmr.nucleus, expno == 2)
        offset = sum(durations[o] + _GAP_S for o in order[: order.index(key)])
        start = t0 + dt.timedelta(seconds=offset)
        folder = f"reference/{nmr.nucleus}/{expno}"
        peak = np.max(np.abs(np.round(fid * scale)))
        if peak >= 2**31:
            raise ValueError(f"{folder}: reference overflows the series' receiver scale")
        label = f"/opt/topspin3.6/data/dendritemr/reference/{nmr.nucleus}/{expno}"
        write_experiment(out / folder, fid, ref_acq, start, scale, path_label=label)
        amps = {c: abs(lines.total(c)) for c in ("electrode_B", "electrode_A", "llzo")}
        out_rows.append({"folder": folder, "d1_s": ref_acq.d1_s, "relaxed": expno == 1, **amps})
    return out_rows


def _toml_table(name: str, values: dict) -> list[str]:
    lines = [f"\n[{name}]"]
    for key, value in values.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items())
            lines.append(f"{key} = {{ {inner} }}")
        else:
            lines.append(f"{key} = {toml_value(value)}")
    return lines


def study_toml(result: SimulationResult, obs: ObservationSettings, mri_written: bool) -> str:
    """``study.toml`` of a simulated study (docs/study-format.md).

    Names the 7Li/6Li series, MRI, cycler, the calibration references (relaxed and at the in
    situ D1, natural abundance: x6 = 0.0759 for metal and LLZO), the T1 of every line (the
    values the simulator used: Korringa for Li metal at the cell temperature, the scenario's
    LLZO T1) and the ground truth.
    """
    sc = result.scenario
    iso = sc.isotopes
    out = [
        "# study written by dendritemr simulate (format: docs/study-format.md)",
        *_toml_table(
            "study",
            {
                "name": f"dendritemr simulate, seed {sc.seed}",
                "description": f"simulated Li | LLZO | Li in situ study ({sc.source})",
            },
        ),
        *_toml_table(
            "cell",
            {
                "electrode_area_cm2": sc.geometry.area_cm2,
                "thickness_mm": sc.geometry.thickness_um / 1000.0,
                "electrolyte": "LLZO",
                "temperature_k": sc.protocol.temperature_C + 273.15,
            },
        ),
        *_toml_table("isotopes", {"x6_electrode": iso.electrode_x6, "x6_electrolyte": iso.llzo_x6}),
    ]
    for nmr in obs.nmr():
        key = "li7" if nmr.nucleus == "7Li" else "li6"
        out += _toml_table(f"nmr.{key}", {"path": nmr.nucleus})
    if mri_written:
        out += _toml_table("mri", {"path": "mri"})
    out += _toml_table("cycler", {"path": "cycler.csv", "format": "dendritemr-csv"})
    pair = {("li7" if n.nucleus == "7Li" else "li6"): n.nucleus for n in obs.nmr()}
    for expno, relaxed in ((1, True), (2, False)):
        name = "natural-abundance Li | LLZO | Li cell, " + (
            f"relaxed (D1 >= {REFERENCE_RELAXED_T1:g} T1)" if relaxed else "in situ D1"
        )
        out.append("\n[[reference]]")
        out.append(f"name = {toml_value(name)}")
        for key, nuc in pair.items():
            out.append(f"{key} = {toml_value(f'reference/{nuc}/{expno}')}")
        out.append(f"x6 = {{ metal = {_NATURAL_X6}, electrolyte = {_NATURAL_X6} }}")
        out.append(f"relaxed = {toml_value(relaxed)}")
    t1 = {("li7" if n.nucleus == "7Li" else "li6"): _t1(result, n) for n in obs.nmr()}
    out += _toml_table("t1_s", t1)
    out += _toml_table("truth", {"path": "ground_truth.json"})
    return "\n".join(out) + "\n"
