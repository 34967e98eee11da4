"""The labelled data model: xarray objects with named dimensions, units and provenance.

Dimensions (fixed names): ``time`` (acquisition mid-point, UTC), ``t2`` (FID time, s),
``ppm`` (chemical shift), ``hz``, ``x``/``y``/``z`` (m), ``kx``/``ky``/``kz``.
"""

from dendritemr.model.history import add_step, get_history
from dendritemr.model.provenance import file_checksums, package_versions
from dendritemr.model.series import (
    acquisition_times,
    make_fid_series,
    make_spectrum_series,
    require_finite,
)
from dendritemr.model.storage import load, save

__all__ = [
    "acquisition_times",
    "add_step",
    "file_checksums",
    "get_history",
    "load",
    "make_fid_series",
    "make_spectrum_series",
    "package_versions",
    "require_finite",
    "save",
]
