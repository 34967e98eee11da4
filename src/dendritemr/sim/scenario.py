"""Scenario of the Li | LLZO | Li cell forward model, loaded from TOML.

A scenario is a tree of frozen dataclasses, one per TOML section, plus the integer ``seed``:
the cell (``geometry``, ``llzo``, ``interface``, ``growth``, ``protocol``, ``isotopes``, this
module) and its observation (``spectrometer``, ``li7``, ``li6``, ``mri``, declared in
:mod:`dendritemr.sim.observables.settings`; :meth:`Scenario.observation` gathers them). Every
parameter carries its unit, its default and its source in the field metadata (``unit``,
``source``), with the tags of ``docs/science.md``: **[checked]**, **[derived]**, **[lit]** or
**[default]** (our placeholder where no source gives a value); declaration and validation are
:mod:`dendritemr.sim.parameters`. The documented default is the file ``default_scenario.toml``
shipped with the package; :func:`load_scenario` with ``None`` reads it.

A user file may give any subset of the keys: missing keys take the defaults. Unknown keys, wrong
types (a count that is not an integer, a flag that is not true/false, a start time without UTC
offset), negative sizes and isotope fractions outside [0, 1] raise
:class:`dendritemr.errors.DataError` with a one-line message naming the file and the key.

Examples
--------
>>> from dendritemr.sim.scenario import load_scenario
>>> sc = load_scenario()
>>> sc.geometry.thickness_um
1000.0
>>> sc.updated(**{"protocol.current_density_mA_cm2": 0.5}).protocol.current_density_mA_cm2
0.5
>>> sc.updated(**{"spectrometer.field_t": 9.4, "mri.enabled": False}).observation().csi is None
True
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from dendritemr.errors import DataError
from dendritemr.sim.observables.settings import (
    DEFAULT_LI6,
    DEFAULT_LI7,
    MriSettings,
    NmrSettings,
    ObservationSettings,
    SpectrometerSettings,
)
from dendritemr.sim.parameters import check_section, section_rows, section_values
from dendritemr.sim.parameters import param as _p

__all__ = [
    "Geometry",
    "Llzo",
    "Interface",
    "Growth",
    "Protocol",
    "Isotopes",
    "Scenario",
    "load_scenario",
    "scenario_from_dict",
    "parameter_table",
    "DEFAULT_SCENARIO_RESOURCE",
]

DEFAULT_SCENARIO_RESOURCE = "default_scenario.toml"

#: Natural 6Li atom fraction (IUPAC 2001) [checked].
NATURAL_X6 = 0.0759


@dataclass(frozen=True)
class Geometry:
    """Pellet and grid geometry (section ``[geometry]``)."""

    thickness_um: float = _p(
        1000.0,
        "um",
        "[default] science.md s5: 1 mm pellet",
        doc="pellet thickness L along z (B at z=0, A at z=L)",
    )
    width_um: float = _p(
        150.0,
        "um",
        "[default] kept small for the 60 s budget",
        doc="width of the periodic 2D (z, x) cross-section",
    )
    area_cm2: float = _p(
        1.0, "cm2", "[default]", doc="electrode area; the 2D section is extruded over area/width"
    )
    grain_size_um: float = _p(
        25.0,
        "um",
        "[default] coarse-grained to the grid; lit 1-10 um, 50-200 um abnormal",
        doc="mean Voronoi grain diameter",
    )
    cell_um: float = _p(
        5.0,
        "um",
        "[default] simulator.md: 2-5 um, below the 7Li skin depth",
        doc="grid cell size h",
    )
    electrode_thickness_um: float = _p(
        500.0, "um", "[default]", doc="Li foil thickness of each electrode"
    )
    surface_layer_um: float = _p(
        10.0,
        "um",
        "[default] ~ skin depth at high field",
        doc="electrode surface layer whose x6 is reported",
    )
    metal_fill_fraction: float = _p(
        0.01,
        "1",
        "[default]",
        "fraction",
        doc="volume fraction of a cell filled by Li when it counts as metallic (filaments << h)",
    )


@dataclass(frozen=True)
class Llzo:
    """Electrolyte transport, defect and fracture properties (section ``[llzo]``)."""

    sigma_ion_grain_mS_cm: float = _p(
        0.3,
        "mS/cm",
        "[lit] Al-LLZO 0.2-0.5 mS/cm (science.md s4)",
        doc="ionic conductivity of grains at reference temperature",
    )
    sigma_ion_gb_mS_cm: float = _p(
        0.03, "mS/cm", "[default]", doc="ionic conductivity of boundary cells"
    )
    ionic_activation_eV: float = _p(
        0.35,
        "eV",
        "[lit] 0.3-0.45 eV (science.md s4)",
        doc="activation energy of ionic conduction and tracer diffusion",
    )
    sigma_e_grain_S_cm: float = _p(
        1e-10,
        "S/cm",
        "[lit] Han 2019: 1e-10 to 1e-8 S/cm",
        "nonnegative",
        doc="electronic conductivity of grains and insulating boundaries",
    )
    sigma_e_gb_S_cm: float = _p(
        3e-7,
        "S/cm",
        "[lit] simulator.md: 1e-8 to 1e-6 S/cm",
        "nonnegative",
        doc="electronic conductivity of electron-conducting boundaries",
    )
    sigma_e_reduced_S_cm: float = _p(
        1e-4,
        "S/cm",
        "[default] reduced LLZO boundaries conduct electrons: Zr4+/O-vacancy reduction at the "
        "Li potential (Zhu, He, Mo 2015), band-gap narrowing at boundaries (Liu et al. Nat "
        "Mater 2021)",
        "nonnegative",
        doc="electronic conductivity of a conducting boundary once its traps are filled "
        "(reduced LLZO)",
    )
    electronic_activation_eV: float = _p(
        0.5, "eV", "[default]", doc="activation energy of electronic conduction"
    )
    conducting_gb_fraction: float = _p(
        0.8,
        "1",
        "[default]",
        "fraction",
        doc="fraction of grain-boundary facets that conduct electrons (finite clusters)",
    )
    trap_density_cm3: float = _p(
        3e20,
        "1/cm3",
        "[default]",
        "nonnegative",
        doc="electron trap density on conducting boundaries",
    )
    trap_depth_eV: float = _p(
        0.02,
        "eV",
        "[default] above the ~15 mV overpotential of the stripping electrode at 0.3 mA/cm2, so "
        "both electrodes fill traps; shallower traps drain less Li0 (docs/simulator-model.md "
        "scan)",
        "nonnegative",
        doc="depth of empty traps below the Li/Li+ level",
    )
    kic_grain_MPa_m05: float = _p(
        1.0, "MPa m^0.5", "[lit] ~1 MPa m^0.5 (science.md s4)", doc="fracture toughness of grains"
    )
    kic_gb_MPa_m05: float = _p(
        0.6, "MPa m^0.5", "[default]", doc="fracture toughness of grain boundaries"
    )
    flaw_grain_um: float = _p(0.2, "um", "[default]", doc="median flaw size inside grains")
    flaw_gb_um: float = _p(
        0.5,
        "um",
        "[default] order of magnitude from Porz et al. AEM 7, 1701003 (2017): Li enters "
        "pre-existing surface defects down to submicron size",
        doc="median flaw size on boundaries",
    )
    flaw_spread: float = _p(
        0.5, "1", "[default]", "nonnegative", doc="log-normal sigma of the flaw-size distribution"
    )
    surface_flaw_um: float = _p(
        30.0,
        "um",
        "[default] grinding damage, no LLZO measurement found; estimate: abrasion cracks reach "
        "about (slightly less than) the abrasive diameter (Depths of cracks produced by "
        "abrasion of brittle materials, 1998, Oxford ORA uuid:b1d25be7-8968-4836-8023-"
        "2ed55ec46eb1), ~26 um for P600 SiC paper (FEPA P-grades), ~0 after a polish that "
        "removes it",
        "nonnegative",
        doc="extra flaw size at the electrode surface",
    )
    surface_damage_depth_um: float = _p(
        20.0,
        "um",
        "[default] estimate as surface_flaw_um: cracks below the abrasive diameter deep",
        doc="e-folding depth of surface damage",
    )
    crack_geometry_factor: float = _p(
        1.12, "1", "[lit] edge crack (Porz 2017)", doc="Y in sigma_c = K_IC / (Y sqrt(pi a))"
    )
    youngs_modulus_GPa: float = _p(
        150.0,
        "GPa",
        "[lit] ~150 GPa (science.md s4); Ni et al. J. Mater. Sci. 47, 7978 (2012): 149.8 GPa "
        "by resonant ultrasound, hot-pressed Al-LLZO at 3 % porosity",
        doc="Young's modulus of LLZO (elastic opening of a Li-filled crack)",
    )
    poisson_ratio: float = _p(
        0.257,
        "1",
        "[lit] Ni et al. J. Mater. Sci. 47, 7978 (2012), resonant ultrasound (not re-checked)",
        "fraction",
        doc="Poisson's ratio of LLZO (elastic opening of a Li-filled crack)",
    )
    scg_velocity_m_s: float = _p(
        0.0,
        "m/s",
        "[default] 0 = no subcritical crack growth. Law v = v_c (K_I / K_IC)^n of stress "
        "corrosion in glasses and ceramics (Charles 1958; Wiederhorn 1967; Freiman, J. Geophys. "
        "Res. 89, 4072 (1984)); LLZO in air: Yan et al., J. Mater. Sci. 54, 5671 (2019), values "
        "not retrieved; no value known for a Li-filled crack in LLZO",
        "nonnegative",
        doc="velocity at K_I = K_IC of the subcritical growth of the flaw ahead of a plating tip "
        "(docs/simulator-model.md, 'Subcritical crack growth at arrested tips'); 0 = off",
    )
    scg_exponent: float = _p(
        30.0,
        "1",
        "[lit] n = 11 (some binary glasses) to > 100 (some polycrystalline ceramics), Freiman, "
        "J. Geophys. Res. 89, 4072 (1984); 30 is [default] within that range",
        doc="exponent n of the subcritical crack velocity v = v_c (K_I / K_IC)^n (> 2)",
    )
    li_site_density_cm3: float = _p(
        2.4e22,
        "1/cm3",
        "[derived] science.md s4: 2.35-2.57e22",
        doc="Li site density (isotope inventory)",
    )
    reference_temperature_C: float = _p(
        25.0, "degC", "[default]", "any", doc="temperature at which conductivities are given"
    )


@dataclass(frozen=True)
class Interface:
    """Li | LLZO interfaces (section ``[interface]``)."""

    asr_ohm_cm2: float = _p(
        50.0,
        "ohm cm2",
        "[derived] i0 = RT/(F ASR) = 0.51 mA/cm2 (s4 table)",
        doc="area-specific charge-transfer resistance of a Li|LLZO contact",
    )
    ct_activation_eV: float = _p(
        0.35, "eV", "[default]", doc="activation energy of the exchange current"
    )
    contact_fraction: float = _p(
        0.5,
        "1",
        "[default] Li2CO3/LiOH surface layers of air-exposed LLZO make Li wet it poorly "
        "(Sharafi et al. Chem. Mater. 29, 7961 (2017)); no contact fraction given",
        "fraction",
        doc="fraction of the plating interface in contact (rest: voids)",
    )
    correlation_length_um: float = _p(
        20.0, "um", "[default]", doc="lateral correlation length of the contact map"
    )
    contact_fraction_A: float = _p(
        1.0,
        "1",
        "[default]",
        "fraction",
        doc="contact fraction of the stripping electrode (uniform)",
    )


@dataclass(frozen=True)
class Growth:
    """Interface-tip mechanics, bulk nucleation and crystallisation (section ``[growth]``)."""

    li_flow_stress_MPa: float = _p(
        100.0,
        "MPa",
        "[lit] Xu et al. PNAS 2017: Li micropillar yield ~100 MPa at 1 um",
        doc="largest plating pressure before Li creeps back into the electrode",
    )
    tip_area_fraction: float = _p(
        0.1,
        "1",
        "[default] current focusing at filament tips (Raj et al. arXiv 2001.06276)",
        "fraction",
        doc="fraction of a dendrite cell's face that carries its plating current (pressure)",
    )
    dbm_exponent: float = _p(
        2.0,
        "1",
        "[default] dielectric-breakdown model",
        "nonnegative",
        doc="growth weighted by (j / j_max)^(exponent - 1)",
    )
    nucleation_overpotential_mV: float = _p(
        35.0,
        "mV",
        "[default] simulator.md: tens of mV; 35 mV: Li0 forms far enough from the arrested tips "
        "to grow detectably before it joins them (docs/simulator-model.md scan)",
        "nonnegative",
        doc="barrier for Li0 nucleation",
    )
    nucleation_rate_per_h: float = _p(
        0.5, "1/h", "[default]", doc="nucleation rate per site at the barrier"
    )
    nucleation_alpha: float = _p(
        0.5, "1", "[default]", "fraction", doc="transfer coefficient of the nucleation rate"
    )
    confined_flow_stress_MPa: float = _p(
        800.0,
        "MPa",
        "[lit] Xu et al. PNAS 2017: Li yield ~ d^-0.68, ~100 MPa at 1 um -> 800 MPa at ~50 nm "
        "(610 MPa at 70 nm); the ~50 nm width of Li0 in a boundary is [default]; GPa-level stress "
        "of confined Li: Nat. Commun. 2022, doi 10.1038/s41467-022-32732-z",
        doc="flow stress of Li confined in a grain boundary (bulk Li0 and the cracks it drives)",
    )
    li_size_exponent: float = _p(
        0.68,
        "1",
        "[lit] Xu et al. PNAS 114, 57 (2017): yield strength of single-crystal Li pillars "
        "(sub-um to 9.45 um wide) ~ D^-0.68 at room temperature (D^-1.00 at 90 C); 105 MPa at "
        "~1 um",
        "nonnegative",
        doc="exponent m of the size effect of Li strength, "
        "sigma_y(d) = li_flow_stress (d / li_size_reference_um)^-m",
    )
    li_size_reference_um: float = _p(
        1.0,
        "um",
        "[lit] Xu et al. PNAS 2017: the ~1 um pillars of the 105 MPa (li_flow_stress) value",
        doc="Li width at which the flow stress is li_flow_stress_MPa",
    )
    crack_filling_strength: str = _p(
        "bulk",
        "-",
        "[default] bulk: every crack filling holds li_flow_stress (docs/simulator-model.md, "
        "'Size-dependent strength of crack fillings')",
        "choice:bulk|flaw|depth",
        doc="creep cap of a crack filled from the foil: bulk (li_flow_stress_MPa), or the "
        "size-dependent Li strength at the elastic opening of its crack, the crack being the "
        "cell's flaw (flaw) or the Li-filled edge crack from the electrode to the cell (depth); "
        "at most confined_flow_stress_MPa",
    )
    crystallisation_time_h: float = _p(
        5.0, "h", "[default]", doc="amorphous -> crystalline time constant"
    )
    stage_detection_sigmas: float = _p(
        3.0,
        "1",
        "[default] stage rule, docs/results-schema.md",
        doc="a route grows when its rise over the window exceeds this many standard errors of "
        "the difference of two ideal-observer measurements",
    )
    stage_window_h: float = _p(
        1.0, "h", "[default] two NMR intervals", doc="trailing window of the stage rule"
    )


@dataclass(frozen=True)
class Protocol:
    """Galvanostatic protocol (section ``[protocol]``)."""

    mode: str = _p(
        "continuous",
        "-",
        "[default]",
        "choice:continuous|cycling",
        doc="continuous plating on B, or alternating half-cycles",
    )
    current_density_mA_cm2: float = _p(
        0.3,
        "mA/cm2",
        "[default] science.md s5: 0.1-0.5",
        doc="applied current density (plating on B)",
    )
    half_cycle_h: float = _p(1.0, "h", "[default]", doc="duration of each half-cycle (cycling)")
    temperature_C: float = _p(25.0, "degC", "[default]", "any", doc="cell temperature")
    time_step_h: float = _p(0.25, "h", "[default]", doc="largest time step")
    min_time_step_s: float = _p(2.0, "s", "[default]", doc="smallest time step")
    max_time_h: float = _p(100.0, "h", "[default]", doc="stop time if no short")


@dataclass(frozen=True)
class Isotopes:
    """6Li tracer scheme (section ``[isotopes]``).

    Scheme A: 6Li-enriched electrodes against natural LLZO; scheme B the reverse. When the file
    gives ``scheme`` but not the x6 values, the scheme's defaults are used.
    """

    scheme: str = _p("A", "-", "[default] science.md s1", "choice:A|B", doc="tracer scheme")
    electrode_x6: float = _p(
        0.95,
        "1",
        "[default] science.md s1: ~95 at.% 6Li",
        "fraction",
        doc="6Li atom fraction of both electrodes",
    )
    llzo_x6: float = _p(
        NATURAL_X6,
        "1",
        "[checked] natural abundance 7.59 %",
        "fraction",
        doc="6Li atom fraction of the LLZO",
    )
    tracer_diffusivity_m2_s: float = _p(
        1e-13,
        "m2/s",
        "[lit] 1e-14 to 1e-12 (science.md s4)",
        doc="tracer diffusivity D* in LLZO at reference T",
    )
    exchange_ratio: float = _p(
        10.0, "1", "[default]", "nonnegative", doc="isotope exchange current / charge-transfer i0"
    )
    li_self_diffusivity_m2_s: float = _p(
        5e-15,
        "m2/s",
        "[lit] Li metal self-diffusion, RT",
        doc="mixing of electrode surface layer and bulk",
    )
    dendrite_exchange_time_h: float = _p(
        100.0,
        "h",
        "[default] science.md s1: Li0 keeps an LLZO-like ratio for tens of hours",
        doc="e-folding time of isotope exchange between a dendrite Li0 cell and its LLZO",
    )
    rest_h: float = _p(
        2.0,
        "h",
        "[default]",
        "nonnegative",
        doc="rest at open circuit before current (isotope exchange only)",
    )


_SCHEME_X6 = {"A": (0.95, NATURAL_X6), "B": (NATURAL_X6, 0.95)}


@dataclass(frozen=True)
class Scenario:
    """Complete forward-model scenario.

    Attributes
    ----------
    geometry, llzo, interface, growth, protocol, isotopes : cell sections, see their classes.
    spectrometer : SpectrometerSettings, magnet, schedule, line shifts and widths, cycler log.
    li7, li6 : NmrSettings, the 7Li and 6Li series (defaults differ: ``DEFAULT_LI7``,
        ``DEFAULT_LI6`` of :mod:`dendritemr.sim.observables.settings`).
    mri : MriSettings, the 7Li CSI series (``enabled=False``: no MRI).
    seed : int, seed of every random draw (microstructure, flaws, contact map, nucleation).
    source : str, path of the file it was read from (informational).
    """

    geometry: Geometry = field(default_factory=Geometry)
    llzo: Llzo = field(default_factory=Llzo)
    interface: Interface = field(default_factory=Interface)
    growth: Growth = field(default_factory=Growth)
    protocol: Protocol = field(default_factory=Protocol)
    isotopes: Isotopes = field(default_factory=Isotopes)
    spectrometer: SpectrometerSettings = field(default_factory=SpectrometerSettings)
    li7: NmrSettings = DEFAULT_LI7
    li6: NmrSettings = DEFAULT_LI6
    mri: MriSettings = field(default_factory=MriSettings)
    seed: int = 1
    source: str = "<defaults>"

    def observation(self) -> ObservationSettings:
        """Observation settings of the sections ``spectrometer``, ``li7``, ``li6`` and ``mri``."""
        return ObservationSettings.from_sections(self.spectrometer, self.li7, self.li6, self.mri)

    def with_observation(self, obs: ObservationSettings) -> Scenario:
        """Copy whose observation sections are ``obs`` (validated like a file).

        ``obs.csi = None`` keeps this scenario's ``[mri]`` values with ``enabled = false``.

        Raises
        ------
        DataError
            A value of ``obs`` outside its allowed range (named ``<observation>``).
        ValueError
            ``obs.li7`` or ``obs.li6`` is not of its nucleus.
        """
        if (obs.li7.nucleus, obs.li6.nucleus) != ("7Li", "6Li"):
            raise ValueError("li7 and li6 must be the 7Li and 6Li series")
        sections = {
            "spectrometer": obs.spectrometer(),
            "li7": obs.li7,
            "li6": obs.li6,
            "mri": MriSettings.from_csi(obs.csi, disabled=self.mri),
        }
        data = dataclasses.replace(self, **sections).to_dict()
        return dataclasses.replace(scenario_from_dict(data, "<observation>"), source=self.source)

    def updated(self, **changes: Any) -> Scenario:
        """Return a copy with ``"section.key"=value`` changes, validated like a file.

        Parameters
        ----------
        **changes : values keyed by dotted name, e.g. ``{"llzo.sigma_e_gb_S_cm": 1e-7}``,
            ``{"li7.snr": 50.0}``, ``{"mri.enabled": False}``; ``seed=3`` changes the seed.
        """
        data = self.to_dict()
        if "isotopes.scheme" in changes:  # a new scheme brings its own x6 unless given
            for key in ("electrode_x6", "llzo_x6"):
                if f"isotopes.{key}" not in changes:
                    data["isotopes"].pop(key)
        for dotted, value in changes.items():
            if dotted == "seed":
                data["seed"] = value
                continue
            section, _, key = dotted.partition(".")
            data.setdefault(section, {})[key] = value
        return scenario_from_dict(data, self.source)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dictionary (TOML-ready)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in ("seed", "source"):
                continue
            out[f.name] = section_values(getattr(self, f.name))
        out["seed"] = self.seed
        return out


#: Default instance of every section, in file order (li7 and li6 share a class, not defaults).
_SECTIONS: dict[str, Any] = {
    f.name: getattr(Scenario(), f.name)
    for f in fields(Scenario)
    if f.name not in ("seed", "source")
}


def _build_section(path: str, name: str, raw: Any) -> Any:
    default = _SECTIONS[name]
    values = check_section(path, name, default, raw)
    if name == "isotopes" and "scheme" in values:
        e_x6, l_x6 = _SCHEME_X6[values["scheme"]]
        values.setdefault("electrode_x6", e_x6)
        values.setdefault("llzo_x6", l_x6)
    return dataclasses.replace(default, **values)


def scenario_from_dict(data: dict[str, Any], path: str | Path = "<dict>") -> Scenario:
    """Build and validate a scenario from a nested dictionary.

    Parameters
    ----------
    data : mapping of section name to a mapping of keys (as in the TOML file), plus ``seed``.
    path : name used in error messages.

    Raises
    ------
    DataError
        Unknown section or key, wrong type, or a value outside its allowed range.
    """
    path = str(path)
    sections: dict[str, Any] = {}
    seed = 1
    for key, raw in data.items():
        if key == "seed":
            if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
                raise DataError(path, f"seed must be a non-negative integer, got {raw!r}")
            seed = raw
        elif key in _SECTIONS:
            sections[key] = _build_section(path, key, raw)
        else:
            raise DataError(path, f"unknown key '{key}'")
    sc = Scenario(**sections, seed=seed, source=path)
    g = sc.geometry
    if g.cell_um * 4 > min(g.thickness_um, g.width_um):
        raise DataError(path, "geometry.cell_um must be at most a quarter of thickness and width")
    if g.surface_layer_um >= g.electrode_thickness_um:
        raise DataError(path, "geometry.surface_layer_um must be below electrode_thickness_um")
    if sc.llzo.scg_exponent <= 2.0:
        raise DataError(path, "llzo.scg_exponent must be above 2 (finite time to fracture)")
    for name in ("li7", "li6"):
        if getattr(sc, name).td % 2:
            raise DataError(path, f"{name}.td must be even (real points of complex data)")
    return sc


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Load a scenario file; ``None`` loads the documented default shipped with the package.

    Parameters
    ----------
    path : TOML file, or ``None`` for ``dendritemr/sim/default_scenario.toml``.

    Returns
    -------
    Scenario

    Raises
    ------
    DataError
        Unreadable or invalid TOML, unknown key, wrong type or out-of-range value.
    """
    if path is None:
        resource = importlib.resources.files("dendritemr.sim").joinpath(DEFAULT_SCENARIO_RESOURCE)
        text = resource.read_text(encoding="utf-8")
        name = f"<package>/{DEFAULT_SCENARIO_RESOURCE}"
    else:
        name = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(name, f"cannot read scenario ({exc.__class__.__name__})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(name, f"invalid TOML: {str(exc).splitlines()[0]}") from None
    return scenario_from_dict(data, name)


def parameter_table() -> list[dict[str, Any]]:
    """Every parameter with section, name, default, unit, source and meaning (for docs).

    Returns
    -------
    list of dict
        Keys ``section``, ``name``, ``default``, ``unit``, ``source``, ``doc``.
    """
    return [row for name, default in _SECTIONS.items() for row in section_rows(name, default)]
