"""New-user test (stop 12): the fit-quality panel says how many fits are flagged.

Every 7Li fit of the real TEGDME series has a reduced chi-square of 5-15 (flagged above 2 by
quant.decompose), which the panel plotted without a word; the note now counts them per nucleus
and says what that means for the errors.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from dendritemr.quant.decompose import REDCHI_FLAG
from dendritemr.report.figures import fit_quality_panel


def _spectra(redchi7, redchi6):
    ppm = np.linspace(300.0, -50.0, 64)
    spectra = xr.Dataset()
    for nuc, rc in (("7Li", redchi7), ("6Li", redchi6)):
        n = len(rc)
        line = np.exp(-(((ppm - 250.0) / 5.0) ** 2))[None, :] * np.ones((n, 1))
        tn, pn = f"time_{nuc}", f"ppm_{nuc}"
        spectra[f"spectrum_{nuc}"] = ((tn, pn), line + 0j)
        spectra[f"model_{nuc}"] = ((tn, pn), line + 0j)
        spectra[f"redchi_{nuc}"] = (tn, np.asarray(rc, float))
        spectra = spectra.assign_coords({pn: ppm, f"hours_{nuc}": (tn, np.arange(n) * 0.5)})
    return spectra


def test_flagged_fits_are_counted_per_nucleus():
    assert REDCHI_FLAG == 2.0
    rc7 = [14.2, 5.1, 1.9, 2.0, 2.01, 9.0]  # 4 above 2 (2.0 itself is not above)
    rc6 = [1.1, 0.9, 1.0, 1.2, 0.8, 1.05]
    doc = {"schema": "dendritemr.results/1", "time_h": [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]}
    note = fit_quality_panel(doc, {"spectra": _spectra(rc7, rc6)}).note
    assert "Flagged: 4 of 6 7Li fits above reduced chi-square 2:" in note
    assert "6Li fits" not in note
    assert "square root of the reduced chi-square (Birge ratio)" in note
    note = fit_quality_panel(doc, {"spectra": _spectra(rc6, rc6)}).note
    assert note.endswith("No fit above reduced chi-square 2.")
