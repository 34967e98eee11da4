"""Timeline: cycler alignment, short detection, growth stages and route attribution.

- :mod:`~dendritemr.timeline.align`: cycler clock -> NMR clock; current, voltage and charge per
  acquisition window; cumulative capacity at each mid-point.
- :mod:`~dendritemr.timeline.short`: short circuit (hard and soft) from the voltage.
- :mod:`~dendritemr.timeline.stages`: change points (ruptures, BIC penalty from the measured
  noise), per-stage rates, bootstrap boundary uncertainty, stage names of the results schema.
- :mod:`~dendritemr.timeline.routes`: interface fraction f_I from x6 with time-varying end members
  (exchange drift, per-route formation history, the local LLZO's bounds as a model error).
"""

from dendritemr.timeline.align import CyclerClock, align_windows, cycler_clock
from dendritemr.timeline.routes import (
    LocalLLZO,
    RouteAttribution,
    attribute_routes,
    local_llzo_x6,
)
from dendritemr.timeline.short import ShortCircuit, detect_short
from dendritemr.timeline.stages import Stage, detect_stages

__all__ = [
    "CyclerClock",
    "LocalLLZO",
    "RouteAttribution",
    "ShortCircuit",
    "Stage",
    "align_windows",
    "attribute_routes",
    "cycler_clock",
    "detect_short",
    "detect_stages",
    "local_llzo_x6",
]
