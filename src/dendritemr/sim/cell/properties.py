"""Material properties per cell at the cell temperature (Arrhenius), in SI units.

All conductivities, the exchange current and the tracer diffusivity follow
``p(T) = p_ref * exp(-Ea / k_B * (1/T - 1/T_ref))``. The fracture stress of a cell is the flaw
criterion of Porz et al. (AEM 2017), ``sigma_c = K_IC / (Y sqrt(pi a))``, with the cell's flaw
size ``a`` and the toughness of grain or boundary. The creep cap of Li filling a cell's crack
is :func:`crack_filling_strength` (size-dependent Li strength at the elastic opening of the
crack) unless ``growth.crack_filling_strength`` is ``bulk`` (``growth.li_flow_stress_MPa``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import constants as sc

from dendritemr.sim.cell.grid import Grid
from dendritemr.sim.cell.microstructure import Microstructure
from dendritemr.sim.scenario import Scenario

__all__ = [
    "CellProperties",
    "arrhenius",
    "cell_properties",
    "crack_filling_strength",
    "LI_MOLAR_VOLUME_M3_MOL",
]

#: Molar volume of Li metal (m3/mol), 13.0 cm3/mol [derived: 6.94 g/mol / 0.534 g/cm3].
LI_MOLAR_VOLUME_M3_MOL = 13.0e-6


def arrhenius(value_ref: float, ea_ev: float, temperature_k: float, ref_k: float) -> float:
    """Arrhenius scaling of a rate-like quantity.

    Parameters
    ----------
    value_ref : value at ``ref_k`` (any unit).
    ea_ev : activation energy (eV).
    temperature_k, ref_k : temperature and reference temperature (K).

    Returns
    -------
    float
        Value at ``temperature_k`` (same unit as ``value_ref``).
    """
    return value_ref * np.exp(-ea_ev * sc.e / sc.k * (1.0 / temperature_k - 1.0 / ref_k))


def crack_filling_strength(
    crack_m: np.ndarray,
    strength_ref_pa: float,
    width_ref_m: float,
    exponent: float,
    youngs_modulus_pa: float,
    poisson_ratio: float,
) -> np.ndarray:
    """Largest pressure Li filling a crack holds before it creeps back out (Pa).

    Li in a crack is a sheet as wide as the crack opening, and small Li is strong: the flow
    stress of single-crystal Li pillars scales as ``sigma_y(d) = sigma_ref (d / d_ref)^-m``
    (Xu et al., PNAS 114, 57 (2017): m = 0.68 and 105 MPa at ~1 um at room temperature). The
    opening of a crack of length ``a`` held open by an internal pressure ``P`` is
    ``delta = 4 (1 - nu^2) P a / E`` (plane strain, largest opening of a pressurised Griffith
    crack; Sneddon 1946, Tada et al., *The Stress Analysis of Cracks Handbook*). The filling
    creeps once ``P`` reaches the strength at its own opening, ``P = sigma_y(delta(P))``, so

    ``P* = [sigma_ref (d_ref E / (4 (1 - nu^2) a))^m]^(1 / (1 + m))``   [derived]

    (E 150 GPa, nu 0.257, 105 MPa at 1 um, m 0.68: a = 9 um gives P* ~ 0.46 GPa at an
    opening of ~0.1 um; a = 25 um ~ 0.31 GPa, a = 100 um ~ 0.18 GPa). ``m = 0`` gives
    ``sigma_ref`` for every crack (size-independent Li).

    Parameters
    ----------
    crack_m : crack length per cell (m), > 0.
    strength_ref_pa : flow stress at the reference width (Pa).
    width_ref_m : reference width (m).
    exponent : size exponent ``m`` (>= 0).
    youngs_modulus_pa, poisson_ratio : elastic constants of the electrolyte.

    Returns
    -------
    ndarray
        ``P*`` per cell (Pa), same shape as ``flaw_m``.
    """
    compliance = 4.0 * (1.0 - poisson_ratio**2) * np.asarray(crack_m) / youngs_modulus_pa
    m = exponent
    return (strength_ref_pa * (width_ref_m / compliance) ** m) ** (1.0 / (1.0 + m))


@dataclass(frozen=True)
class CellProperties:
    """Temperature-resolved properties (SI).

    Attributes
    ----------
    temperature_k : float, K.
    thermal_v : float, RT/F (V).
    sigma_ion : ndarray, ionic conductivity per cell (S/m).
    sigma_e : ndarray, electronic conductivity per cell (S/m).
    sigma_e_reduced : ndarray, electronic conductivity per cell once its traps are filled
        (S/m; equal to ``sigma_e`` off the conducting boundaries).
    i0 : float, exchange current density of a Li|LLZO contact (A/m2).
    i0_exchange : float, isotope exchange current density (A/m2).
    fracture_stress : ndarray, fracture stress per cell (Pa).
    trap_charge : ndarray, charge to fill the traps of a cell (C); 0 without traps.
    trap_depth_v : float, trap depth (V).
    tracer_diffusivity : float, D* (m2/s).
    li_concentration : float, Li in LLZO (mol/m3).
    metal_capacity : float, Li in a metallic cell (mol).
    filling_flow_stress : ndarray (2, n), creep cap of Li filling the crack of each cell, fed
        from the foil of B (row 0) or of A (row 1) (Pa): :func:`crack_filling_strength` or
        ``li_flow_stress``.
    """

    temperature_k: float
    thermal_v: float
    sigma_ion: np.ndarray
    sigma_e: np.ndarray
    sigma_e_reduced: np.ndarray
    i0: float
    i0_exchange: float
    fracture_stress: np.ndarray
    trap_charge: np.ndarray
    trap_depth_v: float
    tracer_diffusivity: float
    li_concentration: float
    metal_capacity: float
    filling_flow_stress: np.ndarray


def _filling_strength(scenario: Scenario, grid: Grid, micro: Microstructure) -> np.ndarray:
    """Creep cap of a crack filling per cell, fed from B (row 0) and from A (row 1) (Pa)."""
    gr, llzo = scenario.growth, scenario.llzo
    bulk = gr.li_flow_stress_MPa * 1e6
    if gr.crack_filling_strength == "bulk":
        return np.full((2, grid.n), bulk)
    if gr.crack_filling_strength == "flaw":
        crack = np.stack([micro.flaw_m, micro.flaw_m])
    else:
        # the Li-filled edge crack from the electrode surface to the far face of the cell
        iz = np.arange(grid.n) // grid.nx
        crack = np.stack([(iz + 1.0) * grid.h, (grid.nz - iz) * grid.h])
    strength = crack_filling_strength(
        crack,
        bulk,
        gr.li_size_reference_um * 1e-6,
        gr.li_size_exponent,
        llzo.youngs_modulus_GPa * 1e9,
        llzo.poisson_ratio,
    )
    return np.minimum(strength, gr.confined_flow_stress_MPa * 1e6)


def cell_properties(scenario: Scenario, grid: Grid, micro: Microstructure) -> CellProperties:
    """Evaluate all properties of a scenario on its grid.

    Parameters
    ----------
    scenario : scenario.
    grid : grid.
    micro : microstructure drawn for the same scenario.

    Returns
    -------
    CellProperties
    """
    llzo, itf = scenario.llzo, scenario.interface
    t_k = scenario.protocol.temperature_C + sc.zero_Celsius
    ref_k = llzo.reference_temperature_C + sc.zero_Celsius
    gb = micro.boundary
    sig_i = np.where(gb, llzo.sigma_ion_gb_mS_cm, llzo.sigma_ion_grain_mS_cm) * 0.1
    sig_i = arrhenius(1.0, llzo.ionic_activation_eV, t_k, ref_k) * sig_i
    sig_e = np.where(micro.conducting, llzo.sigma_e_gb_S_cm, llzo.sigma_e_grain_S_cm) * 100.0
    sig_e = arrhenius(1.0, llzo.electronic_activation_eV, t_k, ref_k) * sig_e
    sig_red = np.where(micro.conducting, llzo.sigma_e_reduced_S_cm * 100.0, 0.0)
    sig_red = np.maximum(arrhenius(1.0, llzo.electronic_activation_eV, t_k, ref_k) * sig_red, sig_e)
    rt_f = sc.R * t_k / sc.physical_constants["Faraday constant"][0]
    i0_ref = sc.R * ref_k / sc.physical_constants["Faraday constant"][0] / (itf.asr_ohm_cm2 * 1e-4)
    i0 = arrhenius(i0_ref, itf.ct_activation_eV, t_k, ref_k)
    kic = np.where(gb, llzo.kic_gb_MPa_m05, llzo.kic_grain_MPa_m05) * 1e6
    frac = kic / (llzo.crack_geometry_factor * np.sqrt(np.pi * micro.flaw_m))
    traps = np.where(micro.conducting, llzo.trap_density_cm3 * 1e6 * sc.e * grid.cell_volume, 0.0)
    d_tr = arrhenius(
        scenario.isotopes.tracer_diffusivity_m2_s, llzo.ionic_activation_eV, t_k, ref_k
    )
    c_li = llzo.li_site_density_cm3 * 1e6 / sc.N_A
    cap = scenario.geometry.metal_fill_fraction * grid.cell_volume / LI_MOLAR_VOLUME_M3_MOL
    filling = _filling_strength(scenario, grid, micro)
    return CellProperties(
        temperature_k=t_k,
        thermal_v=rt_f,
        sigma_ion=sig_i,
        sigma_e=sig_e,
        sigma_e_reduced=sig_red,
        i0=i0,
        i0_exchange=i0 * scenario.isotopes.exchange_ratio,
        fracture_stress=frac,
        trap_charge=traps,
        trap_depth_v=llzo.trap_depth_eV,
        tracer_diffusivity=d_tr,
        li_concentration=c_li,
        metal_capacity=cap,
        filling_flow_stress=filling,
    )
