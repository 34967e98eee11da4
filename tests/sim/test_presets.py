"""Presets shipped with the package: listed, loadable, and doing what their descriptions say."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from dendritemr.cli import main
from dendritemr.errors import DataError
from dendritemr.sim.presets import list_presets, load_preset
from dendritemr.sim.scenario import load_scenario

NAMES = {
    "default",
    "scheme-b",
    "clean-llzo",
    "defective-llzo",
    "high-current",
    "cold",
    "cycling",
}


def test_presets_listed_with_descriptions():
    presets = list_presets()
    assert set(presets) == NAMES
    assert all(len(text) > 20 for text in presets.values())
    assert load_preset("default").to_dict() == load_scenario().to_dict()
    assert load_preset("scheme-b").isotopes.electrode_x6 == pytest.approx(0.0759)
    assert load_preset("cycling").protocol.mode == "cycling"


def test_unknown_preset_one_line_error():
    with pytest.raises(DataError, match="unknown preset .*known: clean-llzo"):
        load_preset("warm")
    r = CliRunner().invoke(main, ["simulate", "--preset", "warm", "--out", "x"])
    assert r.exit_code == 2
    assert "unknown preset" in r.output and len(r.output.strip().splitlines()) == 1


def test_cli_lists_presets():
    r = CliRunner().invoke(main, ["simulate", "--list-presets"])
    assert r.exit_code == 0
    assert {line.split()[0] for line in r.output.strip().splitlines()} == NAMES


def _share(res):
    h = res.history
    return h["bulk_umol"][-1] / (h["bulk_umol"][-1] + h["interface_umol"][-1])


@pytest.mark.slow
def test_clean_llzo_has_no_bulk_metal(early_preset):
    res = early_preset("clean-llzo")
    assert np.all(res.history["bulk_umol"] == 0.0)
    assert np.all(res.history["reduced_mol"] == 0.0)
    assert res.history["interface_umol"][-1] > 1.0


@pytest.mark.slow
def test_defective_llzo_bulk_dominates(early_preset):
    assert _share(early_preset("defective-llzo")) > 0.5


@pytest.mark.slow
def test_scheme_b_reverses_signatures(early_run, early_preset):
    b = early_preset("scheme-b")
    ha, hb = early_run.history, b.history
    assert ha["x6_interface"][-1] > 0.8 and ha["x6_bulk"][-1] < 0.3
    assert hb["x6_interface"][-1] < 0.3 and hb["x6_bulk"][-1] > 0.7


@pytest.mark.slow
def test_cold_cell_higher_voltage_slower_exchange(early_run, early_preset):
    cold = early_preset("cold")
    hc, hw = cold.history, early_run.history
    assert hc["voltage_V"][0] > 1.5 * hw["voltage_V"][0]
    x6_0 = early_run.scenario.isotopes.electrode_x6
    assert x6_0 - hc["x6_electrode_b"][-1] < x6_0 - hw["x6_electrode_b"][-1]
    assert hc["reduced_mol"].sum() < hw["reduced_mol"].sum()


@pytest.mark.slow
def test_high_current_bulk_starts_earlier(early_run, early_preset):
    high = early_preset("high-current")

    def first_bulk(res):
        h = res.history
        return h["time_h"][np.flatnonzero(h["bulk_umol"] > 0)[0]]

    assert first_bulk(high) < first_bulk(early_run)
    assert high.history["voltage_V"][0] > 1.5 * early_run.history["voltage_V"][0]
