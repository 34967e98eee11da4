"""A dendritic line that moves within hours: the centre drift needs knots every few hours.

Generator: ``pairgen.py`` (numpy FIDs of known Lorentzians, TopSpin files; no dendritemr code).
A 30 h paired 6Li/7Li series (16 time points, SNR 300), a 6Li-enriched electrode (x6 0.95, skin
phase -45 deg), a natural-abundance LLZO line and one dendritic line (x6 0.5) that grows and moves
from +5 to +13 ppm above the electrode between 8 and 16 h (a deposit joined by filaments changes
its shape, hence its susceptibility shift). One cubic in time for the whole run (4 coefficients)
follows the move only roughly, and its misfit spreads over the whole run; with a knot every 6 h
(``n_coef="auto"``, ``CENTRE_KNOT_SPACING_H``) the centre follows it.
"""

from __future__ import annotations

import numpy as np
import pairgen as pg
import pytest

from dendritemr.quant import decompose as D

HOURS = np.linspace(0.0, 30.0, 16)
ELECTRODE = 250.0


def _offset(h):
    return 5.0 + 8.0 * np.clip((h - 8.0) / 8.0, 0.0, 1.0)


def _lines(h):
    return [
        pg.GenLine("electrode", ELECTRODE, 8.0, 1.0, 0.95, bulk=True, phase_deg=-45.0),
        pg.GenLine("micro", ELECTRODE + _offset(h), 5.0, 0.02 + 0.006 * h, 0.5),
        pg.GenLine("llzo", 1.5, 6.0, 3.0, 0.0759),
    ]


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    root = tmp_path_factory.mktemp("moving")
    pg.write_series(root, _lines, HOURS, snr=300.0, seed=4242)
    s7, s6 = pg.read_series(root)
    truth = [pg.line_areas(_lines(h)) for h in HOURS]
    return s7, s6, truth


def _fit(series, n_coef):
    s7, s6, _ = series
    return D.decompose(
        [s7, s6],
        n_micro=1,
        broad=False,
        deposit=False,
        electrode_ppm=ELECTRODE,
        n_coef=n_coef,
        dendritic="lines",  # the centre of a fitted line is what is tested
    )


def test_centre_coefficients_follow_the_run_length():
    assert D.centre_coefficients(np.linspace(0, 4, 50)) == 4
    assert D.centre_coefficients(np.linspace(0, 6, 13)) == 4
    assert D.centre_coefficients(np.linspace(0, 30, 16)) == 8
    assert D.centre_coefficients(np.linspace(0, 39, 79)) == 10
    assert D.centre_coefficients([0.0, np.nan]) == 4


def _centre_error(ds):
    c = ds["center"].sel(component="microstructure") - ds["center"].sel(component="electrode")
    return np.abs(c.values - _offset(HOURS))


def test_moving_line_is_followed_with_knots_every_six_hours(series):
    """A line that moves by 8 ppm over 8 h: with a knot every 6 h its centre is followed to
    < 1 ppm at every time (largest error 0.88 / 0.89 ppm, seeds 4242 / 4243), one cubic misses
    it by about twice that (1.74 / 1.81 ppm) and everywhere along the run.
    Areas of a line 5 ppm from the 8 ppm wide electrode are sensitive to its centre (0.1 ppm off
    moves the 6Li area by several errors at SNR 300), so the area errors near the move are larger
    than the statistical ones -- the limit of a smooth drift, stated in docs/quantification.md."""
    knots = _centre_error(_fit(series, "auto"))
    stiff = _centre_error(_fit(series, 4))
    print("centre error: knots", knots.round(2), "one cubic", stiff.round(2))
    assert knots.max() < 1.0
    assert stiff.max() > 1.5 * knots.max()
