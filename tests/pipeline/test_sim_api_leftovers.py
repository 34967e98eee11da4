"""``sim.study.simulate`` from Python (stop 13 leftovers): one BLAS thread without the CLI,
the output-folder rule of ``simulate --out``, and a rerun that leaves no stale experiments.

The cell model is watched through simulate's own progress callback (called from inside the
model's time loop), not replaced.
"""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from dendritemr.errors import DataError
from dendritemr.sim.presets import load_preset
from dendritemr.sim.study import SIM_BLAS_THREADS, simulate


class _Stop(Exception):
    pass


def _blas() -> set[int]:
    return {d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"}


def _threads_inside(tmp_path, **kwargs) -> set[int]:
    seen: list[set[int]] = []

    def progress(fraction: float, label: str) -> None:
        seen.append(_blas())
        raise _Stop

    with pytest.raises(_Stop):
        simulate(load_preset("default"), tmp_path / "s", progress=progress, **kwargs)
    assert not (tmp_path / "s").exists()  # the folder it created is gone again
    return seen[0]


def test_python_simulate_pins_blas_threads_and_restores_them(tmp_path):
    import scipy.linalg  # noqa: F401  (loads the BLAS threadpoolctl sees)

    if not _blas():
        pytest.skip("no BLAS library that threadpoolctl can see")
    assert SIM_BLAS_THREADS == 1
    with threadpool_limits(limits=2, user_api="blas"):  # OpenBLAS's start on 2 cores
        assert _threads_inside(tmp_path) == {1}
        assert _blas() == {2}  # restored after the run
        assert _threads_inside(tmp_path, blas_threads=None) == {2}


def test_python_simulate_refuses_a_foreign_folder(tmp_path):
    own = tmp_path / "tegdme"
    own.mkdir()
    (own / "study.toml").write_text("# hand-written\n")
    with pytest.raises(DataError, match="not an earlier simulated study"):
        simulate(load_preset("default"), own)
    assert (own / "study.toml").read_text() == "# hand-written\n"
    assert sorted(p.name for p in own.iterdir()) == ["study.toml"]


def test_a_shorter_rerun_leaves_none_of_the_earlier_experiments(tmp_path, small_study_changes):
    out = tmp_path / "study"
    changes = {**small_study_changes, "mri.enabled": False}
    long = simulate(load_preset("high-current").updated(**changes), out, seed=3)
    (out / "notes.txt").write_text("mine")  # the user's own file beside it is kept
    changes["protocol.max_time_h"] = 2.0
    short = simulate(load_preset("high-current").updated(**changes), out, seed=3)
    n_long, n_short = len(long["time_h"]), len(short["time_h"])
    assert n_short < n_long
    for nuc in ("7Li", "6Li"):
        assert sorted(int(p.name) for p in (out / nuc).iterdir()) == list(range(1, n_short + 1))
    assert (out / "notes.txt").read_text() == "mine"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_a_killed_runs_hidden_folder_does_not_block_the_next(tmp_path, small_study_changes):
    """A simulate killed with SIGKILL leaves its hidden '.simulate-*' folder in OUT: the next
    run into that (otherwise empty) folder was refused, naming it; now it runs and removes it."""
    out = tmp_path / "study"
    (out / ".simulate-killed" / "7Li" / "1").mkdir(parents=True)
    changes = {**small_study_changes, "mri.enabled": False, "protocol.max_time_h": 2.0}
    truth = simulate(load_preset("high-current").updated(**changes), out, seed=3)
    assert sorted(int(p.name) for p in (out / "7Li").iterdir()) == list(
        range(1, len(truth["time_h"]) + 1)
    )
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
