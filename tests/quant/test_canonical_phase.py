"""The spectrum-phase ambiguity of a fit with unbounded areas: phi0 + pi with every area negated
is the same model; the decomposition returns the copy whose areas sum to >= 0."""

import numpy as np

from dendritemr.fit.drift import scaled_time
from dendritemr.fit.joint import JointProblem, Line, NucleusData, PhaseGroup
from dendritemr.quant.decompose import _canonical_phase


def test_flipped_spectra_come_back_with_positive_areas():
    x = np.concatenate([np.linspace(160.0, 360.0, 200), np.linspace(-40.0, 40.0, 80)])
    win = np.concatenate([np.zeros(200, int), np.ones(80, int)])
    nt = 4
    data = [NucleusData(x, win, np.zeros((nt, x.size), complex), np.ones(nt), period=800.0)]
    lines = [
        Line("electrode", 250.0, (200.0, 300.0), width=8.0, phase_group="skin"),
        Line("microstructure", 12.0, (4.0, 45.0), relative_to="electrode", width=5.0),
        Line("electrolyte", 1.5, (-30.0, 30.0), width=6.0),
    ]
    p = JointProblem(
        data, lines, [PhaseGroup("skin", -0.78, (-1.6, 0.2))], scaled_time(np.arange(nt))
    )
    theta = p.initial_theta({})
    areas = [b for b in p.blocks[: p.n_local] if b.kind == "area"]
    phi = next(b for b in p.blocks if b.kind == "phi0")
    for b, a in zip(areas, (5.0, 1.0, 20.0), strict=True):
        theta[b.start : b.start + nt] = a
    theta[phi.start : phi.start + nt] = 0.3
    model = p.residual(theta)
    flipped = theta.copy()
    for b in areas:  # spectra 1 and 3 in the flipped copy
        flipped[b.start + 1] *= -1
        flipped[b.start + 3] *= -1
    flipped[phi.start + 1] += np.pi
    flipped[phi.start + 3] -= np.pi
    assert np.allclose(p.residual(flipped), model)  # the same model
    back = _canonical_phase(p, flipped)
    assert np.allclose(back, theta)
