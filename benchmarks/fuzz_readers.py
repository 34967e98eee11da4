"""Fuzz every reader family with mutated real and fixture files; print the outcome counts.

Each input is one seed dataset (``tests/io/fuzz_corpus.py``: real files read in place from
``../shared/data/real`` when present, and numpy-written fixtures) with one mutation (truncation,
bit flips, zeroed blocks, inserted/deleted bytes, a deleted file, a parameter line deleted or set
to an absurd value: 0, negative, NaN, 1e999, words...). It is written into a scratch folder and
opened with :func:`dendritemr.io.open_dataset` under a per-input CPU-time limit (CPU time, so that
a busy machine does not pass for a hang) and an address-space limit (so that an input asking for
absurd memory fails with MemoryError, counted as uncaught, instead of exhausting the machine).
Outcomes:

- ``ok``: a dataset came back;
- ``clean``: a one-line :class:`~dendritemr.errors.DendriteMRError` (the CLI prints it, exit 2);
- ``uncaught``: any other exception, or a DendriteMRError spanning several lines;
- ``hang``: the time limit ran out.

Every ``--cli-every``-th input also goes through ``dendritemr info`` (click's test runner): it
must exit 0, or exit 2 printing exactly one ``error:`` line ("cli bad" counts the others).

Usage::

    python benchmarks/fuzz_readers.py                     # 10,000 inputs per family
    python benchmarks/fuzz_readers.py -n 500 --family jcamp --show 5
    python benchmarks/fuzz_readers.py --save-failures /tmp/fuzz-failures

Exit status 1 when any input is uncaught or hangs.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import resource
import signal
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "io"))

import fuzz_corpus  # noqa: E402

from dendritemr.errors import DendriteMRError  # noqa: E402
from dendritemr.io import open_dataset  # noqa: E402


class Hang(BaseException):
    """Raised by the timer; a BaseException so that no reader's ``except Exception`` hides it."""


def _alarm(signum, frame):
    raise Hang


def run_one(path: Path, limit_s: float) -> tuple[str, str]:
    """(outcome, detail) of opening ``path``."""
    signal.setitimer(signal.ITIMER_PROF, limit_s)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = open_dataset(path)
        signal.setitimer(signal.ITIMER_PROF, 0)
        return ("ok", type(data).__name__)
    except Hang:
        return ("hang", f"over {limit_s} s")
    except DendriteMRError as exc:
        signal.setitimer(signal.ITIMER_PROF, 0)
        text = str(exc)
        return ("clean", text) if "\n" not in text else ("uncaught", "multi-line: " + text[:200])
    except Exception as exc:  # noqa: BLE001 - the point: anything else is a finding
        signal.setitimer(signal.ITIMER_PROF, 0)
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(frame.filename).name}:{frame.lineno}"
        return ("uncaught", f"{type(exc).__name__} at {where}: {str(exc)[:160]}")
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


def run_cli(path: Path, limit_s: float) -> tuple[str, str]:
    """(outcome, detail) of ``dendritemr info PATH``: exit 0, or exit 2 with one error line."""
    from click.testing import CliRunner

    from dendritemr.cli import main as cli

    signal.setitimer(signal.ITIMER_PROF, limit_s)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = CliRunner().invoke(cli, ["info", str(path)], catch_exceptions=True)
    except Hang:
        return ("hang", f"info over {limit_s} s")
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
    if isinstance(res.exception, Hang):
        return ("hang", f"info over {limit_s} s")
    errors = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    if res.exit_code == 0 or (res.exit_code == 2 and len(errors) == 1):
        return ("ok" if res.exit_code == 0 else "clean", errors[0] if errors else "")
    return ("uncaught", f"info exit {res.exit_code}: {res.exception!r}"[:200])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--per-family", type=int, default=10_000)
    parser.add_argument("--family", action="append", choices=fuzz_corpus.FAMILIES)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--time-limit", type=float, default=10.0, help="CPU seconds per input (a hang)"
    )
    parser.add_argument(
        "--memory-limit-gb",
        type=float,
        default=4.0,
        help="address-space limit: an input that asks for more fails with MemoryError",
    )
    parser.add_argument("--no-real", action="store_true", help="fixtures only")
    parser.add_argument("--show", type=int, default=10, help="findings to print per family")
    parser.add_argument("--save-failures", type=Path, help="write failing inputs here")
    parser.add_argument("--json", type=Path, help="write the counts as JSON here")
    parser.add_argument(
        "--cli-every", type=int, default=20, help="also run `dendritemr info` on every k-th input"
    )
    args = parser.parse_args(argv)

    signal.signal(signal.SIGPROF, _alarm)
    limit = int(args.memory_limit_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    seeds = fuzz_corpus.seeds(real=not args.no_real)
    families = args.family or list(fuzz_corpus.FAMILIES)
    rng = random.Random(args.seed)
    results = {}
    bad = 0
    print(f"{'family':14s} {'seeds':>5s} {'inputs':>7s} {'ok':>7s} {'clean':>7s} "
          f"{'uncaught':>8s} {'hang':>5s} {'cli runs':>8s} {'cli bad':>7s} {'s':>7s}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp) / "input"
        for family in families:
            counts: collections.Counter[str] = collections.Counter()
            findings: list[str] = []
            t0 = time.perf_counter()
            for i in range(args.per_family):
                seed = rng.choice(seeds[family])
                files, what = fuzz_corpus.mutate(seed, rng)
                fuzz_corpus.write_files(files, scratch)
                outcome, detail = run_one(scratch / seed.target, args.time_limit)
                counts[outcome] += 1
                if args.cli_every and i % args.cli_every == 0:
                    cli_outcome, cli_detail = run_cli(scratch / seed.target, args.time_limit)
                    counts["cli"] += 1
                    if cli_outcome in ("uncaught", "hang"):
                        counts["cli_" + cli_outcome] += 1
                        outcome, detail = cli_outcome, cli_detail
                if outcome in ("uncaught", "hang"):
                    findings.append(f"  [{seed.name}] {what}: {detail}")
                    if args.save_failures:
                        dest = args.save_failures / family / f"{i:05d}"
                        fuzz_corpus.write_files(files, dest)
                        (dest / "FINDING.txt").write_text(f"{seed.target}\n{what}\n{detail}\n")
            elapsed = time.perf_counter() - t0
            results[family] = dict(counts, inputs=args.per_family, seconds=round(elapsed, 1))
            bad += counts["uncaught"] + counts["hang"] + counts["cli_uncaught"] + counts["cli_hang"]
            print(f"{family:14s} {len(seeds[family]):5d} {args.per_family:7d} {counts['ok']:7d} "
                  f"{counts['clean']:7d} {counts['uncaught']:8d} {counts['hang']:5d} "
                  f"{counts['cli']:8d} {counts['cli_uncaught'] + counts['cli_hang']:7d} "
                  f"{elapsed:7.1f}", flush=True)  # fmt: skip
            for line in findings[: args.show]:
                print(line, flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
