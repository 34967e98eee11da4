"""A series copied while TopSpin was still writing its last experiment: that one is left out
with a warning; a truncated experiment before the last is still an error."""

from __future__ import annotations

import shutil

import pytest

from dendritemr.errors import DataError
from dendritemr.io.bruker import read_path


def _copy(synthetic_study, tmp_path):
    folder, _ = synthetic_study
    dst = tmp_path / "7Li"
    shutil.copytree(folder, dst)
    for f in dst.rglob("*"):
        f.chmod(0o644 if f.is_file() else 0o755)
    return dst


def _truncate(fid):
    fid.write_bytes(fid.read_bytes()[:1000])


def test_a_truncated_last_experiment_is_left_out_with_a_warning(synthetic_study, tmp_path):
    series = _copy(synthetic_study, tmp_path)
    whole = read_path(series)
    last = max(int(p.name) for p in series.iterdir() if p.name.isdigit())
    _truncate(series / str(last) / "fid")
    with pytest.warns(RuntimeWarning, match=rf"{last}/fid: truncated.*last experiment"):
        part = read_path(series)
    assert part.sizes["time"] == whole.sizes["time"] - 1
    assert (part.values == whole.values[:-1]).all()
    assert (part["hours"].values == whole["hours"].values[:-1]).all()


def test_a_truncated_experiment_before_the_last_is_an_error(synthetic_study, tmp_path):
    series = _copy(synthetic_study, tmp_path)
    _truncate(series / "2" / "fid")
    with pytest.raises(DataError, match=r"2/fid: truncated"):
        read_path(series)


def test_a_recycle_delay_change_within_a_series_is_warned_about(synthetic_study, tmp_path):
    series = _copy(synthetic_study, tmp_path)
    acqus = series / "3" / "acqus"
    lines = acqus.read_text().splitlines(keepends=True)
    i = next(k for k, line in enumerate(lines) if line.startswith("##$D= (0..63)"))
    values = lines[i + 1].split()
    d1 = float(values[1])
    values[1] = f"{d1 * 5:g}"
    lines[i + 1] = " ".join(values) + "\n"
    acqus.write_text("".join(lines))
    with pytest.warns(RuntimeWarning, match=rf"7Li/3: D1 {d1 * 5:g} s differs .*\({d1:g} s\)"):
        data = read_path(series)
    assert data.attrs["d1_s"] == d1
    assert data.sizes["time"] == 8
