"""A new user's mistakes and interruptions at the command line (issues 10 and 13)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from dendritemr.cli import main


def test_process_out_that_is_a_folder_names_it(synthetic_study, tmp_path):
    """``process --out FOLDER`` said ``.FOLDER.1a2b.tmp: cannot write (Is a directory)``,
    naming a temporary file the user never gave."""
    folder, _ = synthetic_study
    out = tmp_path / "results"
    out.mkdir()
    res = CliRunner().invoke(main, ["process", str(folder), "--out", str(out)])
    assert res.exit_code == 2
    assert res.output.strip() == f"error: {out}: is a folder: --out names the file to write"
    assert list(out.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_ctrl_c_leaves_no_empty_out_folder(tmp_path):
    """Ctrl-C during ``demo`` removed what the demo wrote but left the --out folder the
    command had created (empty): KeyboardInterrupt is not a SystemExit."""
    out = tmp_path / "demo-out"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dendritemr.cli", "demo", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        # a shell without job control starts background jobs with SIGINT ignored, and the child
        # would inherit that (the demo then runs to its end): give it the default disposition
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while not (out / "study").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (out / "study").exists(), "the demo did not start writing"
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=120)[0].decode()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert "Traceback" not in output
    assert not out.exists(), sorted(p.name for p in out.rglob("*"))


def test_a_mistyped_region_is_refused_before_reading(tmp_path):
    """``--region metal`` (no range) was reported only after every experiment had been read;
    the options are checked first, so even a path that does not exist is not reached."""
    res = CliRunner().invoke(
        main, ["process", str(tmp_path / "nothing"), "--out", str(tmp_path / "o.nc"),
               "--region", "metal"],
    )  # fmt: skip
    assert res.exit_code == 2
    assert res.output.strip() == "error: metal: region must look like NAME=LOW:HIGH (ppm)"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_info_process_analyze_examples_run_as_written(tmp_path, monkeypatch):
    """The info and process examples named 'data/7Li', which nothing writes; they now name
    a study as 'dendritemr simulate --out study' writes it and run as written (analyze: its
    first example; the others need the README's tegdme folder or a demo run). ~30 s."""
    import json
    from pathlib import Path

    from test_cli_examples import examples, split

    from dendritemr.sim.small_csi import simulate_small_csi

    simulate_small_csi(tmp_path / "study", seed=5, every_h=3.0)
    monkeypatch.chdir(tmp_path)
    lines = examples("info") + examples("process") + examples("analyze")[:1]
    assert len(lines) == 6
    for line in lines:
        cmd, args, _ = split(line)
        res = CliRunner().invoke(main, [cmd, *args])
        assert res.exit_code == 0, f"{line}\n{res.output}"
        if cmd == "info" or "--json" in args:
            json.loads(res.stdout[res.stdout.index("{") :])
        if "--out" in args:
            assert Path(args[args.index("--out") + 1]).exists(), line
    assert json.loads(Path("results/results.json").read_text())["schema"].startswith("dendritemr")


def test_out_dot_inside_an_earlier_result_is_refused_at_once(tmp_path, monkeypatch):
    """``cd results && dendritemr analyze ../study --out .`` ran the whole analysis, then
    failed with 'OSError: [Errno 16] Device or resource busy: '.' -> '..old-PID''."""
    earlier = tmp_path / "results"
    earlier.mkdir()
    (earlier / "results.json").write_text("{}")
    monkeypatch.chdir(earlier)
    res = CliRunner().invoke(main, ["analyze", str(tmp_path / "study"), "--out", "."])
    assert res.exit_code == 2
    assert res.output.strip() == (
        "error: .: --out holds the current folder: run analyze from another folder to replace it"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]
    assert [p.name for p in earlier.iterdir()] == ["results.json"]


def test_process_never_overwrites_raw_data_or_a_foreign_file(synthetic_study, tmp_path):
    """``process --out 7Li/2/fid`` replaced the raw FID with NetCDF (and any other existing
    file likewise); now only a dendritemr NetCDF is replaced, and nothing is written into a
    raw data folder."""
    import hashlib
    import shutil

    folder, _ = synthetic_study
    series = tmp_path / "7Li"
    shutil.copytree(folder, series)
    exp = sorted((p for p in series.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))
    fid = exp[1] / "fid"
    before = hashlib.sha256(fid.read_bytes()).hexdigest()
    notes = tmp_path / "notes.txt"
    notes.write_text("lab notes")
    cases = {
        fid: f"error: {fid}: lies in a raw data folder (it holds acqus): raw data are never "
        "written to",
        exp[1] / "new.nc": f"error: {exp[1] / 'new.nc'}: lies in a raw data folder (it holds "
        "acqus): raw data are never written to",
        notes: f"error: {notes}: exists and is not a NetCDF file written by dendritemr: not "
        "replaced",
    }
    for out, message in cases.items():
        res = CliRunner().invoke(main, ["process", str(exp[0]), "--out", str(out)])
        assert res.exit_code == 2 and res.output.strip() == message, res.output
    assert hashlib.sha256(fid.read_bytes()).hexdigest() == before
    assert notes.read_text() == "lab notes" and not (exp[1] / "new.nc").exists()
    good = tmp_path / "p.nc"
    for _ in range(2):  # an earlier dendritemr NetCDF is replaced
        res = CliRunner().invoke(main, ["process", str(exp[0]), "--out", str(good)])
        assert res.exit_code == 0, res.output
