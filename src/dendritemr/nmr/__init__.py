"""Series processing: each step a small serialisable object acting on a named dimension.

Order of a typical pipeline: :class:`DCOffset`, :class:`DigitalFilter`, :class:`Truncate`,
:class:`ExponentialApodization`/:class:`GaussianApodization`, :class:`ZeroFill`,
:class:`FourierTransform`, :class:`Phase` (or :class:`AutoPhase`), :class:`PolynomialBaseline`,
then :func:`integrate_regions`.
"""

from dendritemr.nmr.apodize import ExponentialApodization, GaussianApodization
from dendritemr.nmr.base import ProcessingStep, step_from_dict
from dendritemr.nmr.baseline import PolynomialBaseline, PybaselinesBaseline
from dendritemr.nmr.dc_offset import DCOffset
from dendritemr.nmr.digital_filter import DigitalFilter
from dendritemr.nmr.fourier import FourierTransform
from dendritemr.nmr.integrate import integrate_regions, noise_std, snr
from dendritemr.nmr.magnitude import Magnitude
from dendritemr.nmr.phase import AutoPhase, LinePhase, Phase, WindowPhase
from dendritemr.nmr.pipeline import Pipeline
from dendritemr.nmr.reference import Reference
from dendritemr.nmr.zero_fill import Truncate, ZeroFill

__all__ = [
    "AutoPhase",
    "DCOffset",
    "DigitalFilter",
    "ExponentialApodization",
    "FourierTransform",
    "GaussianApodization",
    "LinePhase",
    "Magnitude",
    "Phase",
    "Pipeline",
    "PolynomialBaseline",
    "ProcessingStep",
    "PybaselinesBaseline",
    "Reference",
    "Truncate",
    "WindowPhase",
    "ZeroFill",
    "integrate_regions",
    "noise_std",
    "snr",
    "step_from_dict",
]
