"""The isotope solver's row scaling equals SciPy's sparse product entry for entry (same
stored order, so BiCGSTAB runs the same arithmetic)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from dendritemr.sim.cell.isotopes import _row_scaled


def _assert_same_csr(a, b):
    np.testing.assert_array_equal(a.indptr, b.indptr)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.data, b.data)


def test_row_scaling_matches_the_sparse_product_bit_for_bit():
    rng = np.random.default_rng(5)
    for m in (1, 7, 300):
        nnz = 6 * m
        rows = rng.integers(0, m, nnz)
        cols = rng.integers(0, m, nnz)
        vals = rng.normal(size=nnz)
        vals[rng.random(nnz) < 0.1] = 0.0  # explicit zeros (dropped by the product)
        vals[rng.random(nnz) < 0.05] = -1e-300  # products that underflow to -0.0 or 0
        full = np.concatenate([rows, np.arange(m)]), np.concatenate([cols, np.arange(m)])
        matrix = sp.csr_matrix((np.concatenate([vals, 1.0 + rng.random(m)]), full), shape=(m, m))
        inv = 10.0 ** rng.uniform(-20, 2, m)
        got = _row_scaled(matrix, inv)
        _assert_same_csr(got, sp.diags(inv) @ matrix)
        x = rng.normal(size=m)
        np.testing.assert_array_equal(got @ x, (sp.diags(inv) @ matrix) @ x)


def test_row_scaling_of_a_matrix_not_in_canonical_form():
    data = np.array([1.0, 2.0, 3.0])
    matrix = sp.csr_matrix((data, np.array([1, 0, 1]), np.array([0, 3, 3])), shape=(2, 2))
    assert not matrix.has_canonical_format
    _assert_same_csr(_row_scaled(matrix, np.array([2.0, 5.0])), sp.diags([2.0, 5.0]) @ matrix)
