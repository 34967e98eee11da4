"""New-user test (stop 12): the simulation runs on one BLAS thread (demo and simulate).

The demo took 4 min 2 s on a fresh clone, 180 s of it simulating, and 94 s in the next run:
OpenBLAS's two threads spin on a loaded 2-core machine while the cell model factorises small
banded matrices (`dendritemr simulate --seed 3`: 280 s wall / 130 s CPU with them, 58 s / 21.5 s
with one, back to back). `analyze` already limited its fits; the simulation did not.

The simulation itself is watched, not replaced: a wrapper records the BLAS thread counts at
the moment the real :func:`dendritemr.sim.study.simulate` would start, then stops the run.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from threadpoolctl import threadpool_info, threadpool_limits

import dendritemr.sim.study as sim_study
from dendritemr.cli import main
from dendritemr.demo import SIM_BLAS_THREADS, run_demo
from dendritemr.errors import DataError


def _blas_threads() -> set[int]:
    return {d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"}


@pytest.fixture()
def seen(monkeypatch):
    record: list[set[int]] = []

    def watch(*args, **kwargs):
        record.append(_blas_threads())
        raise DataError("watch", "stopped after recording the BLAS threads")

    monkeypatch.setattr(sim_study, "simulate", watch)
    return record


def test_demo_and_simulate_run_the_cell_model_on_one_blas_thread(seen, tmp_path):
    import numpy  # noqa: F401  (loads OpenBLAS)
    import scipy.linalg  # noqa: F401

    if not _blas_threads():
        pytest.skip("no BLAS library that threadpoolctl can see")
    assert SIM_BLAS_THREADS == 1
    with threadpool_limits(limits=2, user_api="blas"):  # as OpenBLAS starts on 2 cores
        assert _blas_threads() == {2}
        out = tmp_path / "demo"
        out.mkdir()
        with pytest.raises(DataError, match="stopped after recording"):
            run_demo(out, show_progress=False)
        res = CliRunner().invoke(main, ["simulate", "--out", str(tmp_path / "study")])
        assert res.exit_code == 2, res.output
        assert "stopped after recording" in res.output
        assert _blas_threads() == {2}  # the limit ends with the simulation
    assert seen == [{1}, {1}]
    assert not (tmp_path / "study").exists()  # the CLI removes the folder it created
