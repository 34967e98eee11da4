"""summary.txt: the MRI map totals and depths appear beside the NMR results."""

from dendritemr.pipeline import summary_text


def _doc(mri):
    return {
        "study": {"name": "s"},
        "time_h": [0.0, 1.0],
        "metal_umol": {"total": [0.0, 2.0], "total_err": [0.1, 0.1]},
        "x6_metal": [None, 0.9],
        "x6_metal_err": [None, 0.01],
        "interface_fraction": [None, 1.0],
        "interface_fraction_err": [None, 0.1],
        "short_circuit_h": None,
        "stages": [],
        "not_computed": [],
        "mri_images": mri,
    }


def test_mri_totals_and_depths_in_the_summary():
    mri = {
        "time_h": [0.5, 10.25],
        "total_umol": [1.5, 8.25],
        "total_umol_err": [0.5, 1.0],
        "depth_b_um": [0.0, 87.5],
        "depth_b_um_err": [5.0, 35.0],
    }
    text = summary_text(_doc(mri))
    assert "MRI metal maps (2 scans):" in text
    assert "10.25 h  metal in the image 8.25 umol +- 1 umol, depth from B 87.5 um +- 35 um" in text


def test_no_mri_no_mri_lines():
    assert "MRI" not in summary_text(_doc(None))
    assert "MRI" not in summary_text(_doc({"time_h": [0.5]}))  # times only (--no-mri-maps)
