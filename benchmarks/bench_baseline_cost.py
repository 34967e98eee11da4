"""Cost of ``decompose(baseline_drift="auto")`` (the default: smooth and local baselines both
fitted, the lower BIC kept) against ``"local"`` (the baseline of this ratio, the default before
stop 15), on the paired 6Li/7Li series of a study, in the same run.

Both fits see the same spectra (read and paired as ``analyze`` does: ``pipeline._load``,
``pipeline._pair_li6``); process CPU time and wall time are printed with the load average
(the machine may be shared), and which baselines ``auto`` chose with both BICs.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_baseline_cost.py [STUDY_DIR]``
(without a folder: ``dendritemr simulate`` of the default scenario, seed 3, into a temporary
folder first, not timed).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import warnings
from pathlib import Path


def _series(folder: Path):
    from dendritemr.pipeline import _load, _pair_li6
    from dendritemr.study import load_study

    study = load_study(folder)
    li7 = _load(study.li7, "li7")
    if study.li6 is None:
        return [li7]
    li7, li6, _ = _pair_li6(li7, _load(study.li6, "li6"))
    li6 = li6.assign_coords(hours=("time", li7["hours"].values))
    li6.attrs = {k: v for k, v in li6.attrs.items() if k != "paired_index"}
    return [li7, li6]


def main() -> None:
    from dendritemr.quant.decompose import decompose

    warnings.simplefilter("ignore")
    if len(sys.argv) > 1:
        folder = Path(sys.argv[1])
    else:
        from dendritemr.sim.presets import load_preset
        from dendritemr.sim.study import simulate

        folder = Path(tempfile.mkdtemp(prefix="bench_baseline_cost_")) / "study"
        simulate(load_preset("default"), folder, seed=3)
    spectra = _series(folder)
    print(f"study {folder}: {spectra[0].sizes['time']} time points, {len(spectra)} nuclei")
    cpu = {}
    for mode in ("local", "auto"):
        load = os.getloadavg()[0]
        c0, w0 = time.process_time(), time.perf_counter()
        ds = decompose(spectra, baseline_drift=mode)
        cpu[mode] = time.process_time() - c0
        wall = time.perf_counter() - w0
        print(
            f"  {mode:5s}: CPU {cpu[mode]:6.1f} s, wall {wall:6.1f} s (load {load:.1f}); "
            f"chosen {ds.attrs.get('baseline_drift')}; {ds.attrs.get('baseline_choice')}"
        )
    print(f"auto / local CPU: {cpu['auto'] / cpu['local']:.2f}")


if __name__ == "__main__":
    main()
