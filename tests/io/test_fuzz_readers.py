"""Property test: a mutated real or fixture dataset is either read or refused with a one-line
DendriteMRError, through open_dataset and through ``dendritemr info`` (exit 2) -- never another
exception or a hang. A fast sample; ``benchmarks/fuzz_readers.py`` runs 10,000 per family."""

from __future__ import annotations

import random
import signal
import warnings

import pytest
from click.testing import CliRunner
from fuzz_corpus import FAMILIES, mutate, seeds, write_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dendritemr.cli import main
from dendritemr.errors import DendriteMRError
from dendritemr.io import open_dataset

SEEDS = seeds(real=True)
LIMIT_S = 10


class _Hang(BaseException):
    pass


def _alarm(signum, frame):
    raise _Hang


def _open(path):
    previous = signal.signal(signal.SIGPROF, _alarm)
    signal.setitimer(signal.ITIMER_PROF, LIMIT_S)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return open_dataset(path)
    except _Hang:
        pytest.fail(f"{path}: no answer within {LIMIT_S} CPU seconds")
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


@pytest.mark.parametrize("family", FAMILIES)
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_mutated_inputs_read_or_fail_in_one_line(tmp_path, family, data):
    seed = data.draw(st.sampled_from(SEEDS[family]), label="seed")
    files, what = mutate(seed, random.Random(data.draw(st.integers(0, 2**32 - 1))))
    folder = tmp_path / "input"
    write_files(files, folder)
    try:
        result = _open(folder / seed.target)
    except DendriteMRError as exc:
        assert "\n" not in str(exc), f"{seed.name} {what}: multi-line error"
        return
    assert result is not None, f"{seed.name} {what}"


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=st.data())
def test_cli_info_exit_codes(tmp_path, data):
    family = data.draw(st.sampled_from(FAMILIES))
    seed = data.draw(st.sampled_from(SEEDS[family]))
    files, what = mutate(seed, random.Random(data.draw(st.integers(0, 2**32 - 1))))
    folder = tmp_path / "cli"
    write_files(files, folder)
    result = CliRunner().invoke(main, ["info", str(folder / seed.target)])
    assert result.exit_code in (0, 2), f"{seed.name} {what}: {result.exception!r}"
    if result.exit_code == 2:
        errors = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
        assert len(errors) == 1, result.output
