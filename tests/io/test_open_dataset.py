"""open_dataset dispatch: files that are not NMR say which reader would take them."""

from __future__ import annotations

import pytest

from dendritemr.errors import DataError
from dendritemr.io import open_dataset


def test_eclab_text_export_points_to_the_cycler_reader(tmp_path):
    path = tmp_path / "run_03_GCPL_C05.txt"
    path.write_text("time/s\tEwe/V\n0,000\t3,512\n1,000\t3,514\n")
    with pytest.raises(DataError, match=r"looks like a cycler export \(eclab-txt\): read it with"):
        open_dataset(path)


def test_generic_cycler_table(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("Time (s),Voltage (V),Current (mA)\n0,3.1,0.5\n1,3.2,0.5\n")
    with pytest.raises(DataError, match="looks like a cycler export") as info:
        open_dataset(path)
    assert "\n" not in str(info.value)


def test_binary_cycler_file_is_named(tmp_path):
    path = tmp_path / "cell.ndax"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 60)
    with pytest.raises(DataError, match="Arbin/Neware binary"):
        open_dataset(path)


def test_unrelated_text(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\neggs\n")
    with pytest.raises(DataError, match="not a recognised NMR dataset"):
        open_dataset(path)
