"""ParaVision reader on real data: our reconstruction of the raw fid against ParaVision's."""

from __future__ import annotations

import numpy as np
import pytest

from dendritemr.errors import DataError
from dendritemr.io.cycler_csv import read_cycler_csv
from dendritemr.io.paravision import read_2dseq, read_raw, reconstruct
from dendritemr.io.paravision_jcamp import read_pv_parameters

FLASH = "pv51-microimaging-flash-brukerMRI/example_dataset/100"
EPI = "pv-biospec7T-banana-pvconv/BadBanana_01/18"


def test_flash_reconstruction_matches_2dseq(real_data):
    exp = real_data / FLASH
    raw = read_raw(exp)
    assert raw.shape == (1, 3, 128, 128) and raw.attrs["nucleus"] == "1H"
    image = np.abs(reconstruct(raw)).values[0]
    ref = read_2dseq(exp / "pdata" / "1")
    assert ref.shape == (3, 128, 128)
    transpose = read_pv_parameters(exp / "pdata" / "1" / "reco")["RECO_transposition"]
    for s in range(3):
        mine = image[s].T if transpose[s] else image[s]
        theirs = ref.values[s]
        k = (mine * theirs).sum() / (mine * mine).sum()
        nrmse = np.sqrt(np.mean((k * mine - theirs) ** 2) / np.mean(theirs**2))
        assert np.corrcoef(mine.ravel(), theirs.ravel())[0, 1] > 0.9999
        assert nrmse < 1e-3
        assert k == pytest.approx(1.0, rel=1e-3)  # same absolute scale as ParaVision


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
