"""Scenario loading and validation."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from dendritemr.errors import DataError
from dendritemr.sim.observables.settings import CsiSettings, NmrSettings, ObservationSettings
from dendritemr.sim.scenario import NATURAL_X6, Scenario, load_scenario, parameter_table
from dendritemr.sim.study import scenario_toml


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
        ("[li7]\ntd_points = 4096\n", "unknown key 'li7.td_points'"),
        ('[li6]\nnucleus = "7Li"\n', "unknown key 'li6.nucleus'"),
        ("[li7]\ntd = 0\n", "li7.td must be at least 1, got 0"),
        ("[li7]\ntd = 12.5\n", "li7.td must be an integer, got float 12.5"),
        ("[li6]\ntd = 4095\n", "li6.td must be even"),
        ("[li7]\nsnr = -3.0\n", "li7.snr must be positive, got -3"),
        ("[mri]\nmatrix_z = true\n", "mri.matrix_z must be an integer, got bool True"),
        ('[mri]\nenabled = "yes"\n', "mri.enabled must be true or false, got str 'yes'"),
        ("[mri]\nenabled = 1\n", "mri.enabled must be true or false, got int 1"),
        ("[spectrometer]\nstart = 2026-03-02T09:00:00\n", "start must be timezone-aware"),
        ("[spectrometer]\nstart = 2026-03-02\n", "spectrometer.start must be a date-time"),
        ('[spectrometer]\nstart = "2026-03-02T09:00:00Z"\n', "start must be a date-time"),
        ("[spectrometer]\nfield_t = 0.0\n", "spectrometer.field_t must be positive"),
        ("[spectrometer]\nfilament_spacing_um = -1.0\n", "must be positive (or 0 for the default)"),
        ("[spectrometer]\nvoltage_noise_V = -1e-3\n", "voltage_noise_V must not be negative"),
        ("spectrometer = 9.4\n", "[spectrometer] must be a table"),
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


def test_default_observation_equals_observation_settings():
    obs = load_scenario().observation()
    assert obs == ObservationSettings()
    for f in dataclasses.fields(ObservationSettings):
        assert getattr(obs, f.name) == getattr(ObservationSettings(), f.name), f.name
    assert obs.filament_spacing_um is None  # 0 in the file: the grid cell size
    assert obs.start == dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    # the 6Li series keeps its own defaults, different from the 7Li ones
    assert (obs.li7.nucleus, obs.li7.snr, obs.li7.td, obs.li7.ns) == ("7Li", 300.0, 8192, 64)
    assert (obs.li6.nucleus, obs.li6.snr, obs.li6.td, obs.li6.ns) == ("6Li", 100.0, 4096, 128)
    assert (obs.li6.d1_s, obs.li6.llzo_t1_s, obs.li6.receiver_phase_deg) == (2.0, 10.0, -40.0)
    assert obs.csi == CsiSettings()


def test_observation_sections_from_file(tmp_path):
    path = _write(
        tmp_path,
        "[spectrometer]\nfield_t = 9.4\nstart = 2025-11-03T14:30:00-05:00\n"
        "filament_spacing_um = 2.5\n"
        "[li7]\ntd = 4096\nns = 16\n"
        "[li6]\nsnr = 40\n"
        "[mri]\nenabled = false\nmatrix_z = 16\n",
    )
    sc = load_scenario(path)
    obs = sc.observation()
    assert obs.field_t == 9.4
    assert obs.start == dt.datetime(2025, 11, 3, 19, 30, tzinfo=dt.UTC)
    assert obs.start.utcoffset() == dt.timedelta(hours=-5)
    assert obs.filament_spacing_um == 2.5
    assert (obs.li7.td, obs.li7.ns, obs.li7.snr) == (4096, 16, 300.0)
    assert type(obs.li7.td) is int
    assert (obs.li6.snr, obs.li6.td, obs.li6.nucleus) == (40.0, 4096, "6Li")
    assert obs.csi is None
    assert sc.mri.matrix_z == 16 and sc.mri.enabled is False
    assert obs.llzo_shift_ppm == ObservationSettings().llzo_shift_ppm  # untouched keys: defaults
    assert sc.geometry == Scenario().geometry


def test_updated_observation_keys():
    sc = Scenario().updated(**{"li7.snr": 50.0, "mri.enabled": False, "spectrometer.field_t": 9.4})
    obs = sc.observation()
    assert (obs.li7.snr, obs.csi, obs.field_t) == (50.0, None, 9.4)
    assert obs.li6 == ObservationSettings().li6
    again = sc.updated(**{"mri.enabled": True, "mri.every_h": 2.0}).observation()
    assert again.csi == CsiSettings(every_h=2.0)
    with pytest.raises(DataError, match="li7.td must be an integer"):
        sc.updated(**{"li7.td": 12.5})
    with pytest.raises(DataError, match="unknown key 'mri.enable'"):
        sc.updated(**{"mri.enable": False})


def test_with_observation_replaces_the_sections():
    obs = ObservationSettings(field_t=11.7, csi=None, li6=NmrSettings("6Li", snr=20.0, td=2048))
    sc = Scenario(source="x.toml").with_observation(obs)
    assert sc.observation() == obs
    assert sc.source == "x.toml" and sc.mri.enabled is False
    with pytest.raises(DataError, match="<observation>: spectrometer.field_t must be positive"):
        Scenario().with_observation(ObservationSettings(field_t=-1.0))


def test_scenario_toml_round_trip(tmp_path):
    sc = load_scenario().updated(
        **{
            "seed": 7,
            "protocol.mode": "cycling",
            "isotopes.scheme": "B",
            "llzo.trap_density_cm3": 1.5e19,
            "spectrometer.start": dt.datetime(2027, 1, 5, 23, 59, 30, 250000, tzinfo=dt.UTC),
            "spectrometer.filament_spacing_um": 1.25,
            "spectrometer.voltage_noise_V": 0.0,
            "li7.td": 2048,
            "li6.receiver_phase_deg": 12.5,
            "mri.enabled": False,
            "mri.matrix_x": 1,
        }
    )
    path = tmp_path / "scenario.toml"
    path.write_text(scenario_toml(sc))
    back = load_scenario(path)
    assert back == dataclasses.replace(sc, source=str(path))
    assert back.observation() == sc.observation()
    assert back.spectrometer.start.utcoffset() == dt.timedelta(0)
    assert back.mri.enabled is False and back.li7.td == 2048
    text = path.read_text()
    assert "enabled = false" in text and "start = 2027-01-05T23:59:30.250000+00:00" in text
    # the default's None spacing is written as 0 and read back as None
    default = tmp_path / "default.toml"
    default.write_text(scenario_toml(Scenario()))
    assert "filament_spacing_um = 0.0" in default.read_text()
    assert load_scenario(default).observation() == ObservationSettings()


def test_parameter_table_lists_observation_sections():
    rows = {(r["section"], r["name"]): r for r in parameter_table()}
    assert rows[("li7", "td")]["default"] == 8192
    assert rows[("li6", "td")]["default"] == 4096
    assert rows[("li6", "llzo_t1_s")]["default"] == 10.0
    assert rows[("mri", "enabled")]["default"] is True
    assert rows[("spectrometer", "field_t")]["unit"] == "T"
    assert ("li7", "nucleus") not in rows
    sections = {r["section"] for r in parameter_table()}
    assert {"spectrometer", "li7", "li6", "mri"} <= sections
