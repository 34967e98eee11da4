"""Linear operators with adjoints for MR reconstruction (the model: SigPy's ``sigpy/linop.py``).

A :class:`Linop` maps arrays of shape ``ishape`` to arrays of shape ``oshape``; ``A(x)`` applies
it, ``A.H`` is its adjoint (``<A x, y> = <x, A.H y>``, tested for every operator), ``A * B`` is
the composition (``B`` first). Arrays may be numpy or CuPy (:mod:`dendritemr.backend`): the
operators use the array's own module.

Operators (the reconstruction chain of :mod:`dendritemr.mri.recon` is made of these):

- :class:`FFT`: unitary DFT over ``axes``, centred (index ``j - N // 2``) or not on either side;
  ``inverse=True`` the inverse DFT; the adjoint of one is the other.
- :class:`Multiply`: element-wise weights broadcast to ``ishape`` (apodisation, density
  weights, sampling masks, scalar scaling); adjoint: the conjugate weights.
- :class:`Embed`: places the input inside a larger zero array at given offsets (zero filling
  at the end of a FID, centred zero filling of k-space, the missing lines of partial Fourier);
  adjoint: :class:`Crop`.
- :class:`Crop`: the inverse selection; adjoint: :class:`Embed`.
- :class:`Flip`: reverses an axis (spectra from high to low ppm); self-adjoint and unitary.
- :class:`Transpose`: permutes axes; adjoint: the inverse permutation.
- :class:`Identity`, :class:`Compose`.

Raises :class:`dendritemr.errors.ProcessingError` for an input of the wrong shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dendritemr import backend
from dendritemr.errors import ProcessingError

__all__ = [
    "Linop",
    "Identity",
    "Compose",
    "FFT",
    "Multiply",
    "Embed",
    "Crop",
    "Flip",
    "Transpose",
]


def _shape(shape: Sequence[int]) -> tuple[int, ...]:
    return tuple(int(n) for n in shape)


def _axes(axes: Sequence[int], ndim: int) -> tuple[int, ...]:
    out = tuple(sorted({int(a) % ndim for a in axes}))
    if len(out) != len(tuple(axes)):
        raise ProcessingError(f"repeated axes {tuple(axes)}")
    return out


class Linop:
    """A linear operator from arrays of ``ishape`` to arrays of ``oshape``."""

    def __init__(self, oshape: Sequence[int], ishape: Sequence[int]):
        self.oshape = _shape(oshape)
        self.ishape = _shape(ishape)

    def __call__(self, x: Any) -> Any:
        if tuple(x.shape) != self.ishape:
            raise ProcessingError(
                f"{type(self).__name__}: input shape {tuple(x.shape)} != {self.ishape}"
            )
        return self._apply(x)

    def _apply(self, x: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _adjoint(self) -> Linop:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def H(self) -> Linop:  # noqa: N802 - field-standard name (SigPy, BART)
        """The adjoint operator."""
        return self._adjoint()

    def __mul__(self, other: Linop) -> Linop:
        if not isinstance(other, Linop):
            return NotImplemented
        return Compose([self, other])

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.ishape} -> {self.oshape}>"


class Identity(Linop):
    """``x -> x``."""

    def __init__(self, shape: Sequence[int]):
        super().__init__(shape, shape)

    def _apply(self, x):
        return x

    def _adjoint(self):
        return self


class Compose(Linop):
    """``ops[0] * ops[1] * ...`` (the last is applied first)."""

    def __init__(self, ops: Sequence[Linop]):
        flat: list[Linop] = []
        for op in ops:
            flat.extend(op.ops if isinstance(op, Compose) else [op])
        for a, b in zip(flat[:-1], flat[1:], strict=True):
            if a.ishape != b.oshape:
                raise ProcessingError(
                    f"cannot compose {a!r} after {b!r}: shapes {b.oshape} and {a.ishape}"
                )
        self.ops = flat
        super().__init__(flat[0].oshape, flat[-1].ishape)

    def _apply(self, x):
        for op in reversed(self.ops):
            x = op._apply(x)
        return x

    def _adjoint(self):
        return Compose([op.H for op in reversed(self.ops)])


class FFT(Linop):
    """Unitary DFT over ``axes``: ``y_k = N^-1/2 sum_j x_j exp(-2 pi i k j / N)`` (``inverse=True``:
    the ``+`` sign, the inverse DFT).

    ``centre_in`` / ``centre_out``: the input / output index runs from ``-N // 2`` (centred, as
    k-space and image space) instead of from 0 (as the time points of a FID). The adjoint is the
    DFT of the other sign with ``centre_in`` and ``centre_out`` exchanged.
    """

    def __init__(
        self,
        shape: Sequence[int],
        axes: Sequence[int],
        inverse: bool = False,
        centre_in: bool = True,
        centre_out: bool = True,
    ):
        super().__init__(shape, shape)
        self.axes = _axes(axes, len(self.ishape))
        self.inverse = bool(inverse)
        self.centre_in = bool(centre_in)
        self.centre_out = bool(centre_out)

    def _apply(self, x):
        xp = backend.get_array_module(x)
        if self.centre_in:
            x = xp.fft.ifftshift(x, axes=self.axes)
        f = backend.ifftn if self.inverse else backend.fftn
        y = f(x, self.axes, overwrite_x=self.centre_in, norm="ortho")
        return xp.fft.fftshift(y, axes=self.axes) if self.centre_out else y

    def _adjoint(self):
        return FFT(
            self.ishape,
            self.axes,
            inverse=not self.inverse,
            centre_in=self.centre_out,
            centre_out=self.centre_in,
        )


class Multiply(Linop):
    """``x -> w x`` with ``w`` broadcast to ``shape`` (a scalar, or an array that broadcasts)."""

    def __init__(self, shape: Sequence[int], weights: Any):
        super().__init__(shape, shape)
        w = weights
        if np.ndim(w) and np.broadcast_shapes(np.shape(w), self.ishape) != self.ishape:
            raise ProcessingError(f"weights of shape {np.shape(w)} do not broadcast to {shape}")
        self.weights = w

    def _apply(self, x):
        w = self.weights
        if np.ndim(w):
            w = backend.get_array_module(x).asarray(w)
        return x * w

    def _adjoint(self):
        w = self.weights
        conj = np.conj(w) if np.ndim(w) == 0 else backend.get_array_module(w).conj(w)
        return Multiply(self.ishape, conj)


class Embed(Linop):
    """Place an ``ishape`` array in a zero array of ``oshape`` starting at ``offsets``.

    Zero filling of a FID: offset 0 on the time axis; centred zero filling of k-space: offset
    ``(N_out - N_in + 1) // 2`` (keeps the index ``-N // 2`` convention of :class:`FFT`);
    partial Fourier: the unacquired lines are the zeros before the offset.
    """

    def __init__(self, oshape: Sequence[int], ishape: Sequence[int], offsets: Sequence[int]):
        super().__init__(oshape, ishape)
        offsets = _shape(offsets)
        if len(offsets) != len(self.ishape) or len(self.oshape) != len(self.ishape):
            raise ProcessingError("Embed: oshape, ishape and offsets need one entry per axis")
        for o, n, m in zip(offsets, self.ishape, self.oshape, strict=True):
            if o < 0 or o + n > m:
                raise ProcessingError(f"Embed: {self.ishape} at {offsets} does not fit {oshape}")
        self.offsets = offsets
        self.index = tuple(slice(o, o + n) for o, n in zip(offsets, self.ishape, strict=True))

    def _apply(self, x):
        xp = backend.get_array_module(x)
        out = xp.zeros(self.oshape, dtype=x.dtype)
        out[self.index] = x
        return out

    def _adjoint(self):
        return Crop(self.ishape, self.oshape, self.offsets)


class Crop(Linop):
    """Take the ``oshape`` block at ``offsets`` out of an ``ishape`` array (adjoint of Embed)."""

    def __init__(self, oshape: Sequence[int], ishape: Sequence[int], offsets: Sequence[int]):
        super().__init__(oshape, ishape)
        self._embed = Embed(ishape, oshape, offsets)

    def _apply(self, x):
        return x[self._embed.index].copy()

    def _adjoint(self):
        return self._embed


class Flip(Linop):
    """Reverse ``axis`` (unitary and self-adjoint)."""

    def __init__(self, shape: Sequence[int], axis: int):
        super().__init__(shape, shape)
        self.axis = int(axis) % len(self.ishape)

    def _apply(self, x):
        return backend.get_array_module(x).flip(x, self.axis)

    def _adjoint(self):
        return self


class Transpose(Linop):
    """``x -> x.transpose(axes)`` (output axis ``i`` is input axis ``axes[i]``)."""

    def __init__(self, ishape: Sequence[int], axes: Sequence[int]):
        ishape = _shape(ishape)
        axes = tuple(int(a) for a in axes)
        if sorted(axes) != list(range(len(ishape))):
            raise ProcessingError(f"Transpose: {axes} is not a permutation of {len(ishape)} axes")
        super().__init__(tuple(ishape[a] for a in axes), ishape)
        self.axes = axes

    def _apply(self, x):
        return backend.get_array_module(x).transpose(x, self.axes)

    def _adjoint(self):
        return Transpose(self.oshape, tuple(np.argsort(self.axes)))
