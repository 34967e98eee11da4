"""benchmarks/bench_ensemble.py --compare-to: two ground truths compared number by number."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

_BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_ensemble.py"


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_ensemble_under_test", _BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_compare_flags_a_changed_number_and_ignores_run_times(tmp_path, capsys):
    bench = _load_bench()
    truth = {
        "time_h": [0.0, 0.5, 1.0],
        "interface_umol": [0.0, 1.25, float("nan")],
        "stages": [{"name": "stall", "start_h": 1.0, "end_h": 2.0}],
        "short_circuit_h": None,
        "cpu_s": 10.0,
    }
    same, near, off = tmp_path / "same", tmp_path / "near", tmp_path / "off"
    for folder, change in ((same, {}), (near, {"cpu_s": 99.0}), (off, {})):
        folder.mkdir()
        data = json.loads(json.dumps({**truth, **change}))
        if folder is off:
            data["interface_umol"][1] *= 1 + 1e-6
            data["stages"][0]["name"] = "bulk-nucleation"
        (folder / "point0_seed4.json").write_text(json.dumps(data))
    assert bench._compare(str(same), str(near), 1, [4], 1e-9)
    assert not bench._compare(str(same), str(off), 1, [4], 1e-9)
    out = capsys.readouterr().out
    assert "largest relative difference 0;" in out
    assert ".interface_umol: 1e-06" in out or ".interface_umol: 9.99" in out
    assert "'stall' != 'bulk-nucleation'" in out
