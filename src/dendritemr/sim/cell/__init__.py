"""Physical core of the Li | LLZO | Li forward model (2D finite-volume cell).

Modules, one concept each: :mod:`.grid` (grid and faces), :mod:`.microstructure` (Voronoi
grains, boundaries, flaws, contact map), :mod:`.properties` (Arrhenius material properties),
:mod:`.network` (sparse network solver), :mod:`.fields` (ionic/electronic potentials),
:mod:`.growth` (interface and bulk routes), :mod:`.isotopes` (6Li/7Li transport and exchange),
:mod:`.connectivity` (clusters, short), :mod:`.stages` (stage labels), :mod:`.model` (time loop).
"""

from dendritemr.sim.cell.model import (
    ROUTE_BULK,
    ROUTE_INTERFACE,
    ROUTE_NONE,
    CellState,
    SimulationResult,
    run,
)

__all__ = ["run", "SimulationResult", "CellState", "ROUTE_NONE", "ROUTE_INTERFACE", "ROUTE_BULK"]
