"""ParaVision 5.1/6/360 parameter syntax and data layouts, on files written here."""

from __future__ import annotations

import numpy as np
import pytest

from dendritemr.errors import DataError
from dendritemr.io import open_dataset
from dendritemr.io.paravision import read_2dseq, read_raw
from dendritemr.io.paravision_jcamp import read_pv_parameters

HEAD = "##TITLE=Parameter List\n##JCAMPDX=4.24\n##DATATYPE=Parameter Values\n"
HEAD += "##ORIGIN=Bruker BioSpin MRI GmbH\n$$ Thu Jul 25 10:31:59 2024 CEST (UT+2h)  nmr\n"


def pv(text: str) -> str:
    return HEAD + text.strip() + "\n##END=\n"


def test_run_length_arrays_and_inline_structs(tmp_path):
    path = tmp_path / "visu_pars"
    path.write_text(
        pv(
            """
##$VisuCoreDataSlope=( 6 )
@2*(1.5) 3 @3*(0)
##$VisuCoreDataOffs=( 55 )
@55*(9.1758)
##$ACQ_abs_time=(1721896319, 898, 120)
$$ @vis= ACQ_abs_time
##$VisuCoreSize=( 2 )
4 4
"""
        )
    )
    p = read_pv_parameters(path)
    np.testing.assert_array_equal(p["VisuCoreDataSlope"], [1.5, 1.5, 3, 0, 0, 0])
    np.testing.assert_array_equal(p["VisuCoreDataOffs"], np.full(55, 9.1758))
    assert p["ACQ_abs_time"] == [1721896319, 898, 120]
    np.testing.assert_array_equal(p["VisuCoreSize"], [4, 4])


def _visu(slopes: str, frames: int = 3) -> str:
    return pv(
        f"""
##$VisuCoreFrameCount={frames}
##$VisuCoreDim=2
##$VisuCoreSize=( 2 )
4 2
##$VisuCoreDimDesc=( 2 )
spatial spatial
##$VisuCoreExtent=( 2 )
20 10
##$VisuCoreWordType=_16BIT_SGN_INT
##$VisuCoreByteOrder=littleEndian
##$VisuCoreDataSlope=( {frames} )
{slopes}
##$VisuCoreDataOffs=( {frames} )
@{frames}*(1)
"""
    )


def _experiment(tmp_path, acqp_extra: str = "", abs_time="(1721896319, 898, 120)"):
    exp = tmp_path / "5"
    pdir = exp / "pdata" / "1"
    pdir.mkdir(parents=True)
    (exp / "acqp").write_text(
        pv(
            f"""
##$ACQ_size=( 2 )
8 2
##$ACQ_dim_desc=( 2 )
Spatial Spatial
##$NI=1
##$NR=1
##$BYTORDA=little
##$NUCLEUS=( 8 )
<7Li>
##$BF1=116.6
##$SW_h=50000
##$ACQ_fov=( 2 )
2 1
##$ACQ_abs_time={abs_time}
{acqp_extra}
"""
        )
    )
    (exp / "method").write_text(pv("##$PVM_ScanTime=60000"))
    return exp, pdir


def test_2dseq_with_run_length_slopes_and_pv360_time(tmp_path):
    exp, pdir = _experiment(tmp_path)
    (pdir / "visu_pars").write_text(_visu("@2*(2.5) 0.5"))
    stored = np.arange(3 * 8, dtype="<i2").reshape(3, 8) - 5
    (pdir / "2dseq").write_bytes(stored.tobytes())
    img = open_dataset(pdir)
    assert img.dims == ("slice", "y", "x") and img.shape == (3, 2, 4)
    expected = stored * np.array([2.5, 2.5, 0.5])[:, None] + 1.0
    np.testing.assert_array_equal(img.values.reshape(3, 8), expected)
    assert img.attrs["nucleus"] == "7Li"
    # (seconds, milliseconds, UTC offset minutes): start in the scanner's zone, +30 s mid-point
    assert img.attrs["time_start"] == "2024-07-25T10:31:59.898000+02:00"
    assert img.attrs["time_mid"] == "2024-07-25T10:32:29.898000+02:00"


def test_pv51_scalar_abs_time_is_utc(tmp_path):
    exp, _ = _experiment(tmp_path, abs_time="1383649189")
    raw = np.arange(2 * 8, dtype="<i4")
    (exp / "fid").write_bytes(raw.tobytes())
    k = read_raw(exp)
    assert k.attrs["time_start"] == "2013-11-05T10:59:49+00:00"


def test_raw_float32_pv360_format(tmp_path):
    exp, _ = _experiment(tmp_path, "##$GO_raw_data_format=GO_32BIT_FLOAT")
    samples = (np.arange(16) * 0.25 - 1).astype("<f4")
    (exp / "fid").write_bytes(samples.tobytes())
    k = read_raw(exp)
    assert k.shape == (1, 1, 2, 4)
    first_line = samples[:8:2] + 1j * samples[1:8:2]
    # no PVM_EncSteps1: phase-encoding lines stay in acquisition order
    np.testing.assert_array_equal(k.values[0, 0, 0], first_line)


def test_pv360_rawdata_job_layout_is_refused_by_name(tmp_path):
    exp, _ = _experiment(tmp_path)
    (exp / "rawdata.job0").write_bytes(b"\0" * 64)
    with pytest.raises(DataError, match=r"ParaVision 360 raw layout \(rawdata.job0, no fid\)"):
        open_dataset(exp)


def test_slope_count_and_size_errors(tmp_path):
    exp, pdir = _experiment(tmp_path)
    (pdir / "visu_pars").write_text(_visu("a b c"))
    (pdir / "2dseq").write_bytes(np.zeros(24, "<i2").tobytes())
    with pytest.raises(DataError, match="VisuCoreDataSlope"):
        read_2dseq(pdir)
    (pdir / "visu_pars").write_text(_visu("1 1 1").replace("4 2", "4 -2"))
    with pytest.raises(DataError, match="VisuCoreSize"):
        read_2dseq(pdir)


def test_unsupported_raw_format(tmp_path):
    exp, _ = _experiment(tmp_path, "##$GO_raw_data_format=GO_64BIT_COMPLEX")
    (exp / "fid").write_bytes(b"\0" * 64)
    with pytest.raises(DataError, match="GO_64BIT_COMPLEX is not supported"):
        read_raw(exp)


def test_pv6_int16_lines_padded_to_1k_blocks(tmp_path):
    """GO_block_size = Standard_KBlock_Format: every read line starts on a 1024-byte boundary
    (100 int16 samples = 200 B, padded to 1024 B); NR repetitions outermost."""
    extra = "##$ACQ_word_size=_16_BIT\n##$GO_block_size=Standard_KBlock_Format\n##$NR=2"
    exp, _ = _experiment(tmp_path, extra)
    text = (exp / "acqp").read_text().replace("8 2\n", "100 3\n").replace("##$NR=1\n", "")
    (exp / "acqp").write_text(text)
    rng = np.random.default_rng(8)
    samples = rng.integers(-3000, 3000, size=(2 * 3, 100)).astype("<i2")
    padded = np.zeros((6, 512), "<i2")
    padded[:, :100] = samples
    (exp / "fid").write_bytes(padded.tobytes())
    k = read_raw(exp)
    assert k.shape == (2, 1, 3, 50)
    lines = samples[:, 0::2] + 1j * samples[:, 1::2]
    np.testing.assert_array_equal(k.values.reshape(6, 50), lines)


def test_frame_geometry_from_visu_pars(real_data):
    pdir = real_data / "pv51-microimaging-flash-brukerMRI" / "example_dataset" / "100" / "pdata"
    img = read_2dseq(pdir / "1")
    position = np.reshape(img.attrs["position_mm"], (3, 3))
    orientation = np.reshape(img.attrs["orientation"], (3, 3, 3))
    np.testing.assert_array_equal(position[1], [0.0, -12.5, 12.5])  # visu_pars, frame 2
    np.testing.assert_array_equal(orientation[1], [[0, 1, 0], [0, 0, -1], [-1, 0, 0]])
    for rotation in orientation:  # each frame: a proper rotation of the image axes
        np.testing.assert_allclose(rotation @ rotation.T, np.eye(3))
        assert abs(np.linalg.det(rotation)) == pytest.approx(1.0)
