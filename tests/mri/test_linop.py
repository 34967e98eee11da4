"""Every operator: <A x, y> = <x, A^H y> to 1e-10, shapes, and the FFT against numpy's DFT."""

from __future__ import annotations

import numpy as np
import pytest

from dendritemr.errors import ProcessingError
from dendritemr.mri.linop import FFT, Compose, Crop, Embed, Flip, Identity, Multiply, Transpose
from dendritemr.mri.recon import reconstruction_operator


def _rand(rng, shape):
    return rng.normal(size=shape) + 1j * rng.normal(size=shape)


def _adjoint_gap(op, seed=0):
    rng = np.random.default_rng(seed)
    x, y = _rand(rng, op.ishape), _rand(rng, op.oshape)
    lhs = np.vdot(op(x), y)
    rhs = np.vdot(x, op.H(y))
    return abs(lhs - rhs) / (np.linalg.norm(x) * np.linalg.norm(y))


SHAPE = (3, 8, 7, 10)
OPERATORS = {
    "identity": lambda: Identity(SHAPE),
    "fft-centred": lambda: FFT(SHAPE, (1, 2)),
    "ifft-centred": lambda: FFT(SHAPE, (1, 2), inverse=True),
    "fft-time": lambda: FFT(SHAPE, (3,), centre_in=False, centre_out=True),
    "fft-3d": lambda: FFT(SHAPE, (1, 2, 3), inverse=True),
    "multiply-scalar": lambda: Multiply(SHAPE, 2.5 - 1j),
    "multiply-apodisation": lambda: Multiply(SHAPE, np.exp(-np.arange(10) / 4.0)),
    "multiply-complex": lambda: Multiply(SHAPE, _rand(np.random.default_rng(5), (1, 8, 7, 1))),
    "embed-zero-fill": lambda: Embed((3, 8, 7, 16), SHAPE, (0, 0, 0, 0)),
    "embed-centred": lambda: Embed((3, 16, 12, 10), SHAPE, (0, 4, 3, 0)),
    "crop": lambda: Crop((3, 4, 5, 6), SHAPE, (0, 2, 1, 3)),
    "flip": lambda: Flip(SHAPE, -1),
    "transpose": lambda: Transpose(SHAPE, (0, 2, 1, 3)),
    "compose": lambda: (
        FFT((3, 8, 7, 16), (1, 2), inverse=True) * Embed((3, 8, 7, 16), SHAPE, (0, 0, 0, 0))
    ),
    "recon-csi-2d": lambda: reconstruction_operator(("kz", "kx", "t2"), (8, 4, 32)),
    "recon-multislice": lambda: reconstruction_operator(
        ("repetition", "slice", "ky", "kx"), (2, 3, 8, 6)
    ),
    "recon-1d": lambda: reconstruction_operator(("kx",), (16,)),
    "recon-3d": lambda: reconstruction_operator(("kz", "ky", "kx"), (4, 6, 8)),
    "recon-zero-fill-apod": lambda: reconstruction_operator(
        ("kz", "kx", "t2"),
        (6, 4, 20),
        zero_fill={"kz": 10, "t2": 32},
        apodization={"t2": np.exp(-np.arange(20) / 8.0), "kz": np.hanning(8)[1:7]},
    ),
    "recon-partial-fourier": lambda: reconstruction_operator(
        ("slice", "ky", "kx"), (2, 11, 8), partial_fourier={"ky": 16}
    ),
}


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_adjoint(name):
    op = OPERATORS[name]()
    assert _adjoint_gap(op) < 1e-10
    assert op.H.H.ishape == op.ishape and op.H.oshape == op.ishape


def test_fft_matches_dft_definition():
    rng = np.random.default_rng(1)
    n = 7
    x = _rand(rng, (n,))
    j = np.arange(n) - n // 2
    dft = np.exp(-2j * np.pi * np.outer(j, j) / n) / np.sqrt(n)
    np.testing.assert_allclose(FFT((n,), (0,))(x), dft @ x, atol=1e-12)
    t = np.arange(n)
    dft_t = np.exp(-2j * np.pi * np.outer(j, t) / n) / np.sqrt(n)
    np.testing.assert_allclose(FFT((n,), (0,), centre_in=False)(x), dft_t @ x, atol=1e-12)


def test_unitary_ops_invert():
    rng = np.random.default_rng(2)
    x = _rand(rng, SHAPE)
    for op in (FFT(SHAPE, (1, 2)), FFT(SHAPE, (3,), centre_in=False), Flip(SHAPE, 1)):
        np.testing.assert_allclose(op.H(op(x)), x, atol=1e-12)


def test_shape_errors():
    with pytest.raises(ProcessingError, match="input shape"):
        FFT(SHAPE, (1,))(np.zeros((2, 2)))
    with pytest.raises(ProcessingError, match="does not fit"):
        Embed((3, 4), (3, 5), (0, 0))
    with pytest.raises(ProcessingError, match="cannot compose"):
        Compose([Identity((2,)), Identity((3,))])
    with pytest.raises(ProcessingError, match="not an encoding axis"):
        reconstruction_operator(("slice", "kx"), (2, 4), zero_fill={"slice": 4})
