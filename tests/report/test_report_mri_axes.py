"""The MRI map's lateral axis is labelled with its unit, and the static figure's colour bar and
profile axis in words (stop 13: 'y' without a unit, 'metal_umol / µmol')."""

from __future__ import annotations

import numpy as np
import xarray as xr

from dendritemr.report import inputs as I
from dendritemr.report.figures import mri_panels


def _mri(lateral_units: str | None) -> xr.Dataset:
    z = np.linspace(-0.5, 0.5, 16)
    y = np.linspace(-0.06, 0.06, 4)
    maps = np.random.default_rng(3).random((2, y.size, z.size))
    lat = ("y", y, {"units": lateral_units} if lateral_units else {})
    return xr.Dataset(
        {
            "metal_umol": (("scan", "y", "z_mm"), maps, {"units": "umol"}),
            "profile_umol": (("scan", "z_mm"), maps.sum(axis=1), {"units": "umol"}),
        },
        coords={"y": lat, "z_mm": ("z_mm", z, {"units": "mm"}), "hours": ("scan", [1.0, 2.0])},
    )


def test_lateral_axis_carries_its_unit():
    m, _ = I.mri_series({"mri": _mri("mm")}, {})
    assert m.maps["metal_umol"][3:5] == ("y_mm", "z_mm")
    panel = next(p for p in mri_panels({}, {"mri": _mri("mm")}) if p.key.startswith("mri-map"))
    assert panel.figure.layout.yaxis.title.text == "y / mm"
    assert panel.figure.layout.xaxis.title.text == "z / mm"
    for units in (None, "1"):  # no unit to add
        m, _ = I.mri_series({"mri": _mri(units)}, {})
        assert m.maps["metal_umol"][3] == "y"


def test_static_mri_figure_labels_in_words(tmp_path):
    from dendritemr.report import static

    class Keep(static._Figures):  # the real figures, kept instead of cleared after saving
        figs: list = []

        def close(self, fig) -> None:
            self.figs.append(fig)

    plt = Keep()
    paths, why = static._mri({"time_h": [1.0, 2.0]}, {"mri": _mri("mm")}, tmp_path, plt)
    assert [p.name for p in paths] == ["mri.png", "mri.pdf"], why
    labels = {ax.get_ylabel() for ax in plt.figs[0].axes} | {
        ax.get_xlabel() for ax in plt.figs[0].axes
    }
    assert {"y / mm", "z / mm", "metal per voxel / µmol"} <= labels
    assert "metal per row across the pellet / µmol" in labels
    assert not any("_umol" in text for text in labels)
