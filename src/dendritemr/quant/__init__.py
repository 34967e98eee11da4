"""Quantification: line decomposition of paired 6Li/7Li series (:mod:`.decompose`), atoms
from areas (:mod:`.atoms`: signal per atom, K, x6, amounts), the one chain from a
decomposition to x6 and amounts (:mod:`.chain`), and calibration helpers (:mod:`.amounts`)."""

from dendritemr.quant.amounts import (
    Calibration,
    amounts,
    calibrate_electrode,
    calibrate_reference,
    metal_visibility,
    saturation,
)
from dendritemr.quant.chain import (
    KGiven,
    KKnownLine,
    KReference,
    instrument_ratio,
    quantify_decomposition,
)

__all__ = [
    "Calibration",
    "KGiven",
    "KKnownLine",
    "KReference",
    "amounts",
    "calibrate_electrode",
    "calibrate_reference",
    "instrument_ratio",
    "metal_visibility",
    "quantify_decomposition",
    "saturation",
]
