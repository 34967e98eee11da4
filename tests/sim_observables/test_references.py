"""Calibration references and study.toml written with a simulated study."""

from __future__ import annotations

import nmrglue as ng
import numpy as np
import pytest

from dendritemr.physics.relaxation import korringa_t1, saturation_factor
from dendritemr.study import load_study


def _spectrum(folder):
    dic, data = ng.bruker.read(str(folder))
    data = ng.bruker.remove_digital_filter(dic, data)
    spec = np.fft.fftshift(np.fft.fft(data))
    a = dic["acqus"]
    ppm = (np.fft.fftshift(np.fft.fftfreq(data.size, 1 / a["SW_h"])) + a["O1"]) / a["BF1"]
    return dic, ppm, spec


def _area(ppm, spec, lo, hi, phase):
    sel = (ppm > lo) & (ppm < hi)
    return float(np.sum((spec[sel] * np.exp(-1j * np.deg2rad(phase))).real))


def test_study_toml_loads_with_references_and_t1(study):
    out, truth = study
    st = load_study(out)
    assert st.li7 is not None and st.li6 is not None
    relaxed = [r for r in st.references if r.relaxed]
    assert len(relaxed) == 1 and relaxed[0].x6 == {"metal": 0.0759, "electrolyte": 0.0759}
    assert relaxed[0].li7 == out / "reference/7Li/1" and relaxed[0].li6 == out / "reference/6Li/1"
    assert st.t1_s["li7"]["metal"] == pytest.approx(korringa_t1("7Li", 298.15))
    assert st.t1_s["li6"]["electrolyte"] == 10.0
    assert st.truth == out / "ground_truth.json"
    assert truth["stage_rule"]["threshold_bulk_umol"] > 0


@pytest.mark.parametrize("nucleus", ["7Li", "6Li"])
def test_relaxed_reference_d1_and_saturation(study, nucleus):
    out, _ = study
    st = load_study(out)
    t1 = st.t1_s["li7" if nucleus == "7Li" else "li6"]
    dic1, ppm, s1 = _spectrum(out / f"reference/{nucleus}/1")
    dic2, _, s2 = _spectrum(out / f"reference/{nucleus}/2")
    d1 = dic1["acqus"]["D"][1]
    assert d1 >= 5 * max(t1.values())
    # LLZO line: the ratio of the two references is the analytic saturation ratio
    tr = lambda d: d["acqus"]["D"][1] + d["acqus"]["TD"] / (2 * d["acqus"]["SW_h"])  # noqa: E731
    expect = saturation_factor(tr(dic2), t1["electrolyte"], 90.0) / saturation_factor(
        tr(dic1), t1["electrolyte"], 90.0
    )
    phase = -40.0 if nucleus == "6Li" else 25.0
    ratio = _area(ppm, s2, -40, 40, phase) / _area(ppm, s1, -40, 40, phase)
    assert ratio == pytest.approx(float(expect), rel=0.05)


def test_reference_at_the_series_receiver_scale(study):
    """LLZO area of the relaxed reference / of the first in situ spectrum = truth amplitudes.

    7Li (SNR 300, the LLZO line far above the noise); 6Li is covered by the saturation test
    between its two references.
    """
    out, truth = study
    nucleus = "7Li"
    phase = -40.0 if nucleus == "6Li" else 25.0
    _, ppm, ref = _spectrum(out / f"reference/{nucleus}/1")
    _, ppm_s, first = _spectrum(out / f"{nucleus}/1")
    measured = _area(ppm, ref, -40, 40, phase) / _area(ppm_s, first, -40, 40, phase)
    expect = truth["files"]["reference"][nucleus][0]["llzo"] / truth["signals"][nucleus]["llzo"][0]
    assert measured == pytest.approx(expect, rel=0.02)
