"""What the dendritic comb can represent: noise-free least-squares projections (issue 8).

A single complex spectrum (160-360 ppm, 0.05 ppm steps, relative to an electrode at 250 ppm) is
fitted by linear least squares with real coefficients: the electrode (8 ppm FWHM, skin phase
-45 deg), a dendritic basis of absorptive Lorentzians, and the complex quadratic baseline of
``quant.decompose``. The target is one absorptive dendritic line of unit area. Printed per basis:
the area the dendritic basis recovers (1 is right), what the electrode takes (0 is right), and
the standard error of the dendritic sum for unit white noise (relative: the cost of the basis's
freedom). Plain numpy, independent of ``fit.joint``.

Run: ``python benchmarks/comb_basis.py``. The comb of ``decompose`` (3-ppm lines every 3 ppm
over -12..+12 ppm) recovers 0.61 of a 14-ppm line 3 ppm below the electrode and gives 0.16 to the
electrode; with one broad line (here at the true shape) beside it, 1.00 and 0.00.
"""

from __future__ import annotations

import numpy as np

X = np.arange(160.0, 360.0, 0.05) - 250.0


def lorentzian(centre: float, fwhm: float) -> np.ndarray:
    """Complex unit-area Lorentzian, absorptive real part."""
    return 1.0 / (np.pi * (fwhm / 2 + 1j * (X - centre)))


ELECTRODE = np.exp(-1j * np.pi / 4) * lorentzian(0.0, 8.0)
_U = X / 100.0
BASELINE = [_U**0, _U, _U**2, 1j * _U**0, 1j * _U, 1j * _U**2]
COMB = [(o, 3.0) for o in np.arange(-12.0, 12.1, 3.0)]
TARGETS = {
    "14 ppm at -3": (-3.0, 14.0),
    "14 ppm at -8": (-8.0, 14.0),
    "14 ppm at +7": (7.0, 14.0),
    "5 ppm at +3": (3.0, 5.0),
    "6 ppm at +2": (2.0, 6.0),
    "25 ppm at 0": (0.0, 25.0),
}
BASES = {
    "comb -12..12 (decompose)": COMB,
    "comb -24..24": [(o, 3.0) for o in np.arange(-24.0, 24.1, 3.0)],
    "comb + 14 ppm at -3": [*COMB, (-3.0, 14.0)],
    "comb + 14 ppm at 0": [*COMB, (0.0, 14.0)],
    "comb + 10 ppm every 6": [*COMB, *((o, 10.0) for o in np.arange(-12.0, 12.1, 6.0))],
}


def project(basis: list[tuple[float, float]], target: np.ndarray) -> tuple[float, float, float]:
    """(dendritic area, electrode area, standard error of the dendritic sum)."""
    cols = [ELECTRODE] + [lorentzian(c, w) for c, w in basis] + BASELINE
    a = np.column_stack(cols)
    ar = np.vstack([a.real, a.imag])
    cov = np.linalg.pinv(ar.T @ ar)
    coef = cov @ (ar.T @ np.concatenate([target.real, target.imag]))
    w = np.zeros(ar.shape[1])
    w[1 : 1 + len(basis)] = 1.0
    return float(coef[1 : 1 + len(basis)].sum()), float(coef[0]), float(np.sqrt(w @ cov @ w))


def main() -> None:
    print("dendritic area / electrode area of a unit dendritic line (noise-free)")
    print(f"{'basis':28s} {'SE':>8s}  " + "  ".join(f"{k:>14s}" for k in TARGETS))
    for name, basis in BASES.items():
        cells, se = [], 0.0
        for c, w in TARGETS.values():
            den, el, se = project(basis, lorentzian(c, w))
            cells.append(f"{den:6.3f}/{el:+6.3f}")
        print(f"{name:28s} {se:8.1f}  " + "  ".join(f"{x:>14s}" for x in cells))


if __name__ == "__main__":
    main()
