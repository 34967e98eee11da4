"""ParaVision reader on real data: our reconstruction of the raw fid against ParaVision's."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from dendritemr.errors import DataError
from dendritemr.io.cycler_csv import read_cycler_csv
from dendritemr.io.paravision import read_2dseq, read_raw, reconstruct
from dendritemr.io.paravision_jcamp import format_pv_parameters

FLASH = "pv51-microimaging-flash-brukerMRI/example_dataset/100"
EPI = "pv-biospec7T-banana-pvconv/BadBanana_01/18"


def test_flash_reconstruction_matches_2dseq(real_data):
    exp = real_data / FLASH
    raw = read_raw(exp)
    assert raw.shape == (1, 3, 128, 128) and raw.attrs["nucleus"] == "1H"
    recon = reconstruct(raw)
    # pdata/1/reco: RECO_transposition = 0 1 1 (the sagittal and coronal slices, read H_F)
    assert recon.attrs["reco_transposition"] == [0, 1, 1]
    image = np.abs(recon).values[0]
    ref = read_2dseq(exp / "pdata" / "1")
    assert ref.shape == (3, 128, 128) and recon.dims[1:] == ref.dims
    np.testing.assert_allclose(recon["x"], ref["x"])
    np.testing.assert_allclose(recon["y"], ref["y"])
    plain = np.abs(reconstruct(raw, transposition=False)).values[0]
    for s in range(3):  # every slice as ParaVision oriented it, transposed ones included
        mine, theirs = image[s], ref.values[s]
        k = (mine * theirs).sum() / (mine * mine).sum()
        nrmse = np.sqrt(np.mean((k * mine - theirs) ** 2) / np.mean(theirs**2))
        assert np.corrcoef(mine.ravel(), theirs.ravel())[0, 1] > 0.9999
        assert nrmse < 1e-3
        assert k == pytest.approx(1.0, rel=1e-3)  # same absolute scale as ParaVision
        # acquisition orientation (read along x) differs exactly where ParaVision transposed
        np.testing.assert_allclose(plain[s], mine.T if s else mine)
    assert np.corrcoef(plain[1].ravel(), ref.values[1].ravel())[0, 1] < 0.9


def _synthetic(tmp_path, transposition, ny=4, nx=4, fov=(0.02, 0.02), nz=None):
    """Random complex k-space of 2 slices whose experiment has ``pdata/1/reco``."""
    exp = tmp_path / "1"
    (exp / "pdata" / "1").mkdir(parents=True)
    reco = {"RECO_transposition": np.asarray(transposition)}
    (exp / "pdata" / "1" / "reco").write_text(format_pv_parameters(reco, ["synthetic"]))
    rng = np.random.default_rng(1)
    shape = (1, 2, *([nz] if nz else []), ny, nx)
    data = rng.normal(size=shape) + 1j * rng.normal(size=shape)
    enc = ["kz", "ky", "kx"][-len(shape) + 2 :]
    coords = {k: (k, np.arange(n) - n // 2) for k, n in zip(enc, shape[2:], strict=True)}
    attrs = {"source": str(exp), "fov_m": list(fov)}
    return xr.DataArray(data, dims=["repetition", "slice", *enc], coords=coords, attrs=attrs)


def test_transposition_per_slice(tmp_path):
    raw = _synthetic(tmp_path, [0, 1])
    plain = reconstruct(raw, transposition=False).values
    out = reconstruct(raw)
    assert out.attrs["reco_transposition"] == [0, 1]
    np.testing.assert_array_equal(out.values[0, 0], plain[0, 0])
    np.testing.assert_array_equal(out.values[0, 1], plain[0, 1].T)
    # no reco file: acquisition orientation
    (tmp_path / "1" / "pdata" / "1" / "reco").unlink()
    np.testing.assert_array_equal(reconstruct(raw).values, plain)


def test_transposition_non_square(tmp_path):
    # all slices transposed: the grid is exchanged too (x gets the phase FOV)
    raw = _synthetic(tmp_path / "a", [1], ny=4, nx=6, fov=(0.03, 0.02))
    out = reconstruct(raw)
    assert out.dims == ("repetition", "slice", "y", "x") and out.shape == (1, 2, 6, 4)
    assert np.ptp(out["x"].values) == pytest.approx(20.0 * 3 / 4)  # mm, 4 points over 20 mm
    assert np.ptp(out["y"].values) == pytest.approx(30.0 * 5 / 6)
    np.testing.assert_array_equal(
        out.values, np.swapaxes(reconstruct(raw, transposition=False).values, -1, -2)
    )
    # mixed transpositions of a non-square matrix fit no single grid
    raw = _synthetic(tmp_path / "b", [0, 1], ny=4, nx=6)
    with pytest.raises(DataError, match="share no grid") as err:
        reconstruct(raw)
    assert "\n" not in str(err.value)
    assert reconstruct(raw, transposition=False).shape == (1, 2, 4, 6)


def test_transposition_3d(tmp_path):
    # documented rule for 3D (not in the real data): 2 exchanges 2nd/3rd, 3 the 1st/3rd
    raw = _synthetic(tmp_path, [2, 3], nz=4, fov=(0.02, 0.02, 0.02))
    plain = reconstruct(raw, transposition=False).values[0]  # (slice, z, y, x)
    out = reconstruct(raw).values[0]
    np.testing.assert_array_equal(out[0], np.swapaxes(plain[0], 0, 1))  # y <-> z
    np.testing.assert_array_equal(out[1], np.swapaxes(plain[1], 0, 2))  # x <-> z


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([0, 2], "RECO_transposition 2 \\(slice 1\\) not supported for 2 encoding"),
        ([0, -1], "RECO_transposition -1 \\(slice 1\\) not supported"),
        ([0, 1, 1], "3 values for 2 slices"),
        ([0, 1.5], "not a list of integers"),
    ],
)
def test_transposition_bad(tmp_path, values, message):
    raw = _synthetic(tmp_path, values)
    with pytest.raises(DataError, match=message) as err:
        reconstruct(raw)
    assert "\n" not in str(err.value) and str(err.value).startswith(str(tmp_path))


def test_epi_refused_with_reason(real_data):
    raw = read_raw(real_data / EPI)
    with pytest.raises(DataError, match="echo-planar") as err:
        reconstruct(raw)
    assert "\n" not in str(err.value)


def test_epi_loads(real_data):
    exp = real_data / EPI
    ref = read_2dseq(exp / "pdata" / "1")
    assert ref.dims == ("slice", "y", "x") and ref.shape == (5, 64, 80)
    raw = read_raw(exp)
    assert raw.shape == (1, 5, 1, 3680)


def test_bad_files(tmp_path, real_data):
    exp = tmp_path / "1"
    exp.mkdir()
    (exp / "acqp").write_text((real_data / FLASH / "acqp").read_text())
    (exp / "fid").write_bytes(b"\0" * 100)
    with pytest.raises(DataError, match="does not match"):
        read_raw(exp)
    csv = tmp_path / "c.csv"
    csv.write_text("time/s,current/mA\n0,1\n")
    with pytest.raises(DataError, match="columns"):
        read_cycler_csv(csv)
    csv.write_text("time/s,current/mA,voltage/V\n0,1,nan\n")
    with pytest.raises(DataError, match="NaN"):
        read_cycler_csv(csv)
