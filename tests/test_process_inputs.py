"""process: several paths must each be one experiment (a series folder goes alone)."""

import pytest

from dendritemr.errors import DataError
from dendritemr.process import read_inputs


def test_several_series_folders_say_what_is_wanted(tmp_path):
    for name in ("7Li", "6Li"):
        (tmp_path / name / "1").mkdir(parents=True)
    with pytest.raises(DataError, match=r"7Li: several paths \(2\) must each be one TopSpin"):
        read_inputs([tmp_path / "7Li", tmp_path / "6Li"])
