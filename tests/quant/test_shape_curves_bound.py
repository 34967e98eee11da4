"""The held electrode shape's error propagation at a bound of its width (helper 30's finding:
natural-Li seed 53 stopped with a bare ValueError when the 0.01 ppm step left the bounds)."""

import numpy as np

from dendritemr.fit.drift import scaled_time
from dendritemr.fit.joint import JointProblem, Line, NucleusData, PhaseGroup, complex_lorentzian
from dendritemr.quant.decompose import _shape_curves


def _problem(width):
    x = np.linspace(150.0, 350.0, 400)
    y = 100.0 * np.exp(-0.7854j) * complex_lorentzian(x - 248.0, width)
    data = [NucleusData(x, np.zeros(x.size, int), np.tile(y, (3, 1)), np.ones(3))]
    line = Line("electrode", 248.0, (200.0, 300.0), width=width, width_bounds=(0.3, 30.0),
                phase_group="skin", fixed=True)  # fmt: skip
    p = JointProblem(data, [line], [PhaseGroup("skin", -0.7854, (-1.6, 0.2), fixed=True)],
                     scaled_time(np.arange(3.0)), drift="shared")  # fmt: skip
    theta = p.initial_theta({"area": np.full((1, 3, 1), 100.0)})
    return p, theta


def test_width_derivative_at_its_lower_bound_is_one_sided_and_right():
    p, theta = _problem(0.3)
    at_bound = _shape_curves(p, theta, "width")[0]
    assert p.lines[0].width == 0.3  # the held line is restored
    # analytic d/dw of a * exp(i psi) * L(x; w) at w = 0.3 + 0.005 (midpoint of the step)
    x = p.nuclei[0].x
    w, h = 0.305, 1e-6
    ref = (
        100.0
        * np.exp(-0.7854j)
        * (complex_lorentzian(x - 248.0, w + h) - complex_lorentzian(x - 248.0, w - h))
        / (2 * h)
    )
    assert np.allclose(at_bound[0], ref, rtol=0.05, atol=0.05 * np.abs(ref).max())
    inside = _shape_curves(_problem(5.0)[0], _problem(5.0)[1], "width")[0]
    assert np.all(np.isfinite(inside))
