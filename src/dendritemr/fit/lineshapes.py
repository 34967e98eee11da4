"""Area-normalised NMR lineshapes with dispersion, phase and analytic partial derivatives.

Every lineshape has one signature::

    f(x, amplitude, center, width, [eta,] phase=0.0, *, part="real")

with ``x`` and ``center`` in ppm, ``width`` the full width at half maximum (FWHM) of the
absorption line in ppm, and ``amplitude`` the integrated area of the absorption line in
(signal units) x ppm, so that ``integral f dx = amplitude`` exactly when ``phase = 0``.
All arguments broadcast against each other (numpy rules).

Each line is the real part of a complex profile::

    f = Re[amplitude * exp(i * phase) * (A(u) + i D(u))],      u = x - center,

where ``A`` is the unit-area absorption line and ``D`` its dispersion partner (the Hilbert
transform, with the sign convention ``D(u) > 0`` for ``u > 0``). A phase of ``phase`` radians
therefore mixes in ``-sin(phase) * D``: bulk Li metal, probed through its skin depth, shows up
to 45 degrees (pi/4) of such dispersion admixture relative to the electrolyte line
(Bhattacharyya et al., Nat. Mater. 9, 504 (2010)). ``part="complex"`` returns the complex
profile ``amplitude * exp(i phase) * (A + i D)`` instead of its real part.

Profiles (HWHM ``g = width / 2``):

- Lorentzian: ``A + iD = 1 / (pi (g - i u))``.
- Gaussian: ``A + iD = (a / sqrt(pi)) w(a u)`` with ``a = sqrt(ln 2) / g`` and
  ``w(z) = exp(-z^2) + 2i/sqrt(pi) F(z)`` the Faddeeva function on the real axis
  (``F``: Dawson's integral).
- pseudo-Voigt: ``eta * Lorentzian + (1 - eta) * Gaussian`` with a common FWHM,
  ``0 <= eta <= 1``.

:func:`partials` gives the analytic derivatives of ``f`` with respect to every parameter
(used to build fit Jacobians and Fisher information).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import dawsn

ArrayLike = float | np.ndarray

_TINY = 1.0e-12  # ppm: guard against zero or negative widths
_SQRT_PI = np.sqrt(np.pi)
_SQRT_LN2 = np.sqrt(np.log(2.0))


# profile(u, width, eta, derivs) -> (A, D) or (A, D, dA/du, dD/du, dA/dw, dD/dw, dA/deta, dD/deta),
# real arrays (absorption and dispersion parts kept apart: half the memory traffic of complex),
# newly allocated; a profile may overwrite u (callers pass a fresh array of offsets)
ProfileFunc = Callable[[np.ndarray, np.ndarray, np.ndarray, bool], tuple[np.ndarray, ...]]


def lorentz_terms(
    u: np.ndarray,
    hwhm: np.ndarray,
    out: tuple[np.ndarray, ...] | None = None,
    work: tuple[np.ndarray, np.ndarray] | None = None,
    squares: bool = True,
) -> tuple[np.ndarray, ...]:
    """The Lorentzian as ``z = 1 / (g - i u)`` and ``z^2``, real and imaginary parts apart.

    ``A + i D = z / pi`` (unit-area absorption and dispersion), ``d(A + iD)/du = i z^2 / pi``
    and ``d(A + iD)/dg = -z^2 / pi``; every Lorentzian value and derivative is a real linear
    combination of the four arrays returned.

    Parameters
    ----------
    u : offsets ``x - center``, ppm.
    hwhm : half width at half maximum ``g`` (> 0), ppm; broadcasts against ``u``.
    out : optional float arrays of the broadcast shape to write the results into.
    work : optional two scratch float arrays of the broadcast shape, apart from ``out`` in
        memory; ``u`` may be ``work[0]`` (overwritten). With ``out`` and ``work`` nothing is
        allocated, and no operation reads the array it writes through another view (numpy
        would copy such operands first).
    squares : also return the parts of ``z^2`` (otherwise only ``Re z, Im z``).

    Returns
    -------
    tuple
        ``(Re z, Im z, Re z^2, Im z^2 / 2)`` = ``(g, u, g^2 - u^2, g u) / (g^2 + u^2)^k``
        (``k`` = 1, 1, 2, 2), in 1/ppm and 1/ppm^2.
    """
    g = hwhm
    shape = np.broadcast_shapes(np.shape(u), np.shape(g))
    if out is None:
        out = tuple(np.empty(shape) for _ in range(4 if squares else 2))
    if work is None:
        work = (np.empty(shape), np.empty(shape))
    off, inv = work
    if off is not u:
        np.copyto(off, u)
    np.multiply(off, off, out=inv)
    inv += g * g
    np.reciprocal(inv, out=inv)  # 1 / (g^2 + u^2)
    re, im = out[0], out[1]
    np.multiply(off, inv, out=im)  # u / (g^2 + u^2)
    np.multiply(inv, g, out=re)  # g / (g^2 + u^2)
    if not squares:
        return re, im
    re2, half_im2 = out[2], out[3]
    inv *= inv
    np.multiply(off, inv, out=half_im2)
    half_im2 *= g  # g u / (g^2 + u^2)^2
    off *= off
    np.subtract(g * g, off, out=off)
    np.multiply(off, inv, out=re2)  # (g^2 - u^2) / (g^2 + u^2)^2
    return re, im, re2, half_im2


def _lorentz(u: np.ndarray, width: np.ndarray, eta: np.ndarray, derivs: bool):
    # A + iD = z / pi with z = 1 / (g - i u), g = width / 2 (see lorentz_terms)
    shape = np.broadcast_shapes(np.shape(u), np.shape(width))
    own = isinstance(u, np.ndarray) and u.shape == shape and u.dtype == float and u.flags.writeable
    off = u if own else np.array(np.broadcast_to(u, shape), dtype=float)
    terms = lorentz_terms(off, 0.5 * width, work=(off, np.empty(shape)), squares=derivs)
    re, im = terms[0], terms[1]
    re *= 1.0 / np.pi
    im *= 1.0 / np.pi
    if not derivs:
        return re, im
    # d(A + iD)/du = i z^2 / pi;  d/dwidth = (1/2) d/dg = -z^2 / (2 pi)
    da_du = np.multiply(terms[3], -2.0 / np.pi, out=terms[3])
    dd_du = np.multiply(terms[2], 1.0 / np.pi, out=terms[2])
    zero = np.zeros((), dtype=float)
    return re, im, da_du, dd_du, dd_du * -0.5, da_du * 0.5, zero, zero


def _gauss(u: np.ndarray, width: np.ndarray, eta: np.ndarray, derivs: bool):
    k = 2.0 * _SQRT_LN2 / width  # 1/ppm
    z = k * u
    e = np.exp(-z * z)
    f = dawsn(z)
    a = (k / _SQRT_PI) * e
    d = (2.0 * k / np.pi) * f
    if not derivs:
        return a, d
    da_du = -2.0 * k * z * a
    dd_du = (2.0 * k * k / np.pi) * (1.0 - 2.0 * z * f)
    da_dw = -(a / width) * (1.0 - 2.0 * z * z)
    dd_dw = -(2.0 * k / (np.pi * width)) * (f + z - 2.0 * z * z * f)
    zero = np.zeros((), dtype=float)
    return a, d, da_du, dd_du, da_dw, dd_dw, zero, zero


def _pseudo_voigt(u: np.ndarray, width: np.ndarray, eta: np.ndarray, derivs: bool):
    gau = _gauss(u, width, eta, derivs)
    lor = _lorentz(u, width, eta, derivs)  # may overwrite u: last
    g = 1.0 - eta
    out = [eta * pl + g * pg for pl, pg in zip(lor[:6], gau[:6], strict=False)]
    if derivs:
        out += [lor[0] - gau[0], lor[1] - gau[1]]
    return tuple(out)


@dataclass(frozen=True)
class Lineshape:
    """A named unit-area complex profile and the parameters its lineshape takes.

    Attributes
    ----------
    name : registry key, e.g. ``"lorentzian"``.
    params : parameter names in signature order (``amplitude, center, width, [eta,] phase``).
    profile : function ``(u, width, eta, derivs)`` returning the unit-area absorption and
        dispersion ``(A, D)`` and, when ``derivs``, also ``dA/du, dD/du, dA/dwidth, dD/dwidth,
        dA/deta, dD/deta`` (real arrays; ``u`` and ``width`` in ppm).
    """

    name: str
    params: tuple[str, ...]
    profile: ProfileFunc


_BASE = ("amplitude", "center", "width")
SHAPES: dict[str, Lineshape] = {
    "lorentzian": Lineshape("lorentzian", (*_BASE, "phase"), _lorentz),
    "gaussian": Lineshape("gaussian", (*_BASE, "phase"), _gauss),
    "pseudo_voigt": Lineshape("pseudo_voigt", (*_BASE, "eta", "phase"), _pseudo_voigt),
}


def get_shape(name: str) -> Lineshape:
    """Return the registered :class:`Lineshape` called ``name`` (ValueError if unknown)."""
    try:
        return SHAPES[name]
    except KeyError:
        raise ValueError(f"unknown lineshape {name!r}; choose from {sorted(SHAPES)}") from None


def _prepare(x, center, width, eta):
    """Offsets, guarded widths (``|width|``, at least 1e-12 ppm) and their signs."""
    u = np.asarray(x, dtype=float) - np.asarray(center, dtype=float)
    width = np.asarray(width, dtype=float)
    sign = np.where(width < 0, -1.0, 1.0)
    return u, np.maximum(np.abs(width), _TINY), np.asarray(eta, dtype=float), sign


def evaluate(
    shape: str | Lineshape,
    x: ArrayLike,
    amplitude: ArrayLike = 1.0,
    center: ArrayLike = 0.0,
    width: ArrayLike = 1.0,
    eta: ArrayLike = 0.5,
    phase: ArrayLike = 0.0,
    *,
    part: str = "real",
) -> np.ndarray:
    """Evaluate lineshape ``shape`` (see module docstring for units and conventions).

    Parameters
    ----------
    shape : registered name or :class:`Lineshape`.
    x : positions, ppm.
    amplitude : integrated absorption area, signal x ppm (may be complex).
    center : line position, ppm.
    width : FWHM, ppm; the line depends on ``|width|`` only (at least 1e-12 ppm), so fits
        need no positivity bound.
    eta : Lorentzian fraction (pseudo-Voigt only; ignored otherwise).
    phase : dispersion admixture, rad.
    part : ``"real"`` for the real spectrum, ``"complex"`` for absorption + i dispersion.

    Returns
    -------
    numpy.ndarray
        Broadcast shape of all inputs; float for ``part="real"``, complex otherwise.
    """
    ls = shape if isinstance(shape, Lineshape) else get_shape(shape)
    if part not in ("real", "complex"):
        raise ValueError(f"part must be 'real' or 'complex', not {part!r}")
    u, width, eta, _ = _prepare(x, center, width, eta)
    a, d = ls.profile(u, width, eta, False)
    phase = np.asarray(phase, dtype=float)
    amp = np.asarray(amplitude)
    if part == "complex":
        return amp * np.exp(1j * phase) * (a + 1j * d)
    cos, sin = np.cos(phase), np.sin(phase)
    if amp.dtype.kind == "f" and a.shape == d.shape == np.broadcast_shapes(
        a.shape, amp.shape, phase.shape
    ):  # a and d are new arrays of the full shape: rotate in place, no temporaries
        a *= amp * cos
        if np.any(sin):
            d *= amp * sin
            a -= d
        return a
    return _rotate(amp, cos, sin, a, d)


def partials(
    shape: str | Lineshape,
    x: ArrayLike,
    amplitude: ArrayLike = 1.0,
    center: ArrayLike = 0.0,
    width: ArrayLike = 1.0,
    eta: ArrayLike = 0.5,
    phase: ArrayLike = 0.0,
) -> dict[str, np.ndarray]:
    """Analytic partial derivatives of the real lineshape with respect to every parameter.

    Parameters are those of :func:`evaluate` (``amplitude`` real here).

    Returns
    -------
    dict
        ``{"value", "amplitude", "center", "width", "eta", "phase"}`` -> arrays of the broadcast
        shape: the lineshape itself, d f/d amplitude (1/ppm), d f/d center (signal/ppm^2 x ppm),
        d f/d width, d f/d eta, d f/d phase (per rad). ``eta`` is all zeros for shapes without it.
    """
    ls = shape if isinstance(shape, Lineshape) else get_shape(shape)
    u, width, eta, sign = _prepare(x, center, width, eta)
    a, d, da_du, dd_du, da_dw, dd_dw, da_de, dd_de = ls.profile(u, width, eta, True)
    phase = np.asarray(phase, dtype=float)
    amp = np.asarray(amplitude, dtype=float)
    cos, sin = np.cos(phase), np.sin(phase)
    unit = _rotate(1.0, cos, sin, a, d)
    value = amp * unit
    shape = value.shape
    return {
        "value": value,
        "amplitude": np.broadcast_to(unit, shape),
        "center": -_rotate(amp, cos, sin, da_du, dd_du),
        "width": sign * _rotate(amp, cos, sin, da_dw, dd_dw),
        "eta": np.broadcast_to(_rotate(amp, cos, sin, da_de, dd_de), shape),
        "phase": -_rotate(amp, sin, -cos, a, d),
    }


def _rotate(amp, cos, sin, a, d) -> np.ndarray:
    """``Re[amp exp(i phase) (a + i d)] = amp (cos a - sin d)``, skipping a zero phase."""
    if not np.any(sin):
        return (amp * cos) * a
    return (amp * cos) * a - (amp * sin) * d


def lorentzian(
    x: ArrayLike,
    amplitude: ArrayLike = 1.0,
    center: ArrayLike = 0.0,
    width: ArrayLike = 1.0,
    phase: ArrayLike = 0.0,
    *,
    part: str = "real",
) -> np.ndarray:
    """Lorentzian line of integrated area ``amplitude`` and FWHM ``width`` (ppm)."""
    return evaluate("lorentzian", x, amplitude, center, width, 0.0, phase, part=part)


def gaussian(
    x: ArrayLike,
    amplitude: ArrayLike = 1.0,
    center: ArrayLike = 0.0,
    width: ArrayLike = 1.0,
    phase: ArrayLike = 0.0,
    *,
    part: str = "real",
) -> np.ndarray:
    """Gaussian line of integrated area ``amplitude`` and FWHM ``width`` (ppm)."""
    return evaluate("gaussian", x, amplitude, center, width, 0.0, phase, part=part)


def pseudo_voigt(
    x: ArrayLike,
    amplitude: ArrayLike = 1.0,
    center: ArrayLike = 0.0,
    width: ArrayLike = 1.0,
    eta: ArrayLike = 0.5,
    phase: ArrayLike = 0.0,
    *,
    part: str = "real",
) -> np.ndarray:
    """Pseudo-Voigt line (Lorentzian fraction ``eta``) of area ``amplitude``, FWHM ``width``."""
    return evaluate("pseudo_voigt", x, amplitude, center, width, eta, phase, part=part)
