"""New-user test (stop 12): `simulate --out` never writes over a folder it did not make.

The simulator replaces files of its own names (study.toml, 7Li/1, ...): `dendritemr simulate
--out tegdme` started writing the default study into the README tour's folder, over its
hand-written study.toml (the demo and analyze refused such folders; simulate did not).
An earlier simulated study (ground_truth.json and scenario.toml) may still be simulated over.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import dendritemr.sim.study as sim_study
from dendritemr.cli import main
from dendritemr.errors import DataError

TOUR = '[nmr.li7]\npath = "../../shared/data/real/li7-insitu-LiLi-TEGDME/x"\n'


@pytest.fixture()
def started(monkeypatch):
    """Record that the real simulation would have started, and stop it there."""
    calls = []

    def watch(scenario, out_dir, **kwargs):
        calls.append(out_dir)
        raise DataError("watch", "stopped at the start of the simulation")

    monkeypatch.setattr(sim_study, "simulate", watch)
    return calls


def test_a_foreign_folder_is_refused_and_left_as_it_was(started, tmp_path):
    tour = tmp_path / "tegdme"
    tour.mkdir()
    (tour / "study.toml").write_text(TOUR)
    res = CliRunner().invoke(main, ["simulate", "--out", str(tour)])
    assert res.exit_code == 2
    assert res.output.strip() == (
        f"error: {tour}: holds files that are not an earlier simulated study (study.toml): not "
        "written into (simulate replaces files of its own names, such as study.toml)"
    )
    assert started == []  # refused before simulating
    assert [p.name for p in tour.iterdir()] == ["study.toml"]
    assert (tour / "study.toml").read_text() == TOUR
    afile = tmp_path / "notes.txt"
    afile.write_text("x")
    res = CliRunner().invoke(main, ["simulate", "--out", str(afile)])
    assert res.exit_code == 2 and res.output.strip().endswith("exists and is not a folder")


def test_new_empty_and_earlier_simulated_folders_are_simulated_into(started, tmp_path):
    earlier = tmp_path / "study"
    earlier.mkdir()
    for name in ("ground_truth.json", "scenario.toml", "study.toml"):
        (earlier / name).write_text("{}")
    empty = tmp_path / "empty"
    empty.mkdir()
    for out in (tmp_path / "new", empty, earlier):
        res = CliRunner().invoke(main, ["simulate", "--out", str(out)])
        assert res.exit_code == 2 and "stopped at the start of the simulation" in res.output
    assert [str(p) for p in started] == [
        str(tmp_path / "new"),
        str(empty),
        str(earlier),
    ]
