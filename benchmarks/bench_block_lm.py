"""Issue 8: the block-arrow Levenberg-Marquardt with its active set against the same solver
without it (the named baseline), measured in the same run.

Active set (``fit.block_lm.solve_block_arrow(active_set=True)``, the default since 8654280):
parameters held at a bound by their gradient are left out of the step. Baseline
(``active_set=False``): the solver before 8654280, trial points clipped onto the bounds while
the step is still solved for the pinned parameters.

Two problems, each fitted both ways from the same start:

- synthetic (always): an independent numpy series of Lorentzian lines (:func:`synthetic_series`:
  an electrode and a growing microstructure line with areas per spectrum, a third line of true
  area 0, so its bound ``area >= 0`` is active in about half of the spectra; centres and widths
  shared by the series), solved with :func:`~dendritemr.fit.block_lm.solve_block_arrow`;
- real (where ``../shared/data/real`` is present): the 50 spectra of the in situ 7Li TEGDME
  series, read as ``benchmarks/bench_real_li7.py`` reads them (``quant.run.fit_spectra``), twice:
  the whole ``quant.decompose.decompose`` call (model choice, anchor and series fits; the
  baseline reached through the module flag ``block_lm.ACTIVE_SET``), and the chosen series
  problem alone, solved from the start ``decompose`` gave it.

Printed for each: wall and process CPU seconds, iterations, final chi-square, whether it
converged (ftol/xtol; not the iteration limit, not "no decrease"), the ratio baseline / active,
and the largest difference between the two solutions' metal areas (electrode + microstructure
lines, per spectrum) in standard errors (the active solution's). The load average is printed
before and after: on a shared machine the wall ratio moves with the others' load, the CPU ratio
much less.

Measured at 6f0fcb6 + this script (2 cores, load average 2.3-2.6 from other users): synthetic
12 vs 36 iterations, CPU ratio 2.8x, both ftol, the baseline 0.51 higher in chi-square, metal
areas within 0.12 SE; real decompose 2.9 vs 48.4 CPU s (16.6x), chosen series fit 10 iterations
(ftol, chi-square 1752439.96) vs the 200-iteration limit (1755954.94), 10 of the baseline's 18
solver calls at the limit, metal areas 1.06 SE apart (median; largest 1.44, expno 7: the
baseline is not converged); the series problem alone 0.75 vs 19.6 CPU s (26x).

Run (a new user, idle 2-core machine): ``OPENBLAS_NUM_THREADS=1 python
benchmarks/bench_block_lm.py [--repeat 3] [--no-real]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
SERIES = REAL / "li7-insitu-LiLi-TEGDME" / "2023-08-11_jana_insituLiLiTEGDME-02_galv"

#: synthetic lines: electrode, microstructure (grows) and a satellite of true area 0 (its bound
#: ``area >= 0`` is active in about half of the spectra) at a fixed shift from the
#: microstructure line with its FWHM (tied, as the lines of a comb): the held areas are coupled
#: to the shared centre and FWHM, as the real series' microstructure areas held at 0 are
X = np.linspace(200.0, 320.0, 480)
CENTRES = np.array([245.0, 262.0])
FWHMS = np.array([14.0, 6.0])
#: line -> its (centre, FWHM) pair, and its shift from that centre (ppm)
SHAPE_OF = np.array([0, 1, 1])
SHIFT = np.array([0.0, 0.0, 6.0])
SIGMA = 0.02


def lorentz(x, c, w):
    """Absorptive Lorentzian of unit area (FWHM ``w``) and its partials in ``c`` and ``w``."""
    h = w / 2
    d = (x - c) ** 2 + h**2
    return h / np.pi / d, h / np.pi * 2 * (x - c) / d**2, (1 / (2 * d) - h**2 / d**2) / np.pi


class LineSeries:
    """Block-arrow problem (``fit.block_lm`` protocol): ``y_t = sum_i a_ti L(x; c_s(i) +
    shift_i, w_s(i))``; theta = the areas (local, line-major blocks of ``n_time``, bounded
    >= 0), then the centres (+- 10 ppm about the start) and FWHMs (0.5-40 ppm) of the shapes
    :data:`SHAPE_OF`, shared by the series."""

    def __init__(self, y: np.ndarray, sigma: float, c0: np.ndarray):
        self.y, self.sigma = y, sigma
        nl, ns = SHAPE_OF.size, c0.size
        self.n_time, self.n_local, self.n_global = y.shape[0], nl, 2 * ns
        nt = self.n_time
        self.lower = np.concatenate([np.zeros(nl * nt), c0 - 10.0, np.full(ns, 0.5)])
        self.upper = np.concatenate([np.full(nl * nt, np.inf), c0 + 10.0, np.full(ns, 40.0)])

    def parts(self, theta):
        nt, nl, ns = self.n_time, self.n_local, self.n_global // 2
        a = theta[: nl * nt].reshape(nl, nt).T
        c, w = theta[nl * nt : nl * nt + ns], theta[nl * nt + ns :]
        return a, c, w

    def shapes(self, theta):
        """Each line's shape and partials in its centre and FWHM, ``(n_lines, 3, n_x)``."""
        _, c, w = self.parts(theta)
        return np.array([lorentz(X, c[s] + d, w[s]) for s, d in zip(SHAPE_OF, SHIFT, strict=True)])

    def residual(self, theta):
        a = self.parts(theta)[0]
        return ((a @ self.shapes(theta)[:, 0] - self.y) / self.sigma).ravel()

    def jacobian_blocks(self, theta):
        a = self.parts(theta)[0]
        f, dc, dw = self.shapes(theta).transpose(1, 0, 2)
        ns = self.n_global // 2
        tie = (SHAPE_OF[:, None] == np.arange(ns)).astype(float)  # (lines, shapes)
        gc = np.einsum("ti,is,ix->tsx", a, tie, dc)
        gw = np.einsum("ti,is,ix->tsx", a, tie, dw)
        local = np.broadcast_to(f, (self.n_time, *f.shape)) / self.sigma
        return local, np.concatenate([gc, gw], axis=1) / self.sigma


def synthetic_series(n_time: int = 40, seed: int = 8) -> tuple[LineSeries, np.ndarray]:
    """The synthetic problem and its start (areas 1, centres 1.5 ppm off, FWHMs 20 % off)."""
    rng = np.random.default_rng(seed)
    areas = np.column_stack(
        [np.full(n_time, 40.0), np.linspace(5.0, 20.0, n_time), np.zeros(n_time)]
    )
    truth = np.concatenate([np.zeros(SHAPE_OF.size), CENTRES, FWHMS])
    shapes = LineSeries(np.zeros((1, X.size)), SIGMA, CENTRES).shapes(truth)[:, 0]
    y = areas @ shapes + rng.normal(0.0, SIGMA, (n_time, X.size))
    c0 = CENTRES + np.array([-1.5, 1.5])
    theta0 = np.concatenate([np.ones(3 * n_time), c0, FWHMS * np.array([0.8, 1.2])])
    return LineSeries(y, SIGMA, c0), theta0


def metal_and_se(problem: LineSeries, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Electrode + microstructure area per spectrum and its Cramer-Rao standard error (the
    parameters at a bound left out of the covariance)."""
    nt, nl = problem.n_time, problem.n_local
    local, glob = problem.jacobian_blocks(theta)
    jac = np.zeros((nt * X.size, theta.size))
    for t in range(nt):
        rows = slice(t * X.size, (t + 1) * X.size)
        jac[rows, [i * nt + t for i in range(nl)]] = local[t].T
        jac[rows, nl * nt :] = glob[t].T
    free = (theta > problem.lower) & (theta < problem.upper)
    cov = np.linalg.inv(jac[:, free].T @ jac[:, free])
    metal = np.zeros((nt, theta.size))
    for t in range(nt):
        metal[t, [t, nt + t]] = 1.0
    m = metal[:, free]
    return metal @ theta, np.sqrt(np.einsum("ti,ij,tj->t", m, cov, m))


@dataclass
class Run:
    """One timed solve (or decompose) and what it ended with."""

    wall: float
    cpu: float
    nit: int
    chi2: float
    converged: bool
    message: str
    extra: object = None


def converged(sol) -> bool:
    """ftol or xtol (status 2/3), not the iteration limit (0) or no decrease (1)."""
    return sol.status in (2, 3)


@contextlib.contextmanager
def active_set(on: bool):
    """Set ``block_lm.ACTIVE_SET`` (the default of ``solve_block_arrow``) inside the block."""
    import dendritemr.fit.block_lm as blm

    old = blm.ACTIVE_SET
    blm.ACTIVE_SET = on
    try:
        yield
    finally:
        blm.ACTIVE_SET = old


def timed(fn, repeat: int = 1) -> tuple[float, float, object]:
    """(smallest wall s, smallest CPU s, last result) over ``repeat`` calls."""
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus), out


def solve(problem, theta0, on: bool, repeat: int = 1, **kw) -> Run:
    from dendritemr.fit.block_lm import solve_block_arrow

    wall, cpu, sol = timed(lambda: solve_block_arrow(problem, theta0, active_set=on, **kw), repeat)
    return Run(wall, cpu, sol.nit, float(sol.cost), converged(sol), sol.message, sol.x)


def print_pair(label: str, act: Run, base: Run) -> None:
    print(f"{label}")
    print(f"  {'':9s} {'wall s':>8s} {'CPU s':>8s} {'iter':>5s} {'chi-square':>14s}  converged")
    for name, r in (("active", act), ("baseline", base)):
        print(
            f"  {name:9s} {r.wall:8.2f} {r.cpu:8.2f} {r.nit:5d} {r.chi2:14.2f}  "
            f"{'yes' if r.converged else 'no'} ({r.message})"
        )
    print(
        f"  ratio baseline/active: wall {base.wall / act.wall:.1f}x, "
        f"CPU {base.cpu / act.cpu:.1f}x, iterations {base.nit / act.nit:.1f}x; "
        f"chi-square baseline - active {base.chi2 - act.chi2:+.2f}"
    )


def bench_synthetic(repeat: int) -> None:
    problem, theta0 = synthetic_series()
    kw = {"cost_atol": 1e-2, "max_iter": 200}
    act = solve(problem, theta0, True, repeat, **kw)
    base = solve(problem, theta0, False, repeat, **kw)
    held = int(np.sum(act.extra[2 * problem.n_time : 3 * problem.n_time] == 0.0))
    print_pair(
        f"synthetic: {problem.n_time} spectra x {X.size} points, 3 Lorentzians (one of true "
        f"area 0: held at its bound in {held} spectra), cost_atol 1e-2, best of {repeat}",
        act,
        base,
    )
    m_a, se = metal_and_se(problem, act.extra)
    m_b, _ = metal_and_se(problem, base.extra)
    z = np.abs(m_b - m_a) / se
    print(
        f"  metal area (electrode + microstructure) baseline - active: largest {z.max():.3f} SE "
        f"(spectrum {int(z.argmax())}), median {np.median(z):.3f} SE"
    )


@contextlib.contextmanager
def record_solves(out: list):
    """Record every solver call made by ``decompose`` (problem, start, result, wall s) and the
    final (problem, theta, sol) handed to ``decompose._result``."""
    import dendritemr.quant.decompose as dec

    orig_solve, orig_result = dec.solve_block_arrow, dec._result

    def solve_(problem, theta, **kw):
        t0 = time.perf_counter()
        sol = orig_solve(problem, theta, **kw)
        out.append(
            ("solve", problem, np.array(theta, copy=True), kw, sol, time.perf_counter() - t0)
        )
        return sol

    def result_(problem, theta, spectra, best, sol):
        out.append(("result", problem, theta, sol))
        return orig_result(problem, theta, spectra, best, sol)

    dec.solve_block_arrow, dec._result = solve_, result_
    try:
        yield out
    finally:
        dec.solve_block_arrow, dec._result = orig_solve, orig_result


def decompose_run(s7, on: bool) -> Run:
    from dendritemr.quant.decompose import decompose

    calls: list = []
    with warnings.catch_warnings(), active_set(on), record_solves(calls):
        warnings.simplefilter("ignore")
        wall, cpu, ds = timed(lambda: decompose([s7]))
    solves = [c for c in calls if c[0] == "solve"]
    _, problem, theta, sol = next(c for c in calls if c[0] == "result")
    final = next(c for c in solves if c[4] is sol)
    chi2 = float(np.sum(problem.residual(theta) ** 2))
    run = Run(wall, cpu, sol.nit, chi2, converged(sol), sol.message)
    run.extra = {"ds": ds, "solves": solves, "final": final}
    return run


def metal_lines(problem) -> list[int]:
    from dendritemr.quant.decompose import GROUPS

    keep = GROUPS["electrode"] + GROUPS["microstructure"]
    return [
        i for i, ln in enumerate(problem.lines) if ln.name in keep or ln.name.startswith("comb_")
    ]


def bench_real() -> None:
    from dendritemr.quant.decompose import metal_total
    from dendritemr.quant.run import fit_spectra

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s7 = fit_spectra(SERIES)
    act = decompose_run(s7, True)
    base = decompose_run(s7, False)
    print_pair(
        f"real 7Li TEGDME, {s7.sizes['time']} spectra: quant.decompose.decompose end to end "
        "(iterations, chi-square, converged: the chosen series fit)",
        act,
        base,
    )
    for name, r in (("active", act), ("baseline", base)):
        sv = r.extra["solves"]
        its = [c[4].nit for c in sv]
        n_lim = sum(c[4].status == 0 for c in sv)
        series = [c for c in sv if c[1].n_time > 1]
        print(
            f"  {name}: {len(sv)} solver calls, {sum(its)} iterations, {n_lim} at the iteration "
            f"limit, solver wall {sum(c[5] for c in sv):.1f} s; series fits (parameters: "
            "iterations, status, s): "
            + ", ".join(
                f"{c[1].n_theta}: {c[4].nit}, {c[4].message.split()[0]}, {c[5]:.1f}" for c in series
            )
            + f"; baseline drift {r.extra['ds'].attrs['baseline_drift']}"
        )
    da, db = act.extra["ds"], base.extra["ds"]
    ma, mb = metal_total(da).isel(nucleus=0), metal_total(db).isel(nucleus=0)
    same = list(da["component"].values) == list(db["component"].values)
    print(f"  same lines in both decompositions: {'yes' if same else 'no'}")
    if same:
        z = np.abs(mb["area"].values - ma["area"].values) / ma["area_err"].values
        print(
            f"  metal area (decompose.metal_total) baseline - active: largest {z.max():.2f} SE "
            f"(expno {int(z.argmax()) + 1}), median {np.median(z):.2f} SE; growth last/first "
            f"active {ma['area'].values[-1] / ma['area'].values[0] - 1:+.4f}, baseline "
            f"{mb['area'].values[-1] / mb['area'].values[0] - 1:+.4f}"
        )
    else:
        print("  the two decompositions chose different models: metal areas not compared")

    # the chosen series problem alone, from the start decompose gave it, both ways
    _, problem, theta0, kw, _, _ = act.extra["final"]
    problem.__dict__.pop("_jacobian_buffers", None)
    sa = solve(problem, theta0, True, 1, **kw)
    problem.__dict__.pop("_jacobian_buffers", None)
    sb = solve(problem, theta0, False, 1, **kw)
    problem.__dict__.pop("_jacobian_buffers", None)
    print_pair(
        f"real 7Li TEGDME: the chosen series problem alone ({problem.n_theta} parameters, "
        f"baseline drift {da.attrs['baseline_drift']}), same start, {kw}",
        sa,
        sb,
    )
    lines = metal_lines(problem)
    m_a = problem.values(sa.extra)["area"][0][:, lines].sum(axis=1)
    m_b = problem.values(sb.extra)["area"][0][:, lines].sum(axis=1)
    z = np.abs(m_b - m_a) / ma["area_err"].values
    print(
        f"  metal area baseline - active over the active decomposition's error: largest "
        f"{z.max():.2f} SE (expno {int(z.argmax()) + 1}), median {np.median(z):.2f} SE"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="synthetic: best of N timings")
    ap.add_argument("--no-real", action="store_true", help="skip the real series")
    args = ap.parse_args()
    print(
        f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; "
        f"{os.cpu_count()} CPUs; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}"
    )
    bench_synthetic(args.repeat)
    if args.no_real:
        pass
    elif SERIES.is_dir():
        bench_real()
    else:
        print(f"real series skipped: {SERIES} not found")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
