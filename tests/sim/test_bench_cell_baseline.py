"""benchmarks/bench_cell.py --baseline: the same workload under a named git revision and the
working tree, in subprocesses, with the ratio printed and the temporary copy removed."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
_BENCH = _ROOT / "benchmarks" / "bench_cell.py"


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_cell_under_test", _BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _git_ok() -> bool:
    res = subprocess.run(
        ["git", "-C", str(_ROOT), "rev-parse", "--verify", "HEAD"], capture_output=True
    )
    return res.returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _git_ok(), reason="needs a git checkout")
def test_baseline_mode_runs_both_codes_and_cleans_up(capsys):
    bench = _load_bench()
    before = set(Path(tempfile.gettempdir()).glob("bench_cell_*"))
    bench.main(["--baseline", "HEAD", "--seeds", "4", "--max-h", "0.25", "--no-grid"])
    out = capsys.readouterr().out
    rows = re.findall(r"seed 4\s+(baseline|current)\s+wall .*?(\d+) steps,\s+([\d.]+) h", out)
    assert {r[0] for r in rows} == {"baseline", "current"}
    # HEAD and the working tree run the same model here: same steps, same end time
    assert len({(r[1], r[2]) for r in rows}) == 1
    assert float(rows[0][2]) == pytest.approx(0.25)
    ratio = re.search(r"seed 4 to 0.25 h\s+[\d.]+ /\s+[\d.]+\s+[\d.]+ /\s+[\d.]+\s+([\d.]+)", out)
    assert ratio is not None and float(ratio.group(1)) > 0
    assert "command: python benchmarks/bench_cell.py --baseline HEAD" in out
    # and the same trajectory bit for bit (digest of every history array)
    assert "history bit-for-bit identical in both codes" in out
    assert set(Path(tempfile.gettempdir()).glob("bench_cell_*")) == before


@pytest.mark.skipif(not _git_ok(), reason="needs a git checkout")
def test_unknown_revision_is_a_one_line_error():
    bench = _load_bench()
    with pytest.raises(SystemExit, match=r"^error: revision 'no-such-rev-xyz' is not a commit"):
        bench.main(["--baseline", "no-such-rev-xyz", "--no-grid"])
