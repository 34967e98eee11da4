"""Areas -> amounts: calibrations, saturation, visibility, unit conversions."""

import numpy as np
import pytest

from dendritemr.quant import (
    Calibration,
    amounts,
    calibrate_electrode,
    calibrate_reference,
    metal_visibility,
    saturation,
)


def test_reference_calibration_round_trip():
    cal = calibrate_reference(2.0e6, 2.0e4, 10.0, 0.1)
    assert cal.signal_per_umol == pytest.approx(2.0e5)
    assert cal.rel_err == pytest.approx(np.hypot(0.01, 0.01))
    q = amounts(4.0e5, 0.0, cal)
    assert q["umol"] == pytest.approx(2.0)
    assert q["ug"] == pytest.approx(2.0 * 6.94, rel=1e-4)
    assert q["uah"] == pytest.approx(2.0 / 37.311 * 1e3, rel=1e-3)  # 1 mAh = 37.31 umol
    assert q["umol_err"] == pytest.approx(2.0 * cal.rel_err)


def test_electrode_geometry_calibration_numbers():
    # 1 cm2 face, 7Li at 7.05 T: delta 14.2 um, |d_eff| = delta / (2 sqrt 2) = 5.03 um
    cal = calibrate_electrode(1.0e6, 0.0, 1.0, field_t=7.05)
    details = dict(cal.details)
    assert details["skin_depth_um"] == pytest.approx(14.2, abs=0.1)
    assert details["visible_umol"] == pytest.approx(5.03e-4 / 13.0 * 1e6, rel=3e-3)
    assert cal.signal_per_umol == pytest.approx(1.0e6 / details["visible_umol"])


def test_saturation_korringa():
    # TR = T1 (7Li, 298 K: 0.1477 s) -> 1 - 1/e
    assert saturation("7Li", 44.0 / 298.0, temperature_k=298.0) == pytest.approx(1 - np.exp(-1))
    assert saturation("6Li", 1.0, temperature_k=298.15) == pytest.approx(
        1 - np.exp(-298.15 / 306.9), rel=1e-3
    )
    assert saturation("7Li", np.inf) == 1.0


def test_visibility_and_saturation_enter_amounts():
    cal = Calibration(1.0)
    q = amounts(1.0, 0.0, cal, saturation_factor=0.5, visibility=0.25)
    assert q["umol"] == pytest.approx(8.0)
    assert metal_visibility("7Li", 7.05) == 1.0
    thick = metal_visibility("7Li", 7.05, thickness_um=1000.0)
    assert thick == pytest.approx(2 * 14.2 / (2 * np.sqrt(2)) / 1000.0, rel=0.02)


def test_bad_calibration():
    with pytest.raises(ValueError):
        Calibration(0.0)
    with pytest.raises(ValueError):
        calibrate_reference(-1.0, 0.0, 1.0)
