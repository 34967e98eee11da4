"""``block_lm.solve_block_arrow(active_set=...)``: the active set against the baseline kept for
``benchmarks/bench_block_lm.py`` (projection onto the bounds alone, the solver before 8654280),
on that benchmark's synthetic series (three Lorentzians, one of true area 0 held at its bound in
about half of the spectra, tied to the microstructure line's centre and FWHM).

Measured (seeds 1-8): active 12-13 iterations, baseline 20-45, the baseline stopping 0.5-5 in
chi-square higher (a clipped step below ``cost_atol``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import dendritemr.fit.block_lm as blm

_BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_block_lm.py"


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_block_lm_under_test", _BENCH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # the benchmark's dataclass looks its module up there
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("seed", [3, 8])
def test_active_set_converges_in_fewer_iterations_to_no_higher_chi_square(seed):
    problem, theta0 = _load_bench().synthetic_series(seed=seed)
    nt = problem.n_time
    act = blm.solve_block_arrow(problem, theta0, cost_atol=1e-2)
    base = blm.solve_block_arrow(problem, theta0, cost_atol=1e-2, active_set=False)
    assert act.status in (2, 3)
    assert np.sum(act.x[2 * nt : 3 * nt] == 0.0) >= 5  # the bound is active
    assert act.nit < base.nit
    assert act.cost <= base.cost
    # the default is the active set, also through the module flag
    default = blm.solve_block_arrow(problem, theta0, cost_atol=1e-2)
    assert default.nit == act.nit
    np.testing.assert_array_equal(default.x, act.x)


def test_module_flag_switches_the_default(monkeypatch):
    problem, theta0 = _load_bench().synthetic_series(seed=8)
    base = blm.solve_block_arrow(problem, theta0, cost_atol=1e-2, active_set=False)
    monkeypatch.setattr(blm, "ACTIVE_SET", False)
    flagged = blm.solve_block_arrow(problem, theta0, cost_atol=1e-2)
    assert flagged.nit == base.nit
    np.testing.assert_array_equal(flagged.x, base.x)
