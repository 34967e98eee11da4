"""Every command's --help has an Examples section, and the examples work as written.

The examples name a study folder as ``dendritemr simulate`` writes it (``study/7Li``,
``study/6Li``, ``study/reference/...``, ``study/mri``) and, for the 1D-profile reader, the real
19F profiles of ``shared/data/real/thienenkamp-19F-MRI-LiPEOLi/Li_Li/Data``. The fast test
parses every example with click (unknown options, bad choices or values fail); the slow one runs
the examples of ``quantify``, ``isotopes``, ``simulate`` and ``image`` in a folder holding a
small simulated study (:func:`dendritemr.sim.small_csi.simulate_small_csi`, seconds) under
those names. Two ``simulate`` examples are only parsed: they simulate the default / a preset
scenario to its short (minutes; ``tests/sim`` runs those scenarios).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from dendritemr.cli import main

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
PROFILES = REAL / "thienenkamp-19F-MRI-LiPEOLi" / "Li_Li" / "Data"

#: the commands whose examples the slow test runs
RUN = ("quantify", "isotopes", "simulate", "image")

#: examples only parsed (minutes each), with the reason
PARSE_ONLY = {
    "dendritemr simulate --out study": "the default scenario to its short (minutes)",
    "dendritemr simulate --preset high-current --out hc-study --seed 2": "a preset (1-2 min)",
}


def examples(name: str) -> list[str]:
    """The example command lines of ``dendritemr NAME --help`` (continuation lines joined,
    comments kept)."""
    out = CliRunner().invoke(main, [name, "--help"], terminal_width=200).output
    assert "Examples:" in out or "Example:" in out, f"dendritemr {name} --help has no examples"
    block = out.split("Example", 1)[1].split("\n", 1)[1]
    too_long = [ln for ln in block.split("\nOptions:")[0].splitlines() if len(ln) > 100]
    assert not too_long, f"dendritemr {name} --help: example lines over 100 characters {too_long}"
    lines: list[str] = []
    cont = False
    for raw in block.splitlines():
        if raw and not raw[0].isspace():  # the next section (Options:)
            break
        text = raw.strip()
        if not text:
            continue
        if cont:
            lines[-1] += " " + text
        elif text.startswith("dendritemr "):
            lines.append(text)
        cont = lines[-1].endswith("\\") if lines else False
        if cont:
            lines[-1] = lines[-1][:-1].rstrip()
    assert lines, f"dendritemr {name} --help: no example command lines"
    return lines


def split(line: str) -> tuple[str, list[str], str | None]:
    """``(command, args, redirect file or None)`` of one example line."""
    words = shlex.split(line, comments=True)
    assert words[0] == "dendritemr"
    target = None
    if ">" in words:
        k = words.index(">")
        target, words = words[k + 1], words[:k]
    return words[1], words[2:], target


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_example_parses(name):
    """Each example of each command parses with that command's options (click)."""
    for line in examples(name):
        cmd, args, _ = split(line)
        command = main.commands[cmd]
        with command.make_context(cmd, list(args)) as ctx:
            assert ctx.params is not None


def _small_study_tree(root: Path) -> None:
    """``root/study`` (a small simulated study), ``root/Li_Li/Data`` (the real profiles) and
    ``root/my-scenario.toml`` (the small cell as a scenario file)."""
    from dendritemr.sim.small_csi import SMALL_CSI_CHANGES, simulate_small_csi

    simulate_small_csi(root / "study", seed=7, every_h=3.0)
    if PROFILES.is_dir():
        (root / "Li_Li").mkdir()
        (root / "Li_Li" / "Data").symlink_to(PROFILES)
    sections: dict[str, list[str]] = {}
    for key, value in SMALL_CSI_CHANGES.items():
        section, name = key.split(".")
        sections.setdefault(section, []).append(f"{name} = {value!r}")
    (root / "my-scenario.toml").write_text(
        "".join(f"[{s}]\n" + "\n".join(rows) + "\n" for s, rows in sections.items())
    )


@pytest.mark.slow
def test_examples_run_as_written(tmp_path, monkeypatch):
    """quantify, isotopes, simulate and image examples run with exit code 0 on a small study;
    what they redirect to a file is JSON; the files they name with --out exist."""
    _small_study_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    ran = []
    for name in RUN:
        for line in examples(name):
            if line.split("#")[0].strip() in PARSE_ONLY:
                continue
            cmd, args, target = split(line)
            if "Li_Li/Data" in args and not PROFILES.is_dir():
                continue  # the real profiles are not here (skip, as the real-data tests do)
            result = CliRunner().invoke(main, [cmd, *args])
            assert result.exit_code == 0, f"{line}\n{result.output}"
            if target is not None:
                Path(target).write_text(result.stdout)
                json.loads(Path(target).read_text())
            if "--json" in args and target is None:
                json.loads(result.stdout)
            if "--out" in args:
                assert Path(args[args.index("--out") + 1]).exists(), line
            ran.append(line)
    print("\n".join(ran))
    assert sum(line.startswith("dendritemr quantify") for line in ran) >= 3
    assert sum(line.startswith("dendritemr isotopes") for line in ran) >= 3
    assert sum(line.startswith("dendritemr image") for line in ran) >= 2
    assert sum(line.startswith("dendritemr simulate") for line in ran) >= 2
