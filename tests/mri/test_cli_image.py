"""`dendritemr image` and `info` on MRI data: outputs and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dendritemr.cli import main

LI_LI = Path("thienenkamp-19F-MRI-LiPEOLi") / "Li_Li" / "Data"


@pytest.fixture(scope="module")
def small_scan(tmp_path_factory):
    from dendritemr.sim.observables.settings import CsiSettings, ObservationSettings
    from dendritemr.sim.scenario import load_scenario
    from dendritemr.sim.study import simulate

    scenario = load_scenario().updated(
        **{"geometry.thickness_um": 300.0, "geometry.width_um": 60.0, "protocol.max_time_h": 1.0}
    )
    obs = ObservationSettings(
        csi=CsiSettings(every_h=5.0, matrix_z=16, matrix_x=2, spectral_points=64)
    )
    out = tmp_path_factory.mktemp("cli") / "s"
    truth = simulate(scenario, out, seed=2, observation=obs)
    return out, truth


def test_info_shows_time_and_field_of_a_scan(small_scan):
    study, truth = small_scan
    result = CliRunner().invoke(main, ["info", str(study / "mri" / "1")])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["field_t"] == pytest.approx(truth["field_t"], rel=1e-6)
    assert doc["first"] is not None and doc["first"].startswith(truth["start_time"][:4])


def test_image_on_a_scan_series(small_scan, tmp_path):
    study, _ = small_scan
    out = tmp_path / "maps.nc"
    result = CliRunner().invoke(main, ["image", str(study / "mri"), "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["kind"] == "csi" and len(doc["total_umol"]) == len(doc["scans"]) >= 1
    assert len(doc["depth_b_um_err"]) == len(doc["depth_a_um_err"]) == len(doc["scans"])
    assert min(doc["depth_b_um_err"] + doc["depth_a_um_err"]) > 0
    assert out.is_file()


def test_image_on_profiles(real_data):
    args = ["image", str(real_data / LI_LI), "--fov", "4", "--nucleus", "19F", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["n_profiles"] == 94 and doc["position_mm"] == [-2.0, pytest.approx(1.984375)]
    assert doc["current_mA"][0] == pytest.approx(0.09984)


@pytest.mark.parametrize(
    ("path", "extra", "message"),
    [
        ("missing", [], "no such file or folder"),
        (str(LI_LI), [], "for totxt profiles give --fov"),
        (
            "pv51-microimaging-flash-brukerMRI/example_dataset/100",
            ["--electrode-area", "1"],
            "not a chemical-shift image",
        ),
    ],
)
def test_image_errors_are_one_line(real_data, tmp_path, path, extra, message):
    target = tmp_path / path if path == "missing" else real_data / path
    result = CliRunner().invoke(main, ["image", str(target), *extra])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0]
