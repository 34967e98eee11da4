"""Subcritical (stress-corrosion) crack growth at loaded tips (llzo.scg_velocity_m_s)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from dendritemr.errors import DataError
from dendritemr.sim.cell import run
from dendritemr.sim.cell.growth import subcritical_damage, subcritical_fracture_stress
from dendritemr.sim.scenario import load_scenario

KIC, Y = 0.6e6, 1.12  # Pa m^0.5, edge crack


def _sigma0(a0):
    return KIC / (Y * np.sqrt(np.pi * a0))


def test_damage_matches_the_integrated_crack_velocity():
    """Crack length after a step equals a direct ODE integration of da/dt = v_c (K/K_IC)^n."""
    a0 = np.array([0.5e-6, 9e-6, 2e-6])
    ratio = np.array([0.88, 0.973, 0.5])  # P / sigma_0
    load = ratio * _sigma0(a0)
    v_c, n, dt = 1e-9, 30.0, 900.0
    u = subcritical_damage(np.ones(3), load, _sigma0(a0), a0, v_c, n, dt)
    for k in range(3):

        def rhs(_t, a, k=k):
            return [v_c * (Y * load[k] * np.sqrt(np.pi * a[0]) / KIC) ** n]

        ode = solve_ivp(rhs, (0.0, dt), [a0[k]], rtol=1e-11, atol=1e-16)
        a_ode = ode.y[0, -1]
        a_closed = a0[k] * u[k] ** (-2.0 / (n - 2.0))
        assert a_closed == pytest.approx(a_ode, rel=1e-7)
    # the fracture stress follows K_IC / (Y sqrt(pi a)) of the grown flaw
    sig = subcritical_fracture_stress(_sigma0(a0), u, n)
    np.testing.assert_allclose(sig, _sigma0(a0 * u ** (-2.0 / (n - 2.0))), rtol=1e-12)


def test_time_to_fracture_is_the_slow_crack_growth_lifetime():
    """Steps of any size reach fracture at the Evans-Wiederhorn lifetime of a constant load."""
    a0, ratio, v_c, n = 9e-6, 0.973, 1e-10, 30.0
    s0 = _sigma0(a0)
    t_f = (1.0 - ratio ** (n - 2.0)) * a0 / ((n / 2.0 - 1.0) * v_c * ratio**n)
    assert t_f == pytest.approx(7.8e-7 / v_c, rel=0.01)  # ~2.2 h at v_c = 1e-10 m/s
    for steps in (1, 7, 100):
        u = np.ones(1)
        for _ in range(steps):
            u = subcritical_damage(
                u, np.array([ratio * s0]), np.array([s0]), np.array([a0]), v_c, n, t_f / steps
            )
        sig = subcritical_fracture_stress(np.array([s0]), u, n)[0]
        assert sig == pytest.approx(ratio * s0, rel=1e-9)  # just critical at t_f


def test_unloaded_or_switched_off_flaws_do_not_grow():
    a0 = np.array([1e-6, 1e-6])
    u0 = np.array([1.0, 0.5])
    same = subcritical_damage(u0, np.zeros(2), _sigma0(a0), a0, 1e-6, 30.0, 3600.0)
    np.testing.assert_array_equal(same, u0)
    off = subcritical_damage(u0, 0.9 * _sigma0(a0), _sigma0(a0), a0, 0.0, 30.0, 3600.0)
    np.testing.assert_array_equal(off, u0)
    # a run crack (u = 0) has no strength left
    assert subcritical_fracture_stress(_sigma0(a0), np.zeros(2), 30.0).tolist() == [0.0, 0.0]


def test_exponent_must_exceed_two(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("[llzo]\nscg_exponent = 2.0\n")
    with pytest.raises(DataError, match="scg_exponent must be above 2"):
        load_scenario(path)


@pytest.mark.slow
def test_slow_crack_growth_advances_an_arrested_tip(make_early):
    """Seed 8's tips arrest at 25 um, 3 % below fracture (creep cap); with slow crack growth
    they advance further in the same 12 h, and the charge ledger still closes."""
    base = make_early(seed=8)
    ref = run(base)
    scg = run(base.updated(**{"llzo.scg_velocity_m_s": 1e-9}))
    tip_ref = ref.history["tip_depth_um"]
    tip_scg = scg.history["tip_depth_um"]
    assert np.max(tip_ref) == pytest.approx(25.0)
    assert np.max(tip_scg) > np.max(tip_ref)
    h = scg.history
    negative_side = h["plated_mol"] + h["reduced_mol"] + h["trapped_mol"] + h["leaked_mol"]
    assert np.max(np.abs(negative_side - h["charge_mol"]) / np.abs(h["charge_mol"])) < 1e-9
    for key in ("total_li6_mol", "total_li7_mol"):
        assert np.ptp(h[key]) / h[key][0] < 1e-9
