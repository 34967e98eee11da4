"""The analysis pipeline's MRI maps path (``analyze --mri-maps``) on a small simulated study.

``pipeline.mri_windows`` (acquisition windows of the study's ParaVision scans) and
``pipeline.mri_dataset`` (the metal maps, profiles, totals and fronts that ``run_study`` puts
into the results when ``AnalyzeOptions(mri_maps=True)``) are called as ``run_study`` calls
them, on a study written by the simulator (natural Li everywhere, so the 7Li image counts all
the metal), and checked against the simulator's ground truth; bad input gives a sentence for
the results' not-computed list, not an exception.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import time

import numpy as np
import pytest
from small_csi import simulate_small_csi_study

from dendritemr import pipeline
from dendritemr.study import load_study


@pytest.fixture(scope="module")
def csi_study(tmp_path_factory):
    out = tmp_path_factory.mktemp("mri-maps") / "study"
    truth = simulate_small_csi_study(out, seed=64, every_h=2.0, snr=200.0)
    return load_study(out), truth


def _hours(wins, start):
    t0 = np.datetime64(dt.datetime.fromisoformat(start).astimezone(dt.UTC).replace(tzinfo=None))
    return [float(((a + (b - a) / 2) - t0) / np.timedelta64(1, "s")) / 3600 for _, a, b in wins]


def test_mri_maps_path_against_the_truth(csi_study):
    study, truth = csi_study
    wins = pipeline.mri_windows(study.mri)
    n = len(truth["mri"])
    assert n >= 3 and [w[0] for w in wins] == [str(i + 1) for i in range(n)]
    hours = _hours(wins, truth["start_time"])
    np.testing.assert_allclose(hours, [m["time_h"] for m in truth["mri"]], atol=2 / 3600)
    cpu = time.process_time()
    ds, note = pipeline.mri_dataset(study, [study.mri / w[0] for w in wins], {"time_h": hours})
    cpu = time.process_time() - cpu
    assert note == "" and ds is not None
    # one 32 x 4 x 128 fit takes ~0.1 s of CPU on one core; 2 s each is a generous ceiling that
    # still catches the 5-8x of spinning BLAS threads or a fit that stopped converging
    assert cpu < 2.0 * n
    assert ds.sizes["scan"] == n and ds["metal_umol"].dims[0] == "scan"
    np.testing.assert_allclose(ds["hours"], hours)
    for j, im in enumerate(truth["mri"]):
        true_map = np.array(im["metal_umol_map"])  # (z, lateral)
        est = ds["metal_umol"].values[j]  # (lateral, z)
        assert est.shape == true_map.T.shape
        tot, err = float(ds["total_umol"][j]), float(ds["total_umol_err"][j])
        # 4 SE: this study's metal is all interface metal on B's face, which the fit tells
        # from the electrode 50x stronger beside it by the 45 degree phase alone (1 degree of
        # electrode phase moves ~1 umol between them); image 2 measured -3.1 SE (docs/mri.md)
        assert abs(tot - true_map.sum()) < max(4 * err, 0.1 * true_map.sum())
        # the front from B within one pixel of the true tip, once the tip is beyond a pixel
        i = int(np.argmin(np.abs(np.array(truth["time_h"]) - im["time_h"])))
        pix = float(np.diff(im["pixel_z_um"])[0])
        if truth["tip_depth_um"][i] > pix:
            assert abs(float(ds["depth_b_um"][j]) - truth["tip_depth_um"][i]) <= pix
        # each depth has a standard error: at least the tip's spread within its pixel
        for side in ("b", "a"):
            d_err = float(ds[f"depth_{side}_um_err"][j])
            assert pix / np.sqrt(12) * (1 - 1e-9) <= d_err < 10 * pix
    # the last image holds metal well above the noise: the map follows the true one
    last = np.array(truth["mri"][-1]["metal_umol_map"])
    r = np.corrcoef(ds["metal_umol"].values[-1].ravel(), last.T.ravel())[0, 1]
    assert r > 0.8


def test_mri_maps_path_bad_input_is_a_sentence(csi_study, tmp_path):
    study, truth = csi_study
    wins = pipeline.mri_windows(study.mri)
    doc = {"time_h": [0.0] * len(wins)}
    scans = [study.mri / w[0] for w in wins]
    no_area = dataclasses.replace(study, electrode_area_cm2=None)
    ds, note = pipeline.mri_dataset(no_area, scans, doc)
    assert ds is None and "electrode_area_cm2" in note
    broken = tmp_path / "1"
    shutil.copytree(scans[0], broken)
    (broken / "method").unlink()
    ds, note = pipeline.mri_dataset(study, [broken], {"time_h": [0.0]})
    assert ds is None and "missing method file" in note and "\n" not in note


def test_maps_are_the_analysis_default():
    """analyze fits the CSI scans of a study with MRI unless told not to (--no-mri-maps)."""
    from click.testing import CliRunner

    from dendritemr.cli import main

    assert pipeline.AnalyzeOptions().mri_maps is True
    help_text = CliRunner().invoke(main, ["analyze", "--help"]).output
    assert "--mri-maps / --no-mri-maps" in help_text


def test_isotope_fractions_reach_the_maps(csi_study):
    """analyze passes each scan's 6Li fractions (pipeline.scan_isotopes) to the fit: a 7Li image
    of metal at x6 0.5 holds (1 - 0.0759) / 0.5 = 1.848x the Li it holds at natural abundance
    (electrode kept natural, so the calibration is unchanged)."""
    study, truth = csi_study
    wins = pipeline.mri_windows(study.mri)[-1:]
    scans = [study.mri / w[0] for w in wins]
    doc = {"time_h": [1.0]}
    natural, _ = pipeline.mri_dataset(study, scans, doc)
    iso = pipeline.scan_isotopes(np.array([1.0]), np.array([0.0, 2.0]), np.array([0.3, 0.7]),
                                 np.array([0.0759, 0.0759]), study)  # fmt: skip
    assert iso == [{"x6_metal": pytest.approx(0.5), "x6_electrode": pytest.approx(0.0759)}]
    enriched, _ = pipeline.mri_dataset(study, scans, doc, iso)
    ratio = float(enriched["total_umol"][0]) / float(natural["total_umol"][0])
    assert ratio == pytest.approx((1 - 0.0759) / 0.5, rel=1e-6)


def test_scan_isotopes_interpolates_and_falls_back(csi_study):
    study, _ = csi_study
    nan = np.nan
    got = pipeline.scan_isotopes(
        np.array([0.5, 5.0, nan]),
        np.array([0.0, 1.0, 2.0]),
        np.array([nan, 0.8, 0.6]),  # first point not measured
        np.array([nan, nan, nan]),  # electrode never measured: study value or natural
        study,
    )
    fallback = 0.0759 if study.x6_electrode is None else study.x6_electrode
    assert [g["x6_metal"] for g in got[:2]] == pytest.approx([0.8, 0.6])
    assert got[2]["x6_metal"] == pytest.approx(fallback)
    assert all(g["x6_electrode"] == pytest.approx(fallback) for g in got)


def test_scan_isotopes_drops_unphysical_and_uncertain_points(csi_study):
    """A time point with little metal can give x6 1.9 +- 3.3: not used (it would make the 7Li
    image's amount negative); nor one above the error limit; errors come along."""
    study, _ = csi_study
    got = pipeline.scan_isotopes(
        np.array([0.1, 1.5]),
        np.array([0.0, 1.0, 2.0]),
        np.array([1.94, 0.80, 0.60]),
        np.array([0.53, 0.53, 0.55]),
        study,
        x6_metal_err=np.array([3.3, 0.02, 0.04]),
        x6_electrode_err=np.array([0.001, 0.5, 0.001]),  # the middle one: above the limit
    )
    assert got[0]["x6_metal"] == pytest.approx(0.80)  # held from the first usable point
    assert got[1]["x6_metal"] == pytest.approx(0.70)
    assert got[1]["x6_metal_err"] == pytest.approx(0.03)
    assert got[1]["x6_electrode"] == pytest.approx(0.545)  # 0.53 at 0 h, 0.55 at 2 h
    assert got[1]["x6_electrode_err"] == pytest.approx(0.001)
    rel = pipeline.isotope_rel_err(got)
    assert rel[1] == pytest.approx(np.hypot(0.03 / 0.30, 0.001 / 0.455))


def test_isotope_errors_reach_the_totals(csi_study):
    """x6_metal 0.5 +- 0.05 is a 10 % scale error of the 7Li image's amounts: added in
    quadrature to the total's error (not to the pixels', which the front walk tests)."""
    study, _ = csi_study
    scans = [study.mri / w[0] for w in pipeline.mri_windows(study.mri)[-1:]]
    iso = [{"x6_metal": 0.5, "x6_electrode": 0.0759}]
    plain, _ = pipeline.mri_dataset(study, scans, {"time_h": [1.0]}, iso)
    iso_err = [{**iso[0], "x6_metal_err": 0.05, "x6_electrode_err": 0.0}]
    ds, _ = pipeline.mri_dataset(study, scans, {"time_h": [1.0]}, iso_err)
    assert float(ds["isotope_rel_err"][0]) == pytest.approx(0.1)
    tot = float(ds["total_umol"][0])
    assert tot == pytest.approx(float(plain["total_umol"][0]))
    expected = np.hypot(float(plain["total_umol_err"][0]), 0.1 * tot)
    assert float(ds["total_umol_err"][0]) == pytest.approx(expected, rel=1e-9)
    np.testing.assert_array_equal(ds["metal_umol_err"].values, plain["metal_umol_err"].values)


def test_shared_metal_shape_fixes_one_line_for_the_series(csi_study):
    """analyse_scans(shared_metal_shape=True): the second pass fits every scan with the same
    metal line (CsiModel.metal_line_fixed, held exactly), the mean of the free lines found."""
    from dendritemr.mri.commands import analyse_scans

    study, _ = csi_study
    scans = [study.mri / w[0] for w in pipeline.mri_windows(study.mri)]
    first, _ = analyse_scans(scans, study.electrode_area_cm2)
    free = [
        m.attrs["metal_single_line_ppm"]
        for m in first
        if m.attrs["metal_model_detected"] == "single"
    ]
    assert free, "the study's scans should find a free line at SNR 200"
    # where a free line is found, the amounts come from the two-line mixture nesting it
    assert all(
        m.attrs["metal_model"] == "mixture"
        for m in first
        if m.attrs["metal_model_detected"] == "single"
    )
    maps, series = analyse_scans(scans, study.electrode_area_cm2, shared_metal_shape=True)
    lines = np.array([m.attrs["metal_lines_ppm"][0] for m in maps])
    assert all(m.attrs["metal_model"] == "single" for m in maps)
    np.testing.assert_allclose(lines, np.tile(lines[0], (len(lines), 1)), atol=1e-6)
    lo, hi = np.min(free, axis=0), np.max(free, axis=0)
    assert np.all(lines[0] >= lo - 1e-6) and np.all(lines[0] <= hi + 1e-6)  # a weighted mean
    assert series.sizes["time"] == len(scans)


def test_metal_shapes_reach_the_fit(csi_study):
    """A metal line shape per scan (``metal_shapes``, as the NMR series would give it) is held
    fixed in that scan's fit: this study's metal is interface metal on B's face, which has the
    electrode's line, so the electrode's own shape (offset 0, its FWHM) gives the truth within
    4 SE; the total is the one ``metal_map`` gives with the same shape; None keeps the choice."""
    from dendritemr.io.paravision import read_raw
    from dendritemr.mri.csi import CsiModel, metal_map
    from dendritemr.mri.recon import reconstruct

    study, truth = csi_study
    wins = pipeline.mri_windows(study.mri)
    scans = [study.mri / w[0] for w in wins[-1:]]
    image = reconstruct(read_raw(scans[0]))
    plain = metal_map(image, CsiModel(electrode_area_cm2=study.electrode_area_cm2))
    lines = ((0.0, plain.attrs["electrode_line_ppm"][1], 1.0),)
    fixed = metal_map(
        image, CsiModel(electrode_area_cm2=study.electrode_area_cm2, metal_shape_lines=lines)
    )
    assert fixed.attrs["metal_model"] == "nmr"
    ds, note = pipeline.mri_dataset(study, scans, {"time_h": [1.0]}, metal_shapes=[lines])
    assert note == ""
    tot, err = float(ds["total_umol"][0]), float(ds["total_umol_err"][0])
    assert tot == pytest.approx(float(fixed["total_umol"]), rel=1e-9)
    true = float(np.sum(truth["mri"][-1]["metal_umol_map"]))
    assert abs(tot - true) < 4 * err
    none, _ = pipeline.mri_dataset(study, scans, {"time_h": [1.0]}, metal_shapes=[None])
    assert float(none["total_umol"][0]) == pytest.approx(float(plain["total_umol"]), rel=1e-9)


def test_a_failing_metal_shape_falls_back_to_the_model_choice(csi_study):
    """A shape the CSI fit refuses (weights without a positive sum) does not cost the scans
    their maps: every scan is fitted with the model choice and a sentence says why."""
    study, _ = csi_study
    wins = pipeline.mri_windows(study.mri)
    scans = [study.mri / w[0] for w in wins[-1:]]
    plain, note = pipeline.mri_dataset(study, scans, {"time_h": [1.0]})
    assert note == "" and plain["metal_model"].values.tolist() != ["nmr"]
    ds, note = pipeline.mri_dataset(
        study, scans, {"time_h": [1.0]}, metal_shapes=[((5.0, 5.0, -1.0),)]
    )
    assert ds is not None and "metal line shape failed in the CSI fit" in note
    assert "weights" in note and "\n" not in note
    assert ds["metal_model"].values.tolist() == plain["metal_model"].values.tolist()
    assert float(ds["total_umol"][0]) == pytest.approx(float(plain["total_umol"][0]), rel=1e-9)
    assert "metal_shape_lines" not in ds.attrs
