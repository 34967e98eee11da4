"""--out into a missing folder: every command creates it (with parents) and says so."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from dendritemr.cli import _OUT_KIND, main
from dendritemr.model import load


def test_process_creates_the_folder_of_its_out_file(synthetic_study, tmp_path):
    folder, _ = synthetic_study
    out = tmp_path / "new" / "deeper" / "p.nc"
    res = CliRunner().invoke(main, ["process", str(folder), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert f"created folder {out.parent}" in res.output
    assert load(out)["spectrum"].dtype.kind == "c"
    assert stat.S_IMODE(out.stat().st_mode) & 0o044  # group/other may read (umask 022)


def test_every_out_command_follows_the_rule():
    with_out = {
        name
        for name, command in main.commands.items()
        if any(p.name == "out" for p in command.params)
    }
    assert with_out == set(_OUT_KIND)  # a new command with --out must be listed
    for name in _OUT_KIND:
        assert hasattr(main.commands[name].callback, "__wrapped__"), name


def test_analyze_creates_the_folder_holding_its_results(tmp_path):
    out = tmp_path / "results" / "run1"
    res = CliRunner().invoke(main, ["analyze", str(tmp_path / "no-study"), "--out", str(out)])
    assert res.exit_code == 2  # the study is missing: one-line error, nothing left behind
    assert len(res.output.strip().splitlines()) == 1
    assert not out.exists() and not out.parent.exists()


def test_out_that_is_a_file_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    res = CliRunner().invoke(main, ["demo", "--out", str(blocker / "demo")])
    assert res.exit_code == 2
    assert "cannot create folder (Not a directory)" in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_unwritable_out_is_a_one_line_error_before_any_work(tmp_path):
    """A read-only parent of --out stops analyze at once (before, the whole analysis ran and
    then a traceback came from the temporary results folder). Root ignores permissions, so
    it is tested there on /proc, which takes no new folders."""
    import os

    study = tmp_path / "study"
    study.mkdir()
    (study / "study.toml").write_text('[nmr.li7]\npath = "missing"\n')
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
    else:
        locked = Path("/proc")
        if not locked.is_dir():
            pytest.skip("root without /proc: no folder refuses writes")
    res = CliRunner().invoke(main, ["analyze", str(study), "--out", str(locked / "res")])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith(f"error: {locked}: cannot write into")
    assert not (locked / "res").exists()


def test_study_toml_file_or_other_file_as_study(tmp_path):
    """``analyze path/study.toml`` reads that study; another file is named as not a study folder."""
    other = tmp_path / "notes.txt"
    other.write_text("x")
    res = CliRunner().invoke(main, ["analyze", str(other), "--out", str(tmp_path / "r")])
    assert res.exit_code == 2
    assert (
        res.output.strip()
        == f"error: {other}: not a study folder (give the folder holding study.toml)"
    )
    (tmp_path / "study.toml").write_text('[nmr.li7]\npath = "7Li"\n')
    res = CliRunner().invoke(
        main, ["analyze", str(tmp_path / "study.toml"), "--out", str(tmp_path.parent / "r2")]
    )
    assert res.exit_code == 2
    assert "[nmr.li7] path '7Li' does not exist" in res.output  # the file was read as the study


def test_sigterm_ends_a_command_through_its_cleanup(tmp_path):
    """``timeout`` or a scheduler's SIGTERM while analyze was writing left its hidden temporary
    results folder behind (Python's default SIGTERM ends the process without unwinding). With
    the CLI's handler SIGTERM unwinds like Ctrl-C: cleanup runs, exit status 143."""
    import subprocess
    import sys

    script = f"""
import os, shutil, signal, tempfile
from dendritemr.cli import _stop_cleanly_on_sigterm
_stop_cleanly_on_sigterm()
tmp = tempfile.mkdtemp(dir={str(tmp_path)!r})
try:
    os.kill(os.getpid(), signal.SIGTERM)
    signal.pause()
except BaseException:
    shutil.rmtree(tmp)
    raise
"""
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert res.returncode == 143, res.stderr
    assert list(tmp_path.iterdir()) == []


def test_analyze_steps_are_timed_on_stderr(tmp_path, synthetic_study):
    """Each analysis step is printed with the seconds since the start (here the study stops at
    its bad cycler file, after the first step: one timed line, then the one-line error)."""
    import re

    folder, _ = synthetic_study
    study = tmp_path / "study"
    study.mkdir()
    (study / "c.csv").write_text("time/s,Ewe/V\n0,1\n1,nan\n")
    (study / "study.toml").write_text(f'[nmr.li7]\npath = "{folder}"\n[cycler]\npath = "c.csv"\n')
    res = CliRunner().invoke(main, ["analyze", str(study), "--out", str(tmp_path / "r")])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert re.fullmatch(r" *\d+\.\d s  cycler", lines[0]), lines
    assert lines[1:] == [
        f"error: {study / 'c.csv'}: unreadable or missing voltage value in data row 2"
    ]
