"""results_schema.validate checks the analysis extras metal_relative and warnings."""

import pytest

from dendritemr.errors import DataError
from dendritemr.results_schema import validate


def _doc(**extra):
    doc = {
        "schema": "dendritemr.results/1",
        "time_h": [0.0, 1.0],
        "metal_umol": {"interface": [None, None], "bulk": [None, None]},
        "x6_metal": [None, None],
        "interface_fraction": [None, None],
        "stages": [],
        "short_circuit_h": None,
    }
    return {**doc, **extra}


def test_good_extras_pass():
    validate(_doc())
    validate(
        _doc(
            metal_relative={"unit": "x", "total": [0.1, 0.2], "growth": [0.0, 0.1]},
            warnings=[{"step": "nmr.li7", "category": "UserWarning", "message": "m", "count": 1}],
        )
    )
    validate(_doc(metal_relative=None, warnings=[]))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"metal_relative": {"unit": "x", "total": [0.1]}}, "metal_relative.total must be a list"),
        ({"metal_relative": {"total": [0.1, 0.2]}}, "metal_relative must be null or an object"),
        ({"metal_relative": {"unit": "x", "growth": [0.1, "a"]}}, "metal_relative.growth holds"),
        ({"warnings": ["text"]}, "warnings must be a list of objects"),
        ({"warnings": {"message": "m"}}, "warnings must be a list of objects"),
    ],
)
def test_bad_extras_one_line_error(extra, message):
    with pytest.raises(DataError, match=message):
        validate(_doc(**extra))
