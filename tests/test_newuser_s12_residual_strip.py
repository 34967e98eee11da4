"""New-user test (stop 12): the spectra panel's residual is visible in every zoom.

The residual (data - fit) was drawn on the spectrum's own y axis 0.25 below zero; the panel
opens on the 200-300 ppm metal window with the y range of the spectra there (7Li: about
0.01-0.02 of the series maximum), so the trace the legend announced was never in view (the
real TEGDME report, whose 7Li fit has reduced chi-square 5-15, showed no residual at all).
Now each nucleus' residual has a strip of its own under its spectrum, scaled to the
residuals inside the window shown, ticks in the spectrum's units.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from dendritemr.nmr.defaults import ELECTROLYTE_WINDOW, METAL_WINDOW
from dendritemr.report.figures import spectra_panel
from dendritemr.report.inputs import MAX_POINTS


def _lorentz(ppm, centre, width, area):
    return area * (width / np.pi) / ((ppm - centre) ** 2 + width**2)


def _inputs(seed: int = 21, n: int = 4):
    """Two nuclei, metal line at 248 ppm (1/50 of the electrolyte at 0 ppm in 7Li), a model
    that misses a known 2 % bump at 270 ppm (so the metal-window residual is that bump)."""
    rng = np.random.default_rng(seed)
    ppm = np.linspace(350.0, -50.0, 1600)
    t = np.linspace(0.5, 2.0, n)
    spectra = xr.Dataset()
    bumps = {}
    for nuc, ratio in (("7Li", 50.0), ("6Li", 2.0)):
        model = np.array(
            [_lorentz(ppm, 248.0, 4.0, 1.0 + 0.1 * k) + _lorentz(ppm, 0.0, 1.0, ratio) for k in t]
        )
        bump = 0.02 * model.max() * np.exp(-(((ppm - 270.0) / 3.0) ** 2))
        data = model + bump + rng.normal(0, 1e-4 * model.max(), model.shape)
        # as the report draws them: one point in `stride` of the ppm axis (MAX_POINTS)
        stride = int(np.ceil(ppm.size / MAX_POINTS))
        bumps[nuc] = ((data - model)[:, ::stride], np.abs(data[:, ::stride]).max())
        tn, pn = f"time_{nuc}", f"ppm_{nuc}"
        spectra[f"spectrum_{nuc}"] = ((tn, pn), data + 0j)
        spectra[f"model_{nuc}"] = ((tn, pn), model + 0j)
        spectra = spectra.assign_coords({pn: ppm, f"hours_{nuc}": (tn, t)})
    doc = {"schema": "dendritemr.results/1", "time_h": t.tolist()}
    return doc, {"spectra": spectra}, ppm[:: int(np.ceil(ppm.size / MAX_POINTS))], bumps


def test_each_residual_has_its_own_strip_scaled_to_the_window_shown():
    doc, ds, ppm, bumps = _inputs()
    fig = spectra_panel(doc, ds).figure
    names = [tr.name for tr in fig.data]
    resid = [k for k, name in enumerate(names) if name == "residual"]
    assert len(resid) == 2  # one per nucleus
    assert [fig.data[k].yaxis for k in resid] == ["y3", "y4"]
    for xaxis, ax, strip in (("xaxis", "yaxis", "y3"), ("xaxis2", "yaxis2", "y4")):
        # the strip lies under its spectrum, and the row's x axis is drawn under the strip
        assert fig.layout["yaxis" + strip[1:]].domain[1] < fig.layout[ax].domain[0]
        assert fig.layout[xaxis].anchor == strip
    menu = fig.layout.updatemenus[0]
    views = {b.label.split()[0]: b.args[0] for b in menu.buttons}
    windows = {"metal": METAL_WINDOW, "electrolyte": ELECTROLYTE_WINDOW}
    for nuc, strip in (("7Li", "yaxis3"), ("6Li", "yaxis4")):
        r, scale = bumps[nuc]
        for view, (lo, hi) in windows.items():
            inside = (ppm >= lo) & (ppm <= hi)
            amp = np.abs(r[:, inside]).max() / scale  # as drawn: normalised, every spectrum
            got = views[view]
            y0, y1 = got[f"{strip}.range"]
            # symmetric about the residual's zero line (drawn at -0.25), 10 % headroom
            assert (y0 + y1) / 2 == pytest.approx(-0.25, abs=1e-9)
            assert (y1 - y0) / 2 == pytest.approx(1.1 * amp, rel=0.02), (nuc, view)
            # ticks labelled in the spectrum's units: value shown = position - (-0.25)
            vals, text = got[f"{strip}.tickvals"], got[f"{strip}.ticktext"]
            np.testing.assert_allclose([float(s) for s in text], np.array(vals) + 0.25, atol=1e-12)
    # the 7Li metal window: the 2 % bump at 270 ppm is the residual (0.02 of the maximum
    # over a series whose maximum is the electrolyte line, 50x the metal line)
    r7, s7 = bumps["7Li"]
    assert views["metal"]["yaxis3.range"][1] + 0.25 == pytest.approx(
        1.1 * np.abs(r7[:, (ppm >= 200) & (ppm <= 300)]).max() / s7, rel=0.02
    )
    # the panel opens on the metal window, the strip with it
    assert list(fig.layout.yaxis3.range) == list(views["metal"]["yaxis3.range"])
