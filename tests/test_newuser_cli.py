"""A new user's mistakes and interruptions at the command line (issues 10 and 13)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

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
    )
    try:
        deadline = time.monotonic() + 60
        while not (out / "study").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (out / "study").exists(), "the demo did not start writing"
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=60)[0].decode()
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
