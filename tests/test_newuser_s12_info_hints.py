"""New-user test (stop 12): `dendritemr info` on what dendritemr itself wrote or reads.

`info RESULTS/results.json` said 'not a recognised NMR dataset', `info RESULTS/summary.txt`
'looks like a cycler export (generic-csv)', and `info STUDY` (the README's tegdme folder)
'not a recognised NMR dataset'. Each now says what it is and what to run instead; still a
one-line error and exit code 2.
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from dendritemr.cli import main


def _info(path):
    res = CliRunner().invoke(main, ["info", str(path)])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_info_names_results_study_and_truth_files(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    doc = {"schema": "dendritemr.results/1", "time_h": [0.0, 1.0]}
    (results / "results.json").write_text(json.dumps(doc))
    (results / "summary.txt").write_text(
        "study: x\ntime points: 2, 0.00 to 1.00 h\ncharge passed\n"
    )
    study = tmp_path / "study"
    study.mkdir()
    (study / "study.toml").write_text('[nmr.li7]\npath = "7Li"\n')
    truth = study / "ground_truth.json"
    truth.write_text(json.dumps(doc))
    said = {
        "results.json": _info(results / "results.json"),
        "summary": _info(results / "summary.txt"),
        "results folder": _info(results),
        "study folder": _info(study),
        "study.toml": _info(study / "study.toml"),
        "truth": _info(truth),
    }
    for what in ("results.json", "summary", "results folder"):
        assert said[what].endswith(
            "not an NMR/MRI dataset: the results of `dendritemr analyze` "
            f"({results / 'summary.txt'} in words, {results / 'report.html'} in a browser; "
            "dendritemr.results_schema.load_results reads results.json)"
        ), said[what]
    assert said["study folder"] == (
        f"error: {study}: not an NMR/MRI dataset: a study folder (study.toml): analyse it with "
        f"`dendritemr analyze {study} --out RESULTS`; `dendritemr info` takes one of the data "
        "folders it names"
    )
    assert said["study.toml"] == (
        f"error: {study / 'study.toml'}: not an NMR/MRI dataset: a study description: analyse "
        f"its folder with `dendritemr analyze {study} --out RESULTS`"
    )
    assert "a results document (ground_truth.json" in said["truth"]
    assert "cycler" not in " ".join(said.values())
