"""The MRI panels and the static ``mri`` figure say which metal line model each scan's CSI fit
used (``mri_images.metal_model``: ``"nmr"``, the NMR series' dendritic line shape held, else the
scan's own model choice) and where it came from (``metal_shape_from``)."""

from __future__ import annotations

import numpy as np
from reportgen import synthetic_inputs

from dendritemr.report import inputs as I
from dendritemr.report.figures import build_panels, mri_scan_texts

MODELS = ["mixture", "nmr", "nmr"]
FROM = [
    "model choice: no significant dendritic 7Li before the scan",
    "NMR series, interpolated (3.51, 4.01 h)",
    "NMR series, held (last significant point 7.51 h)",
]


def _inputs(on_dataset: bool = True):
    doc, ds = synthetic_inputs()
    doc["mri_images"] = {"time_h": [1.0, 4.0, 8.0], "metal_shape_from": FROM}
    if on_dataset:  # as pipeline.mri_dataset writes it: a coordinate over scan
        ds["mri"] = ds["mri"].assign_coords(metal_model=("scan", MODELS))
    else:  # only results.json has it
        doc["mri_images"]["metal_model"] = MODELS
    return doc, ds


def test_each_scan_names_its_metal_line_model():
    for on_dataset in (True, False):
        doc, ds = _inputs(on_dataset)
        m, _ = I.mri_series(ds, doc)
        assert m.metal_model == MODELS and m.shape_from == FROM
        texts = mri_scan_texts(m)
        assert texts[0] == (
            "1.00 h: metal line model 'mixture', chosen by this scan's own fit "
            "(no significant dendritic 7Li before the scan)"
        )
        assert texts[1] == (
            "4.00 h: metal line shape from the ⁷Li NMR series, interpolated (3.51, 4.01 h)"
        )
        panels = {p.key: p for p in build_panels(doc, ds)}
        for key in ("mri-map-metal-umol", "mri-profile-profile-umol"):
            fig = panels[key].figure
            # the title follows the slider: one per frame, the last scan's at the start
            assert [f.layout.title.text for f in fig.frames] == [f"scan at {t}" for t in texts]
            assert fig.layout.title.text == f"scan at {texts[-1]}"
        note = panels["mri-map-metal-umol"].note
        assert all(t in note for t in texts) and "mri_images.metal_model" in note
        # the map totals: filled where the NMR shape was held, open for the own model choice
        total = next(t for t in panels["mri-series"].figure.data if t.name == "metal in the image")
        assert list(total.marker.symbol) == ["circle-open", "circle", "circle"]
        assert list(total.text) == texts
        assert "open where the scan's own fit chose" in panels["mri-series"].note


def test_no_model_recorded_no_model_text():
    doc, ds = synthetic_inputs()
    m, _ = I.mri_series(ds, doc)
    assert m.metal_model is None and mri_scan_texts(m) == ["1.00 h", "4.00 h", "8.00 h"]
    panels = {p.key: p for p in build_panels(doc, ds)}
    assert "metal line" not in panels["mri-map-metal-umol"].note
    total = next(t for t in panels["mri-series"].figure.data if t.name == "metal in the image")
    assert total.marker.symbol is None


def test_pellet_faces_marked_when_the_dataset_gives_them():
    doc, ds = synthetic_inputs()
    ds["mri"].attrs.update(z_b_mm=-0.5, z_a_mm=0.5)
    panels = {p.key: p for p in build_panels(doc, ds)}
    prof = panels["mri-profile-profile-umol"]
    xs = sorted(s.x0 for s in prof.figure.layout.shapes if s.type == "line" and s.x0 == s.x1)
    assert xs == [-0.5, 0.5]
    assert "faces of electrode B (z = -0.5 mm) and A (z = 0.5 mm)" in prof.note


def test_static_mri_figure_names_the_models(tmp_path):
    from dendritemr.report import static

    class Keep(static._Figures):  # the real figures, kept instead of cleared after saving
        figs: list = []

        def close(self, fig) -> None:
            self.figs.append(fig)

    doc, ds = _inputs()
    plt = Keep()
    paths, why = static._mri(doc, ds, tmp_path, plt)
    assert [p.name for p in paths] == ["mri.png", "mri.pdf"], why
    fig = plt.figs[0]
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_visible()]
    assert "(a) last scan, 8.0 h\nmetal line: NMR line shape" in titles
    legends = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().texts]
    assert "1.0 h (own fit: mixture)" in legends and "4.0 h (NMR line shape)" in legends
    assert {"MRI map total (metal line from NMR)", "MRI map total (own line model)"} <= set(legends)
    # the open marker is the first scan's total
    ax = next(
        a for a in fig.axes if "MRI map total (own line model)" in a.get_legend_handles_labels()[1]
    )
    own = next(li for li in ax.get_lines() if li.get_label() == "MRI map total (own line model)")
    np.testing.assert_allclose(own.get_xdata(), [1.0])
    assert own.get_markerfacecolor() == "white"


def test_map_hover_gives_each_voxels_standard_error():
    doc, ds = synthetic_inputs()
    maps = ds["mri"]["metal_umol"]
    err = 0.1 + 0.01 * np.arange(maps.size).reshape(maps.shape)
    ds["mri"]["metal_umol_err"] = (maps.dims, err, {"units": "umol"})
    panel = next(p for p in build_panels(doc, ds) if p.key == "mri-map-metal-umol")
    fig = panel.figure
    assert "± %{customdata:.2g}" in fig.data[0].hovertemplate
    np.testing.assert_allclose(np.asarray(fig.data[0].customdata), err[-1], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(fig.frames[1].data[0].customdata), err[1], rtol=1e-6)
    assert "hover: each voxel's value ± its standard error" in panel.note
    # without errors: the value alone
    doc, ds = synthetic_inputs()
    panel = next(p for p in build_panels(doc, ds) if p.key == "mri-map-metal-umol")
    assert "customdata" not in panel.figure.data[0].hovertemplate


def test_summary_counts_the_scans_by_metal_line_model():
    from dendritemr.report.html import render_html

    doc, ds = _inputs(on_dataset=False)
    doc["mri_images"].update(total_umol=[0.5, 2.0, 3.9], total_umol_err=[0.2, 0.3, 0.4])
    page = render_html(doc, ds, panels=[])
    table = page.split("<table id='summary'>", 1)[1].split("</table>", 1)[0]
    assert (
        "<th>MRI scans</th><td class='num'>3 (1.00 to 8.00 h); 2 with the ⁷Li NMR series&#x27; "
        "metal line shape, 1 with their own line model (mixture)</td>"
    ) in table
    # the NMR total nearest 8.00 h: the synthetic series ends at 8.25 h, 0.3 * 8.25 + 0.5 * 4.25
    assert (
        "<th>metal in the last image (8.00 h) / µmol</th><td class='num'>3.9 ± 0.4 "
        "(NMR dendritic total at 8.25 h: 4.6 ± 0.21)</td>"
    ) in table
