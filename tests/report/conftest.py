"""Inputs for the report tests: the synthetic results document of :mod:`reportgen` as a
fixture."""

from __future__ import annotations

import pytest
from reportgen import synthetic_inputs


@pytest.fixture
def synthetic():
    return synthetic_inputs()
