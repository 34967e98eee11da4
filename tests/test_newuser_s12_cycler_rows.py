"""New-user test (stop 12): a comma-separated cycler file written with decimal commas.

`0,5,0,1,0,4` under the header `time/s,Ewe/V,I/mA` was read without a word as t = 0 s,
V = 5 V, I = 0 mA (every number split in two, the columns shifted). It must be refused with
one line naming the file and the row; the same numbers quoted (as Excel writes them) or
separated by ';' must read as 0.5 s, 0.1 V, 0.4 mA.
"""

from __future__ import annotations

import numpy as np
import pytest

from dendritemr.errors import DataError
from dendritemr.io.cycler_formats import read_cycler

ROWS = [(0.5, 0.125, 0.4), (1.5, 0.25, 0.4), (2.5, 0.375, -0.4)]


def _comma(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def test_unquoted_decimal_commas_in_a_comma_separated_file_are_refused(tmp_path):
    path = tmp_path / "cell.csv"
    body = "\n".join(",".join(_comma(v) for v in row) for row in ROWS)
    path.write_text("time/s,Ewe/V,I/mA\n" + body + "\n")
    with pytest.raises(DataError) as err:
        read_cycler(path)
    msg = str(err.value)
    assert "\n" not in msg
    assert str(path) in msg
    assert "data row 1 has 6 cells but the header 3" in msg
    assert "decimal commas" in msg


def test_the_same_numbers_quoted_or_semicolon_separated_read_right(tmp_path):
    quoted = tmp_path / "quoted.csv"
    quoted.write_text(
        "time/s,Ewe/V,I/mA\n"
        + "\n".join(",".join(f'"{_comma(v)}"' for v in row) for row in ROWS)
        + "\n"
    )
    semi = tmp_path / "semi.csv"
    semi.write_text(
        "time/s;Ewe/V;I/mA\n" + "\n".join(";".join(_comma(v) for v in row) for row in ROWS) + "\n"
    )
    want = np.array(ROWS)
    for path in (quoted, semi):
        ds = read_cycler(path)
        np.testing.assert_allclose(ds.time_s.values, want[:, 0])
        np.testing.assert_allclose(ds.voltage_V.values, want[:, 1])
        np.testing.assert_allclose(ds.current_mA.values, want[:, 2])


def test_a_later_row_with_an_extra_cell_is_named(tmp_path):
    path = tmp_path / "tab.txt"
    path.write_text("time/s\tEwe/V\n0\t0.1\n1\t0.2\n2\t0.3\t7\n")
    with pytest.raises(DataError, match=r"data row 3 has 3 cells but the header 2$"):
        read_cycler(path)
