"""Charge and isotope conservation, every step."""

from __future__ import annotations

import numpy as np
import pytest


def _rel(a, b):
    return np.max(np.abs(a - b) / np.abs(b))


@pytest.mark.slow
def test_charge_equals_li_moved(small_run, early_run):
    for res in (small_run, early_run):
        h = res.history
        negative_side = h["plated_mol"] + h["reduced_mol"] + h["trapped_mol"] + h["leaked_mol"]
        assert _rel(negative_side, h["charge_mol"]) < 1e-9
        assert _rel(h["stripped_mol"] + h["leaked_mol"], h["charge_mol"]) < 1e-9


@pytest.mark.slow
def test_isotopes_conserved(small_run, early_run):
    for res in (small_run, early_run):
        h = res.history
        for key in ("total_li6_mol", "total_li7_mol"):
            assert np.ptp(h[key]) / h[key][0] < 1e-9
        li6, li7 = res.state.isotope_totals()
        assert abs(li6 - h["total_li6_mol"][0]) / li6 < 1e-9
        assert abs(li7 - h["total_li7_mol"][0]) / li7 < 1e-9


@pytest.mark.slow
def test_relay_conserves_charge(early_run):
    """Li0 oxidised by the electron network is re-reduced where its electrons go (seed 1)."""
    h = early_run.history
    out, into = h["relay_out_mol"], h["relay_bulk_mol"] + h["relay_trap_mol"]
    assert out.sum() > 1e-7  # the default run relays Li0 (0.1 umol and more in 12 h)
    busy = out > 0
    assert np.max(np.abs(out[busy] - into[busy]) / out[busy]) < 1e-9
    # Li0 is conserved through the relay: the bulk metal is what the electron current put into
    # isolated particles plus what the relay moved there, less what it oxidised (spills keep
    # their Li; a spill onto a crack filling takes that filling along: ~1e-5 relative)
    bulk_umol = h["bulk_umol"][-1]
    ledger_umol = (h["reduced_mol"] + h["relay_bulk_mol"] - h["relay_out_mol"]).sum() * 1e6
    assert bulk_umol == pytest.approx(ledger_umol, rel=1e-4)
    # without the relay the oxidised Li0 would be lost from the metal: it is not small
    assert h["relay_out_mol"].sum() * 1e6 > 0.1 * bulk_umol


@pytest.mark.slow
def test_fractions_in_range(early_run):
    s = early_run.state
    assert np.all((s.llzo_x6 >= 0) & (s.llzo_x6 <= 1))
    assert np.all((s.metal_x6[s.metal] >= 0) & (s.metal_x6[s.metal] <= 1))


@pytest.fixture(scope="module")
def cycling_run(make_small):
    from dendritemr.sim.cell import run

    return run(make_small(**{"protocol.mode": "cycling", "protocol.half_cycle_h": 1.0}))


@pytest.mark.slow
def test_cycling_conserves_and_strips_dendrites(cycling_run):
    h = cycling_run.history
    sign = np.sign(h["current_A"])
    assert np.any(sign < 0) and np.any(sign > 0)
    negative_side = h["plated_mol"] + h["reduced_mol"] + h["trapped_mol"] + h["leaked_mol"]
    assert _rel(negative_side, sign * h["charge_mol"]) < 1e-9
    assert _rel(h["stripped_mol"] + h["leaked_mol"], sign * h["charge_mol"]) < 1e-9
    for key in ("total_li6_mol", "total_li7_mol"):
        assert np.ptp(h[key]) / h[key][0] < 1e-9
    # each electrode strips its own dendrites first where they carry the stripping current,
    # never more than that current
    assert np.all(h["dendrite_stripped_mol"] <= h["charge_mol"] * (1 + 1e-12))
    # B strips in the second half-cycle: its tips (nearest to A) lose their Li and recede,
    second = (sign < 0) & (h["time_h"] <= 2.0)
    end_forward = np.flatnonzero(h["time_h"] <= 1.0)[-1]
    end_reverse = np.flatnonzero(second)[-1]
    stripped = h["dendrite_stripped_mol"][second].sum() * 1e6
    assert stripped > 0.1 * h["interface_umol"][end_forward]
    assert h["tip_depth_um"][end_reverse] < h["tip_depth_um"][end_forward]
    # while A plates, its own tips grow into its damaged surface (the same rules as for B)
    assert h["tip_depth_a_um"][end_reverse] > h["tip_depth_a_um"][end_forward]
