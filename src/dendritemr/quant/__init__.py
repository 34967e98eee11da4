"""Quantification: Li amounts (skin depth, saturation, calibration), electrode/microstructure
split and the 6Li atom fraction from paired 6Li/7Li data."""

from dendritemr.quant.amounts import (
    Calibration,
    amounts,
    calibrate_electrode,
    calibrate_reference,
    metal_visibility,
    saturation,
)
from dendritemr.quant.isotopes import (
    InstrumentRatio,
    LineCorrection,
    calibrate_k,
    correction_ratio,
    x6_from_pair,
)
from dendritemr.quant.split import fit_metal, metal_model, noise_sigma, split_metal

__all__ = [
    "Calibration",
    "InstrumentRatio",
    "LineCorrection",
    "amounts",
    "calibrate_electrode",
    "calibrate_k",
    "calibrate_reference",
    "correction_ratio",
    "fit_metal",
    "metal_model",
    "metal_visibility",
    "noise_sigma",
    "saturation",
    "split_metal",
    "x6_from_pair",
]
