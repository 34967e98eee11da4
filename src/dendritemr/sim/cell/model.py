"""Time loop of the Li | LLZO | Li cell: fields -> growth -> isotopes -> connectivity.

One step (adaptive ``dt``):

1. roles of the cells from the clusters (metal connected to B or A, isolated Li0, open traps);
2. coupled ionic/electronic solve at the applied current (:mod:`.fields`): cell voltage, plating
   current per face, electron current into each Li0 particle and open trap;
3. ``dt``: at most ``time_step_h``, at least ``min_time_step_s``, and short enough that no crack
   filling or Li0 particle takes more than ``_POOL_STEP`` cells' worth of Li (the excess spills
   into the next cell) and no open trap overfills by more than half its capacity (the events of
   the step are resolved, the physics sets the pace); particles that would oxidise away within
   the step are dissolved first and the fields solved again (after ``_DISSOLVE_ATTEMPTS`` solves
   the step ends when the next one runs dry);
4. Li moves (plated -> electrode B, extruded from electrode B into crack pools, reduced ->
   Li0, trapped -> frozen trap pools, stripped from A) together with 6Li/7Li in one implicit
   conservative solve (:mod:`.isotopes`);
5. full crack pools become interface metal, overfull particles spill, new nuclei appear
   (Poisson draw, :mod:`.growth`), clusters are relabelled (:mod:`.connectivity`); a cluster
   touching both electrodes is a short and ends the run.

Ledger per step (mol, exact to solver round-off)::

    I dt / F = plated + reduced + trapped + leaked      (negative side)
    I dt / F = stripped + leaked                        (positive side)

``plated`` is Li+ reduced on metal connected to B (electrode and interface dendrites),
``reduced`` Li+ reduced on isolated Li0 inside the electrolyte (bulk route), ``trapped`` Li+
charge-compensating electrons captured by boundary traps (reduced LLZO), ``leaked`` electrons
that cross to A without moving Li.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import constants as sc

from dendritemr.sim.cell.connectivity import Clusters, label_clusters
from dendritemr.sim.cell.fields import ElectrodeSets, FieldSolution, solve_fields
from dendritemr.sim.cell.grid import Grid, make_grid
from dendritemr.sim.cell.growth import (
    FARADAY,
    crack_share,
    metal_side_confined,
    nucleation_rate,
    spill_targets,
    subcritical_damage,
    subcritical_fracture_stress,
    tip_load,
)
from dendritemr.sim.cell.isotopes import IsotopeStep, solve_isotopes
from dendritemr.sim.cell.microstructure import Microstructure, build_microstructure
from dendritemr.sim.cell.properties import (
    LI_MOLAR_VOLUME_M3_MOL,
    CellProperties,
    cell_properties,
)
from dendritemr.sim.cell.stages import observer_stages
from dendritemr.sim.scenario import Scenario

__all__ = [
    "CellState",
    "SimulationResult",
    "run",
    "label_stages",
    "ROUTE_NONE",
    "ROUTE_INTERFACE",
    "ROUTE_BULK",
]

ROUTE_NONE, ROUTE_INTERFACE, ROUTE_BULK = 0, 1, 2
#: Electrode nodes appended after the cell LLZO and metal nodes.
_EB_SURF, _EB_BULK, _EA_SURF, _EA_BULK = range(4)
_LI_RESISTIVITY_OHM_M = 9.28e-8  # [lit] Li at 20 C, science.md s3 (voltage after a short)

#: Largest crack filling per step, in cells' worth of Li: one tip advance per step, the excess
#: of a fast tip stays in its new cell (denser metal), which keeps the step count of runaway
#: crack growth bounded without losing any Li.
_POOL_STEP = 4.0
#: Field solves per step while removing particles that would oxidise away within the step.
_DISSOLVE_ATTEMPTS = 8
#: Field solves per attempt while settling which open traps capture (they never emit).
_CAPTURE_SOLVES = 6
#: Trap emission below this fraction of the trap's capacity per longest step is ignored.
_EMIT_TOL = 1e-4

ProgressFn = Callable[[float, float], None]


@dataclass
class CellState:
    """Mutable grid state (flattened per-cell arrays of length ``grid.n``, SI units).

    Attributes
    ----------
    time_s : time since the current started (s); negative during the rest.
    metal, route, birth_h, metal_mol, metal_x6, crystallinity : metal cells, their route
        (0 none, 1 interface, 2 bulk), birth time (h), Li (mol), 6Li fraction, crystalline
        fraction.
    pool_mol, pool6_mol : Li (and 6Li) filling an open crack ahead of a tip (mol).
    trap_fill : filled fraction of the traps of each cell.
    trap_mol, trap6_mol : Li+ compensating trapped electrons (mol).
    llzo_mol, llzo_x6 : Li in the LLZO of each cell and its 6Li fraction.
    electrode_mol, electrode_x6 : (4,) B surface, B bulk, A surface, A bulk.
    clusters : labelled metal clusters.
    confined : bool per cell, metal confined in a grain boundary (bulk Li0 and the cracks it
        drives); it holds the higher confined flow stress.
    pool_confined : bool per cell, crack pool fed from confined metal.
    scg_damage : subcritical growth state ``u`` of each cell's flaw (1 = pristine, 0 = run;
        :func:`dendritemr.sim.cell.growth.subcritical_damage`).
    """

    time_s: float
    metal: np.ndarray
    route: np.ndarray
    birth_h: np.ndarray
    metal_mol: np.ndarray
    metal_x6: np.ndarray
    crystallinity: np.ndarray
    pool_mol: np.ndarray
    pool6_mol: np.ndarray
    trap_fill: np.ndarray
    trap_mol: np.ndarray
    trap6_mol: np.ndarray
    llzo_mol: np.ndarray
    llzo_x6: np.ndarray
    electrode_mol: np.ndarray
    electrode_x6: np.ndarray
    clusters: Clusters
    confined: np.ndarray = None  # type: ignore[assignment]
    pool_confined: np.ndarray = None  # type: ignore[assignment]
    scg_damage: np.ndarray = None  # type: ignore[assignment]

    def isotope_totals(self) -> tuple[float, float]:
        """Total 6Li and 7Li in the cell (mol), all pools included."""
        li6 = (
            np.sum(self.llzo_mol * self.llzo_x6)
            + np.sum(self.metal_mol * self.metal_x6)
            + self.pool6_mol.sum()
            + self.trap6_mol.sum()
            + np.sum(self.electrode_mol * self.electrode_x6)
        )
        total = (
            self.llzo_mol.sum()
            + self.metal_mol.sum()
            + self.pool_mol.sum()
            + self.trap_mol.sum()
            + self.electrode_mol.sum()
        )
        return float(li6), float(total - li6)


@dataclass
class SimulationResult:
    """Output of :func:`run`: per-step history, final state and static inputs.

    Attributes
    ----------
    scenario : the scenario run.
    grid, micro, props : grid, microstructure and properties.
    history : dict of 1D arrays, one entry per step (keys below, units in the names).
    state : final :class:`CellState`.
    short_circuit_h : time of the short (h) or None.
    stages : merged stage intervals ``[{"name", "start_h", "end_h"}]``.
    runtime_s : wall-clock time of the run (s).
    detection : the stage rule's detection limits (:func:`label_stages`): standard errors of
        the route amounts from one 7Li/6Li pair (umol), window (h), sigmas and thresholds.

    History keys: ``time_h``, ``dt_s``, ``current_A``, ``voltage_V``, ``charge_mol``,
    ``plated_mol``, ``reduced_mol``, ``trapped_mol``, ``stripped_mol``, ``leaked_mol``,
    ``dendrite_stripped_mol`` (Li the stripping electrode took from its own dendrite cells),
    ``crack_mol``, ``interface_umol``, ``bulk_umol``, ``x6_interface``, ``x6_bulk``,
    ``x6_electrode_b``, ``x6_electrode_a``, ``n_interface_cells``, ``n_bulk_cells``,
    ``tip_depth_um`` (deepest metal connected to B, from B), ``tip_depth_a_um`` (the same for A,
    from A), ``total_li6_mol``, ``total_li7_mol``, ``shorted``, ``stage``.
    """

    scenario: Scenario
    grid: Grid
    micro: Microstructure
    props: CellProperties
    history: dict[str, np.ndarray]
    state: CellState
    short_circuit_h: float | None
    stages: list[dict] = field(default_factory=list)
    runtime_s: float = 0.0
    detection: dict = field(default_factory=dict)

    def metal_cells(self) -> dict[str, np.ndarray]:
        """Per metal cell: index, (iz, ix), z and x (um), route, birth (h), x6, crystallinity,
        cluster id, Li (mol) -- what the spectra and images need.

        Returns
        -------
        dict of ndarray
        """
        s, g = self.state, self.grid
        idx = np.flatnonzero(s.metal)
        iz, ix = np.divmod(idx, g.nx)
        return {
            "index": idx,
            "iz": iz,
            "ix": ix,
            "z_um": g.z_um[iz],
            "x_um": g.x_um[ix],
            "route": s.route[idx],
            "birth_h": s.birth_h[idx],
            "x6": s.metal_x6[idx],
            "crystallinity": s.crystallinity[idx],
            "cluster": s.clusters.label[idx],
            "mol": s.metal_mol[idx],
            "to_b": s.clusters.to_b[idx],
        }

    def electrode_surface_x6(self) -> dict[str, float]:
        """6Li fraction of the surface layer of electrodes B and A."""
        return {
            "B": float(self.state.electrode_x6[_EB_SURF]),
            "A": float(self.state.electrode_x6[_EA_SURF]),
        }

    def stage_time(self, name: str) -> float | None:
        """Start (h) of the first stage called ``name``, or None."""
        return next((s["start_h"] for s in self.stages if s["name"] == name), None)


def _initial_state(sc_: Scenario, grid: Grid, props: CellProperties) -> CellState:
    n = grid.n
    iso, geo = sc_.isotopes, sc_.geometry
    area = grid.nx * grid.face_area
    surf = area * geo.surface_layer_um * 1e-6 / LI_MOLAR_VOLUME_M3_MOL
    bulk = area * (geo.electrode_thickness_um - geo.surface_layer_um) * 1e-6
    bulk /= LI_MOLAR_VOLUME_M3_MOL
    metal = np.zeros(n, bool)
    return CellState(
        time_s=-iso.rest_h * 3600.0,
        metal=metal,
        route=np.zeros(n, np.int8),
        birth_h=np.full(n, np.nan),
        metal_mol=np.zeros(n),
        metal_x6=np.zeros(n),
        crystallinity=np.zeros(n),
        pool_mol=np.zeros(n),
        pool6_mol=np.zeros(n),
        trap_fill=np.zeros(n),
        trap_mol=np.zeros(n),
        trap6_mol=np.zeros(n),
        llzo_mol=np.full(n, props.li_concentration * grid.cell_volume),
        llzo_x6=np.full(n, iso.llzo_x6),
        electrode_mol=np.array([surf, bulk, surf, bulk]),
        electrode_x6=np.full(4, iso.electrode_x6),
        clusters=label_clusters(metal, grid.nz, grid.nx),
        confined=np.zeros(n, bool),
        pool_confined=np.zeros(n, bool),
        scg_damage=np.ones(n),
    )


def _current(sc_: Scenario, grid: Grid, time_s: float) -> tuple[float, float]:
    """Applied current (A) at ``time_s`` and time left in the current half-cycle (s)."""
    pr = sc_.protocol
    amps = pr.current_density_mA_cm2 * 10.0 * grid.nx * grid.face_area
    if time_s < 0:
        return 0.0, -time_s
    if pr.mode == "continuous":
        return amps, np.inf
    half = pr.half_cycle_h * 3600.0
    k = int(time_s // half)
    return (amps if k % 2 == 0 else -amps), (k + 1) * half - time_s


def _sets(state: CellState, props: CellProperties, idle: np.ndarray | None = None) -> ElectrodeSets:
    """Roles of the cells; ``idle``: open-trap cells that take no electrons this step."""
    cl = state.clusters
    has_traps = (props.trap_charge > 0) & (state.trap_fill < 1.0) & ~state.metal
    idle = np.zeros_like(has_traps) if idle is None else idle & has_traps
    return ElectrodeSets(
        b_metal=state.metal & cl.to_b,
        a_metal=state.metal & cl.to_a & ~cl.to_b,
        bulk_metal=state.metal & ~cl.to_a & ~cl.to_b,
        trap_open=has_traps & ~idle,
        reduced=(props.trap_charge > 0) & (state.trap_fill >= 1.0) & ~state.metal,
        trap_idle=idle,
    )


class _Links:
    """Accumulates transfers, exchange links and pool flows of one isotope step."""

    def __init__(self, n_nodes: int):
        self.n_nodes = n_nodes
        self.t: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.k: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.sink: list[tuple[np.ndarray, np.ndarray]] = []
        self.source: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def move(self, src, dst, mol) -> None:
        """Signed transfer: positive ``mol`` moves Li from ``src`` to ``dst``."""
        src, dst, mol = np.broadcast_arrays(np.asarray(src), np.asarray(dst), np.asarray(mol))
        fwd = mol >= 0
        self.t.append(
            (np.where(fwd, src, dst).ravel(), np.where(fwd, dst, src).ravel(), np.abs(mol).ravel())
        )

    def exchange(self, a, b, rate) -> None:
        a, b, rate = np.broadcast_arrays(np.asarray(a), np.asarray(b), np.asarray(rate))
        self.k.append((a.ravel(), b.ravel(), rate.ravel()))

    def build(self) -> IsotopeStep:
        def cat(items, k, dtype=float):
            return (
                np.concatenate([it[k] for it in items]).astype(dtype)
                if items
                else np.zeros(0, dtype)
            )

        return IsotopeStep(
            self.n_nodes,
            cat(self.t, 0, np.int64),
            cat(self.t, 1, np.int64),
            cat(self.t, 2),
            cat(self.k, 0, np.int64),
            cat(self.k, 1, np.int64),
            cat(self.k, 2),
            cat(self.sink, 0, np.int64),
            cat(self.sink, 1),
            cat(self.source, 0, np.int64),
            cat(self.source, 1),
            cat(self.source, 2),
        )


class _Simulation:
    """One run; holds the static inputs and advances :class:`CellState`."""

    def __init__(self, scenario: Scenario):
        self.sc = scenario
        geo = scenario.geometry
        self.grid = make_grid(geo.thickness_um, geo.width_um, geo.cell_um, geo.area_cm2)
        self.micro = build_microstructure(scenario, self.grid)
        self.props = cell_properties(scenario, self.grid, self.micro)
        self.state = _initial_state(scenario, self.grid, self.props)
        self.neighbours = self.grid.neighbours()
        self.neighbour_faces = self.grid.neighbour_faces()
        self.rng = np.random.default_rng([scenario.seed, 202])
        self.contact_a = scenario.interface.contact_fraction_A
        self.row_b = np.arange(self.grid.nx)
        self.row_a = np.arange(self.grid.n - self.grid.nx, self.grid.n)
        self._field_cache: dict = {}
        #: open-trap cells that take no electrons in this step (:meth:`_solve_capture_only`)
        self.idle = np.zeros(self.grid.n, bool)
        #: Li0 of vanishing particles oxidised in this step, and the Li+ its electrons reduced
        #: onto other particles and into traps (mol; :meth:`_relay`).
        self.relay = {"relay_out_mol": 0.0, "relay_bulk_mol": 0.0, "relay_trap_mol": 0.0}
        #: subcritical crack growth at loaded tips (llzo.scg_velocity_m_s > 0): the fracture
        #: stress of each cell after its flaw grew (None: pristine flaws, props.fracture_stress)
        self.scg = scenario.llzo.scg_velocity_m_s > 0
        self.fracture_stress = self.props.fracture_stress.copy() if self.scg else None

    # ------------------------------------------------------------------ isotope links
    def _exchange_links(self, links: _Links, metal_node: np.ndarray, el0: int) -> None:
        g, p, s, iso = self.grid, self.props, self.state, self.sc.isotopes
        inner = g.face_kind == 0
        fa, fb = g.face_a[inner], g.face_b[inner]
        links.exchange(fa, fb, p.tracer_diffusivity * p.li_concentration * g.depth)
        k_face = p.i0_exchange * g.face_area / FARADAY
        # dendrite Li0 exchanges with the LLZO of its own cell at the rate 1 / tau_ex (a cell is
        # a bundle of filaments behind interphase, not a dense electrode face; science.md s1)
        cells = np.flatnonzero(s.metal)
        k_dendrite = p.metal_capacity / (iso.dendrite_exchange_time_h * 3600.0)
        links.exchange(metal_node[cells], cells, k_dendrite)
        links.exchange(el0 + _EB_SURF, self.row_b, k_face * self.micro.contact_b)
        links.exchange(el0 + _EA_SURF, self.row_a, k_face * self.contact_a)
        area = g.nx * g.face_area
        path = self.sc.geometry.surface_layer_um * 1e-6
        k_self = iso.li_self_diffusivity_m2_s * area / (LI_MOLAR_VOLUME_M3_MOL * path)
        links.exchange([el0 + _EB_SURF, el0 + _EA_SURF], [el0 + _EB_BULK, el0 + _EA_BULK], k_self)

    # ------------------------------------------------------------------ one step
    def _solve_capture_only(self, current: float) -> tuple[ElectrodeSets, FieldSolution]:
        """Fields with every open trap a one-way electron sink.

        An open trap lies ``E_t`` below the local Li/Li+ level and captures the electrons that
        reach it; an empty trap has none to give. Pinned at ``phi_i + E_t`` it would *emit*
        electrons wherever the electron level around it is higher than that (next to the
        stripping electrode when ``E_t`` is below its overpotential, or in a network joined to
        it), so such a trap is left out of the pinned set for the step: it is then ordinary
        unreduced boundary. An idle trap is pinned again once the electron level at it falls
        below ``phi_i + E_t`` (pinning it would draw electrons in). The first solve starts from
        the previous step's idle set and re-pins the traps that capture again; when traps emit,
        the idle set is taken afresh (once) from the electron level with every open trap
        free, and later solves only add emitters (at most ``_CAPTURE_SOLVES`` + 1 solves). Emission
        that would move less than ``_EMIT_TOL`` of a trap's capacity in a longest step (leaks
        between traps through the grains, ~1e-5) is left as it is.
        """
        g, p, s = self.grid, self.props, self.state
        has_traps = (p.trap_charge > 0) & ~s.metal & (s.trap_fill < 1.0)
        idle = self.idle & has_traps
        tol = _EMIT_TOL * p.trap_charge / (self.sc.protocol.time_step_h * 3600.0)
        settled = False
        for k in range(_CAPTURE_SOLVES):
            sets = _sets(s, p, idle)
            sol = solve_fields(
                g, p, sets, self.micro.contact_b, self.contact_a, current, self._field_cache
            )
            emit = sets.trap_open & (sol.sink < -tol)
            capture = np.zeros_like(idle)
            if k == 0:
                capture = idle & (sol.phi_i[: g.n] + p.trap_depth_v > sol.phi_e[: g.n])
            if not (np.any(emit) or np.any(capture)):
                break
            if np.any(emit) and not settled:
                # emitters after a change of the network: take the whole set from the electron
                # level with every open trap free (idle traps conduct, so emission would
                # otherwise move on layer by layer)
                free = solve_fields(
                    g,
                    p,
                    _sets(s, p, has_traps),
                    self.micro.contact_b,
                    self.contact_a,
                    current,
                    self._field_cache,
                )
                idle = has_traps & (free.phi_i[: g.n] + p.trap_depth_v <= free.phi_e[: g.n])
                settled = True
                continue
            idle = (idle & ~capture) | emit
        else:
            # not settled: the last emitters are left out for this step as well
            sets = _sets(s, p, idle)
            sol = solve_fields(
                g, p, sets, self.micro.contact_b, self.contact_a, current, self._field_cache
            )
        self.idle = idle
        return sets, sol

    def _rest_step(self, dt: float) -> None:
        s = self.state
        n, n_metal = self.grid.n, 0
        links = _Links(n + n_metal + 4)
        self._exchange_links(links, np.full(n, -1), n)
        step = links.build()
        n_old = np.concatenate([s.llzo_mol, s.electrode_mol])
        x_old = np.concatenate([s.llzo_x6, s.electrode_x6])
        n_new, x_new = solve_isotopes(step, n_old, x_old, dt)
        s.llzo_mol, s.llzo_x6 = n_new[:n], x_new[:n]
        s.electrode_mol, s.electrode_x6 = n_new[n:], x_new[n:]
        s.time_s += dt

    def _choose_dt(
        self, sol: FieldSolution, sets: ElectrodeSets, pool_rate: np.ndarray, left_s: float
    ) -> float:
        s, p, pr = self.state, self.props, self.sc.protocol
        cap = p.metal_capacity
        limits = [pr.time_step_h * 3600.0, left_s, pr.max_time_h * 3600.0 - s.time_s]
        grow = pool_rate > 0
        if np.any(grow):
            # a tip may fill its crack cell and spill up to _POOL_STEP cells' worth into it
            room = _POOL_STEP * cap - s.pool_mol[grow]
            limits.append(float(np.min(np.maximum(room, 0.0) / pool_rate[grow])))
        rate = sol.sink / FARADAY
        bulk = sets.bulk_metal & (rate > 0)
        if np.any(bulk):
            # a particle may take up to _POOL_STEP cells' worth per step; the excess spills
            room = _POOL_STEP * cap - np.maximum(s.metal_mol[bulk] - cap, 0.0)
            limits.append(float(np.min(np.maximum(room, cap) / rate[bulk])))
        trap = sets.trap_open & (sol.sink > 0)
        if np.any(trap):
            room = (1.5 - s.trap_fill[trap]) * p.trap_charge[trap]
            limits.append(float(np.min(room / sol.sink[trap])))
        return max(min(limits), pr.min_time_step_s)

    def _relay(self, cells: np.ndarray, sol: FieldSolution, sets: ElectrodeSets) -> None:
        """Oxidise the particles ``cells`` completely; their electrons reduce Li+ elsewhere.

        A particle drained by the electron network (open traps or Li0 at a higher Li/Li+
        level beyond it) is oxidised: its Li enters the LLZO of its cell as Li+. The same
        number of electrons arrives at the pinned cells that take electrons in this solution,
        in proportion to their electron current, and reduces Li+ there onto their Li0 or
        compensates their trapped electrons. The ionic current that closes this bipolar
        circuit carries the same amount of Li+ from the oxidised cells to the receiving ones,
        so every LLZO cell keeps its Li content: the oxidised cells' LLZO mixes with the
        particle's isotopes and passes the mixture on, each receiving cell mixes it into its
        LLZO and reduces Li+ of that mixture. Li, 6Li, 7Li and charge are conserved and no
        LLZO cell is drained.
        """
        s, p = self.state, self.props
        mol = float(s.metal_mol[cells].sum())
        take_e = (sets.bulk_metal | sets.trap_open) & (sol.sink > 0)
        take_e[cells] = False
        recv = np.flatnonzero(take_e)
        if mol > 0 and recv.size:
            self.relay["relay_out_mol"] += mol
            # oxidised cells: the LLZO takes the particle's Li and sends the same amount on
            li6_d = s.llzo_mol[cells] * s.llzo_x6[cells] + s.metal_mol[cells] * s.metal_x6[cells]
            x_d = li6_d / (s.llzo_mol[cells] + s.metal_mol[cells])
            s.llzo_x6[cells] = x_d
            x_in = float(np.sum(s.metal_mol[cells] * x_d) / mol)
            s.metal_mol[cells] = 0.0
            # receiving cells: the incoming Li+ mixes into the LLZO, which is reduced
            take = mol * sol.sink[recv] / sol.sink[recv].sum()
            n_l = s.llzo_mol[recv]
            x_l = (n_l * s.llzo_x6[recv] + take * x_in) / (n_l + take)
            s.llzo_x6[recv] = x_l
            metal = sets.bulk_metal[recv]
            r_m, t_m = recv[metal], take[metal]
            li6 = s.metal_mol[r_m] * s.metal_x6[r_m] + t_m * x_l[metal]
            s.metal_mol[r_m] += t_m
            s.metal_x6[r_m] = li6 / s.metal_mol[r_m]
            r_t, t_t = recv[~metal], take[~metal]
            s.trap_mol[r_t] += t_t
            s.trap6_mol[r_t] += t_t * x_l[~metal]
            s.trap_fill[r_t] += t_t * FARADAY / p.trap_charge[r_t]
            self.relay["relay_bulk_mol"] += float(t_m.sum())
            self.relay["relay_trap_mol"] += float(t_t.sum())
        self._dissolve(cells)

    def _grow_flaws(self, sol: FieldSolution, dt: float) -> None:
        """Subcritical (stress-corrosion) growth of the flaws ahead of loaded plating faces.

        Each electrolyte cell in front of a plating face carries the creep-capped plating
        pressure of its most loaded face (:func:`tip_load`, the pressure of the crack
        criterion); its flaw grows at ``v_c (K_I / K_IC)^n`` over the step
        (:func:`subcritical_damage`), which lowers its fracture stress; the crack opens in a
        later step once the pressure exceeds it. Arrested tips thus advance slowly where they
        are close to fracture and practically never where they are far below it.
        """
        s, p, llzo = self.state, self.props, self.sc.llzo
        load = tip_load(sol, self.grid, p, s.metal, self.sc.growth, s.confined)
        s.scg_damage = subcritical_damage(
            s.scg_damage,
            load,
            p.fracture_stress,
            self.micro.flaw_m,
            llzo.scg_velocity_m_s,
            llzo.scg_exponent,
            dt,
        )
        self.fracture_stress = subcritical_fracture_stress(
            p.fracture_stress, s.scg_damage, llzo.scg_exponent
        )

    def _dissolve(self, cells: np.ndarray) -> None:
        """Return the Li of vanishing particles to the LLZO of their cell (conservative)."""
        s = self.state
        n6 = s.llzo_mol[cells] * s.llzo_x6[cells] + s.metal_mol[cells] * s.metal_x6[cells]
        s.llzo_mol[cells] += s.metal_mol[cells]
        s.llzo_x6[cells] = n6 / s.llzo_mol[cells]
        s.metal[cells] = False
        s.route[cells] = ROUTE_NONE
        s.metal_mol[cells] = 0.0
        s.birth_h[cells] = np.nan
        s.confined[cells] = False
        cl = s.clusters
        if np.any(cl.to_b[cells] | cl.to_a[cells]):
            s.clusters = label_clusters(s.metal, self.grid.nz, self.grid.nx)
        else:
            # isolated Li0 only: no cluster gains or loses a contact with an electrode, so the
            # roles of every other cell stay; the labels are renewed at the end of the step
            cl.label[cells] = 0

    def step(self) -> dict[str, float]:
        """Advance one step; return the ledger and observables of the step."""
        g, p, s, gr = self.grid, self.props, self.state, self.sc.growth
        current, left_s = _current(self.sc, g, s.time_s)
        self.relay = dict.fromkeys(self.relay, 0.0)
        for attempt in range(_DISSOLVE_ATTEMPTS):
            sets, sol = self._solve_capture_only(current)
            share = crack_share(sol, g, p, s.metal, gr, s.confined, self.fracture_stress)
            crack_face = share * sol.plated_face
            pool_rate = np.bincount(
                np.where(share > 0, sol.robin_cell, 0), crack_face / FARADAY, g.n + 2
            )[: g.n]
            dt = self._choose_dt(sol, sets, pool_rate, left_s)
            rate = sol.sink / FARADAY
            doomed = sets.bulk_metal & (rate < 0) & (s.metal_mol < -rate * dt * 0.999)
            if not np.any(doomed):
                break
            if attempt == _DISSOLVE_ATTEMPTS - 1:
                # end the step when the first particle runs dry; it is dissolved below
                dt = float(np.min(s.metal_mol[doomed] / -rate[doomed]))
                break
            # particles that would oxidise away within the step vanish first: their Li0 is
            # oxidised into the LLZO of their cell and its electrons reduce Li+ at the sinks
            # they were flowing to (relay, charge-conserving); the fields are solved again
            self._relay(np.flatnonzero(doomed), sol, sets)
        if self.scg:
            self._grow_flaws(sol, dt)
        ledger = self._transfer(sol, sets, crack_face, dt)
        dry = s.metal & (s.metal_mol <= 1e-9 * p.metal_capacity)
        if np.any(dry):
            self._dissolve(np.flatnonzero(dry))
            sets = _sets(s, p, self.idle)
        self._convert(sol, sets, dt)
        s.time_s += dt
        ledger.update(dt_s=dt, current_A=current, voltage_V=sol.voltage, **self.relay)
        return ledger

    def _transfer(
        self, sol: FieldSolution, sets: ElectrodeSets, crack_face: np.ndarray, dt: float
    ) -> dict[str, float]:
        """Move Li and isotopes for one step; return the ledger (mol)."""
        g, p, s = self.grid, self.props, self.state
        n = g.n
        cells = np.flatnonzero(s.metal)
        metal_node = np.full(n + 2, -1)
        metal_node[cells] = n + np.arange(cells.size)
        el0 = n + cells.size
        links = _Links(el0 + 4)
        to_mol = dt / FARADAY
        fa, fb = g.face_a, g.face_b
        node = np.arange(n + 2)
        node[n], node[n + 1] = el0 + _EB_SURF, el0 + _EA_SURF
        # Li+ drift between electrolyte cells, and Robin faces to B / A (electrode nodes);
        # a Robin face to a metal cell of an electrode is routed to that electrode's surface.
        ion_mol = sol.ion_face * to_mol
        metal_b = np.concatenate([sets.b_metal, [True, False]])
        metal_a = np.concatenate([sets.a_metal, [False, True]])
        node_map = np.where(metal_b, el0 + _EB_SURF, np.where(metal_a, el0 + _EA_SURF, node))
        crack = crack_face > 0
        face_side = np.where(sol.robin, sol.robin_side, 0)
        surf = el0 + np.array([_EB_SURF, _EA_SURF])[face_side]
        foil = el0 + np.array([_EB_BULK, _EA_BULK])[face_side]
        # a stripping electrode loses Li from its dendrite cells through their own faces while
        # the cell holds Li; the rest of the face current comes from the electrode behind
        metal_side = np.where(fa == sol.robin_cell, fb, fa)
        strip = sol.robin & (sol.plated_face < 0) & (metal_side < n)
        src, cell_s = metal_side[strip], sol.robin_cell[strip]
        want = -sol.plated_face[strip] * to_mol
        demand = np.bincount(src, want, n)
        supply = np.divide(s.metal_mol, demand, out=np.ones(n), where=demand > 0)
        take = want * np.minimum(supply[src], 1.0)
        links.move(metal_node[src], cell_s, take)
        links.move(surf[strip], cell_s, want - take)
        taken = np.bincount(face_side[strip], take, 2)
        direct = ~crack & ~strip & (sol.ion_g > 0)
        links.move(node_map[fa[direct]], node_map[fb[direct]], ion_mol[direct])
        # share of supercritical plating that fills cracks: LLZO cell -> frozen pool
        # Li+ of a crack face plates onto the electrode; the plating pressure extrudes the same
        # amount of Li from the electrode foil into the crack (creep flow, Porz 2017), so a crack
        # filling carries the composition of the electrode metal (its bulk, fed by the surface).
        cell_c = sol.robin_cell[crack]
        crack_mol = crack_face[crack] * to_mol
        links.move(cell_c, surf[crack], sol.plated_face[crack] * to_mol)
        links.sink.append((foil[crack], crack_mol))
        # bulk reduction (LLZO -> its Li0) and trap filling (LLZO -> frozen trapped Li)
        bulk = np.flatnonzero(sets.bulk_metal)
        links.move(bulk, metal_node[bulk], sol.sink[bulk] * to_mol)
        trap = np.flatnonzero(sets.trap_open)
        t_mol = sol.sink[trap] * to_mol
        fill = t_mol >= 0
        links.sink.append((trap[fill], t_mol[fill]))
        back = trap[~fill]
        x_back = np.divide(
            s.trap6_mol[back],
            s.trap_mol[back],
            out=s.llzo_x6[back].copy(),
            where=s.trap_mol[back] > 0,
        )
        links.source.append((back, -t_mol[~fill], x_back))
        # electrode surface layers keep their thickness: renewal from / to the electrode bulk
        into = np.bincount(face_side[sol.robin], sol.plated_face[sol.robin], 2) * to_mol
        plated = float(into[0])
        stripped = sol.stripped * to_mol
        links.move(el0 + _EB_SURF, el0 + _EB_BULK, into[0] + taken[0])
        links.move(el0 + _EA_SURF, el0 + _EA_BULK, into[1] + taken[1])
        self._exchange_links(links, metal_node, el0)

        step = links.build()
        n_old = np.concatenate([s.llzo_mol, s.metal_mol[cells], s.electrode_mol])
        x_old = np.concatenate([s.llzo_x6, s.metal_x6[cells], s.electrode_x6])
        n_new, x_new = solve_isotopes(step, n_old, x_old, dt)
        s.llzo_mol, s.llzo_x6 = n_new[:n], x_new[:n]
        s.metal_mol[cells], s.metal_x6[cells] = n_new[n:el0], x_new[n:el0]
        s.electrode_mol, s.electrode_x6 = n_new[el0:], x_new[el0:]
        np.add.at(s.pool_mol, cell_c, crack_mol)
        # a crack driven by confined metal stays confined (fed through a sub-um filament)
        s.pool_confined[cell_c] |= metal_side_confined(sol, g, s.confined)[crack]
        np.add.at(s.pool6_mol, cell_c, crack_mol * x_new[foil[crack]])
        s.trap_mol[trap] += t_mol
        s.trap6_mol[trap[fill]] += t_mol[fill] * x_new[trap[fill]]
        s.trap6_mol[back] += t_mol[~fill] * x_back
        s.trap_fill[trap] += sol.sink[trap] * dt / p.trap_charge[trap]
        return {
            "plated_mol": plated,
            "crack_mol": float(crack_mol.sum()),
            "reduced_mol": float(sol.sink[bulk].sum()) * to_mol,
            "trapped_mol": float(t_mol.sum()),
            "stripped_mol": stripped,
            "dendrite_stripped_mol": float(taken.sum()),
            "leaked_mol": sol.leaked * to_mol,
        }

    def _make_metal(self, cells: np.ndarray, route: int, mol: np.ndarray, li6: np.ndarray) -> None:
        """Turn cells into metal holding ``mol`` Li with ``li6`` 6Li (plus any crack pool)."""
        s = self.state
        mol = mol + s.pool_mol[cells]
        li6 = li6 + s.pool6_mol[cells]
        s.confined[cells] = s.pool_confined[cells] | (route == ROUTE_BULK)
        s.pool_mol[cells] = 0.0
        s.pool6_mol[cells] = 0.0
        s.pool_confined[cells] = False
        s.metal[cells] = True
        s.route[cells] = route
        s.birth_h[cells] = (s.time_s) / 3600.0
        s.metal_mol[cells] = mol
        s.metal_x6[cells] = np.divide(li6, mol, out=s.llzo_x6[cells].copy(), where=mol > 0)

    def _convert(self, sol: FieldSolution, sets: ElectrodeSets, dt: float) -> None:
        """Full cracks -> interface metal; overfull Li0 spills; new nuclei; relabel."""
        g, p, s, gr = self.grid, self.props, self.state, self.sc.growth
        cap = p.metal_capacity
        full = np.flatnonzero((s.pool_mol >= cap * (1 - 1e-9)) & ~s.metal)
        if full.size:
            self._make_metal(full, ROUTE_INTERFACE, np.zeros(full.size), np.zeros(full.size))
        over = np.flatnonzero(sets.bulk_metal & (s.metal_mol > cap))
        drive = sol.phi_i[: g.n] - sol.phi_e[: g.n]
        if over.size:
            faces, sign = self.neighbour_faces
            # conventional current out of the cell through a face = electrons into it
            e_in = np.where(faces[over] >= 0, sign[over] * sol.e_face[faces[over]], 0.0)
            target = spill_targets(over, self.neighbours, s.metal, drive, e_in)
            ok = target >= 0
            src, dst = over[ok], target[ok]
            extra = s.metal_mol[src] - cap
            extra6 = extra * s.metal_x6[src]
            s.metal_mol[src] = cap
            new, inv = np.unique(dst, return_inverse=True)
            self._make_metal(
                new,
                ROUTE_BULK,
                np.bincount(inv, extra, new.size),
                np.bincount(inv, extra6, new.size),
            )
        near_metal = np.zeros(g.n + 1, bool)
        near_metal[self.neighbours[s.metal & (s.clusters.to_b | s.clusters.to_a)]] = True
        cand = (p.trap_charge > 0) & (s.trap_fill >= 1.0) & ~s.metal & ~near_metal[: g.n]
        rate = nucleation_rate(sol, p, cand, gr)
        born = np.flatnonzero(self.rng.random(g.n) < -np.expm1(-rate * dt))
        if born.size:
            self._make_metal(born, ROUTE_BULK, np.zeros(born.size), np.zeros(born.size))
        s.clusters = label_clusters(s.metal, g.nz, g.nx)
        age = np.where(s.metal, s.time_s / 3600.0 + dt / 3600.0 - s.birth_h, 0.0)
        s.crystallinity = np.where(s.metal, -np.expm1(-age / gr.crystallisation_time_h), 0.0)

    def observe(self) -> dict[str, float]:
        """Amounts and compositions per route after a step."""
        s, g = self.state, self.grid
        out: dict[str, float] = {}
        for name, route in (("interface", ROUTE_INTERFACE), ("bulk", ROUTE_BULK)):
            sel = s.metal & (s.route == route)
            mol = s.metal_mol[sel].sum()
            li6 = (s.metal_mol[sel] * s.metal_x6[sel]).sum()
            if route == ROUTE_INTERFACE:
                mol += s.pool_mol.sum()
                li6 += s.pool6_mol.sum()
            out[f"{name}_umol"] = mol * 1e6
            out[f"x6_{name}"] = li6 / mol if mol > 0 else np.nan
            out[f"n_{name}_cells"] = float(sel.sum())
        rows_b = np.flatnonzero(s.metal & s.clusters.to_b) // g.nx
        rows_a = np.flatnonzero(s.metal & s.clusters.to_a) // g.nx
        out["tip_depth_um"] = float(rows_b.max() + 1) * g.h * 1e6 if rows_b.size else 0.0
        out["tip_depth_a_um"] = float(g.nz - rows_a.min()) * g.h * 1e6 if rows_a.size else 0.0
        out["x6_electrode_b"] = float(s.electrode_x6[_EB_SURF])
        out["x6_electrode_a"] = float(s.electrode_x6[_EA_SURF])
        out["total_li6_mol"], out["total_li7_mol"] = s.isotope_totals()
        out["shorted"] = float(s.clusters.shorted)
        return out


def run(scenario: Scenario, progress: ProgressFn | None = None) -> SimulationResult:
    """Run the cell model until a short circuit or ``protocol.max_time_h``.

    Parameters
    ----------
    scenario : the scenario (:func:`dendritemr.sim.scenario.load_scenario`).
    progress : optional callback ``progress(time_h, max_time_h)`` called after every step.

    Returns
    -------
    SimulationResult
        Per-step history (time 0 = start of the current; the isotope rest before it is not
        recorded), final grid state, short time and stage intervals.
    """
    import time

    t0 = time.perf_counter()
    sim = _Simulation(scenario)
    s = sim.state
    rest_dt = min(scenario.protocol.time_step_h * 3600.0, 3600.0)
    while s.time_s < -1e-9:
        sim._rest_step(min(rest_dt, -s.time_s))
    s.time_s = 0.0
    rows: list[dict[str, float]] = []
    max_s = scenario.protocol.max_time_h * 3600.0
    while s.time_s < max_s - 1e-6:
        ledger = sim.step()
        ledger["charge_mol"] = abs(ledger["current_A"]) * ledger["dt_s"] / FARADAY
        ledger["time_h"] = s.time_s / 3600.0
        ledger.update(sim.observe())
        rows.append(ledger)
        if progress is not None:
            progress(ledger["time_h"], scenario.protocol.max_time_h)
        if s.clusters.shorted:
            break
    history = {k: np.array([r[k] for r in rows]) for k in rows[0]}
    history["shorted"] = history["shorted"].astype(bool)
    short_h = float(history["time_h"][-1]) if s.clusters.shorted else None
    if short_h is not None:
        metal_path = scenario.geometry.thickness_um * 1e-6 * _LI_RESISTIVITY_OHM_M
        section = sim.grid.face_area * scenario.geometry.metal_fill_fraction
        history["voltage_V"][-1] = abs(history["current_A"][-1]) * metal_path / section
    result = SimulationResult(
        scenario=scenario,
        grid=sim.grid,
        micro=sim.micro,
        props=sim.props,
        history=history,
        state=s,
        short_circuit_h=short_h,
    )
    label_stages(result)
    result.runtime_s = time.perf_counter() - t0
    return result


def label_stages(result: SimulationResult) -> None:
    """Set ``result.detection``, ``history["stage"]`` and ``result.stages`` (in place).

    The thresholds are the route growths an ideal observer of the study detects over the
    window (:mod:`dendritemr.sim.cell.stages`): ``stage_detection_sigmas * sqrt(2) * sigma``
    with ``sigma`` from :func:`dendritemr.sim.observables.detection.route_detection` at the
    scenario's observation settings. The test is applied at the study's NMR time points
    (:func:`dendritemr.sim.study.nmr_time_points`, amounts interpolated there), where the
    observer measures (:func:`dendritemr.sim.cell.stages.observer_stages`); each step takes
    the label of the measurement interval it lies in.
    """
    from dendritemr.sim.observables.detection import route_detection
    from dendritemr.sim.observables.snapshot import history_at
    from dendritemr.sim.study import nmr_time_points

    gr, h = result.scenario.growth, result.history
    obs = result.scenario.observation()
    det = route_detection(result, obs)
    k = gr.stage_detection_sigmas * np.sqrt(2.0)
    thr_i, thr_b = k * det.sigma_interface_umol, k * det.sigma_bulk_umol
    result.detection = {
        **det.to_dict(),
        "window_h": gr.stage_window_h,
        "sigmas": gr.stage_detection_sigmas,
        "threshold_interface_umol": float(thr_i) if np.isfinite(thr_i) else None,
        "threshold_bulk_umol": float(thr_b) if np.isfinite(thr_b) else None,
    }
    t_obs = nmr_time_points(result, obs)
    end_h = float(h["time_h"][-1])
    result.stages = observer_stages(
        t_obs,
        history_at(result, "interface_umol", t_obs),
        history_at(result, "bulk_umol", t_obs),
        end_h,
        bool(h["shorted"][-1]),
        gr.stage_window_h,
        thr_i,
        thr_b,
    )
    ends = np.array([st["end_h"] for st in result.stages])
    names = np.array([st["name"] for st in result.stages])
    idx = np.minimum(np.searchsorted(ends, h["time_h"] - 1e-12), ends.size - 1)
    h["stage"] = names[idx].astype(str)
    if h["shorted"][-1]:
        h["stage"][-1] = "shorted"


_ = sc  # scipy.constants is the source of F via growth.FARADAY
