"""Report layout for readers: stage names that never overlap, soft shorts marked where the
data are, the static overview on the NMR series' own time span, panel labels off the data."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from reportgen import synthetic_inputs

from dendritemr.report.figures import cycler_panel, metal_panel
from dendritemr.report.html import render_html
from dendritemr.report.style import nucleus_text, soft_shorts, stage_label_positions


def _stages(*runs):
    return [{"name": n, "start_h": a, "end_h": b} for n, a, b in runs]


def test_stage_labels_merge_runs_of_one_name():
    # three mixed-growth stages in a row (the TEGDME cell) are one label at their middle
    st = _stages(
        ("mixed-growth", -0.42, -0.02), ("mixed-growth", -0.02, 0.3), ("mixed-growth", 0.3, 3.72)
    )
    assert stage_label_positions(st, -0.42, 3.72, 100) == [(pytest.approx(1.65), "mixed-growth")]


def test_stage_labels_never_overlap_and_stay_inside():
    rng = np.random.default_rng(5)
    names = ["stall", "interface-growth", "bulk-nucleation", "mixed-growth"]
    for _ in range(200):
        edges = np.sort(rng.uniform(0, 40, rng.integers(2, 9)))
        st = _stages(
            *((names[rng.integers(4)], a, b) for a, b in zip(edges[:-1], edges[1:], strict=True))
        )
        chars = float(rng.uniform(20, 200))
        got = stage_label_positions(st, 0.0, 40.0, chars)
        halves = [0.5 * (len(n) + 1) / chars * 40.0 for _, n in got]
        for (x, _), h in zip(got, halves, strict=True):
            assert x - h >= -1e-9 and x + h <= 40 + 1e-9  # inside the axis
        spans = sorted((x - h, x + h) for (x, _), h in zip(got, halves, strict=True))
        assert all(b0 <= a1 + 1e-9 for (_, b0), (a1, _) in zip(spans[:-1], spans[1:], strict=True))
        # every label lies within its half width of its own band (merged runs included)
        for (x, n), h in zip(got, halves, strict=True):
            assert any(
                s["name"] == n and s["start_h"] - h - 1e-9 <= x <= s["end_h"] + h + 1e-9 for s in st
            )


def test_stage_label_moves_beside_a_longer_one_instead_of_vanishing():
    # the demo's stages on a 34 h axis, 108 characters across: "bulk-nucleation" (1 h band)
    # would overlap the first "stall" label by 0.2 h at its middle; it moves right instead
    st = _stages(("stall", 0, 5.51), ("bulk-nucleation", 5.51, 6.51), ("stall", 6.51, 32.51))
    got = stage_label_positions(st, 0.0, 34.0, 108)
    assert [n for _, n in got] == ["stall", "bulk-nucleation", "stall"]
    x_stall, x_bulk = got[0][0], got[1][0]
    assert x_stall == pytest.approx(2.755)
    assert x_bulk == pytest.approx(x_stall + (6 + 16) / 2 / 108 * 34)  # touching, not overlapping
    # a label with no room near its band is left out rather than drawn over another
    assert [n for _, n in stage_label_positions(st, 0.0, 34.0, 12)] == ["stall"]


def _with_soft_short(doc, a, b):
    doc = copy.deepcopy(doc)
    doc["short"] = {
        "soft_shorts": [
            {
                "kind": "partial",
                "start_h": a,
                "end_h": b,
                "min_voltage_V": 0.0388,
                "min_ratio": 0.336,
            }
        ]
    }
    return doc


def test_soft_shorts_marked_and_clipped_to_the_data():
    doc, ds = synthetic_inputs(n=6)
    assert soft_shorts(doc) == []
    doc = _with_soft_short(doc, 5.0, 30.0)  # runs on past the series (0.25-8.25 h)
    assert soft_shorts(doc) == [(5.0, 30.0, "soft short (partial)")]
    fig = cycler_panel(doc, ds).figure
    hi = float(np.max(ds["cycler"]["hours"].values))
    red = [s for s in fig.layout.shapes if s.type == "rect" and s.line.dash == "dot"]
    assert len(red) == 2  # voltage and current rows
    assert all((r.x0, r.x1) == (5.0, hi) for r in red)  # clipped to the record
    assert [a.text for a in fig.layout.annotations].count("soft short (partial)") == 1
    # one wholly outside the plotted times draws nothing (it would stretch the time axis)
    far = _with_soft_short(doc, 20.0, 30.0)
    fig = metal_panel(far).figure
    assert not [s for s in fig.layout.shapes if s.type == "rect" and s.line.dash == "dot"]
    page = render_html(doc, ds, panels=[])
    assert "partial 5 to 30 h (min |U| 0.039 V, 0.34 of the level before)" in page


def test_summary_says_when_time_zero_is_and_json_is_rounded_and_wrapped():
    doc, ds = synthetic_inputs(n=4)
    doc["stage_detection"] = {"penalty": 12.658523115528322, "criterion": "x" * 400}
    page = render_html(doc, ds, panels=[])
    assert "(0.25 to 8.25 h since the first 7Li acquisition started)" in page  # no cycler
    # a table row rounded to 4 digits, the long criterion a wrapped paragraph above it
    assert "<th>penalty</th><td>12.66</td>" in page and "12.658523" not in page
    assert f"<p class='note'>{'x' * 400}</p>" in page
    assert "white-space: pre-wrap" in page and "overflow-wrap: anywhere; }" in page
    assert nucleus_text("7Li") == "⁷Li" and nucleus_text("133Cs") == "¹³³Cs"


def test_static_overview_spans_the_nmr_series_not_the_whole_cycler_record(tmp_path):
    """The TEGDME cell: 4 h of spectra in a 45 h cycler record; the overview shows the 4 h."""
    from dendritemr.report import static

    doc, ds = synthetic_inputs(n=6)
    cyc = ds["cycler"]
    ds["cycler"] = cyc.assign_coords(hours=cyc["hours"].values * 6)  # 0-51 h record
    doc["short_circuit_h"] = None
    doc["time_start_h"] = [t - 0.1 for t in doc["time_h"]]
    doc["time_end_h"] = [t + 0.1 for t in doc["time_h"]]
    seen = {}
    real_save = static._save

    def keep(fig, folder, name, plt):
        if name == "overview":
            seen["xlim"] = fig.axes[0].get_xlim()
            seen["labels"] = [t.get_text() for t in fig.texts]
            seen["tops"] = [a.get_position().y1 for a in fig.axes]
            seen["ys"] = [t.get_position()[1] for t in fig.texts]
        return real_save(fig, folder, name, plt)

    static._save = keep
    try:
        static.write_static(tmp_path, doc, ds)
    finally:
        static._save = real_save
    lo, hi = seen["xlim"]
    span = doc["time_end_h"][-1] - doc["time_start_h"][0]
    assert lo == pytest.approx(doc["time_start_h"][0] - 0.01 * span)
    assert hi == pytest.approx(doc["time_end_h"][-1] + 0.01 * span)
    # panel labels are figure texts level with the top of each axes (outside the data)
    assert seen["labels"] == ["(a)", "(b)", "(c)", "(d)"]
    np.testing.assert_allclose(seen["ys"], seen["tops"])


def test_spectra_open_on_the_metal_window():
    """The 7Li metal line is ~1/100 of the electrolyte line: the panel opens on 200-300 ppm with
    the y range of the spectra and fits there (the 'metal' button shown active)."""
    from dendritemr.nmr.defaults import METAL_WINDOW
    from dendritemr.report.figures import spectra_panel

    doc, ds = synthetic_inputs(n=5)
    fig = spectra_panel(doc, ds).figure
    lo, hi = METAL_WINDOW
    assert list(fig.layout.xaxis.range) == [hi, lo] and fig.layout.xaxis.autorange is False
    assert fig.layout.updatemenus[0].active == 1
    assert fig.layout.updatemenus[0].buttons[1].label.startswith("metal")
    sp = ds["spectra"]
    inside = (sp["ppm_7Li"] >= lo) & (sp["ppm_7Li"] <= hi)
    data = np.real(sp["spectrum_7Li"].values)
    top = max(data[:, inside].max(), np.real(sp["model_7Li"].values)[:, inside].max())
    y0, y1 = fig.layout.yaxis.range
    assert y1 > top / np.abs(sp["spectrum_7Li"].values).max() > y0


def test_stage_table_says_what_a_stall_is():
    doc, ds = synthetic_inputs(n=4)
    page = render_html(doc, ds, panels=[])
    assert "id='stage-rule'" not in page  # no detection record: no rule to quote
    doc["stage_detection"] = {"window_h": 1.0, "detection_sigmas": 3.0}
    page = render_html(doc, ds, panels=[])
    assert "more than 3 standard errors within 1 h" in page


def test_cycler_record_missing_the_nmr_series_is_said_loudly():
    """A cycler start a week off put every spectrum at -168 h and the page said nothing."""
    doc, ds = synthetic_inputs(n=4)
    doc["cycler"] = {"covered": [True] * 4, "record_h": [0.0, 8.5]}
    page = render_html(doc, ds, panels=[])
    assert "4 of 4 (record 0.00 to 8.50 h)" in page and "clock-warning" not in page
    doc["cycler"] = {"covered": [False] * 4, "record_h": [0.0, 33.66]}
    page = render_html(doc, ds, panels=[])
    assert "id='clock-warning'" in page
    assert "covers 0 of the 4 NMR acquisitions (record 0.00 to 33.66 h)" in page
    assert "Check [cycler] start, timezone and clock_offset_s" in page


def test_current_from_study_toml_is_said_to_be_not_measured():
    doc, ds = synthetic_inputs(n=4)
    assert "not measured" not in cycler_panel(doc, ds).note
    doc["cycler"] = {
        "current_given": True,
        "clock": ["current: constant 0.4 mA from study.toml (file has none)"],
    }
    note = cycler_panel(doc, ds).note
    assert "The current is not measured: constant 0.4 mA from study.toml (file has none)" in note


def test_a_study_without_cycler_or_area_says_what_time_zero_is_and_why_no_metal():
    """Only [nmr.li7] (the minimal study): time counts from the first 7Li acquisition (the page
    said 'since the current started'), and the metal panel gave the 6Li sentence as the
    reason for having no amounts instead of the missing electrode area."""
    from dendritemr.report.figures import spectra_panel

    doc, ds = synthetic_inputs(n=4, li6=False)
    for k in ("interface", "bulk", "total"):
        doc["metal_umol"][k] = [None] * 4
    doc["not_computed"] = [
        "no 6Li data: x6 of the metal ... metal amounts assume the metal has the electrode's x6",
        "no [cell] electrode_area_cm2: amounts not calibrated (areas only)",
        "no cycler file: time counts from the first 7Li acquisition",
    ]
    page = render_html(doc, ds, panels=[])
    assert "h since the first 7Li acquisition started)" in page
    assert metal_panel(doc).note == (
        "no metal amounts: no [cell] electrode_area_cm2: amounts not calibrated (areas only)"
    )
    assert "slider: time since the first 7Li acquisition started" in spectra_panel(doc, ds).note
    doc["cycler"] = {"covered": [True] * 4}
    assert "since the current started" in render_html(doc, ds, panels=[])


def test_a_single_spectrum_gets_no_empty_map(tmp_path):
    """One 7Li spectrum (a study pointing at one expno): the map was an empty frame."""
    from dendritemr.report.figures import map_panel
    from dendritemr.report.static import ONE_SPECTRUM, write_static

    doc, ds = synthetic_inputs(n=1, li6=False)
    panel = map_panel(doc, ds, "7Li")
    assert panel.figure is None and "one spectrum" in panel.note
    out = write_static(tmp_path, doc, ds)
    assert out["map_7Li"] == ONE_SPECTRUM and not (tmp_path / "map_7Li.png").exists()
    assert isinstance(out["spectra_7Li"], list)  # the spectrum itself is still drawn


def test_score_table_in_words_first():
    doc, ds = synthetic_inputs(n=4)
    doc["score"] = {"zz_other": 1.0, "x6_metal_mae": 0.01623, "metal_interface_nrmse": 0.02851}
    page = render_html(doc, ds, panels=[])
    table = page[page.index("id='score'") :]
    a = table.index("metal, interface: RMSE / largest true amount")
    b = table.index("x6 of the metal: mean absolute error")
    c = table.index("zz_other")
    assert a < b < c and "(x6_metal_mae)" in table and ">0.01623<" in table


def test_time_shift_map_shows_the_stages_inside_its_right_edge():
    from dendritemr.report.figures import map_panel

    doc, ds = synthetic_inputs()  # stages 0-4, 4-7, 7-8.5 h
    fig = map_panel(doc, ds, "7Li").figure
    strip = [s for s in fig.layout.shapes if s.type == "rect" and s.xref == "paper"]
    assert [(s.x0, s.x1, s.y0, s.y1) for s in strip] == [
        (0.975, 1.0, 0.0, 4.0),
        (0.975, 1.0, 4.0, 7.0),
        (0.975, 1.0, 7.0, 8.5),
    ]
    lines = [s.y0 for s in fig.layout.shapes if s.type == "line" and s.line.color == "white"]
    assert lines == [4.0, 7.0]  # boundaries, not the start of the first stage
    names = {a.text: a.y for a in fig.layout.annotations if a.yref == "y"}
    assert names == {"interface-growth": 2.0, "mixed-growth": 5.5, "shorted": 7.75}


def test_a_long_cycler_record_marks_the_span_of_the_nmr_series():
    doc, ds = synthetic_inputs()  # spectra 0.25-8.25 h
    th = np.linspace(-1e-9, 45.0, ds["cycler"].sizes["hours"])  # a 45 h record (the TEGDME
    ds["cycler"] = ds["cycler"].assign_coords(hours=th)  # tour: 45 h, 4 h of spectra)
    panel = cycler_panel(doc, ds)
    bar = [s for s in panel.figure.layout.shapes if s.fillcolor == "#555555"]
    assert [(b.x0, b.x1) for b in bar] == [(0.25, 8.25)]
    assert "the NMR series (0.25 to 8.25 h); the record runs from 0.00 to 45.00 h" in panel.note
    # a record no longer than the series: no bar
    doc2, ds2 = synthetic_inputs()
    short = cycler_panel(doc2, ds2)
    assert not [s for s in short.figure.layout.shapes if s.fillcolor == "#555555"]
    assert "Dark bar" not in short.note


def test_static_map_leaves_the_gap_between_stored_windows_empty(tmp_path):
    import xarray as xr

    from dendritemr.report import static

    class Keep(static._Figures):  # the real figures, kept instead of cleared after saving
        figs: list = []

        def close(self, fig) -> None:
            self.figs.append(fig)

    rng = np.random.default_rng(5)
    ppm = np.concatenate([np.linspace(360, 160, 101), np.linspace(40, -40, 41)])  # 2 ppm steps
    hours = np.array([0.5, 1.5, 2.5, 3.5])
    ds = xr.Dataset(
        {"spectrum_7Li": (("time_7Li", "ppm_7Li"), rng.random((hours.size, ppm.size)))},
        coords={"ppm_7Li": ppm, "hours_7Li": ("time_7Li", hours)},
    )
    doc = {"time_h": hours.tolist(), "stages": [{"name": "stall", "start_h": 0, "end_h": 4}]}
    plt = Keep()
    paths, why = static._map(doc, {"spectra": ds}, tmp_path, plt, "7Li")
    assert [p.name for p in paths] == ["map_7Li.png", "map_7Li.pdf"], why
    whole = plt.figs[0].axes[1]  # (b) the whole range
    meshes = [c for c in whole.collections if hasattr(c, "get_coordinates")]
    # one mesh per stored window; cell edges half a step beyond the outer points only
    spans = sorted(
        (float(m.get_coordinates()[..., 0].min()), float(m.get_coordinates()[..., 0].max()))
        for m in meshes
    )
    assert spans == [pytest.approx((-41.0, 41.0)), pytest.approx((159.0, 361.0))]


def test_metal_caption_says_what_the_routes_are():
    doc, _ = synthetic_inputs()
    note = metal_panel(doc).note
    assert "Interface: metal grown from an electrode at the electrode | electrolyte" in note
    assert "bulk: metal formed by reduction of Li⁺ inside the electrolyte" in note
    doc, _ = synthetic_inputs(li6=False)
    for route in ("interface", "bulk"):
        doc["metal_umol"][route] = [None] * len(doc["time_h"])
    assert "Interface: metal grown" not in metal_panel(doc).note  # total only: no routes


def test_x6_panels_show_the_route_end_members(tmp_path):
    from dendritemr.report import static
    from dendritemr.report.figures import isotope_panel

    doc, ds = synthetic_inputs()
    n = len(doc["time_h"])
    inter = np.linspace(0.95, 0.85, n)  # exchange pulls the interface end member down
    doc["routes"] = {
        "x6_interface_end_member": inter.tolist(),
        "x6_interface_model_err": [0.01] * n,
        "x6_bulk_end_member": [0.0759] * n,
        "x6_bulk_model_err": [0.001] * n,
        "exchange_per_h": 0.01,  # a scalar among the lists is not a series
    }
    panel = isotope_panel(doc)
    lines = {t.name: t for t in panel.figure.data if t.fill is None}
    np.testing.assert_allclose(np.asarray(lines["interface metal (end member)"].y), inter)
    np.testing.assert_allclose(np.asarray(lines["bulk metal (end member)"].y), 0.0759)
    assert lines["bulk metal (end member)"].line.dash == "dash"
    assert panel.figure.layout.showlegend and "Dashed: the ⁶Li fraction of pure" in panel.note
    # without end members: no legend, as before
    doc.pop("routes")
    assert isotope_panel(doc).figure.layout.showlegend is False

    class Keep(static._Figures):  # the real figures, kept instead of cleared after saving
        figs: list = []

        def close(self, fig) -> None:
            self.figs.append(fig)

    doc["routes"] = {"x6_interface_end_member": inter.tolist()}
    plt = Keep()
    static._overview(doc, ds, tmp_path, plt)
    labels = [ln.get_label() for ax in plt.figs[0].axes for ln in ax.get_lines()]
    assert "interface end member" in labels and "bulk end member" not in labels
    assert "(dashed end members)" in static.captions(doc, ds)["overview"]


def test_current_axis_spans_zero_to_the_current():
    doc, ds = synthetic_inputs()  # a constant 0.4 mA
    fig = cycler_panel(doc, ds).figure
    np.testing.assert_allclose(fig.layout.yaxis2.range, [-0.04, 0.44])


def test_stage_table_gives_each_stages_growth():
    doc, _ = synthetic_inputs()
    doc["stages"][1]["rates"] = {"total_umol_per_h": 0.8, "total_umol_per_h_err": 0.05}
    page = render_html(doc, {}, panels=[])
    table = page.split("<table id='stages'>", 1)[1].split("</table>", 1)[0]
    assert "<th>growth in the stage / µmol</th>" in table
    # mixed-growth 4-7 h at 0.8 +- 0.05 umol/h: 2.4 +- 0.15 umol; no rate: n/a
    assert "<td class='num'>0.8 ± 0.05</td><td class='num'>2.4 ± 0.15</td>" in table
    assert table.count("<td class='num'>n/a</td><td class='num'>n/a</td>") == 2
