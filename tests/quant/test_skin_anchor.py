"""The skin-phase anchor and the dendritic comb (``decompose(skin_phase=..., dendritic=...)``)
on an independent generator (``pairgen.py``: numpy FIDs of known Lorentzians, TopSpin files).

A 6-point paired 6Li/7Li series (SNR 300) of a 6Li-enriched electrode (x6 0.95, skin phase -40
deg, 8 ppm wide) with an absorptive dendritic line 6 ppm above it (x6 0.6, 5 ppm wide) that
grows from nothing: the electrode is alone at the first time point, where the anchor measures
its phase."""

from __future__ import annotations

import numpy as np
import pairgen as pg
import pytest

from dendritemr.errors import ProcessingError
from dendritemr.quant import decompose as D

HOURS = np.linspace(0.0, 10.0, 6)
PSI = -40.0


def _lines(h):
    return [
        pg.GenLine("electrode", 250.0, 8.0, 1.0, 0.95, bulk=True, phase_deg=PSI),
        pg.GenLine("micro", 256.0, 5.0, 1e-6 + 0.02 * h, 0.6),
        pg.GenLine("llzo", 1.5, 6.0, 3.0, 0.0759),
    ]


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    root = tmp_path_factory.mktemp("anchor")
    pg.write_series(root, _lines, HOURS, snr=300.0, seed=20261130)
    s7, s6 = pg.read_series(root)
    truth = [pg.line_areas(_lines(h)) for h in HOURS]
    return s7, s6, truth


def test_anchor_holds_the_first_points_phase_and_the_comb_finds_the_dendritic_metal(series):
    s7, s6, truth = series
    ds = D.decompose([s7, s6], skin_phase="anchor", dendritic="comb")
    assert ds.attrs["skin_phase_source"].startswith("anchored on the first time point")
    assert ds.attrs["dendritic_comb"] == 1
    psi, err = np.degrees(float(ds.skin_phase)), np.degrees(float(ds.skin_phase_err))
    assert 0.0 < err < 1.0
    assert abs(psi - PSI) < 3 * err
    # dendritic (microstructure group) against the truth, in the electrolyte's units
    for k, nuc in enumerate(("7Li", "6Li")):
        ga = ds["group_area"].isel(nucleus=k)
        ge = ds["group_area_err"].isel(nucleus=k)
        scale = float(ga.sel(group="electrode")[0]) / truth[0][nuc]["electrode"]
        got = ga.sel(group="microstructure").values / scale
        se = ge.sel(group="microstructure").values / scale
        want = np.array([t[nuc]["micro"] for t in truth])
        z = (got - want) / se
        print(nuc, "z", z.round(2), "last", got[-1] / want[-1], "+-", se[-1] / want[-1])
        assert np.all(np.abs(z) < 3.5), (nuc, z)
        if nuc == "7Li":  # the 6Li dendritic line is weak: its relative error ~0.3
            assert abs(got[-1] / want[-1] - 1) < 0.1


def test_the_comb_needs_a_held_skin_phase(series):
    s7, s6, _ = series
    with pytest.raises(ProcessingError, match="held skin phase"):
        D.decompose([s7, s6], skin_phase="series", dendritic="comb")
    with pytest.raises(ProcessingError, match="skin_phase must be"):
        D.decompose([s7, s6], skin_phase="first")


def test_electrode_shape_is_the_anchors_and_its_area_follows_the_truth(series):
    """With the comb the electrode's centre and FWHM are measured on the first point and held:
    the generator's 250.0 ppm / 8.0 ppm at every time point, and the electrode area (scaled by
    the LLZO line, whose area is known) within 3.5 SE of the truth while the dendritic line
    6 ppm above it grows."""
    s7, s6, truth = series
    ds = D.decompose([s7, s6])
    i = list(ds.component.values).index("electrode")
    assert np.all(np.abs(ds["center"].values[:, i] - 250.0) < 0.05)
    assert np.all(np.abs(ds["width"].values[:, :, i] - 8.0) < 0.1)
    ga, ge = ds["group_area"].isel(nucleus=0), ds["group_area_err"].isel(nucleus=0)
    scale = ga.sel(group="electrolyte").values / np.array([t["7Li"]["llzo"] for t in truth])
    got = ga.sel(group="electrode").values / scale
    want = np.array([t["7Li"]["electrode"] for t in truth])
    z = (got - want) / (ge.sel(group="electrode").values / scale)
    assert np.all(np.abs(z) < 3.5), z
