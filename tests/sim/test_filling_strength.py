"""Size-dependent strength of crack fillings (growth.crack_filling_strength)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from dendritemr.sim.cell import run
from dendritemr.sim.cell.grid import make_grid
from dendritemr.sim.cell.microstructure import build_microstructure
from dendritemr.sim.cell.properties import cell_properties, crack_filling_strength
from dendritemr.sim.scenario import load_scenario

E_PA, NU = 150e9, 0.257  # LLZO (Ni et al. 2012)
SIGMA_REF, D_REF, M = 100e6, 1e-6, 0.68  # Li (Xu et al. PNAS 2017)


def _self_consistent(a_m: float) -> float:
    """Pressure at which Li in a crack of length ``a_m`` yields at its own elastic opening,
    found by root search on P - sigma_y(delta(P)) (independent of the closed form)."""

    def excess(p):
        delta = 4.0 * (1.0 - NU**2) * p * a_m / E_PA
        return p - SIGMA_REF * (delta / D_REF) ** -M

    return brentq(excess, 1e3, 1e12, rtol=1e-12)


def test_closed_form_is_the_self_consistent_yield():
    cracks = np.array([0.5e-6, 9e-6, 25e-6, 100e-6, 1e-3])
    got = crack_filling_strength(cracks, SIGMA_REF, D_REF, M, E_PA, NU)
    want = [_self_consistent(a) for a in cracks]
    np.testing.assert_allclose(got, want, rtol=1e-9)
    # hand value: a = 9 um, delta = 2.242e-16 m/Pa * P; P^1.68 = 1e8 (4.46e9)^0.68 -> 465 MPa
    assert got[1] == pytest.approx(465e6, rel=0.01)
    # longer cracks open wider and hold less: P* ~ a^(-m / (1 + m))
    assert np.all(np.diff(got) < 0)
    slope = np.log(got[-1] / got[-2]) / np.log(cracks[-1] / cracks[-2])
    assert slope == pytest.approx(-M / (1 + M), rel=1e-9)


def test_size_independent_li_holds_its_reference_strength():
    got = crack_filling_strength(np.array([1e-7, 1e-5, 1e-3]), SIGMA_REF, D_REF, 0.0, E_PA, NU)
    np.testing.assert_allclose(got, SIGMA_REF)


def _props(mode: str):
    sc = load_scenario().updated(
        **{
            "geometry.thickness_um": 300.0,
            "geometry.width_um": 60.0,
            "growth.crack_filling_strength": mode,
        }
    )
    grid = make_grid(300.0, 60.0, sc.geometry.cell_um, sc.geometry.area_cm2)
    micro = build_microstructure(sc, grid)
    return sc, grid, micro, cell_properties(sc, grid, micro)


def test_filling_strength_per_mode():
    sc, grid, micro, bulk = _props("bulk")
    assert np.all(bulk.filling_flow_stress == sc.growth.li_flow_stress_MPa * 1e6)
    cap = sc.growth.confined_flow_stress_MPa * 1e6
    _, _, micro, flaw = _props("flaw")
    want = crack_filling_strength(micro.flaw_m, SIGMA_REF, D_REF, M, E_PA, NU)
    np.testing.assert_allclose(flaw.filling_flow_stress[0], np.minimum(want, cap), rtol=1e-12)
    np.testing.assert_allclose(flaw.filling_flow_stress[1], flaw.filling_flow_stress[0])
    _, _, _, depth = _props("depth")
    iz = np.arange(grid.n) // grid.nx
    from_b = crack_filling_strength((iz + 1) * grid.h, SIGMA_REF, D_REF, M, E_PA, NU)
    from_a = crack_filling_strength((grid.nz - iz) * grid.h, SIGMA_REF, D_REF, M, E_PA, NU)
    np.testing.assert_allclose(depth.filling_flow_stress[0], np.minimum(from_b, cap), rtol=1e-12)
    np.testing.assert_allclose(depth.filling_flow_stress[1], np.minimum(from_a, cap), rtol=1e-12)
    # a filling 25 um deep holds ~0.31 GPa, three times the bulk 100 MPa cap
    assert depth.filling_flow_stress[0, 4 * grid.nx] == pytest.approx(307.6e6, rel=0.01)


@pytest.mark.slow
def test_depth_strength_moves_the_first_arrest_deeper():
    """Seed 8's tips arrest at 25 um, 3 % below the fracture stress, on the bulk 100 MPa cap;
    with the strength of Li at the opening of its crack (0.31 GPa at 25 um) they run on and
    arrest where that strength falls below the fracture stress (the surface damage fades).
    The damage profile is given (30 um / 20 um e-folding, a P600-like face), so the test does
    not move with the default's profile."""
    base = load_scenario().updated(
        seed=8,
        **{
            "protocol.max_time_h": 3.0,
            "llzo.surface_flaw_um": 30.0,
            "llzo.surface_damage_depth_um": 20.0,
        },
    )
    tips = {}
    for mode in ("bulk", "depth"):
        h = run(base.updated(**{"growth.crack_filling_strength": mode})).history
        at = [h["tip_depth_um"][np.searchsorted(h["time_h"], t)] for t in (2.0, 3.0)]
        tips[mode] = at
        assert at[0] == at[1]  # arrested
    assert tips["bulk"][0] == pytest.approx(25.0)
    assert 50.0 <= tips["depth"][0] <= 100.0


@pytest.mark.slow
def test_depth_strength_conserves_in_cycling(make_small):
    """Both electrodes plate in turn (each filling capped by its own electrode's crack depth):
    charge and each isotope to 1e-9 every step, and A's tips grow while A plates."""
    res = run(
        make_small(
            **{
                "protocol.mode": "cycling",
                "protocol.half_cycle_h": 1.0,
                "growth.crack_filling_strength": "depth",
            }
        )
    )
    h = res.history
    sign = np.sign(h["current_A"])
    assert np.any(sign < 0) and np.any(sign > 0)
    negative = h["plated_mol"] + h["reduced_mol"] + h["trapped_mol"] + h["leaked_mol"]
    assert np.max(np.abs(negative - sign * h["charge_mol"]) / h["charge_mol"]) < 1e-9
    positive = h["stripped_mol"] + h["leaked_mol"]
    assert np.max(np.abs(positive - sign * h["charge_mol"]) / h["charge_mol"]) < 1e-9
    for key in ("total_li6_mol", "total_li7_mol"):
        assert np.ptp(h[key]) / h[key][0] < 1e-9
    assert h["tip_depth_a_um"].max() > 0.0
