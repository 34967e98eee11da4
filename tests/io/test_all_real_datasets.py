"""Every Bruker, Varian and JCAMP-DX dataset in ../shared/data/real loads with the right shape
and axis through ``open_dataset``, or fails with a specific one-line error."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from dendritemr.errors import DataError
from dendritemr.io import open_dataset

LI7 = "li7-insitu-LiLi-TEGDME/2023-08-11_jana_insituLiLiTEGDME-02_galv"
# path, dims, shape, nucleus, first and last axis value (t2 in s, ppm in ppm)
LOADS = [
    (LI7, ("time", "t2"), (50, 6144), "7Li", (0.0, 6143 / 93457.9439252336)),
    (f"{LI7}/1/pdata/1", ("time", "ppm"), (1, 8192), "7Li", (537.7928, -263.054)),
    (f"{LI7}/50/pdata/1/ascii-spec.txt", ("time", "ppm"), (1, 8192), "7Li", (537.744, -263.103)),
    ("dnplab-bruker-odnp/topspin/1", ("time", "t2"), (1, 8192), "15N", (0.0, 8191 / 75187.97)),
    ("dnplab-bruker-odnp/topspin/5", ("time", "t2"), (4, 11973), "15N", (0.0, 11972 / 9980.04)),
    ("dnplab-bruker-odnp/topspin/28", ("time", "t2"), (8, 7983), "15N", (0.0, 7982 / 9980.04)),
    ("nmrpy-varian-31P-array-bruker-1H/bruker1/1", ("time", "t2"), (1, 16384), "1H", None),
    ("nmrpy-varian-31P-array-bruker-1H/test1.fid", ("time", "t2"), (24, 15542), "31P", None),
    ("dnplab-jeol-varian/vnmrj/PROTON_01.fid", ("time", "t2"), (1, 2048), "1H", None),
    ("cheminfo-jcamp/nmr/aspirin/1h.fid.dx", ("time", "t2"), (1, 8192), "1H", None),
    ("cheminfo-jcamp/nmr/bruker/dosy-1d-ledbpgp2s1d.fid.dx", ("time", "t2"), (1, 8192), "1H", None),
    ("cheminfo-jcamp/nmr/nanalysis/pseudoT1.jdx", ("time", "t2"), (8, 2048), "1H", None),
    ("cheminfo-jcamp/nmr/jeol/1h.dx", ("time", "ppm"), (1, 16384), "1H", (15.103, -4.887)),
    ("cheminfo-jcamp/nmr/varian/1h.jdx", ("time", "ppm"), (1, 16384), "1H", (16.090, -0.747)),
    ("datalab-jcamp-jeol/13c.jdx", ("time", "ppm"), (1, 32768), "13C", (218.693, -20.048)),
    ("datalab-jcamp-jeol/1h.dx", ("time", "ppm"), (1, 32768), "1H", (13.996, -2.012)),
    ("thienenkamp-19F-MRI-LiPEOLi/Li_Li/Data", ("time", "ppm"), (94, 256), None, None),
]
FAILS = [
    ("dnplab-jeol-varian/delta/50percCHCL3.jdf", "JEOL Delta .jdf is not supported"),
    ("datalab-jcamp-jeol/SW20AP_proton.jdf.gz", "JEOL Delta .jdf is not supported"),
    ("dnplab-bruker-odnp/topspin/28/pdata/1", "1r: missing processed spectrum"),
]


@pytest.mark.parametrize(
    ("rel", "dims", "shape", "nucleus", "axis"), LOADS, ids=[row[0] for row in LOADS]
)
def test_dataset_loads(real_data, rel, dims, shape, nucleus, axis):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the dnplab NUC1 warning is tested elsewhere
        data = open_dataset(real_data / rel)
    assert data.dims == dims and data.shape == shape
    if nucleus is not None:
        assert data.attrs["nucleus"] == nucleus
    assert np.all(np.isfinite(data.values))
    if axis is not None:
        coord = data[dims[1]].values
        assert coord[0] == pytest.approx(axis[0], abs=1e-3)
        assert coord[-1] == pytest.approx(axis[1], abs=1e-3)


@pytest.mark.parametrize(("rel", "message"), FAILS, ids=[row[0] for row in FAILS])
def test_dataset_fails_clearly(real_data, rel, message):
    with pytest.raises(DataError, match=message) as info:
        open_dataset(real_data / rel)
    assert str(real_data / rel).split("/")[-1] in str(info.value)
    assert "\n" not in str(info.value)
