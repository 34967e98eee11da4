"""`dendritemr analyze`: speed on simulated studies, and accuracy against their truth.

Speed (default): simulate the default study (seed 3; not timed), time ``analyze`` of it (target
<= 60 s on 2 cores) with the split per step (wall and CPU: reading, T1, the quantification's
model choice, series fit and reference pair, timeline steps, report figures and HTML), then
studies of about 50 and 500 time points (seed 3, ``[spectrometer] interval_h`` = 26 h / N,
NS 16 / 32 so that the acquisitions do not overlap, no MRI) with the same split and the cost
per time point, and the ratio 500 / 50 (baseline: the 50-point study, same run). The load
average is printed before and after every timing (the machine is shared).

Accuracy (``--accuracy``): for seeds x presets (default, scheme-b, defective-llzo: bulk route
large), run ``analyze``
(the real chain, quantification included) and score it against ``ground_truth.json``; then run
the timeline alone (stages, routes, short) on the truth's metal and x6 with the noise of the
truth's ideal observer ("oracle quantification"), which separates the timeline's accuracy from the
quantification's. Boundary errors are given as a fraction of the experiment's duration.
``--oracle-only``: only the stage oracle, on kept studies: the truth's route amounts plus the
noise of the truth's ideal observer (``stage_rule``), ``--draws`` draws per study, stages
scored against the truth (the data the truth's stage rule assumes: the timeline's stage step
alone).

Usage:
    python benchmarks/bench_analyze.py [--keep DIR] [--points 50 500] [--no-default]
    python benchmarks/bench_analyze.py --accuracy [--seeds 3 4 5] [--keep DIR] [--presets ...]
    python benchmarks/bench_analyze.py --accuracy --oracle-only [--draws 30] [--keep DIR]
    (with --keep, studies already simulated there are reused)
    python benchmarks/bench_analyze.py --studies STUDY_DIR [STUDY_DIR ...]
    python benchmarks/bench_analyze.py --reattribute STUDY_DIR [...]   (STUDY_DIR-out analysed)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

STUDY = """[study]
name = "{name}"
[cell]
electrode_area_cm2 = {area}
thickness_mm = {thickness}
electrolyte = "LLZO"
[isotopes]
x6_electrode = {x6e}
x6_electrolyte = {x6l}
[nmr.li7]
path = "7Li"
[nmr.li6]
path = "6Li"
[t1_s]
li7 = {{ electrolyte = {t1_7} }}
li6 = {{ electrolyte = {t1_6} }}
[cycler]
path = "cycler.csv"
[truth]
path = "ground_truth.json"
"""


def make_study(
    folder: Path, seed: int, changes: dict | None = None, name: str = "", preset: str = ""
) -> dict:
    """Simulate a study into ``folder``; describe it by hand unless simulate wrote study.toml."""
    from dendritemr.sim.presets import load_preset
    from dendritemr.sim.scenario import load_scenario
    from dendritemr.sim.study import simulate

    if (folder / "ground_truth.json").is_file() and (folder / "study.toml").is_file():
        from dendritemr.sim.ensemble import relabel_truth

        # kept from a run; its stages relabelled by the current stage rule (a truth written
        # before the first point became the baseline starts with a 33-s stall)
        return relabel_truth(json.loads((folder / "ground_truth.json").read_text()))
    scenario = load_preset(preset) if preset else load_scenario()
    if changes:
        scenario = scenario.updated(**changes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        truth = simulate(scenario, folder, seed=seed)
    d = scenario.to_dict()
    if (folder / "study.toml").is_file():
        return truth
    (folder / "study.toml").write_text(
        STUDY.format(
            name=name or f"seed {seed}",
            area=d["geometry"]["area_cm2"],
            thickness=d["geometry"]["thickness_um"] / 1000.0,
            x6e=d["isotopes"]["electrode_x6"],
            x6l=d["isotopes"]["llzo_x6"],
            t1_7=d["li7"]["llzo_t1_s"],
            t1_6=d["li6"]["llzo_t1_s"],
        )
    )
    return truth


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} (1 min) {five:.2f} (5 min)"


class StepClock:
    """Wall and CPU seconds per step of ``analyze``: its progress labels, the report's static
    figures and HTML, and inside the quantification the model choice, the series fit
    (``decompose._fit`` of more than one time point) and the reference pair behind K
    (``chain.instrument_ratio``, its own model choice included). The inner functions are
    wrapped for the run only (module attributes, restored after)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []  # (label, wall, cpu) of progress steps
        self.inner: dict[str, list[float]] = {}
        self._last: tuple[str, float, float] | None = None
        self._depth_ref = 0
        self.solver: dict[str, list[tuple[int, int]]] = {}

    def progress(self, label: str) -> None:
        now = (time.perf_counter(), time.process_time())
        if self._last is not None:
            name, w0, c0 = self._last
            self.rows.append((name, now[0] - w0, now[1] - c0))
        self._last = (label, *now)

    def finish(self) -> None:
        self.progress("")
        self._last = None

    def _add(self, key: str, wall: float, cpu: float) -> None:
        acc = self.inner.setdefault(key, [0.0, 0.0, 0])
        acc[0] += wall
        acc[1] += cpu
        acc[2] += 1

    def wrap(self, module, name: str, key, ref: bool = False):
        """Time ``module.name``; ``key(args) -> label or None``."""
        orig = getattr(module, name)

        def timed(*args, **kw):
            label = key(args)
            if ref:
                self._depth_ref += 1
            w0, c0 = time.perf_counter(), time.process_time()
            try:
                out = orig(*args, **kw)
                sol = out[2] if isinstance(out, tuple) and len(out) > 2 else None
                if label and hasattr(sol, "nit"):  # a solver result: iterations, evaluations
                    self.solver.setdefault(label, []).append((sol.nit, sol.nfev))
                return out
            finally:
                if ref:
                    self._depth_ref -= 1
                if label:
                    self._add(label, time.perf_counter() - w0, time.process_time() - c0)

        setattr(module, name, timed)
        return lambda: setattr(module, name, orig)

    def install(self):
        import dendritemr.quant.chain as chain
        import dendritemr.quant.decompose as dec
        import dendritemr.report.html as html
        import dendritemr.report.static as static

        def series(args):
            if self._depth_ref:
                return None
            return "quant: series fit" if args[0].n_time > 1 else None

        def choice(args):
            return None if self._depth_ref else "quant: model choice (series mean)"

        undo = []
        for mod, name, key, ref in (
            (dec, "_fit", series, False),
            (dec, "choose_model", choice, False),
            (
                chain,
                "instrument_ratio",
                lambda a: "quant: reference pair (K, own model choice)",
                True,
            ),
            (static, "write_static", lambda a: "report: static PNG+PDF figures", False),
            (html, "render_html", lambda a: "report: interactive HTML", False),
        ):
            if hasattr(mod, name):
                undo.append(self.wrap(mod, name, key, ref))
        return lambda: [u() for u in undo]

    def print(self, n_points: int, indent: str = "  ") -> None:
        total_w = sum(r[1] for r in self.rows)
        print(f"{indent}{'step':44s} {'wall s':>8s} {'CPU s':>8s} {'ms/point':>9s}")
        for label, w, c in self.rows:
            print(f"{indent}{label:44s} {w:8.2f} {c:8.2f} {1e3 * w / n_points:9.1f}")
            if label == "quantifying":
                for k, (iw, ic, n) in self.inner.items():
                    if k.startswith("quant"):
                        lab = f"  {k[7:]} ({n} call{'s' if n > 1 else ''})"
                        print(f"{indent}{lab:44s} {iw:8.2f} {ic:8.2f} {1e3 * iw / n_points:9.1f}")
                        for nit, nfev in self.solver.get(k, []):
                            print(f"{indent}      {nit} iterations, {nfev} residual evaluations")
            if label.startswith("writing"):
                for k, (iw, ic, _) in self.inner.items():
                    if k.startswith("report"):
                        lab = f"  {k}"
                        print(f"{indent}{lab:44s} {iw:8.2f} {ic:8.2f} {1e3 * iw / n_points:9.1f}")
        print(f"{indent}{'sum of steps':44s} {total_w:8.2f}")


def timed_analyze(folder: Path, out: Path, clock: StepClock | None = None) -> tuple[float, dict]:
    from dendritemr.pipeline import analyze

    undo = clock.install() if clock is not None else None
    t0 = time.perf_counter()
    try:
        doc = analyze(folder, out, progress=clock.progress if clock else None)
    finally:
        if clock is not None:
            clock.finish()
        if undo is not None:
            undo()
    return time.perf_counter() - t0, doc


def _timed_study(label: str, folder: Path, out: Path) -> tuple[float, int, float]:
    """analyze one study with the step split printed; returns (wall s, points, CPU s)."""
    clock = StepClock()
    print(f"-- {label}: before, {_load()}", flush=True)
    c0 = time.process_time()
    secs, doc = timed_analyze(folder, out, clock)
    cpu = time.process_time() - c0
    n = len(doc["time_h"])
    print(
        f"{label}: {n} time points, analyze {secs:.1f} s wall, {cpu:.1f} s CPU, "
        f"{1e3 * secs / n:.0f} ms/point wall; after, {_load()}"
    )
    clock.print(n)
    return secs, n, cpu


#: observation settings of the cost-per-point studies: short acquisitions (NS 16 / 32, about
#: 85 s per 7Li + 6Li pair) so that 500 points fit in the default run without overlapping
#: (the stated SNR is per spectrum and does not depend on NS); no MRI
PER_POINT = {"li7.ns": 16, "li6.ns": 32, "mri.enabled": False}


def _interval_for(target: int, seed: int = 3) -> float:
    """Interval (h) that gives about ``target`` time points before the run ends (the cell
    model run once: its end, the short, depends on the scenario's observation settings)."""
    from dendritemr.sim.cell import run
    from dendritemr.sim.scenario import load_scenario

    scenario = load_scenario().updated(seed=seed, **PER_POINT)
    end_h = float(run(scenario).history["time_h"][-1])
    return (end_h - 0.05) / target  # the last pair's acquisitions (~0.03 h) end before


def speed(work: Path, points: list[int], default: bool = True) -> None:
    print("== speed of analyze (2-core machine shared with others: wall clock and CPU)")
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')} "
        "(analyze itself limits BLAS to 1 thread: AnalyzeOptions.blas_threads)"
    )
    if default:
        folder = work / "default"
        truth = make_study(folder, 3, name="default seed 3")
        secs, n, _ = _timed_study("default study, seed 3", folder, work / "default-out")
        verdict = "met" if secs <= 60 else "NOT met"
        print(f"default study: {secs:.1f} s for {n} points (target <= 60 s: {verdict})")
        print(f"  truth short {truth['short_circuit_h']:.3f} h")
    per = {}
    for target in points:
        f = work / f"n{target}"
        t0 = time.perf_counter()
        interval = _interval_for(target) if not (f / "study.toml").is_file() else 0.0
        make_study(f, 3, {"spectrometer.interval_h": interval, **PER_POINT})
        print(f"(simulated {f.name} in {time.perf_counter() - t0:.0f} s, not timed below)")
        secs, n, cpu = _timed_study(f"~{target} time points", f, work / f"n{target}-out")
        per[target] = (secs / n, cpu / n, n)
    if per:
        print("cost per time point (wall / CPU):")
        for w, c, n in per.values():
            print(f"  {n} points: {1e3 * w:.0f} ms / {1e3 * c:.0f} ms per point")
        if len(per) > 1:
            (a, (wa, _, _)), (b, (wb, _, _)) = list(per.items())[:2]
            print(f"  per point, {b} vs {a} (baseline, same run): x{wb / wa:.2f}")


def speed_of(studies: list[Path], work: Path) -> None:
    """Time analyze of existing study folders (cost per time point, ratio to the first)."""
    print("== speed of analyze on given studies (wall clock, shared machine)")
    base = None
    for k, folder in enumerate(studies):
        secs, n, _ = _timed_study(str(folder), folder, work / f"given-{k}-out")
        per = secs / n
        base = base or per
        print(f"  (x{per / base:.2f} of the first per point)")


def oracle(truth: dict, folder: Path, rng, kappa: float, kappa_range=None) -> dict:
    """Timeline (route attribution, stages, short) on the truth's metal measured as the truth's
    ideal observer would (``stage_rule``): per time point one 7Li and one 6Li amount from the
    true routes and their true x6 (``x6_interface``, ``x6_bulk``: with the exchange drift),
    Gaussian noise ``sigma_li7`` / ``sigma_li6``; total ``n7 + n6`` and ``x6 = n6 / n`` with
    their propagated errors; routes attributed with the study's end members (the electrolyte's
    nominal x6 as the bulk source: the analysis uses the measured electrolyte line) and
    exchange rate ``kappa`` (1/h; ``kappa_range``: the end members' model error over that
    range, as ``analyze`` does by default); scored."""
    from dendritemr.io.cycler_formats import read_cycler
    from dendritemr.quant.atoms import amount_x6_cov
    from dendritemr.results_schema import SCHEMA_ID, score
    from dendritemr.study import load_study
    from dendritemr.timeline import attribute_routes, cycler_clock, detect_short, detect_stages

    study = load_study(folder)
    rule = truth["stage_rule"]
    t = np.array(truth["time_h"])
    inter = np.array(truth["metal_umol"]["interface"], float)
    bulk = np.array(truth["metal_umol"]["bulk"], float)
    xi_t = np.array([np.nan if v is None else v for v in truth["x6_interface"]], float)
    xb_t = np.array([np.nan if v is None else v for v in truth["x6_bulk"]], float)
    xi_t = np.where(np.isfinite(xi_t), xi_t, rule["x6_interface"])
    xb_t = np.where(np.isfinite(xb_t), xb_t, rule["x6_bulk"])
    s7, s6 = rule["sigma_li7_umol"], rule["sigma_li6_umol"]
    n7 = (1 - xi_t) * inter + (1 - xb_t) * bulk + rng.normal(0, s7, t.size)
    n6 = xi_t * inter + xb_t * bulk + rng.normal(0, s6, t.size)
    n_obs = n7 + n6
    s_n = float(np.hypot(s7, s6))
    with np.errstate(invalid="ignore", divide="ignore"):
        x6_obs = np.where(n_obs > 0, n6 / n_obs, np.nan)
        x6_err = np.sqrt(((1 - x6_obs) * s6) ** 2 + (x6_obs * s7) ** 2) / np.abs(n_obs)
        nx_cov = amount_x6_cov(n6, n7, s6, s7)  # n and x6 come from the same n6, n7
    xi = np.full(t.size, study.x6_electrode)
    xl = np.full(t.size, study.x6_electrolyte)
    r = attribute_routes(
        t, n_obs, np.full(t.size, s_n), x6_obs, x6_err,
        xi, np.full(t.size, 0.005), xl, np.full(t.size, 0.002), kappa,
        exchange_range_per_h=kappa_range, metal_x6_cov=nx_cov,
    )  # fmt: skip
    clock = cycler_clock(read_cycler(study.cycler.path), study.cycler)
    short = detect_short(clock.hours(), clock.voltage_V, clock.current_mA)
    st = detect_stages(
        t,
        {
            "total": (n_obs, np.full(t.size, s_n)),
            "interface": (r.interface_umol, r.interface_umol_err),
            "bulk": (r.bulk_umol, r.bulk_umol_err),
        },
        routes_known=True,
        short_h=short.time_h,
        n_boot=60,
    )
    clean = lambda a: [None if not np.isfinite(v) else float(v) for v in a]  # noqa: E731
    doc = {
        "schema": SCHEMA_ID,
        "time_h": t.tolist(),
        "metal_umol": {
            "interface": clean(r.interface_umol),
            "interface_err": clean(r.interface_umol_err),
            "bulk": clean(r.bulk_umol),
            "bulk_err": clean(r.bulk_umol_err),
        },
        "x6_metal": clean(x6_obs),
        "x6_metal_err": clean(x6_err),
        "interface_fraction": clean(r.interface_fraction),
        "interface_fraction_err": clean(r.interface_fraction_err),
        "stages": [s.to_dict() for s in st.stages],
        "short_circuit_h": short.time_h,
    }
    out = score(doc, truth)
    out["stages"] = [(s.name, round(s.start_h, 2)) for s in st.stages]
    out["short_err_h"] = short.time_err_h
    return out


def observer_draw(truth: dict, rng) -> tuple[np.ndarray, dict]:
    """Route amounts as the truth's ideal observer measures them (``stage_rule``): one 7Li and
    one 6Li amount per time point from the true routes with the end members of the rule (the
    x6 at t = 0), Gaussian noise ``sigma_li7`` / ``sigma_li6``, inverted with the same end
    members: the true routes plus noise of exactly ``sigma_interface`` / ``sigma_bulk`` (the
    drift of the metal's x6 by exchange is the route attribution's part, scored by
    :func:`oracle`). Returns the times and ``{"total", "interface", "bulk"}: (amounts,
    errors)``."""
    rule = truth["stage_rule"]
    t = np.array(truth["time_h"], float)
    inter = np.array(truth["metal_umol"]["interface"], float)
    bulk = np.array(truth["metal_umol"]["bulk"], float)
    xi, xb = float(rule["x6_interface"]), float(rule["x6_bulk"])
    s7, s6 = rule["sigma_li7_umol"], rule["sigma_li6_umol"]
    n7 = (1 - xi) * inter + (1 - xb) * bulk + rng.normal(0, s7, t.size)
    n6 = xi * inter + xb * bulk + rng.normal(0, s6, t.size)
    det = xi - xb  # n6 = xi I + xb B, n7 = (1 - xi) I + (1 - xb) B
    i_hat = ((1 - xb) * n6 - xb * n7) / det
    b_hat = (xi * n7 - (1 - xi) * n6) / det
    si = np.full(t.size, rule["sigma_interface_umol"])
    sb = np.full(t.size, rule["sigma_bulk_umol"])
    st = np.full(t.size, np.hypot(s7, s6))
    return t, {"total": (n7 + n6, st), "interface": (i_hat, si), "bulk": (b_hat, sb)}


def observer_oracle(truth: dict, seed: int, draws: int, n_boot: int = 0) -> dict:
    """Stages of ``draws`` ideal-observer draws (:func:`observer_draw`) scored against the
    truth: the timeline's stage step alone, on the data the truth's stage rule assumes. The
    short is the truth's (the timeline's short detection is scored separately)."""
    from dendritemr.results_schema import SCHEMA_ID, score
    from dendritemr.timeline import detect_stages

    fr, res, sym, nb, worst = [], [], [], [], None
    cover = []
    for k in range(draws):
        rng = np.random.default_rng([seed, k])
        t, traj = observer_draw(truth, rng)
        st = detect_stages(
            t, traj, routes_known=True, short_h=truth["short_circuit_h"], n_boot=n_boot
        )
        doc = {
            "schema": SCHEMA_ID,
            "time_h": t.tolist(),
            "metal_umol": {k2: traj[k2][0].tolist() for k2 in ("interface", "bulk")},
            "x6_metal": [None] * t.size,
            "interface_fraction": [None] * t.size,
            "stages": [s.to_dict() for s in st.stages],
            "short_circuit_h": truth["short_circuit_h"],
        }
        sc = score(doc, truth)
        f = sc["stage_boundary_max_error_fraction"] or 0.0
        fr.append(f)
        res.append(sc["stage_boundary_resolvable_max_error_fraction"] or 0.0)
        sym.append(symmetric_boundary_error(doc, truth))
        nb.append(len(st.boundaries_h))
        if n_boot and len(st.boundaries_h):
            cover.extend(_boundary_coverage(st, truth))
        if worst is None or f > worst[0]:
            worst = (f, [(s.name, round(s.start_h, 2)) for s in st.stages])
    fr, res = np.array(fr), np.array(res)
    dt = float(np.median(np.diff(truth["time_h"])))
    out = {
        "interval_over_duration": dt / float(truth.get("end_h") or truth["time_h"][-1]),
        "median": float(np.median(fr)),
        "max": float(fr.max()),
        "within_5pct": float(np.mean(fr <= 0.05)),
        "resolvable_within_5pct": float(np.mean(res <= 0.05)),
        "symmetric_within_5pct": float(np.mean(np.array(sym) <= 0.05)),
        "boundaries_found_mean": float(np.mean(nb)),
        "worst_stages": worst[1],
    }
    if cover:
        out["boundary_coverage_2se"] = float(np.mean(cover))
    return out


def symmetric_boundary_error(doc: dict, truth: dict) -> float:
    """Largest distance, over the truth's duration, from any stage boundary of either document
    to the nearest one of the other (boundaries where the name changes, ``shorted`` included;
    those of the truth inside the analysed span, as ``score`` takes them). ``score``'s
    ``stage_boundary_max_error_fraction`` measures only truth -> analysis, so a spurious
    analysis stage costs nothing there; here it does."""
    from dendritemr.results_schema import _merged

    t = np.asarray(doc["time_h"], float)
    tb = np.array([x["start_h"] for x in _merged(truth["stages"])[1:]])
    tb = tb[(tb >= t[0] - 1e-3) & (tb <= t[-1] + 1e-3)]  # the clocks differ by ~1e-7 h
    ab = np.array([x["start_h"] for x in _merged(doc["stages"])[1:]])
    if not tb.size and not ab.size:
        return 0.0
    if not tb.size or not ab.size:
        return float("inf")
    d = max(np.max(np.min(np.abs(tb[:, None] - ab[None, :]), axis=1)), np.max(np.min(
        np.abs(ab[:, None] - tb[None, :]), axis=1)))  # fmt: skip
    return float(d) / float(truth.get("end_h") or truth["time_h"][-1])


def _boundary_coverage(st, truth: dict) -> list[bool]:
    """For each found boundary that has a true boundary within 3 h: is it within 2 of its
    standard errors of the nearest one?"""
    tb = np.array([s["start_h"] for s in truth["stages"][1:] if s["name"] != "shorted"])
    out = []
    for b, e in zip(st.boundaries_h, st.boundaries_err_h, strict=True):
        if tb.size and np.isfinite(e):
            d = float(np.min(np.abs(tb - b)))
            if d <= 3.0:
                out.append(d <= 2 * e)
    return out


def oracle_only(work: Path, seeds: list[int], draws: int, presets: list[str]) -> None:
    """Ideal-observer oracle on kept (or newly simulated) studies: no analyze run."""
    print(f"== stage oracle: ideal observer's noise, {draws} draws per study")
    allf = {}
    for label in presets:
        for seed in seeds:
            folder = work / f"{label}-{seed}"
            truth = make_study(folder, seed, {"mri.enabled": False}, preset=label)
            res = observer_oracle(truth, seed, draws, n_boot=20)
            allf.setdefault(label, []).append(res["median"])
            print(f"{label} seed {seed}: truth", [(s["name"], round(s["start_h"], 2))
                                                   for s in truth["stages"]])  # fmt: skip
            print("  " + json.dumps(res, default=lambda v: round(v, 3)))


def _end_totals(doc: dict, truth: dict) -> str:
    """Total dendritic metal at the last analysed point before the short: analysis +- err and
    the truth (umol)."""
    t = np.array(doc["time_h"], float)
    short = truth["short_circuit_h"]
    k = int(np.flatnonzero(t <= short)[-1]) if short is not None and (t <= short).any() else -1
    m = doc["metal_umol"]
    tot = m["total"][k]
    err = m["total_err"][k]
    true = truth["metal_umol"]["interface"][k] + truth["metal_umol"]["bulk"][k]
    if tot is None:
        return f"n/a (truth {true:.2f})"
    return f"{tot:.2f} +- {err:.2f} vs {true:.2f} at {t[k]:.1f} h"


def accuracy(work: Path, seeds: list[int], presets: list[str], draws: int = 20) -> None:
    from dendritemr.results_schema import score

    rows = []
    for label in presets:
        for seed in seeds:
            folder = work / f"{label}-{seed}"
            truth = make_study(folder, seed, {"mri.enabled": False}, preset=label)
            secs, doc = timed_analyze(folder, work / f"{folder.name}-out")
            real = score(doc, truth)
            rng = np.random.default_rng(1000 + seed)
            orc0 = oracle(truth, folder, rng, 0.01, (0.0, 0.02))
            orc1 = oracle(truth, folder, np.random.default_rng(1000 + seed), 0.01)
            rows.append((label, seed, truth, real, orc0, orc1, secs))
            print(f"\n== {label}, seed {seed} ({secs:.0f} s analyze)")
            print("truth stages:", [(s["name"], round(s["start_h"], 2)) for s in truth["stages"]])
            print(f"truth short {truth['short_circuit_h']}")
            stage_orc = observer_oracle(truth, seed, draws)
            print(
                f"  stage oracle ({draws} ideal-observer draws): largest boundary error / "
                f"duration median {stage_orc['median']:.3f}, <= 5 % in "
                f"{stage_orc['within_5pct']:.0%} of draws (spurious boundaries counted too: "
                f"{stage_orc['symmetric_within_5pct']:.0%})"
            )
            for name, sc in (
                ("analyze", real),
                ("oracle k=0.01/h, model error over 0-0.02/h (analyze's default)", orc0),
                ("oracle k=0.01/h exact", orc1),
            ):
                keys = (
                    "short_circuit_error_h",
                    "short_circuit_within_interval",
                    "stage_boundary_max_error_fraction",
                    "interface_fraction_mae",
                    "interface_fraction_truth_span",
                    "interface_fraction_coverage",
                    "metal_interface_nrmse",
                    "metal_bulk_nrmse",
                    "metal_interface_coverage",
                    "metal_bulk_coverage",
                )
                vals = {k: sc.get(k) for k in keys}
                if name == "analyze":
                    vals["metal_total_end"] = _end_totals(doc, truth)
                    vals["symmetric_boundary_error_fraction"] = symmetric_boundary_error(doc, truth)
                print(f"  {name}: " + json.dumps(vals, default=lambda v: round(v, 3)))
                if name == "analyze":
                    found = [(s["name"], round(s["start_h"], 2)) for s in doc["stages"]]
                    print(f"    stages {found}  boundary errors {sc['stage_boundary_errors_h']}")
                    print(f"    short {doc['short_circuit_h']} +- {doc['short_circuit_err_h']}")
                if "stages" in sc:
                    errs = sc["stage_boundary_errors_h"]
                    print(f"    stages {sc['stages']}  boundary errors {errs}")
    for title, col in (
        ("analyze (the whole chain)", 3),
        ("oracle k=0.01/h with the model error over 0-0.02/h (analyze's default)", 4),
        ("oracle k=0.01/h exact, the simulator's dendrite exchange time is 100 h", 5),
    ):
        _summary(rows, title, col)
    within = [r[3]["short_circuit_within_interval"] for r in rows]
    print(f"  analyze: short within one acquisition interval: {within}")


def reattribute(studies: list[Path]) -> None:
    """Route attribution before / after on studies analysed earlier (``STUDY`` and its
    ``STUDY-out`` written by ``analyze``): "before" is the analysis's own ``results.json`` (the
    route step of the code that ran it); "after" attributes the quantification's metal, x6 and
    electrolyte line (read back from ``timeline.nc``) with the current
    :func:`attribute_routes`, the analysis's exchange rate and range (0.01/h, 0-0.02/h) and the
    bounds of :func:`local_llzo_x6` as a model error (study thickness and ``x6_electrolyte``;
    what ``analyze`` does once it passes them); both get the stages of the current
    ``detect_stages`` ("after" on the statistical route errors, ``*_stat_err``) and are scored
    against the (relabelled) truth. The quantification is not
    rerun: only the route step (and the stages on its routes) differs."""
    import xarray as xr

    from dendritemr.results_schema import score
    from dendritemr.sim.ensemble import relabel_truth
    from dendritemr.study import load_study
    from dendritemr.timeline import attribute_routes, detect_stages
    from dendritemr.timeline.routes import local_llzo_x6

    keys = (
        "interface_fraction_mae",
        "interface_fraction_coverage",
        "metal_interface_nrmse",
        "metal_bulk_nrmse",
        "metal_interface_coverage",
        "metal_bulk_coverage",
        "stage_boundary_max_error_fraction",
        "stage_boundary_spurious_max_error_fraction",
    )
    table: dict[str, list] = {}
    clean = lambda a: [None if not np.isfinite(v) else float(v) for v in a]  # noqa: E731
    arr = lambda v: np.array([np.nan if x is None else x for x in v], float)  # noqa: E731
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    for folder in studies:
        out = Path(str(folder) + "-out")
        truth = relabel_truth(json.loads((folder / "ground_truth.json").read_text()))
        before = json.loads((out / "results.json").read_text())
        ds = xr.open_dataset(out / "timeline.nc")
        study = load_study(folder)
        t = np.asarray(before["time_h"], float)
        n, n_err = ds["metal_umol"].values, ds["metal_umol_err"].values
        x6, x6_err = ds["x6_metal"].values, ds["x6_metal_err"].values
        line, line_err = ds["x6_electrolyte"].values, ds["x6_electrolyte_err"].values
        xl = np.where(np.isfinite(line), line, study.x6_electrolyte)
        xl_err = np.where(np.isfinite(line_err), line_err, study.x6_electrolyte_err)
        zone = local_llzo_x6(xl, xl_err, study.x6_electrolyte, study.thickness_mm * 1000.0)
        xi = np.full(t.size, float(study.x6_electrode))
        xi_err = np.full(t.size, float(study.x6_electrode_err))
        r = attribute_routes(
            t, n, n_err, x6, x6_err, xi, xi_err, zone.x6, zone.x6_err, 0.01,
            exchange_range_per_h=(0.0, 0.02), x6_local_bounds=(zone.x6_lo, zone.x6_hi),
            metal_x6_cov=ds["metal_umol_x6_cov"].values,
        )  # fmt: skip
        after = dict(before)
        after["metal_umol"] = {
            **before["metal_umol"],
            "interface": clean(r.interface_umol),
            "interface_err": clean(r.interface_umol_err),
            "bulk": clean(r.bulk_umol),
            "bulk_err": clean(r.bulk_umol_err),
        }
        after["interface_fraction"] = clean(r.interface_fraction)
        after["interface_fraction_err"] = clean(r.interface_fraction_err)
        stat = {"interface": r.interface_umol_stat_err, "bulk": r.bulk_umol_stat_err}
        for doc in (before, after):
            m = doc["metal_umol"]
            # the growth test on "after" with the statistical route errors (end-member errors
            # cancel between points); "before" as its analysis ran it
            err = {k: stat[k] if doc is after else arr(m[f"{k}_err"]) for k in stat}
            st = detect_stages(
                t,
                {
                    "total": (n, n_err),
                    "interface": (arr(m["interface"]), err["interface"]),
                    "bulk": (arr(m["bulk"]), err["bulk"]),
                },
                current_ma=ds["current_mA"].values,
                short_h=before["short_circuit_h"],
                routes_known=True,
                n_boot=0,
            )
            doc["stages"] = [x.to_dict() for x in st.stages]
            thresholds = st.threshold_umol  # the last: after's
        sb, sa = score(before, truth), score(after, truth)
        print(f"\n== {folder.name}")
        for k in keys:
            a, b = sb.get(k), sa.get(k)
            table.setdefault(k, []).append((a, b))
            print(f"  {k:44s} before {fmt(a):>7s}  after {fmt(b):>7s}")
        print("  truth stages:", [(x["name"], round(x["start_h"], 2)) for x in truth["stages"]])
        print("  found (after):", [(x["name"], round(x["start_h"], 2)) for x in after["stages"]])
        errs = [round(e, 2) for e in sa["stage_boundary_errors_h"]]
        print(f"  boundary errors (after), h: {errs}")
        rule = truth["stage_rule"]
        thr = {k: round(v, 3) for k, v in thresholds.items() if k != "total"}
        print(
            f"  growth thresholds per window, umol: truth (ideal observer) interface "
            f"{rule['threshold_interface_umol']:.3f}, bulk {rule['threshold_bulk_umol']:.3f}; "
            f"analysis (after, measured point-to-point noise) {thr}"
        )
        xb_true = arr(truth["x6_bulk"])
        tt = np.asarray(truth["time_h"], float)
        xb_old = arr(before.get("routes", {}).get("x6_bulk_end_member", [None]))
        print(
            f"  bulk end member at the end: before {xb_old[-1]:.3f}, after "
            f"{r.x6_bulk_eff[-1]:.3f} +- {r.x6_bulk_model_err[-1]:.3f} (model error), "
            f"truth {np.interp(t[-1], tt, xb_true):.3f}"
        )
    print("\n== summary over the studies (mean before -> after)")
    for k, rows in table.items():
        pairs = [(a, b) for a, b in rows if a is not None and b is not None]
        if pairs:
            a, b = np.mean(pairs, axis=0)
            print(f"  {k:44s} {a:.3f} -> {b:.3f}  (n={len(pairs)})")


def _summary(rows, title, col) -> None:
    print(f"\n== summary: {title}")
    for key in (
        "stage_boundary_max_error_fraction",
        "interface_fraction_mae",
        "interface_fraction_coverage",
        "metal_interface_coverage",
        "metal_bulk_coverage",
        "metal_interface_nrmse",
        "metal_bulk_nrmse",
    ):
        vals = [r[col].get(key) for r in rows if r[col].get(key) is not None]
        if vals:
            print(f"  {key}: median {np.median(vals):.3f}, max {np.max(vals):.3f} (n={len(vals)})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accuracy", action="store_true")
    ap.add_argument("--seeds", type=int, nargs="+", default=[3, 4, 5])
    ap.add_argument("--keep", type=Path, default=None, help="keep the studies in this folder")
    ap.add_argument("--studies", type=Path, nargs="+", default=None, help="time these instead")
    ap.add_argument(
        "--points",
        type=int,
        nargs="*",
        default=[50, 500],
        help="cost per time point on studies of about these many points (none: skip)",
    )
    ap.add_argument("--no-default", action="store_true", help="skip the default study")
    ap.add_argument(
        "--oracle-only",
        action="store_true",
        help="with --accuracy: only the ideal-observer stage oracle (no analyze)",
    )
    ap.add_argument("--draws", type=int, default=30, help="noise draws per study (oracle)")
    ap.add_argument("--presets", nargs="+", default=["default", "scheme-b", "defective-llzo"])
    ap.add_argument(
        "--reattribute",
        type=Path,
        nargs="+",
        default=None,
        help="route attribution before / after on STUDY folders analysed into STUDY-out",
    )
    args = ap.parse_args()
    if args.reattribute:
        reattribute(args.reattribute)
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench_analyze_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.accuracy and args.oracle_only:
            oracle_only(work, args.seeds, args.draws, args.presets)
        elif args.accuracy:
            accuracy(work, args.seeds, args.presets, args.draws)
        elif args.studies:
            speed_of(args.studies, work)
        else:
            speed(work, args.points, default=not args.no_default)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
