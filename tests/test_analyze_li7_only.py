"""analyze on a 7Li-only study without electrode area or calibration (issue 10/13).

Independent generator (a few lines of numpy, no dendritemr code): a TopSpin series of 7Li
FIDs of known Lorentzian lines -- a bulk electrode line (skin phase -45 deg) of constant area,
a dendritic metal line 12 ppm above it that holds its area for the first hours and then grows
linearly from a known time, and an electrolyte line -- with white complex Gaussian noise,
delayed by a digital-filter group delay, written as int32 ``fid`` + ``acqus``.

Truth the analysis must recover: the dendritic metal relative to the first spectrum's
electrode line, ``A_micro(t) / A_electrode``, its growth, and a stage change point at the
known onset of growth.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from dendritemr.pipeline import analyze

sys.path.insert(0, str(Path(__file__).resolve().parent / "pipeline"))
from pipegen import write_experiment  # noqa: E402 - the acqus/fid writer of tests/pipeline

FIELD_T = 7.05
BF_7LI = 42.577478518 * FIELD_T * 0.38863797  # MHz (7Li Xi, IUPAC 2001)
TD, SW_PPM, O1_PPM, GRPDLY = 4096, 800.0, 120.0, 67.98
ELECTRODE_PPM, MICRO_PPM, ELECTROLYTE_PPM = 246.0, 258.0, 0.0
HOURS = np.arange(24) * 0.25  # 15 min apart, 0 to 5.75 h
ONSET_H = 2.5  # the dendritic line starts growing here
A_ELECTRODE, A_MICRO0, A_MICRO_RATE = 1.0, 0.10, 0.05  # area units; rate per h
T0 = 1_700_000_000  # acqus DATE (end of acquisition, Unix s) of the first spectrum


def micro_area(h):
    return A_MICRO0 + A_MICRO_RATE * np.clip(np.asarray(h, float) - ONSET_H, 0.0, None)


def _fid(h: float, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Complex FID of the three lines at hour ``h`` (``TD // 2`` points)."""
    n = TD // 2
    sw_hz = SW_PPM * BF_7LI
    t = np.arange(n) / sw_hz
    lines = [  # (ppm, FWHM ppm, area, phase deg)
        (ELECTRODE_PPM, 8.0, A_ELECTRODE, -45.0),
        (MICRO_PPM, 5.0, float(micro_area(h)), 0.0),
        (ELECTROLYTE_PPM, 4.0, 0.6, 0.0),
    ]
    y = np.zeros(n, complex)
    for ppm, fwhm, area, ph in lines:
        f = (ppm - O1_PPM) * BF_7LI
        r = np.pi * fwhm * BF_7LI
        amp = 2.0 * area * BF_7LI / sw_hz  # one-sided FID: line integral a / 2 in Hz
        y += amp * np.exp(1j * np.radians(ph + 20.0)) * np.exp((2j * np.pi * f - r) * t)
    k = np.fft.fftfreq(n)
    y = np.fft.ifft(np.fft.fft(y) * np.exp(-2j * np.pi * GRPDLY * k))  # digital filter delay
    return y + rng.normal(0, sigma, n) + 1j * rng.normal(0, sigma, n)


def write_series(folder: Path, seed: int = 11, snr: float = 400.0) -> None:
    """``folder/1..N`` TopSpin experiments (int32 little-endian fid, acqus)."""
    rng = np.random.default_rng(seed)
    n = TD // 2
    dppm = SW_PPM / n
    peak = 2 * A_ELECTRODE / (np.pi * 8.0) / dppm  # electrode peak height in DFT units
    sigma = peak / (snr * np.sqrt(n))
    scale = 50.0 / sigma  # fixed receiver gain: noise ~50 counts
    for i, h in enumerate(HOURS):
        exp = folder / str(i + 1)
        exp.mkdir(parents=True)
        data = np.round(_fid(h, rng, sigma) * scale)
        acqus = {
            "TD": TD,
            "NUC1": "<7Li>",
            "BF1": BF_7LI,
            "SFO1": BF_7LI * (1 + O1_PPM * 1e-6),
            "O1": O1_PPM * BF_7LI,
            "SW_h": SW_PPM * BF_7LI,
            "SW": SW_PPM,
            "DTYPA": 0,
            "BYTORDA": 0,
            "DECIM": 16,
            "DSPFVS": 20,
            "GRPDLY": GRPDLY,
            "DATE": T0 + int(round(h * 3600)),
            "NS": 16,
            "DS": 0,
            "D": "(0..63)\n0 1.0" + " 0" * 62,
            "AQ_mod": 3,
            "DIGMOD": 1,
        }
        write_experiment(exp, data, acqus)


@pytest.fixture(scope="module")
def li7_only(tmp_path_factory):
    root = tmp_path_factory.mktemp("li7only")
    write_series(root / "data" / "7Li")
    (root / "data" / "7Li" / "99").mkdir()  # a numbered folder that is not an experiment
    study = root / "study"
    study.mkdir()
    (study / "study.toml").write_text(
        f'[study]\nname = "7Li only, no area"\n[nmr.li7]\npath = "{root / "data" / "7Li"}"\n'
        # an amount given for a reference: read, not used (not_computed must say so)
        f'[[reference]]\nname = "foil"\nli7 = "{root / "data" / "7Li" / "1"}"\n'
        "amount_umol = { metal = 12.0 }\n"
    )
    doc = analyze(study, root / "res")
    return doc, root / "res"


@pytest.mark.slow
def test_umol_per_cm2_per_unit_is_what_the_area_calibration_gives(li7_only, tmp_path):
    """The same series with ``[cell] electrode_area_cm2 = 0.5``: its umol equal the relative
    metal x ``umol_per_cm2_per_unit`` x 0.5 of the run without an area (the factor stated in
    results.json is the electrode calibration's, not a separate estimate)."""
    doc0, res0 = li7_only
    series = res0.parent / "data" / "7Li"
    study = tmp_path / "study"
    study.mkdir()
    (study / "study.toml").write_text(
        f'[cell]\nelectrode_area_cm2 = 0.5\n[nmr.li7]\npath = "{series}"\n'
    )
    doc = analyze(study, tmp_path / "res")
    rel = doc0["metal_relative"]
    want = np.array(rel["total"], float) * rel["umol_per_cm2_per_unit"] * 0.5
    got = np.array(doc["metal_umol"]["total"], float)
    print("umol", got.round(3), "from relative", want.round(3))
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert doc["metal_relative"]["primary"] is False
    assert doc["stage_detection"]["units"] == "umol"
    assert "total_umol_per_h" in doc["stages"][-1]["rates"]


def test_metal_relative_recovers_the_known_growth(li7_only):
    """No area, no calibration, no 6Li: no umol, but the dendritic metal relative to the first
    spectrum's electrode line is the true area ratio within 3 % of the electrode line plus 3
    standard errors at every point (SNR 400), and the growth over the run within 5 %."""
    doc, _ = li7_only
    assert all(v is None for v in doc["metal_umol"]["total"])  # not calibrated: no umol
    rel = doc["metal_relative"]
    assert rel["primary"] is True
    got = np.array(rel["total"], float)
    err = np.array(rel["total_stat_err"], float)
    t = np.array(doc["time_h"])  # no cycler: hours from the first acquisition's start
    np.testing.assert_allclose(np.diff(t), np.diff(HOURS), atol=1e-3)
    truth = micro_area(HOURS) / A_ELECTRODE
    print("relative metal", got.round(4), "truth", truth.round(4), "err", err.round(4))
    assert np.all(np.abs(got - truth) <= 0.03 * truth + 3 * err)
    growth_true = truth[-1] - truth[0]
    g = rel["growth"][-1]
    print("growth", g, "+-", rel["growth_err"][-1], "truth", growth_true)
    assert abs(g - growth_true) <= 0.05 * growth_true
    assert abs(rel["ratio_to_first"][-1] - truth[-1] / truth[0]) <= 0.05 * truth[-1] / truth[0]
    assert rel["umol_per_cm2_per_unit"] > 0


def test_stage_change_point_at_the_onset(li7_only):
    """Stages from the relative trajectory: a stall, then growth starting within one interval
    (0.25 h) of the true onset; rates in relative units per h (the true 0.05/h within 10 %)."""
    doc, _ = li7_only
    t0 = doc["time_h"][0]
    onset = ONSET_H + t0  # HOURS[0] = 0 is the first spectrum's acquisition mid-point
    det = doc["stage_detection"]
    assert det["units"].startswith("relative")
    cps = det["change_points_h"]["total"]
    print("change points", cps, "onset", onset, "stages", doc["stages"])
    assert any(abs(c - onset) <= 0.25 for c in cps)
    growth = [s for s in doc["stages"] if s["name"] == "mixed-growth"]
    assert growth and abs(growth[0]["start_h"] - onset) <= 0.25 + 1.0  # stage rule: window 1 h
    rate = growth[-1]["rates"]["total_rel_per_h"]
    assert abs(rate - A_MICRO_RATE / A_ELECTRODE) <= 0.1 * A_MICRO_RATE / A_ELECTRODE
    assert not any("umol" in k for s in doc["stages"] for k in s["rates"])


def test_not_computed_and_summary_say_what_is_missing(li7_only):
    doc, res = li7_only
    notes = " ".join(doc["not_computed"])
    assert "no 6Li data" in notes and "interface fraction" in notes
    assert "metal_relative" in notes
    assert "[[reference]] amount_umol (foil) is read but not used" in notes
    assert "no 6Li series" in doc["quantification"]["method"]  # not 'joint 6Li/7Li'
    summary = (res / "summary.txt").read_text()
    assert "relative to the first spectrum's electrode line" in summary
    assert "dendritic metal growth" in summary
    written = json.loads((res / "results.json").read_text())
    assert written["metal_relative"]["unit"] == doc["metal_relative"]["unit"]


def test_reader_warnings_reach_results_summary_and_report(li7_only):
    """The series folder holds a numbered folder that is not an experiment: the reader warns
    (it used to be silenced); results.json lists it once, summary.txt and report.html show it."""
    doc, res = li7_only
    msgs = [w for w in doc["warnings"] if "not read as part of the series: 99" in w["message"]]
    assert len(msgs) == 1, doc["warnings"]
    assert msgs[0]["category"] == "RuntimeWarning" and msgs[0]["count"] >= 1
    assert msgs[0]["step"] in ("study.toml", "nmr.li7")
    assert "99 (no acqus)" in (res / "summary.txt").read_text()
    page = (res / "report.html").read_text()
    assert "id='warnings'" in page and "99 (no acqus)" in page


def test_report_draws_the_relative_metal(li7_only):
    """Without umol the metal panel is drawn from metal_relative, with its unit on the axis,
    and the stage table gives rates per hour in those units."""
    _, res = li7_only
    page = (res / "report.html").read_text()
    assert "data-absent='metal'" not in page
    assert "first electrode line" in page  # the axis title (plotly JSON)
    assert "relative to the electrode line of the first spectrum" in page  # the panel note
    assert "electrode lines h⁻¹" in page
    assert "n/a (not calibrated)" in page  # the summary's umol rows say why they are empty
    assert (res / "figures" / "overview.png").is_file()


def test_warnings_list_counts_repeats_and_caps():
    from dendritemr.pipeline import MAX_WARNINGS, warnings_list

    rec = [{"step": "nmr.li7", "category": "UserWarning", "message": f"m{i % 3}"} for i in range(7)]
    rows = warnings_list(rec)
    assert [(r["message"], r["count"]) for r in rows] == [("m0", 3), ("m1", 2), ("m2", 2)]
    many = [{"step": "mri", "category": "UserWarning", "message": f"x{i}"} for i in range(60)]
    rows = warnings_list(many + many[:5])
    assert len(rows) == MAX_WARNINGS + 1
    assert rows[-1]["message"] == f"{60 - MAX_WARNINGS} more distinct warnings not listed"
    assert rows[-1]["count"] == 60 - MAX_WARNINGS
    assert rows[0]["count"] == 2


def test_summary_names_time_zero_and_the_growth_in_umol():
    """Without a cycler time_h counts from the first 7Li acquisition (the summary said 'since
    cycling started'); with umol the growth is last - first with both errors."""
    from dendritemr.pipeline import summary_text

    doc = {
        "study": {"name": "s"},
        "time_h": [0.0, 1.0, 2.0],
        "metal_umol": {"total": [1.0, 2.0, 4.0], "total_err": [0.3, 0.1, 0.4]},
        "x6_metal": [None] * 3,
        "x6_metal_err": [None] * 3,
        "interface_fraction": [None] * 3,
        "interface_fraction_err": [None] * 3,
        "short_circuit_h": None,
        "stages": [],
        "not_computed": [],
        "cycler": None,
    }
    text = summary_text(doc)
    assert "0.00 to 2.00 h since the first 7Li acquisition started" in text
    assert "dendritic metal growth: 3 umol +- 0.5 umol from 0.00 to 2.00 h" in text
    assert "since cycling started" in summary_text({**doc, "cycler": {"clock": ["c"]}})


def test_spectra_carry_their_processing_history(li7_only):
    import xarray as xr

    _, res = li7_only
    with xr.open_dataset(res / "spectra.nc") as ds:
        attrs = dict(ds.attrs)
    steps = json.loads(attrs["history_7Li"])
    names = [s["step"] for s in steps]
    # as the nmr steps recorded them (with their parameters), then the series fit
    assert names == ["dc_offset", "digital_filter", "fourier_transform", "quant.decompose"]
    assert "history_6Li" not in attrs  # no 6Li series
    html = (res / "report.html").read_text()
    assert "fourier_transform" in html and "no-spectra-history" not in html
