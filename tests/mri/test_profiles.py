"""Penetration depths and their standard errors (``mri/profiles.py``) on hand-made profiles."""

from __future__ import annotations

import numpy as np

from dendritemr.mri.profiles import _front_depths, depth_errors

PIX_UM = 20.0
Z = (np.arange(40) + 0.5) * PIX_UM * 1e-3  # row centres, mm; faces at 0 and 0.8 mm
Z_B, Z_A = 0.0, 0.8


def test_clear_front_error_is_the_pixel_quantisation():
    # metal 100 SE per row in the first 10 rows from B, none beyond: the walk always stops
    # there, so the error is the tip's position within its row, pixel / sqrt(12)
    p = np.where(np.arange(40) < 10, 100.0, 0.0)
    e = np.ones(40)
    db, da = _front_depths(p, e, Z, Z_B, Z_A, 3.0, 1, 2.0)
    assert db == 190.0 and da == 0.0
    eb, ea = depth_errors(p, e, Z, Z_B, Z_A, PIX_UM)
    np.testing.assert_allclose([eb, ea], PIX_UM / np.sqrt(12.0), rtol=1e-12)


def test_marginal_tip_row_half_the_draws():
    # the last row sits exactly at the front threshold (3 SE), the one before at 100 SE and the
    # one after it is empty: half of the draws keep the last row, half stop a row short, so the
    # bootstrap spread is pixel / 2 (binomial SD of a 0/1 pixel step with p = 1/2)
    p = np.zeros(40)
    p[:9] = 100.0
    p[9] = 3.0
    e = np.ones(40)
    eb, _ = depth_errors(p, e, Z, Z_B, Z_A, PIX_UM, draws=4000, seed=7)
    expected = np.sqrt((PIX_UM / 2) ** 2 + PIX_UM**2 / 12.0)
    assert abs(eb - expected) < 0.05 * expected


def test_bootstrap_error_tracks_the_sampling_spread():
    # a front tapering from 8 to 1 SE over 8 rows: the depth's spread over 600 noise
    # realisations against the median bootstrap error of 40 single realisations
    rng = np.random.default_rng(20261130)
    true = np.zeros(40)
    true[:8] = np.linspace(8.0, 1.0, 8)
    e = np.ones(40)
    depths = [
        _front_depths(true + rng.standard_normal(40), e, Z, Z_B, Z_A, 3.0, 1, 2.0)[0]
        for _ in range(600)
    ]
    sampling = np.sqrt(np.var(depths, ddof=1) + PIX_UM**2 / 12.0)
    boot = [
        depth_errors(true + rng.standard_normal(40), e, Z, Z_B, Z_A, PIX_UM, draws=100)[0]
        for _ in range(40)
    ]
    ratio = np.median(boot) / sampling
    assert 0.6 < ratio < 1.5, ratio
