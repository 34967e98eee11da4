"""Report panels and page: the plotted numbers are the results' numbers, sliders have one frame
per spectrum, absent data give a sentence, the page loads nothing from outside."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

import numpy as np
import pytest
from reportgen import synthetic_inputs

from dendritemr.report import inputs as I
from dendritemr.report import write_report
from dendritemr.report.figures import build_panels, metal_panel, spectra_panel
from dendritemr.report.html import render_html
from dendritemr.report.static import write_static


def arr(v) -> np.ndarray:
    """A plotly array (list, numpy, or plotly's ``{dtype, bdata}`` typed-array spec) as numpy."""
    if isinstance(v, dict) and "bdata" in v:
        out = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return out.reshape(v["shape"]) if "shape" in v else out
    return np.asarray(v, dtype=float)


def test_metal_panel_plots_the_results_values_and_their_bands(synthetic):
    doc, _ = synthetic
    fig = metal_panel(doc).figure
    lines = {t.name: t for t in fig.data if t.fill is None}
    bands = {t.legendgroup: t for t in fig.data if t.fill == "toself"}
    for route in ("interface", "bulk", "total"):
        y = np.asarray(doc["metal_umol"][route])
        e = np.asarray(doc["metal_umol"][f"{route}_err"])
        np.testing.assert_array_equal(arr(lines[route].y), y)
        np.testing.assert_array_equal(arr(lines[route].x), doc["time_h"])
        band = arr(bands[route].y)
        n = y.size
        np.testing.assert_allclose(band[:n], y + e)  # upper edge, then lower edge reversed
        np.testing.assert_allclose(band[n:], (y - e)[::-1])
    # three stage bands + the short line
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(r.x0, r.x1) for r in rects] == [(0.0, 4.0), (4.0, 7.0), (7.0, 8.5)]
    assert [s.x0 for s in fig.layout.shapes if s.type == "line"] == [7.0]


def test_spectra_slider_one_frame_per_spectrum_and_frame_is_that_spectrum(synthetic):
    doc, ds = synthetic
    panel = spectra_panel(doc, ds)
    fig = panel.figure
    n = ds["spectra"].sizes["time_7Li"]
    assert len(fig.frames) == n
    assert len(fig.layout.sliders[0].steps) == n
    labels = [s.label for s in fig.layout.sliders[0].steps]
    assert labels == [f"{h:.2f}" for h in doc["time_h"]]
    raw = np.real(ds["spectra"]["spectrum_7Li"].values)
    stride = int(np.ceil(raw.shape[1] / I.MAX_POINTS))
    scale = np.abs(raw[:, ::stride]).max()
    for k in (0, n // 2, n - 1):
        shown = arr(fig.frames[k].data[0].y)
        np.testing.assert_allclose(shown, raw[k, ::stride] / scale, rtol=1e-6, atol=1e-7)
    # the fit trace is the model, the residual trace is data - model (offset below)
    model = np.real(ds["spectra"]["model_7Li"].values)[:, ::stride] / scale
    np.testing.assert_allclose(arr(fig.frames[2].data[1].y), model[2], rtol=1e-6, atol=1e-7)
    resid = arr(fig.frames[2].data[2].y) + 0.25
    np.testing.assert_allclose(resid, raw[2, ::stride] / scale - model[2], atol=1e-6)
    # the 6Li row: its own frames (data, fit, residual) after the 7Li ones
    raw6 = np.real(ds["spectra"]["spectrum_6Li"].values)[:, ::stride]
    shown6 = arr(fig.frames[3].data[3].y)
    np.testing.assert_allclose(shown6, raw6[3] / np.abs(raw6).max(), rtol=1e-6, atol=1e-7)
    # the "metal" button zooms to 200-300 ppm with the y range of every spectrum and fit there
    metal = fig.layout.updatemenus[0].buttons[1]
    assert metal.label == "metal 200 to 300 ppm"
    x_all = np.linspace(350.0, -50.0, raw.shape[1])[::stride]
    inside = (x_all >= 200) & (x_all <= 300)
    top = max(raw[:, ::stride][:, inside].max(), model[:, inside].max() * scale) / scale
    assert metal.args[0]["xaxis.range"] == [300.0, 200.0]
    lo, hi = metal.args[0]["yaxis.range"]
    assert hi == pytest.approx(top + 0.05 * (top - lo) / 1.05, rel=1e-2)
    # the electrode peak is at 250 ppm in the shown axis
    x = arr(fig.data[1].x)
    assert x[np.argmax(arr(fig.data[1].y))] == pytest.approx(250.0, abs=0.4)


def test_absent_6li_and_spectra_give_sentences_not_figures():
    doc, ds = synthetic_inputs(li6=False)
    del ds["mri"]
    panels = {p.key: p for p in build_panels(doc, ds)}
    assert panels["isotopes"].figure is None
    # the analysis' own sentence (reportgen: "no 6Li data: x6 of the metal cannot be computed")
    assert panels["isotopes"].note == "No 6Li data: x6 of the metal cannot be computed"
    assert panels["spectra"].figure is not None  # 7Li alone
    assert len(panels["spectra"].figure.frames[0].data) == 3  # 7Li spectrum, fit, residual
    assert "no 6Li spectra: no 6Li series in this study" in panels["spectra"].note
    assert panels["map-6Li"].figure is None
    assert panels["mri"].figure is None and panels["mri"].note == "no MRI data in this study"
    del ds["spectra"]
    panels = {p.key: p for p in build_panels(doc, ds)}
    assert "no 'spectra' dataset" in panels["spectra"].note
    assert panels["metal"].figure is not None  # the time panels still render
    page = render_html(doc, ds)
    assert "No 6Li data: x6" in page and "no &#x27;spectra&#x27; dataset" in page


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        self.scripts += tag == "script"
        self.refs += [v for k, v in attrs if k in ("src", "href") and v]


def test_page_is_self_contained(synthetic, tmp_path):
    doc, ds = synthetic
    path = write_report(tmp_path, doc, ds)
    page = path.read_text()
    parser = _Links()
    parser.feed(page)
    assert parser.refs == []  # no src/href at all: nothing to fetch
    assert page.count("plotly.js v") >= 1 and page.count("</html>") == 1
    # one inlined plotly.js (its licence banner appears once), one script per figure
    assert page.count("* plotly.js v") == 1
    n_fig = sum(p.figure is not None for p in build_panels(doc, ds))
    assert n_fig == 10 and parser.scripts == 1 + n_fig
    assert "E. D. Becker" not in page and "R. R. Ernst" in page  # the doc's citations
    for png in ("overview", "spectra_7Li", "spectra_6Li", "map_7Li", "fit_quality", "mri"):
        assert (tmp_path / "figures" / f"{png}.png").read_bytes()[:4] == b"\x89PNG"
        assert (tmp_path / "figures" / f"{png}.pdf").read_bytes()[:5] == b"%PDF-"


def test_static_figures_skip_absent_data_with_reason(tmp_path):
    doc, ds = synthetic_inputs(li6=False)
    del ds["mri"]
    out = write_static(tmp_path, doc, ds)
    assert out["spectra_6Li"] == "no 6Li series in this study"
    assert out["mri"] == "no MRI data in this study"
    assert [p.suffix for p in out["overview"]] == [".png", ".pdf"]
    assert not (tmp_path / "spectra_6Li.png").exists()


def test_spectra_from_decomposition_removes_phase0():
    import xarray as xr

    rng = np.random.default_rng(5)
    n, m = 4, 64
    x = np.linspace(300, 200, m)
    absorb = 1 / (1 + ((x - 250) / 3) ** 2)
    phi = rng.uniform(-3, 3, n)
    data = absorb[None, :] * np.exp(1j * phi)[:, None]
    pad = np.full((1, n, 8), np.nan + 0j)
    dec = xr.Dataset(
        {
            "data": (("nucleus", "time", "point"), np.concatenate([data[None], pad], axis=2)),
            "fit": (("nucleus", "time", "point"), np.concatenate([data[None], pad], axis=2)),
            "fit_ppm": (("nucleus", "point"), np.concatenate([x, np.full(8, np.nan)])[None]),
            "phase0": (("nucleus", "time"), phi[None]),
            "redchi": (("nucleus", "time"), np.ones((1, n))),
        },
        coords={"nucleus": ["7Li"]},
    )
    out = I.spectra_from_decomposition(dec, np.arange(n) * 0.5)
    assert out["spectrum_7Li"].shape == (n, m)
    np.testing.assert_allclose(out["spectrum_7Li"].values.real, np.tile(absorb, (n, 1)), atol=1e-12)
    np.testing.assert_allclose(out["spectrum_7Li"].values.imag, 0, atol=1e-12)
    np.testing.assert_allclose(out["residual_7Li"].values, 0, atol=1e-12)
    np.testing.assert_array_equal(out["hours_7Li"].values, [0, 0.5, 1.0, 1.5])


def test_citations_from_keys_or_registry():
    from dendritemr.physics.citations import REFERENCES

    assert I.citations({"citations": ["harris2001"]}) == [str(REFERENCES["harris2001"])]
    assert I.citations({"citations": [{"text": "A. B., J. X. 1 (2000)", "doi": "10.1/x"}]}) == [
        "A. B., J. X. 1 (2000) doi:10.1/x"
    ]


def test_pipeline_layout_shared_time_and_windows_with_a_gap():
    """``run_study``'s layout: one ``time`` dim with ``hours``, ppm stored as two windows."""
    import xarray as xr

    rng = np.random.default_rng(2)
    ppm = np.concatenate([np.linspace(360, 160, 200), np.linspace(40, -40, 80)])
    n = 5
    hours = np.array([0.1, 0.6, 1.1, 1.6, 2.1])
    data = rng.normal(size=(n, ppm.size)) + 1j * rng.normal(size=(n, ppm.size))
    ds = xr.Dataset(
        {"spectrum_7Li": (("time", "ppm_7Li"), data)},
        coords={
            "time": np.datetime64("2026-01-01T00:00") + (hours * 3600).astype("timedelta64[s]"),
            "hours": ("time", hours),
            "ppm_7Li": ppm,
        },
    )
    s, why = I.spectra_series({"spectra": ds}, "7Li", {"time_h": [9.0] * n})
    assert why == ""
    np.testing.assert_array_equal(s.hours, hours)  # the dataset's own clock, not the doc's
    assert s.ppm.size == ppm.size + 1 and s.ppm[200] == pytest.approx(100.0)
    assert np.isnan(s.data[:, 200]).all() and np.isfinite(s.data[:, :200]).all()
    np.testing.assert_array_equal(s.data[:, 201:], data.real[:, 200:])


def test_minimal_schema_document_renders_with_reasons():
    """Only the schema's required keys, all values null, no datasets: every panel says why."""
    n = 4
    doc = {
        "schema": "dendritemr.results/1",
        "time_h": [0.0, 0.5, 1.0, 1.5],
        "metal_umol": {"interface": [None] * n, "bulk": [None] * n},
        "x6_metal": [None] * n,
        "interface_fraction": [None] * n,
        "stages": [],
        "short_circuit_h": None,
    }
    panels = build_panels(doc, {})
    assert all(p.figure is None and p.note for p in panels)
    page = render_html(doc, {})
    assert page.count("class='absent'") >= len(panels)
    assert "no cycler file in this study" in page and "no MRI data in this study" in page
    # a ground truth (values, no errors) draws lines without bands
    doc["metal_umol"] = {"interface": [0.0, 1.0, 2.0, 3.0], "bulk": [0.0, 0.0, 0.5, 1.0]}
    fig = metal_panel(doc).figure
    assert [t.name for t in fig.data] == ["interface", "bulk"]


@pytest.mark.filterwarnings("ignore:All-NaN slice:RuntimeWarning")
def test_all_nan_spectra_and_a_failing_panel_do_not_stop_the_report(tmp_path, monkeypatch):
    from dendritemr.report import figures

    doc, ds = synthetic_inputs(li6=False)
    ds["spectra"]["spectrum_7Li"][:] = np.nan
    path = write_report(tmp_path, doc, ds)  # no exception: NaN spectra draw empty, not crash
    assert path.is_file() and "static-figures" in path.read_text()
    assert "not written: the spectra hold no finite values" in path.read_text()  # the map

    def boom(doc):
        raise ValueError("boom")

    monkeypatch.setattr(figures, "metal_panel", boom)
    with pytest.warns(RuntimeWarning, match="metal"):
        panels = {p.key: p for p in build_panels(doc, ds)}
    assert panels["metal"].figure is None
    assert panels["metal"].note == "this panel could not be drawn (ValueError: boom)"
    assert panels["cycler"].figure is not None


def test_mri_panels_show_the_dataset_values(synthetic):
    doc, ds = synthetic
    panels = {p.key: p for p in build_panels(doc, ds)}
    mri = ds["mri"]
    fig = panels["mri-series"].figure
    lines = {t.name: t for t in fig.data if t.fill is None}
    # legend in words ('depth_b_um' before)
    assert set(lines) >= {"metal in the image", "penetration depth from B"}
    np.testing.assert_array_equal(arr(lines["metal in the image"].y), mri["total_umol"].values)
    np.testing.assert_array_equal(arr(lines["penetration depth from B"].x), [1.0, 4.0, 8.0])
    # "quantity / unit" on both rows, not the unit alone ("µm" before)
    assert fig.layout.yaxis.title.text == "n(Li<sup>0</sup>) / µmol"
    assert fig.layout.yaxis2.title.text == "depth / µm"
    prof = panels["mri-profile-profile-umol"].figure
    # readable headings and axes, not variable names
    title = panels["mri-profile-profile-umol"].title
    assert title == "MRI profile: metal per row across the pellet"
    assert prof.layout.yaxis.title.text == "metal per row across the pellet / µmol"
    assert len(prof.frames) == 3 == len(prof.layout.sliders[0].steps)
    np.testing.assert_allclose(arr(prof.frames[1].data[0].y), mri["profile_umol"].values[1])
    maps = panels["mri-map-metal-umol"].figure
    np.testing.assert_allclose(
        arr(maps.frames[0].data[0].z), mri["metal_umol"].values[0], rtol=1e-6, atol=1e-30
    )
