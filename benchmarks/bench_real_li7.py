"""Issue 8, real data: the joint decomposition of the real in situ 7Li series (TEGDME cell).

Prints, for the 50 spectra of ``li7-insitu-LiLi-TEGDME`` read in place from ../shared/data/real:

- growth last/first of TopSpin's own 1r window integral (200-300 ppm), of the fitted metal
  lines' area inside that window (the like-for-like counterpart: :func:`metal_in_window`) and
  of the total fitted metal (electrode + microstructure line areas, each line at its own
  phase). At 8654280+: +14.62 %, +13.62 %, +15.45 %: the fit's lines hold 1 % less of the
  window's growth than TopSpin's integral (the rest sits in the per-spectrum baselines and
  residuals) and put 1.8 % of growth outside it (tails of lines that broaden and move);
- scatter of each about a cubic trend (%), and the largest neighbour jump of the residuals
  about that trend in standard errors (errors as reported: Cramer-Rao, times the Birge ratio
  where the reduced chi-square rejects the model; the total's with the groups' covariance,
  then in quadrature as before stop 16);
- single spectrum vs series: expnos fitted alone with the same model options, the difference of
  the electrode, microstructure and total metal areas in standard errors, twice: over the two
  errors in quadrature (independent estimates) and over the standard error of the difference
  (:mod:`dendritemr.fit.nested`: the same data in both fits); the total's errors with the
  electrode / microstructure covariance (``decompose.metal_total``), strongly negative where
  the lines overlap (the figures of earlier stops, the total's error from the two groups'
  errors in quadrature, are printed after "as before");
- the root cause at each expno fitted alone: its electrode FWHM and centre against the series'
  (one FWHM per line for the whole series), and the electrode area alone with the series'
  electrode centre and FWHM held; with ``--attribute`` the same for each group of shape
  parameters (phases, each line's centre and FWHM) held at the series' values.

The fitted :class:`~dendritemr.fit.joint.JointProblem` of each decomposition (which
``decompose`` does not return) is kept by wrapping ``decompose._result`` (:func:`keep_problems`).

Also: the tuning/matching wait of each experiment beyond its scans (:func:`overheads`; expnos
39-43 waited 71-205 s instead of 14.6 s), every neighbour jump of the total beyond 3 SE (also with
the scans' own mid-points as time) and the largest step of the spectrum phase (stop 17,
docs/quantification.md).

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_real_li7.py [--drift centres|smooth|shared]
[--nonnegative auto|yes|no] [--single 1 20 50] [--nested] [--attribute]``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import time
import warnings
from pathlib import Path

import numpy as np

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
SERIES = REAL / "li7-insitu-LiLi-TEGDME" / "2023-08-11_jana_insituLiLiTEGDME-02_galv"
WINDOW = (200.0, 300.0)


def window_integral(ppm: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Integral of the real part over ``WINDOW`` (signal x ppm), rows of ``y``."""
    m = (ppm >= WINDOW[0]) & (ppm <= WINDOW[1])
    return np.real(y[..., m]).sum(axis=-1) * abs(ppm[1] - ppm[0])


def trend_stats(t: np.ndarray, y: np.ndarray, err: np.ndarray | None = None):
    """(growth last/first - 1, scatter about a cubic in %, max neighbour jump in SE)."""
    res = y - np.polyval(np.polyfit(t, y, 3), t)
    jump = np.nan
    if err is not None:
        jump = float(np.max(np.abs(np.diff(res)) / np.hypot(err[1:], err[:-1])))
    return y[-1] / y[0] - 1, 100 * res.std() / np.abs(y).mean(), jump


def metal_totals(ds):
    """Electrode + microstructure areas of the 7Li decomposition, the error of that sum with
    the groups' covariance (:func:`dendritemr.quant.decompose.metal_total`), the two groups'
    errors in quadrature (the figure of stops before 16, which overstates it), and the
    microstructure's areas and errors."""
    from dendritemr.quant.decompose import metal_total

    m = metal_total(ds).isel(nucleus=0)
    ge = ds["group_area_err"].isel(nucleus=0)
    quad = np.hypot(ge.sel(group="electrode").values, ge.sel(group="microstructure").values)
    ga = ds["group_area"].isel(nucleus=0)
    micro = ga.sel(group="microstructure").values, ge.sel(group="microstructure").values
    return m["area"].values, m["area_err"].values, quad, micro


def metal_in_window(ds) -> np.ndarray:
    """The fitted 7Li metal lines' area inside ``WINDOW`` per time point (signal x ppm): each
    electrode / microstructure line's area times the share of its Lorentzian between the
    window's edges, ``(atan(2 (b - c) / w) - atan(2 (a - c) / w)) / pi``. Its growth is the
    fit's like-for-like counterpart of TopSpin's window integral: a line that broadens moves
    area into its tails outside the window, which the full areas count and the window does not."""
    from dendritemr.quant.decompose import GROUPS

    names = [str(c) for c in ds["component"].values]
    metal = [
        i
        for i, n in enumerate(names)
        if n in GROUPS["electrode"] or n in GROUPS["microstructure"] or n.startswith("comb_")
    ]
    a = ds["area"].values[0][:, metal]
    c = ds["center"].values[:, metal]
    w = ds["width"].values[0][:, metal]
    lo, hi = WINDOW
    share = (np.arctan(2 * (hi - c) / w) - np.arctan(2 * (lo - c) / w)) / np.pi
    return (a * share).sum(axis=1)


def overheads(spectra) -> np.ndarray:
    """Seconds of each experiment's audit window (TopSpin's ``go``, started to finished) beyond
    its scans (NS x (D1 + AQ)), from the reader's ``timing`` attrs. The pulse program
    (``ATM_zg8new``) runs an automatic tuning/matching step before the scans and waits for the
    tuning box's end trigger (``trigpe3``): 14.3-14.8 s in 45 of the 50 experiments, 70.9, 121.0,
    166.2, 203.3 and 204.6 s in expnos 39-43 (stop 17, docs/quantification.md)."""
    timing = json.loads(spectra.attrs["timing"])
    return np.array([x["measured_s"] - x["computed_s"] for x in timing])


def jumps(t: np.ndarray, y: np.ndarray, err: np.ndarray, above: float = 3.0) -> str:
    """Neighbour jumps of the residuals of ``y`` about a cubic in ``t`` beyond ``above``
    standard errors, as ``expno->expno: SE (% of the mean)``."""
    res = y - np.polyval(np.polyfit(t, y, 3), t)
    j = np.diff(res) / np.hypot(err[1:], err[:-1])
    return ", ".join(
        f"{k + 1}->{k + 2}: {j[k]:+.2f} ({100 * (res[k + 1] - res[k]) / np.abs(y).mean():+.2f} %)"
        for k in np.flatnonzero(np.abs(j) > above)
    )


@contextlib.contextmanager
def keep_problems(out: list):
    """Collect ``(problem, theta)`` of every decomposition made inside the block (the fitted
    :class:`~dendritemr.fit.joint.JointProblem`, which ``decompose`` does not return; needed
    for covariances across lines and for the influence vectors of :mod:`dendritemr.fit.nested`)."""
    import dendritemr.quant.decompose as dec

    orig = dec._result

    def wrapped(problem, theta, spectra, best, sol):
        out.append((problem, theta))
        return orig(problem, theta, spectra, best, sol)

    dec._result = wrapped
    try:
        yield out
    finally:
        dec._result = orig


def line_weights(problem, group: str) -> np.ndarray:
    """``(nuclei, lines)`` weights summing nucleus 0's lines of ``group`` (``"metal"``:
    electrode and microstructure groups)."""
    from dendritemr.quant.decompose import GROUPS

    groups = ("electrode", "microstructure") if group == "metal" else (group,)
    names = [ln.name for ln in problem.lines]
    w = np.zeros((len(problem.nuclei), len(names)))
    for i, n in enumerate(names):
        if any(n in GROUPS[g] or (g == "microstructure" and n.startswith("comb_")) for g in groups):
            w[0, i] = 1.0
    return w


def estimate(problem, theta, scale, t: int, group: str):
    """``(value, Birge-scaled standard error, variance, influence)`` of a group's 7Li area at
    time index ``t`` (:func:`dendritemr.fit.nested.influence`)."""
    from dendritemr.fit.nested import influence

    a, v, g = influence(problem, theta, t, line_weights(problem, group))
    return a, float(scale * np.sqrt(v)), v, g


def held_shape_fit(problem, theta, centre: float, width: float):
    """Refit a single spectrum with its electrode centre and FWHM held at the given values
    (the series'); returns ``(problem, theta, chi-square)``."""
    from dendritemr.fit.block_lm import solve_block_arrow
    from dendritemr.fit.joint import JointProblem
    from dendritemr.quant.decompose import BASELINE_DEGREE, CHI2_ATOL

    vals = problem.values(theta)
    lines = [
        dataclasses.replace(ln, center=centre, width=width, fixed=True)
        if ln.name == "electrode"
        else ln
        for ln in problem.lines
    ]
    held = JointProblem(
        problem.nuclei,
        lines,
        problem.groups,
        np.zeros(1),
        drift="shared",
        width_drift=False,
        baseline_degree=BASELINE_DEGREE,
    )
    init = {
        "center": {ln.name: float(vals["offset"][0, i]) for i, ln in enumerate(lines)},
        "width": {ln.name: float(vals["width"][0, 0, i]) for i, ln in enumerate(lines)},
        "psi": {g.name: float(vals["psi"][i]) for i, g in enumerate(problem.groups)},
        "phi0": vals["phi0"],
        "area": vals["area"],
    }
    sol = solve_block_arrow(held, held.initial_theta(init), cost_atol=CHI2_ATOL)
    return held, sol.x, float(sol.cost)


def held_fit(problem, theta, series, series_theta, t: int, hold: set):
    """Refit a single spectrum (``problem``, ``theta``: its fit alone) with some of its shape
    parameters held at the series' values at time index ``t``.

    ``hold``: ``(kind, name)`` pairs, kind ``"center"`` (the offset for a tied line),
    ``"width"`` or ``"psi"`` (a phase group's name). Held parameters are pinned by their bounds
    during the fit and left out of the covariance. Returns ``(value, Birge-free variance,
    influence)`` of the electrode area (as :func:`estimate`) and the chi-square.
    """
    import copy

    from dendritemr.fit.block_lm import solve_block_arrow
    from dendritemr.quant.decompose import CHI2_ATOL

    vs = series.values(series_theta)
    names = [ln.name for ln in problem.lines]
    gnames = [g.name for g in problem.groups]
    pr = copy.copy(problem)
    for cache in ("_terms_cache", "_jacobian_buffers"):
        pr.__dict__.pop(cache, None)
    pr.lower, pr.upper = problem.lower.copy(), problem.upper.copy()
    th = np.asarray(theta, dtype=float).copy()
    cols = []
    for b in problem.blocks[problem.n_local :]:
        name = gnames[b.extra] if b.kind == "psi" else names[b.line] if b.line >= 0 else None
        if (b.kind, name) not in hold:
            continue
        if b.kind == "center":
            v = vs["offset"][t, b.line]
        elif b.kind == "width":
            v = vs["width"][max(b.k, 0), t, b.line]
        else:
            v = vs["psi_t"][t, b.extra]
        sl = slice(b.start, b.start + b.basis.shape[1])
        th[sl], pr.lower[sl], pr.upper[sl] = v, v - 1e-9, v + 1e-9
        cols += list(range(sl.start, sl.stop))
    sol = solve_block_arrow(pr, th, cost_atol=CHI2_ATOL, max_iter=400)
    th = sol.x
    jac = pr.jacobian(th).toarray()
    keep = np.setdiff1d(np.arange(pr.n_theta), cols)
    jk = jac[:, keep]
    norm = np.where(np.linalg.norm(jk, axis=0) > 0, np.linalg.norm(jk, axis=0), 1.0)
    cov = np.linalg.pinv((jk / norm).T @ (jk / norm), hermitian=True) / np.outer(norm, norm)
    w = line_weights(pr, "electrode")
    u = np.zeros(pr.n_theta)
    for i in np.flatnonzero(w[0]):
        u[pr.blocks[pr.local_index("area", 0, i)].start] = 1.0
    cu = cov @ u[keep]
    value = float(u @ th)
    return value, float(u[keep] @ cu), jk @ cu, float(np.sum(pr.residual(th) ** 2))


ATTRIBUTION = {
    "nothing (the fit alone)": set(),
    "skin phase": {("psi", "skin")},
    "microstructure phase": {("psi", "micro")},
    "both phases": {("psi", "skin"), ("psi", "micro")},
    "electrode centre": {("center", "electrode")},
    "electrode FWHM": {("width", "electrode")},
    "electrode centre + FWHM": {("center", "electrode"), ("width", "electrode")},
}


def attribute(problem, theta, series, series_theta, t: int, scale: float) -> None:
    """Print the electrode area of spectrum ``t`` alone with each group of shape parameters
    held at the series' values (:data:`ATTRIBUTION`, then every line's shape, then shapes and
    phases), its difference from the series in standard errors of the difference, and the rise
    of chi-square (also over the Birge ratio squared)."""
    from dendritemr.fit.nested import difference_se

    a2, _, v2, g2 = estimate(series, series_theta, 1.0, t, "electrode")
    names = [ln.name for ln in problem.lines]
    shapes = {(k, n) for n in names for k in ("center", "width")}
    cases = dict(ATTRIBUTION)
    for prefix in ("micro", "electrolyte"):
        cases[f"{prefix} lines' centres + FWHMs"] = {x for x in shapes if x[1].startswith(prefix)}
    cases["every line's centre + FWHM"] = shapes
    cases["every shape and both phases"] = shapes | ATTRIBUTION["both phases"]
    chi0 = None
    for label, hold in cases.items():
        a, v, g, chi2 = held_fit(problem, theta, series, series_theta, t, hold)
        chi0 = chi2 if chi0 is None else chi0
        z = (a - a2) / difference_se(v, g, v2, g2, scale)
        print(
            f"    held at the series' values: {label:34s} electrode {a:.4g} ({z:+.1f} SE), "
            f"chi-square {chi2 - chi0:+.0f} ({(chi2 - chi0) / scale**2:+.1f} in Birge units)"
        )


def main() -> None:
    from dendritemr.io.bruker import read_pdata
    from dendritemr.quant.decompose import decompose
    from dendritemr.quant.run import fit_spectra

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--drift", default="centres", choices=["centres", "smooth", "shared"])
    ap.add_argument("--nonnegative", default="auto", choices=["auto", "yes", "no"])
    ap.add_argument("--deposit", default="auto", choices=["auto", "yes", "no"])
    ap.add_argument("--single", type=int, nargs="*", default=[1, 20, 50], help="expnos")
    ap.add_argument(
        "--attribute",
        action="store_true",
        help="for each --single expno: the electrode alone with groups of shape parameters held "
        "at the series' values",
    )
    ap.add_argument(
        "--nested",
        action="store_true",
        help="fit each --single expno with the series' model (its number of microstructure "
        "lines and broad base), as tests/quant/test_real_tegdme_joint.py does: the series is "
        "then a restriction of the fit alone (default: the model each spectrum alone chooses)",
    )
    args = ap.parse_args()
    if not SERIES.is_dir():
        raise SystemExit(f"{SERIES}: real data not found (../shared/data/real)")
    nonneg = args.nonnegative if args.nonnegative == "auto" else args.nonnegative == "yes"
    dep = args.deposit if args.deposit == "auto" else args.deposit == "yes"
    kw = {"drift": args.drift, "nonnegative": nonneg, "deposit": dep}
    refs = [read_pdata(SERIES / str(i) / "pdata" / "1") for i in range(1, 51)]
    topspin = np.array([window_integral(r["ppm"].values, r.values[0]) for r in refs])
    fits: list = []
    with warnings.catch_warnings(), keep_problems(fits):
        warnings.simplefilter("ignore")
        s7 = fit_spectra(SERIES)
        t0 = time.perf_counter()
        ds = decompose([s7], **kw)
        wall = time.perf_counter() - t0
    p_s, th_s = fits[-1]
    scale_s = ds["error_scale"].values[0]
    t = ds["hours"].values
    tot, err_cov, err, (micro, micro_err) = metal_totals(ds)
    print(f"series fit ({kw}): {wall:.1f} s, model {ds.attrs['model_choice'][:200]}")
    print(
        f"skin phase {np.degrees(float(ds['skin_phase'])):.1f} +- "
        f"{np.degrees(float(ds['skin_phase_err'])):.1f} deg; deposit {ds.attrs['deposit']}; "
        f"baselines {ds.attrs['baseline_drift']}; solver: {ds.attrs['solver_message']}; "
        f"chi-square {float(np.sum(p_s.residual(th_s) ** 2)):.0f}; electrode FWHM "
        f"{float(ds['width'].values[0, 0, 0]):.2f} ppm"
    )
    print(
        f"reduced chi-square median {np.median(ds['redchi']):.2f}, max "
        f"{float(ds['redchi'].max()):.2f}; error scale (Birge) median "
        f"{np.median(ds['error_scale']):.2f}"
    )
    print("quantity                         growth   scatter%  max jump/SE")
    for name, y, e in (
        ("TopSpin 1r window 200-300 ppm", topspin, None),
        ("total fitted metal (areas)", tot, err_cov),
        ("  its lines inside 200-300 ppm", metal_in_window(ds), None),
        ("  same, errors in quadrature", tot, err),
        ("microstructure (areas)", micro, micro_err),
    ):
        g, sc, j = trend_stats(t, y, e)
        print(f"{name:32s} {g:+8.4f} {sc:9.3f} {j:11.1f}")
    print(
        "total metal error with the electrode/microstructure covariance over the errors in "
        f"quadrature: {np.min(err_cov / err):.2f}-{np.max(err_cov / err):.2f}"
    )
    over = overheads(s7)
    odd = np.flatnonzero(over > np.median(over) + 10.0)
    print(
        f"tuning/matching wait before the scans: median {np.median(over):.1f} s; "
        + ", ".join(f"expno {k + 1} {over[k]:.1f} s" for k in odd)
    )
    print(f"total metal: neighbour jumps > 3 SE: {jumps(t, tot, err_cov) or 'none'}")
    # the reader's mid-point is the audit window's, which holds the tuning wait: the scans'
    # own mid-point is later by half the wait (the trend changes, the fit does not)
    ts = t + over / 7200.0
    print(
        "  same, time at the scans' mid-points (window end - scans / 2): "
        f"{jumps(ts, tot, err_cov) or 'none'}; scatter "
        f"{trend_stats(ts, tot, err_cov)[1]:.3f} %, max jump {trend_stats(ts, tot, err_cov)[2]:.1f}"
    )
    phase = np.degrees(ds["phase0"].values[0])
    dp = np.diff(phase)
    k = int(np.argmax(np.abs(dp)))
    print(
        f"spectrum phase: largest neighbour change {dp[k]:+.2f} deg at expno {k + 1}->{k + 2}; "
        f"the others within {np.max(np.abs(np.delete(dp, k))):.2f} deg"
    )
    print(
        "single spectrum alone vs in the series: difference / errors in quadrature (as before; "
        "total: groups without covariance) | / standard error of the difference (fit.nested)"
    )
    from dendritemr.fit.nested import difference_se

    w_series = float(ds["width"].values[0, 0, list(ds["component"].values).index("electrode")])
    alone_total = {}
    kw1 = dict(kw)
    if args.nested:
        kw1.update(
            n_micro=int(ds.attrs["n_microstructure"]), broad=bool(ds.attrs["broad_electrode"])
        )
    for expno in args.single:
        i = expno - 1
        one_fits: list = []
        with warnings.catch_warnings(), keep_problems(one_fits):
            warnings.simplefilter("ignore")
            one = decompose([s7.isel(time=[i])], **kw1)
        p1, th1 = one_fits[-1]
        scale1 = float(one["error_scale"].values[0, 0])
        t1, _, e1, (m1, me1) = metal_totals(one)
        old_m = (m1[0] - micro[i]) / np.hypot(me1[0], micro_err[i])
        old_t = (t1[0] - tot[i]) / np.hypot(e1[0], err[i])
        same = [ln.name for ln in p1.lines] == [ln.name for ln in p_s.lines]
        parts = []
        for group in ("electrode", "microstructure", "metal"):
            a1, se1, v1, g1 = estimate(p1, th1, scale1, 0, group)
            if group == "metal":
                alone_total[expno] = a1
            a2, se2, v2, g2 = estimate(p_s, th_s, scale_s[i], i, group)
            zq = (a1 - a2) / np.hypot(se1, se2)
            zd = (a1 - a2) / difference_se(v1, g1, v2, g2, scale1)
            parts.append(f"{group} {a1:.4g} vs {a2:.4g} ({zq:+.1f} | {zd:+.1f} SE)")
        print(
            f"  expno {expno:2d}: " + "; ".join(parts) + f"; as before: microstructure "
            f"{old_m:+.1f}, total {old_t:+.1f} SE; model alone {one.attrs['n_microstructure']} "
            f"micro{'' if same else ' (other lines than the series: not nested)'}"
        )
        # root cause: the electrode's shape alone against the series' one FWHM per line
        v1 = p1.values(th1)
        c_s = float(ds["center"].values[i, 0])
        chi2_1 = float(np.sum(p1.residual(th1) ** 2))
        held, th_h, chi2_h = held_shape_fit(p1, th1, c_s, w_series)
        a_h, se_h, v_h, g_h = estimate(held, th_h, scale1, 0, "electrode")
        a2, se2, v2, g2 = estimate(p_s, th_s, scale_s[i], i, "electrode")
        z_h = (a_h - a2) / difference_se(v_h, g_h, v2, g2, scale1)
        dchi = chi2_h - chi2_1
        print(
            f"           electrode alone: FWHM {v1['width'][0, 0, 0]:.2f} ppm, centre "
            f"{v1['center'][0, 0]:.2f} (series {w_series:.2f}, {c_s:.2f}); with the series' "
            f"centre and FWHM held: electrode {a_h:.4g} ({z_h:+.1f} SE), chi-square "
            f"+{dchi:.0f} (+{dchi / scale1**2:.0f} in Birge units)"
        )
        if args.attribute:
            attribute(p1, th1, p_s, th_s, i, scale1)
    first, last = min(alone_total, default=None), max(alone_total, default=None)
    if first is not None and last != first:
        print(
            f"total metal of the fits alone, expno {last} / expno {first} - 1: "
            f"{alone_total[last] / alone_total[first] - 1:+.4f} (series "
            f"{tot[last - 1] / tot[first - 1] - 1:+.4f})"
        )


if __name__ == "__main__":
    main()
