"""A simulated study reads back with the project's readers and nmrglue, at the stated SNR."""

from __future__ import annotations

import datetime as dt
import json

import nmrglue as ng
import numpy as np
import pytest
from click.testing import CliRunner

from dendritemr.io import open_dataset
from dendritemr.io.cycler_csv import read_cycler_csv
from dendritemr.io.paravision import read_2dseq, read_raw, reconstruct
from dendritemr.physics.nuclei import larmor_mhz
from dendritemr.results_schema import load_results, score, validate
from dendritemr.sim.observables.noise import measure_snr
from dendritemr.sim.observables.settings import CsiSettings, ObservationSettings
from dendritemr.sim.scenario import load_scenario
from dendritemr.sim.study import simulate

OBS = ObservationSettings(
    csi=CsiSettings(every_h=2.0, matrix_z=32, matrix_x=4, spectral_points=128)
)


def test_topspin_series_reads_back(study):
    out, truth = study
    for nmr in OBS.nmr():
        da = open_dataset(out / nmr.nucleus)
        assert da.attrs["nucleus"] == nmr.nucleus
        assert da.attrs["field_t"] == pytest.approx(OBS.field_t, rel=1e-3)
        assert da.sizes["time"] == len(truth["time_h"])
        assert da.sizes["t2"] == nmr.td // 2
    li7 = open_dataset(out / "7Li")
    start = dt.datetime.fromisoformat(truth["start_time"]).astimezone(dt.UTC)
    hours = (
        (li7["time"].values - np.datetime64(start.replace(tzinfo=None), "ns"))
        / np.timedelta64(1, "s")
        / 3600
    )
    np.testing.assert_allclose(hours, truth["time_h"], atol=2 / 3600)


@pytest.mark.parametrize("k", [0, 1])
def test_nmrglue_reads_and_snr_as_stated(study, k):
    out, _ = study
    nmr = OBS.nmr()[k]
    dic, data = ng.bruker.read(str(out / nmr.nucleus / "1"))
    assert dic["acqus"]["NUC1"] == nmr.nucleus
    assert data.shape == (nmr.td // 2,)
    assert dic["acqus"]["GRPDLY"] == pytest.approx(nmr.grpdly)
    bf1, sw, o1 = dic["acqus"]["BF1"], dic["acqus"]["SW_h"], dic["acqus"]["O1"]
    data = ng.bruker.remove_digital_filter(dic, data)
    spec = np.fft.fftshift(np.fft.fft(data))
    ppm = (np.fft.fftshift(np.fft.fftfreq(data.size, 1 / sw)) + o1) / bf1
    lo = o1 / bf1 + 0.3 * sw / bf1  # blank, far from the huge LLZO line
    snr = measure_snr(spec, ppm, noise_band=(lo, lo + 0.15 * sw / bf1))
    assert snr == pytest.approx(nmr.snr, rel=0.15)


def test_paravision_csi_reads_back(study):
    out, truth = study
    raw = read_raw(out / "mri" / "1")
    csi = OBS.csi
    assert raw.dims == ("repetition", "slice", "ky", "kx", "t2")
    assert raw.shape == (1, 1, csi.matrix_x, csi.matrix_z, csi.spectral_points)
    assert raw.attrs["nucleus"] == "7Li"
    # plain numpy read of the fid per acqp
    plain = np.fromfile(out / "mri" / "1" / "fid", "<i4").astype(float)
    plain = (plain[0::2] + 1j * plain[1::2]).reshape(csi.matrix_x, csi.matrix_z, -1)
    np.testing.assert_array_equal(plain, raw.values[0, 0])
    image = np.abs(reconstruct(raw))
    ref = read_2dseq(out / "mri" / "1" / "pdata" / "1")
    assert ref.dims == ("slice", "y", "x", "ppm")
    k = float((ref.values * image.values[0]).sum() / (image.values[0] ** 2).sum())
    nrmse = np.sqrt(np.mean((k * image.values[0] - ref.values) ** 2)) / ref.values.std()
    assert nrmse < 1e-3
    np.testing.assert_allclose(ref["ppm"].values, image["ppm"].values, atol=1e-9)
    # metal visible at the stated SNR in the first image (noise from a blank band)
    snr = measure_snr(reconstruct(raw).values[0], image["ppm"].values, (-240.0, -150.0))
    assert snr == pytest.approx(csi.snr, rel=0.2)


def test_cycler_and_truth(study, small_scenario):
    out, truth = study
    ds = read_cycler_csv(out / "cycler.csv")
    assert ds["current_mA"].values[0] == pytest.approx(
        small_scenario.protocol.current_density_mA_cm2 * small_scenario.geometry.area_cm2
    )
    assert np.all(np.isfinite(ds["voltage_V"].values))
    doc = load_results(out / "ground_truth.json")
    validate(doc)
    s = score(doc, doc)
    assert s["metal_interface_rmse_umol"] == 0.0 and s["short_circuit_agrees"] == 1.0


def test_same_seed_identical_files_other_seed_differs(study, small_scenario, tmp_path):
    out, _ = study
    again = tmp_path / "again"
    simulate(small_scenario, again, seed=3, observation=OBS)
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for f in files:
        assert (out / f).read_bytes() == (again / f).read_bytes(), f
    other = tmp_path / "other"
    simulate(small_scenario, other, seed=4, observation=OBS)
    assert (out / "7Li/1/fid").read_bytes() != (other / "7Li/1/fid").read_bytes()


def test_cli_simulate(tmp_path):
    from dendritemr.sim.commands import simulate as cmd

    scen = tmp_path / "s.toml"
    scen.write_text(
        "[geometry]\nthickness_um = 200.0\nwidth_um = 40.0\n"
        "[protocol]\nmax_time_h = 2.0\n[isotopes]\nrest_h = 1.0\n"
    )
    res = CliRunner().invoke(cmd, [str(scen), "--out", str(tmp_path / "o"), "--seed", "2"])
    assert res.exit_code == 0, res.output
    truth = json.loads((tmp_path / "o" / "ground_truth.json").read_text())
    assert truth["seed"] == 2
    bad = CliRunner().invoke(cmd, [str(tmp_path / "missing.toml"), "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "error:" in bad.output


def test_written_scenario_holds_the_observation_used(study, small_scenario):
    out, _ = study
    written = load_scenario(out / "scenario.toml")
    assert written.observation() == OBS
    assert written.mri.every_h == 2.0 and written.mri.matrix_z == 32
    assert written.geometry == small_scenario.geometry and written.seed == 3


def test_cli_scenario_file_sets_the_observation(tmp_path):
    from dendritemr.sim.commands import simulate as cmd

    scen = tmp_path / "s.toml"
    scen.write_text(
        "[geometry]\nthickness_um = 200.0\nwidth_um = 40.0\n"
        "[protocol]\nmax_time_h = 2.0\n[isotopes]\nrest_h = 1.0\n"
        "[spectrometer]\nfield_t = 9.4\ninterval_h = 1.0\nstart = 2026-05-04T10:00:00+02:00\n"
        "[li7]\ntd = 2048\n[li6]\ntd = 1024\nns = 8\n[mri]\nenabled = false\n"
    )
    res = CliRunner().invoke(cmd, [str(scen), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    out = tmp_path / "o"
    truth = json.loads((out / "ground_truth.json").read_text())
    assert truth["field_t"] == 9.4
    assert truth["start_time"] == "2026-05-04T10:00:00+02:00"
    assert truth["files"]["mri"] == [] and not (out / "mri").exists()
    for nucleus, td, ns in (("7Li", 2048, 64), ("6Li", 1024, 8)):
        dic, data = ng.bruker.read(str(out / nucleus / "1"))
        bf1 = larmor_mhz(nucleus, 9.4)
        assert dic["acqus"]["BF1"] == pytest.approx(bf1, rel=1e-9)
        assert dic["acqus"]["SFO1"] == pytest.approx(bf1 * (1 + 130e-6), rel=1e-9)
        assert (dic["acqus"]["TD"], dic["acqus"]["NS"], data.shape) == (td, ns, (td // 2,))
    # interval_h = 1 in a 2 h run: time points at 0 h and 1 h (plus the acquisition mid-point)
    assert len(truth["time_h"]) == len(list((out / "7Li").iterdir())) == 2
    assert np.diff(truth["time_h"]) == pytest.approx([1.0])
    assert load_scenario(out / "scenario.toml").observation() == load_scenario(scen).observation()
