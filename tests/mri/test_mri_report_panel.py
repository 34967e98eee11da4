"""The report's MRI series panel: map totals and penetration depths with their error bands,
the NMR series' dendritic total beside the map totals (report/figures.py, MRI code)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from dendritemr.report.figures import mri_label, mri_panels


def _arr(v):
    return np.asarray(v, float)


def _study():
    hours = np.array([1.0, 4.0, 8.0])
    z = np.linspace(-0.1, 0.4, 6)
    ds = xr.Dataset(
        {
            "metal_umol": (("scan", "lateral", "z_mm"), np.ones((3, 2, 6)), {"units": "umol"}),
            "profile_umol": (("scan", "z_mm"), np.ones((3, 6)), {"units": "umol"}),
            "total_umol": ("scan", [0.5, 2.0, 4.5], {"units": "umol"}),
            "total_umol_err": ("scan", [0.2, 0.3, 0.4], {"units": "umol"}),
            "depth_b_um": ("scan", [0.0, 40.0, 120.0], {"units": "um"}),
            "depth_b_um_err": ("scan", [5.0, 12.0, 20.0], {"units": "um"}),
            "depth_a_um": ("scan", [0.0, 0.0, 20.0], {"units": "um"}),
            "depth_a_um_err": ("scan", [5.0, 5.0, 9.0], {"units": "um"}),
            "z_b_mm": ("scan", [0.0, 0.0, 0.0], {"units": "mm"}),
        },
        coords={"z_mm": z, "hours": ("scan", hours)},
    )
    doc = {
        "time_h": [0.5, 2.0, 6.0, 9.0],
        "metal_umol": {"total": [0.4, 1.0, 3.5, 5.0], "total_err": [0.1, 0.1, 0.2, 0.2]},
        "stages": [],
    }
    return ds, doc


def test_series_panel_shows_totals_depths_and_their_errors():
    ds, doc = _study()
    hours = ds["hours"].values
    panels = {p.key: p for p in mri_panels(doc, {"mri": ds})}
    fig = panels["mri-series"].figure
    lines = {t.name: t for t in fig.data if t.fill is None}
    bands = {t.name: t for t in fig.data if t.fill == "toself"}
    # legend names in words (report.figures.MRI_LABELS), keyed here by variable
    names = {v: mri_label(v) for v in ("total_umol", "depth_b_um", "depth_a_um")}
    assert set(lines) == {*names.values(), "NMR total (dendritic)"}
    lines = {**lines, **{v: lines[n] for v, n in names.items()}}
    bands = {**bands, **{f"{v} ±1 SE": bands[f"{n} ±1 SE"] for v, n in names.items()}}
    np.testing.assert_array_equal(_arr(lines["total_umol"].y), ds["total_umol"].values)
    np.testing.assert_array_equal(_arr(lines["depth_b_um"].x), hours)
    # the depth band spans depth +- its error (upper edge forward, lower edge backward)
    band = _arr(bands["depth_b_um ±1 SE"].y)
    np.testing.assert_allclose(band[:3], [5.0, 52.0, 140.0])
    np.testing.assert_allclose(band[3:], [100.0, 28.0, -5.0])
    np.testing.assert_array_equal(_arr(lines["NMR total (dendritic)"].y), [0.4, 1.0, 3.5, 5.0])
    assert lines["NMR total (dendritic)"].yaxis == lines["total_umol"].yaxis
    assert lines["depth_b_um"].yaxis != lines["total_umol"].yaxis


def test_static_mri_figure_has_totals_and_depths(tmp_path):
    from matplotlib.figure import Figure

    from dendritemr.report import inputs as I
    from dendritemr.report.static import _mri_series_axes, write_static

    ds, doc = _study()
    m, _ = I.mri_series({"mri": ds}, doc)
    axes = Figure().subplots(1, 2)
    _mri_series_axes(doc, m, list(axes))
    bars = {c.get_label(): c for ax in axes for c in ax.containers}  # errorbar containers
    lines = {ln.get_label(): ln for ax in axes for ln in ax.get_lines()}
    np.testing.assert_array_equal(bars["MRI map total"].lines[0].get_ydata(), [0.5, 2.0, 4.5])
    np.testing.assert_array_equal(lines["NMR dendritic total"].get_ydata(), [0.4, 1.0, 3.5, 5.0])
    depth = bars["from B"]
    np.testing.assert_array_equal(depth.lines[0].get_ydata(), ds["depth_b_um"].values)
    # error bars: one vertical segment per scan spanning depth +- its error
    segs = depth.lines[2][0].get_segments()
    np.testing.assert_allclose([[a[1], b[1]] for a, b in segs], [[-5, 5], [28, 52], [100, 140]])
    out = write_static(tmp_path / "fig", doc, {"mri": ds})
    assert [p.suffix for p in out["mri"]] == [".png", ".pdf"]


def test_a_huge_total_error_does_not_flatten_the_values():
    # the first scan of a 6Li-enriched cell: metal at x6 ~0.98, total 14.6 +- 61 umol
    ds, doc = _study()
    ds["total_umol_err"] = ("scan", [61.0, 0.3, 0.4], {"units": "umol"})
    fig = {p.key: p for p in mri_panels(doc, {"mri": ds})}["mri-series"].figure
    lo, hi = fig.layout.yaxis.range
    assert lo < 0 < 5.0 < hi < 6.0  # values 0.4-5.0 and 0 with 8 % margins, not +-61
