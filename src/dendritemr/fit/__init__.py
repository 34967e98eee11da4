"""Series deconvolution of NMR spectra: lineshapes, component models, fits and CRLBs."""

from dendritemr.fit.crlb import (
    crlb_covariance,
    crlb_of_function,
    fisher_information,
    series_crlb,
    x6_from_areas,
)
from dendritemr.fit.lineshapes import gaussian, lorentzian, pseudo_voigt
from dendritemr.fit.model import Component, Param, SeriesModel
from dendritemr.fit.series_fit import fit_series

__all__ = [
    "Component",
    "Param",
    "SeriesModel",
    "crlb_covariance",
    "crlb_of_function",
    "fisher_information",
    "fit_series",
    "gaussian",
    "lorentzian",
    "pseudo_voigt",
    "series_crlb",
    "x6_from_areas",
]
