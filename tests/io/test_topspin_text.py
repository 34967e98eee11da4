"""TopSpin text exports: ascii-spec.txt against TopSpin's own 1r, totxt profile series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dendritemr.errors import DataError
from dendritemr.io.topspin_text import is_topspin_text, read_ascii_spec, read_totxt

LI7 = Path("li7-insitu-LiLi-TEGDME") / "2023-08-11_jana_insituLiLiTEGDME-02_galv"
F19 = Path("thienenkamp-19F-MRI-LiPEOLi")
# procs of LI7/1/pdata/1
OFFSET, SW_P, SF, SI, NC_PROC = 537.7928, 93457.9439252336, 116.684586269531, 8192, -9


@pytest.fixture(scope="module")
def li7_first(real_data):
    return read_ascii_spec(real_data / LI7 / "1" / "pdata" / "1" / "ascii-spec.txt")


def test_ascii_spec_matches_topspin_1r(real_data, li7_first):
    da = li7_first
    assert da.dims == ("time", "ppm")
    assert da.shape == (1, SI)
    one_r = np.fromfile(real_data / LI7 / "1" / "pdata" / "1" / "1r", dtype="<i4")
    assert one_r.size == SI
    # intensity column = 1r * 2**NC_proc, rounded to integers
    np.testing.assert_allclose(da.values[0], one_r * 2.0**NC_PROC, atol=0.5)


def test_ascii_spec_ppm_axis_against_procs(li7_first):
    step = SW_P / SF / SI
    # the file's axis is the bin centre: half a point below OFFSET
    expected = OFFSET - (np.arange(SI) + 0.5) * step
    np.testing.assert_allclose(li7_first["ppm"].values, expected, atol=1e-4)
    assert li7_first.attrs["sf_mhz"] == pytest.approx(SF, rel=1e-7)
    assert li7_first.attrs["sw_hz"] == pytest.approx(SW_P, rel=1e-6)


def test_ascii_spec_metadata_from_acqus(li7_first):
    assert li7_first.attrs["nucleus"] == "7Li"
    assert li7_first.attrs["sfo1_mhz"] == pytest.approx(116.70060943)
    assert li7_first.attrs["bf1_mhz"] == pytest.approx(116.641914)
    assert li7_first.attrs["title"] == "7Li jana cell"
    assert int(li7_first["expno"][0]) == 1
    assert np.isnat(li7_first["time"].values[0])


def test_ascii_spec_li_metal_shift_moves(real_data, li7_first):
    last = read_ascii_spec(real_data / LI7 / "50" / "pdata" / "1" / "ascii-spec.txt")
    for da, expected in ((li7_first, 248.05), (last, 247.17)):
        window = (da["ppm"] > 200) & (da["ppm"] < 300)
        peak = float(da["ppm"][window][np.argmax(da.values[0][window.values])])
        assert peak == pytest.approx(expected, abs=0.01)


def test_totxt_folder_series(real_data):
    da = read_totxt(real_data / F19 / "Li_Li" / "Data", nucleus="19F")
    assert da.shape == (94, 256)  # POL.txt in the folder is skipped
    assert da.attrs["nucleus"] == "19F"
    assert da.attrs["dataset"] == "MRI10mm_Li_PEO_Li7"
    assert da["expno"].values[[0, 1, -1]].tolist() == [5, 7, 99]
    assert da["ppm"].values[[0, -1]] == pytest.approx([187.76339721679688, -343.2189798116477])
    assert np.all(np.diff(da["expno"].values) > 0)


def test_totxt_single_file(real_data):
    path = real_data / F19 / "Li_Li" / "Data" / "MRI10mm_Li_PEO_Li7(086).txt"
    assert is_topspin_text(path)
    da = read_totxt(path)
    assert da.shape == (1, 256)
    assert int(da["expno"][0]) == 86
    assert da.values[0, :2] == pytest.approx([13347.3076171875, 11776.46875])
    assert "September 7, 2022" in da.attrs["exported"]


def test_totxt_nmc_folder(real_data):
    da = read_totxt(real_data / F19 / "NMC622_Li" / "Data")
    assert da.shape == (71, 256)
    assert da["ppm"].values[0] == pytest.approx(198.8636016845703)


def test_not_topspin_text(real_data):
    assert not is_topspin_text(real_data / F19 / "Li_Li" / "Data" / "POL.txt")


def _totxt(n_values: int, size: int = 3, extra: str = "") -> str:
    header = f"# LEFT = 10.0 ppm. RIGHT = 0.0 ppm.\n# SIZE = {size} ( = number of points)\n{extra}"
    return header + "".join(f"{i}.0\n" for i in range(n_values))


def test_totxt_size_mismatch(tmp_path):
    path = tmp_path / "short.txt"
    path.write_text(_totxt(2))
    with pytest.raises(DataError, match="short.txt: SIZE = 3 but 2 values"):
        read_totxt(path)


def test_totxt_missing_header(tmp_path):
    path = tmp_path / "plain.txt"
    path.write_text("1.0\n2.0\n")
    with pytest.raises(DataError, match="plain.txt: not a TopSpin totxt"):
        read_totxt(path)


def test_totxt_2d_refused(tmp_path):
    path = tmp_path / "two.txt"
    path.write_text("# F1LEFT = 1 ppm. F1RIGHT = 0 ppm.\n# NROWS = 2\n1.0\n")
    with pytest.raises(DataError, match="two.txt: 2D totxt"):
        read_totxt(path)


def test_totxt_folder_mixed_axes(tmp_path):
    (tmp_path / "a.txt").write_text(_totxt(3))
    (tmp_path / "b.txt").write_text(_totxt(4, size=4))
    with pytest.raises(DataError, match="ppm axis differs"):
        read_totxt(tmp_path)


def test_totxt_empty_folder(tmp_path):
    with pytest.raises(DataError, match="no TopSpin totxt"):
        read_totxt(tmp_path)


def test_ascii_spec_empty_and_garbage(tmp_path):
    empty = tmp_path / "ascii-spec.txt"
    empty.write_text("")
    with pytest.raises(DataError, match="ascii-spec.txt: empty file"):
        read_ascii_spec(empty)
    bad = tmp_path / "bad-spec.txt"
    bad.write_text("title\n1, 2, 3, 4\n2, 3, x, 5\n")
    with pytest.raises(DataError, match="bad-spec.txt: line 3"):
        read_ascii_spec(bad)


# --- 19F MRI profile series (Li|PEO|Li) and its potentiostat log --------------------------------

from dendritemr.io.topspin_text import (  # noqa: E402
    align_with_log,
    read_potentiostat_log,
    read_profile_series,
)

LI_LI = F19 / "Li_Li" / "Data"


@pytest.fixture(scope="module")
def profiles_19f(real_data):
    series = read_profile_series(real_data / LI_LI, 4.0, nucleus="19F", interval_s=513.0)
    return series, read_potentiostat_log(real_data / LI_LI / "POL.txt")


def test_profile_series_position_axis(profiles_19f):
    series, _ = profiles_19f
    assert series.dims == ("time", "position") and series.shape == (94, 256)
    assert series.attrs["nucleus"] == "19F"
    # 4 mm over 256 points, centred (the authors' dz = FOV / td)
    assert np.diff(series["position"].values) == pytest.approx(np.full(255, 4.0 / 256))
    assert series["position"].values[[0, 128]] == pytest.approx([-2.0, 0.0])
    # 513 s per profile (the authors' script): mid-points
    assert series["hours"].values[[0, -1]] == pytest.approx([0.5 * 513 / 3600, 93.5 * 513 / 3600])


def test_potentiostat_log_columns(profiles_19f):
    _, log = profiles_19f
    assert log.sizes["row"] == 1022  # 1021 newlines, last row unterminated
    assert float(log["current_mA"][0]) == pytest.approx(0.09984)
    assert float(log["voltage_V"][0]) == pytest.approx(0.16491)
    # 20.2 s sampling (the authors' 20.18 s/point) when the time column is in hours
    assert np.median(np.diff(log["hours"].values)) * 3600 == pytest.approx(20.2, abs=0.1)


def test_profiles_aligned_with_log(profiles_19f):
    series, log = profiles_19f
    out = align_with_log(series, log)
    assert out.attrs["n_blocks"] == 44
    assert out.attrs["block_period_s"] == pytest.approx(533.3, abs=1.0)
    assert int(out["logged"].sum()) == 44
    cur, volt = out["current_mA"].values, out["voltage_V"].values
    # galvanostatic 0.1 mA until the 1.5 V limit, then the current decays at 1.5 V
    assert cur[0] == pytest.approx(0.0998, abs=1e-4) and volt[0] < 0.25
    assert volt[20] == pytest.approx(1.4998, abs=1e-3) and cur[20] < 0.04
    assert np.all(np.isnan(cur[44:]))
    assert np.all(np.diff(out["hours"].values) > 0)


def test_profile_series_bad_input(tmp_path, real_data):
    with pytest.raises(DataError, match="field of view must be positive"):
        read_profile_series(real_data / LI_LI, 0.0)
    bad = tmp_path / "POL.txt"
    bad.write_text("1\t2\t3\n2\t3\n")
    with pytest.raises(DataError, match="POL.txt: line 2: expected 3 numbers"):
        read_potentiostat_log(bad)
    bad.write_text("2\t2\t3\n1\t3\t4\n")
    with pytest.raises(DataError, match="time does not increase"):
        read_potentiostat_log(bad)
