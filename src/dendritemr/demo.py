"""``dendritemr demo``: simulate a study, analyse it back with ``analyze``, compare to truth.

The main job end to end on an embedded scenario (a shipped preset, ``default`` unless told):

1. the cell model and its observation (:func:`dendritemr.sim.study.simulate`) write a complete
   study folder in vendor formats (TopSpin 7Li/6Li series, ParaVision CSI, cycler CSV,
   references, ``study.toml``, ``ground_truth.json``) to ``OUT/study``;
2. :func:`dendritemr.pipeline.analyze` -- exactly what ``dendritemr analyze`` runs -- analyses
   it into ``OUT/results`` (``results.json``, datasets, ``summary.txt``, the report);
3. a short table: the time of each step, the stages found against the true stages, the metal
   per route, its x6 and the interface fraction at the short (or the last time point), and the
   short time, each next to the truth with the error and the reported uncertainty
   (:func:`dendritemr.results_schema.score` for the summary errors).

``OUT`` holds nothing else; a run that stops on an error removes what it wrote.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dendritemr.errors import DataError
from dendritemr.sim.study import SIM_BLAS_THREADS as _SIM_BLAS_THREADS

__all__ = ["DemoRun", "run_demo", "demo_table", "stage_rows"]

#: files and folders a demo run writes into ``OUT`` (an earlier run's are replaced)
DEMO_ENTRIES = ("study", "results", "demo.json")
#: where an earlier run waits inside ``OUT`` while a new one runs: put back if the new run fails
#: or is interrupted, deleted when it succeeds
PREVIOUS_RUN = ".previous-run"

#: the analysis steps ``pipeline`` reports (progress labels), for the progress bar
_ANALYZE_STEPS = 9


@dataclass
class DemoRun:
    """What a demo run did: folders, the results and the truth, time per step (s)."""

    out: Path
    study: Path
    results: Path
    doc: dict
    truth: dict
    steps_s: list[tuple[str, float]] = field(default_factory=list)
    load: tuple[float, float] = (float("nan"), float("nan"))

    @property
    def total_s(self) -> float:
        """Wall-clock time of all steps, s."""
        return float(sum(s for _, s in self.steps_s))


def _check_out(out: Path) -> None:
    """``out`` must be a folder that is empty or holds only an earlier demo run."""
    if out.exists() and not out.is_dir():
        raise DataError(out, "exists and is not a folder")
    if out.is_dir():
        known = (*DEMO_ENTRIES, PREVIOUS_RUN)
        foreign = sorted(p.name for p in out.iterdir() if p.name not in known)
        if foreign:
            raise DataError(
                out, f"holds files that are not an earlier demo run ({', '.join(foreign[:3])})"
            )


def _bar(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, leave=False, dynamic_ncols=True)


#: the demo's cell (random seed of the preset's scenario): seed 3, the cell the benchmarks and
#: docs use; it shorts at ~34 h after ~200 model steps. The scenario's own seed 1 takes 835 steps
#: and 3,760 field re-solves (docs/simulator-model.md), 2-3 min of the 3 min demo budget alone.
DEMO_SEED = 3


#: BLAS/LAPACK threads while simulating (``sim.study.simulate`` pins them itself; kept here
#: for the callers that name it)
SIM_BLAS_THREADS = _SIM_BLAS_THREADS


def run_demo(
    out: str | Path,
    preset: str = "default",
    seed: int | None = DEMO_SEED,
    *,
    show_progress: bool = True,
    scenario_changes: dict | None = None,
) -> DemoRun:
    """Simulate ``preset``, write it as a study in ``out/study``, analyse it into
    ``out/results`` with :func:`dendritemr.pipeline.analyze`, and score it.

    Parameters
    ----------
    out : demo folder (must exist: the CLI creates it); empty or an earlier demo run.
    preset : a shipped scenario preset (``dendritemr simulate --list-presets``).
    seed : the scenario's seed (default :data:`DEMO_SEED`; None: the preset's own).
    show_progress : progress bars on stderr.
    scenario_changes : dotted scenario keys to override (e.g. a smaller cell in tests).

    Returns
    -------
    DemoRun

    Raises
    ------
    DendriteMRError : a bad ``out`` or preset, or any analysis error; what this run wrote into
        ``out`` is removed again and an earlier run in ``out`` is put back (also on Ctrl-C).
    """
    from dendritemr.backend import blas_threads
    from dendritemr.pipeline import analyze
    from dendritemr.sim.presets import load_preset
    from dendritemr.sim.study import simulate

    out = Path(out)
    _check_out(out)
    scenario = load_preset(preset)  # DataError for an unknown preset, before anything is written
    if scenario_changes:
        scenario = scenario.updated(**scenario_changes)
    if (out / PREVIOUS_RUN).is_dir():  # a run killed before it could put the earlier one back
        _restore_previous(out)
    previous = out / PREVIOUS_RUN
    if any((out / name).exists() for name in DEMO_ENTRIES):  # the earlier run waits aside
        previous.mkdir()
        for name in DEMO_ENTRIES:
            if (out / name).exists():
                (out / name).rename(previous / name)
    study, results = out / "study", out / "results"
    steps: list[tuple[str, float]] = []
    load0 = _load_average()
    try:
        t0 = time.perf_counter()
        bar = _bar(100, "simulate") if show_progress else None

        def sim_progress(fraction: float, label: str) -> None:
            if bar is not None:
                bar.set_postfix_str(label, refresh=False)
                bar.update(max(int(round(fraction * 100)) - bar.n, 0))

        with blas_threads(SIM_BLAS_THREADS):
            truth = simulate(scenario, study, seed=seed, progress=sim_progress)
        if bar is not None:
            bar.close()
        steps.append(("simulate + write vendor files", time.perf_counter() - t0))
        bar = _bar(_ANALYZE_STEPS, "analyze") if show_progress else None
        last = [None, time.perf_counter()]

        def analyze_progress(label: str) -> None:
            now = time.perf_counter()
            if last[0] is not None:
                steps.append((f"analyze: {last[0]}", now - last[1]))
            last[0], last[1] = label, now
            if bar is not None:
                bar.set_postfix_str(label, refresh=True)
                bar.update(1)

        doc = analyze(study, results, progress=analyze_progress)
        now = time.perf_counter()
        if last[0] is not None:
            steps.append((f"analyze: {last[0]}", now - last[1]))
        if bar is not None:
            bar.close()
        run = DemoRun(out, study, results, doc, truth, steps, (load0, _load_average()))
        (out / "demo.json").write_text(
            json.dumps(
                {
                    "preset": preset,
                    "seed": truth.get("seed"),
                    "steps_s": steps,
                    "load_average_1min": list(run.load),
                    "cpus": os.cpu_count(),
                    "score": doc.get("score"),
                },
                indent=1,
            )
        )
        shutil.rmtree(previous, ignore_errors=True)
        return run
    except BaseException:
        _restore_previous(out)
        raise


def _remove_entries(out: Path) -> None:
    for name in DEMO_ENTRIES:
        p = out / name
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        elif p.exists():
            p.unlink()


def _restore_previous(out: Path) -> None:
    """Remove what an unfinished run wrote into ``out`` and put the earlier run back (if one
    waits in :data:`PREVIOUS_RUN`)."""
    _remove_entries(out)
    previous = out / PREVIOUS_RUN
    if not previous.is_dir():
        return
    for p in previous.iterdir():
        p.rename(out / p.name)
    previous.rmdir()


def _load_average() -> float:
    """1-minute load average of the machine (NaN where the OS does not say)."""
    try:
        return float(os.getloadavg()[0])
    except (AttributeError, OSError):
        return float("nan")


def _at(t: np.ndarray, values, when: float) -> float:
    """Value of a series at time ``when`` (linear interpolation; NaN for missing values)."""
    v = np.array([np.nan if x is None else x for x in values], float)
    ok = np.isfinite(v)
    if ok.sum() == 0:
        return float("nan")
    return float(np.interp(when, t[ok], v[ok]))


def _fmt(v: float | None, digits: str = ".2f") -> str:
    if v is None or not np.isfinite(v):
        return "n/a"
    return format(v, digits)


def stage_rows(found: list[dict], true: list[dict]) -> list[str]:
    """The analysis' and the truth's stages side by side on one time axis: one row per interval
    between consecutive boundaries of either (neighbouring rows with the same pair of names
    merged), each with the stage name of both there (``-`` where one has none) and ``*`` where
    they differ. Stages: dicts with ``name``, ``start_h``, ``end_h``. A ``shorted`` stage lasts
    to the end of either: the two end at their own short times (the demo printed
    ``* 33.65 - 33.66  -  shorted`` for a short found 0.014 h early, an error the short row
    gives)."""
    ends = [max(float(s["end_h"]) for s in st) for st in (found, true) if st]
    last = max(ends) if ends else 0.0

    def name_at(stages, t):
        hits = [s["name"] for s in stages if s["start_h"] <= t <= s["end_h"]]
        if not hits and stages:
            final = max(stages, key=lambda s: float(s["end_h"]))
            if final["name"] == "shorted" and float(final["end_h"]) <= t <= last:
                return "shorted"
        return hits[-1] if hits else "-"

    edges = sorted({round(float(s[k]), 6) for s in (*found, *true) for k in ("start_h", "end_h")})
    rows: list[list] = []
    for a, b in zip(edges[:-1], edges[1:], strict=False):
        mid = 0.5 * (a + b)
        pair = (name_at(found, mid), name_at(true, mid))
        if rows and rows[-1][2:] == list(pair):
            rows[-1][1] = b
        else:
            rows.append([a, b, *pair])
    if not rows and edges:  # only zero-length stages (e.g. a short at the first point)
        rows = [[edges[0], edges[0], name_at(found, edges[0]), name_at(true, edges[0])]]
    out = ["    from -     to h  analysis          truth"]
    for a, b, x, y in rows:
        out.append(f"  {'*' if x != y else ' '} {a:6.2f} - {b:6.2f}  {x:17s} {y}")
    return out


def demo_table(run: DemoRun) -> str:
    """The demo's printed summary: steps with times, then analysis vs truth with errors."""
    doc, truth = run.doc, run.truth
    lines = [f"dendritemr demo: study {run.study}, results {run.results}"]
    report = run.results / "report.html"
    if report.is_file():
        lines.append(f"report: {report}")
    lines.append("")
    lines.append("step                                          time")
    for name, secs in run.steps_s:
        lines.append(f"  {name:42s} {secs:6.1f} s")
    lines.append(f"  {'total':42s} {run.total_s:6.1f} s")
    lines.append(
        f"  (machine: {os.cpu_count()} CPUs, 1-min load average {run.load[0]:.1f} at the start, "
        f"{run.load[1]:.1f} at the end)"
    )
    lines.append("")
    lines.append("stages (h since the current started); * where analysis and truth differ")
    lines += stage_rows(doc["stages"], truth["stages"])
    t = np.array(doc["time_h"], float)
    tt = np.array(truth["time_h"], float)
    short, short_true = doc["short_circuit_h"], truth["short_circuit_h"]
    when = short_true if short_true is not None else (short if short is not None else t[-1])
    last = float(t[t <= when][-1]) if (t <= when).any() else float(t[0])
    label = "the short" if short_true is not None else "the last time point"
    lines.append("")
    lines.append(f"at {label} (last time point before it: {last:.2f} h)")
    lines.append("  quantity                   analysis        +- err      truth     error")
    m, mt = doc["metal_umol"], truth["metal_umol"]
    rows = [
        ("metal, interface (umol)", m["interface"], m.get("interface_err"), mt["interface"]),
        ("metal, bulk (umol)", m["bulk"], m.get("bulk_err"), mt["bulk"]),
        ("x6 of the metal", doc["x6_metal"], doc.get("x6_metal_err"), truth["x6_metal"]),
        (
            "interface fraction",
            doc["interface_fraction"],
            doc.get("interface_fraction_err"),
            truth["interface_fraction"],
        ),
    ]
    for name, est, err, tru in rows:
        v = _at(t, est, last)
        e = _at(t, err, last) if err else float("nan")
        w = _at(tt, tru, last)
        lines.append(
            f"  {name:24s} {_fmt(v, '10.3f')} {_fmt(e, '10.3f')} {_fmt(w, '10.3f')} "
            f"{_fmt(v - w, '+9.3f')}"
        )
    se = doc.get("short_circuit_err_h")
    lines.append(
        f"  {'short circuit (h)':24s} {_fmt(short, '10.3f')} {_fmt(se, '10.3f')} "
        f"{_fmt(short_true, '10.3f')} "
        + (_fmt(short - short_true, "+9.3f") if None not in (short, short_true) else "n/a")
    )
    sc = doc.get("score") or {}
    lines.append("")
    lines.append("over the whole run (score against ground_truth.json)")
    from dendritemr.report.inputs import SCORE_LABELS

    for key, text in SCORE_LABELS.items():
        v = sc.get(key)
        lines.append(f"  {text:52s} {_fmt(v, '.3f')}")
    if doc.get("not_computed"):
        lines.append("")
        lines.append("not computed / assumptions (results.json: not_computed)")
        lines.extend(f"  - {s}" for s in doc["not_computed"])
    return "\n".join(lines)
