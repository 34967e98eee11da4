"""Scenario loading and validation."""

from __future__ import annotations

import pytest

from dendritemr.errors import DataError
from dendritemr.sim.scenario import NATURAL_X6, Scenario, load_scenario, parameter_table


def test_default_file_matches_dataclass_defaults():
    assert load_scenario().to_dict() == Scenario().to_dict()


def test_every_parameter_documented():
    for row in parameter_table():
        assert row["unit"] and row["source"] and row["doc"], row["name"]
        assert row["source"].startswith("["), row["name"]


def _write(tmp_path, text):
    path = tmp_path / "s.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[geometry]\nthickness_mm = 1.0\n", "unknown key 'geometry.thickness_mm'"),
        ("[nonsense]\na = 1\n", "unknown key 'nonsense'"),
        ("[geometry]\nthickness_um = -5.0\n", "geometry.thickness_um must be positive"),
        ("[isotopes]\nelectrode_x6 = 1.2\n", "isotopes.electrode_x6 must lie in [0, 1]"),
        ("[isotopes]\nllzo_x6 = -0.1\n", "isotopes.llzo_x6 must lie in [0, 1]"),
        ('[protocol]\ncurrent_density_mA_cm2 = "high"\n', "must be a number"),
        ('[protocol]\nmode = "pulsed"\n', "must be one of"),
        ("seed = -1\n", "seed must be"),
        ("[geometry\n", "invalid TOML"),
    ],
)
def test_bad_files_give_one_line_data_error(tmp_path, text, needle):
    path = _write(tmp_path, text)
    with pytest.raises(DataError) as err:
        load_scenario(path)
    message = str(err.value)
    assert needle in message
    assert "\n" not in message
    assert message.startswith(str(path))


def test_partial_file_and_scheme_b(tmp_path):
    sc = load_scenario(_write(tmp_path, '[isotopes]\nscheme = "B"\n'))
    assert sc.isotopes.electrode_x6 == pytest.approx(NATURAL_X6)
    assert sc.isotopes.llzo_x6 == pytest.approx(0.95)
    assert sc.geometry.thickness_um == Scenario().geometry.thickness_um


def test_missing_file():
    with pytest.raises(DataError, match="cannot read scenario"):
        load_scenario("/nonexistent/scenario.toml")
