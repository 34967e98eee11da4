"""The MRI maps' 6Li fractions use only x6 points whose 7Li fraction is known to 25 %.

A 7Li image counts 7Li: its amount scales as 1 / (1 - x6_metal). The demo's first time points
(little metal, 6Li-enriched) read x6 0.93 +- 0.15, 0.987 +- 0.083, 0.942 +- 0.087 -- the
middle one passed the old absolute limit (0.1) and turned the first scan's 0.81 umol of metal
into 24.8 +- 164 umol. Numbers below are the demo's (default scenario, seed 3).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dendritemr.pipeline import isotope_rel_err, scan_isotopes
from dendritemr.study import Study

NMR_H = np.array([0.01, 1.51, 4.51, 6.01, 7.51])
X6 = np.array([0.932, 0.987, 0.942, 0.705, 0.691])
X6_ERR = np.array([0.153, 0.083, 0.087, 0.049, 0.040])


def test_near_one_x6_with_a_large_7li_fraction_error_is_not_used():
    study = Study(root=Path("."), li7=Path("."), x6_electrode=0.95, x6_electrode_err=0.005)
    got = scan_isotopes(
        np.array([0.13, 7.0]),
        NMR_H,
        X6,
        np.full(NMR_H.size, np.nan),  # electrode not measured: the study's value
        study,
        x6_metal_err=X6_ERR,
        x6_electrode_err=np.full(NMR_H.size, np.nan),
    )
    # 0.049 / 0.295 = 0.17 and 0.040 / 0.309 = 0.13 pass; 0.083 / 0.013 = 6.4 does not
    assert got[0]["x6_metal"] == pytest.approx(0.705)  # held from the first usable point
    assert got[0]["x6_metal_err"] == pytest.approx(0.049)
    w = (7.0 - 6.01) / (7.51 - 6.01)
    assert got[1]["x6_metal"] == pytest.approx(0.705 + w * (0.691 - 0.705))
    assert got[0]["x6_electrode"] == pytest.approx(0.95)
    rel = isotope_rel_err(got)
    assert np.all(rel < 0.25) and rel[0] == pytest.approx(0.049 / 0.295)
