"""Component model of a spectrum series: named lines whose parameters vary in stated ways.

A :class:`SeriesModel` is a tuple of :class:`Component` lines (e.g. ``"electrode"``: bulk Li
metal, ``"microstructure"``: dendritic metal, ``"electrolyte"``) plus an optional per-spectrum
baseline. Each line parameter is a :class:`Param` that says how it may change along the series:

``"fixed"``
    held at ``value`` in every spectrum.
``"shared"``
    one fitted value common to all spectra (e.g. widths).
``"free"``
    fitted independently in every spectrum (e.g. areas, positions).
``"linear"``
    drifts linearly in time (acquisition ``hours``): two coefficients, the values at the first
    and the last spectrum.
``"smooth"``
    drifts smoothly in time: a clamped cubic B-spline with ``n_coef`` coefficients.

Bounds ``min``/``max`` apply to every per-spectrum value in all modes: the drift bases are
non-negative partitions of unity, so bounding their coefficients bounds every value.

Units: ``area`` in signal x ppm (integrated absorption), ``center`` and ``width`` (FWHM) in
ppm, ``phase`` in rad (dispersion admixture, see :mod:`dendritemr.fit.lineshapes`), ``eta``
(pseudo-Voigt Lorentzian fraction) dimensionless.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np

from dendritemr.fit.lineshapes import get_shape

VARY_MODES = ("fixed", "shared", "free", "linear", "smooth")
PARAM_NAMES = ("area", "center", "width", "phase", "eta")
BASELINES = {"none": 0, "constant": 1, "linear": 2}


@dataclass(frozen=True)
class Param:
    """How one line parameter is treated along the series.

    Parameters
    ----------
    value : starting value (or the held value when ``vary="fixed"``); ``None`` lets the fit
        guess it from the data.
    vary : one of ``"fixed"``, ``"shared"``, ``"free"``, ``"linear"``, ``"smooth"``.
    min, max : bounds on every per-spectrum value (same units as the parameter).
    n_coef : number of B-spline coefficients for ``vary="smooth"`` (>= 4).
    """

    value: float | None = None
    vary: str = "free"
    min: float = -np.inf
    max: float = np.inf
    n_coef: int = 4

    def __post_init__(self) -> None:
        if self.vary not in VARY_MODES:
            raise ValueError(f"vary must be one of {VARY_MODES}, not {self.vary!r}")
        if self.vary == "fixed" and self.value is None:
            raise ValueError("a fixed parameter needs a value")
        if not self.min < self.max:
            raise ValueError(f"empty bounds [{self.min}, {self.max}]")
        if self.vary == "smooth" and self.n_coef < 4:
            raise ValueError("vary='smooth' needs n_coef >= 4 (cubic B-spline)")


_DEFAULTS = {
    "area": Param(),
    "center": Param(),
    "width": Param(),
    "phase": Param(0.0, "fixed"),
    "eta": Param(0.5, "fixed", 0.0, 1.0),
}


def _as_param(spec: Param | float | None, name: str) -> Param:
    """Turn a bare number (a starting value) or ``None`` into a :class:`Param`."""
    default = _DEFAULTS[name]
    if isinstance(spec, Param):
        return spec
    if spec is None:
        return default
    return replace(default, value=float(spec))


@dataclass(frozen=True)
class Component:
    """One named line of the model.

    Parameters
    ----------
    name : label, e.g. ``"microstructure"``; used as the ``component`` coordinate.
    shape : lineshape name (``"lorentzian"``, ``"gaussian"``, ``"pseudo_voigt"``).
    area, center, width, phase, eta : :class:`Param` or a starting value (units in the
        module docstring). Defaults: area, center, width free and unbounded (lines depend on
        ``|width|``; results report it); phase fixed at 0 rad (unbounded when varied, results
        wrapped to (-pi, pi]); eta fixed at 0.5 (used by ``"pseudo_voigt"`` only).
    """

    name: str
    shape: str = "lorentzian"
    area: Param | float | None = None
    center: Param | float | None = None
    width: Param | float | None = None
    phase: Param | float | None = None
    eta: Param | float | None = None

    def __post_init__(self) -> None:
        get_shape(self.shape)
        for name in PARAM_NAMES:
            object.__setattr__(self, name, _as_param(getattr(self, name), name))
        if self.shape != "pseudo_voigt" and self.eta.vary != "fixed":
            raise ValueError(f"{self.name}: eta only varies for shape='pseudo_voigt'")

    def param(self, name: str) -> Param:
        """The :class:`Param` for parameter ``name``."""
        return getattr(self, name)


@dataclass(frozen=True)
class SeriesModel:
    """Lines plus baseline fitted to every spectrum of a series.

    Parameters
    ----------
    components : the lines, in output order; names must be unique.
    baseline : ``"none"``, ``"constant"`` or ``"linear"`` (per spectrum, in the ppm axis
        scaled to [-1, 1] over the spectral window).
    """

    components: tuple[Component, ...] = field(default_factory=tuple)
    baseline: str = "linear"

    def __post_init__(self) -> None:
        object.__setattr__(self, "components", tuple(self.components))
        if not self.components:
            raise ValueError("a model needs at least one component")
        names = [c.name for c in self.components]
        if len(set(names)) != len(names):
            raise ValueError(f"component names must be unique: {names}")
        if self.baseline not in BASELINES:
            raise ValueError(f"baseline must be one of {list(BASELINES)}, not {self.baseline!r}")

    @property
    def names(self) -> list[str]:
        """Component names in order."""
        return [c.name for c in self.components]

    def to_dict(self) -> dict:
        """JSON-serialisable description (for processing history)."""

        def pdict(p: Param) -> dict:
            d = {f.name: getattr(p, f.name) for f in fields(p)}
            return {
                k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                for k, v in d.items()
            }

        return {
            "baseline": self.baseline,
            "components": [
                {"name": c.name, "shape": c.shape, **{n: pdict(c.param(n)) for n in PARAM_NAMES}}
                for c in self.components
            ],
        }
