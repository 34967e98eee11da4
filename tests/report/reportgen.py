"""A small synthetic results document and datasets for the report tests (numpy generator with
known values). A module of its own name: ``from conftest import ...`` in the test modules found
whichever ``conftest`` was imported first (``pytest tests/report tests/sim_observables`` failed
to collect: ``cannot import name 'synthetic_inputs' from 'conftest'``)."""

from __future__ import annotations

import numpy as np
import xarray as xr


def synthetic_inputs(n: int = 9, m: int = 2400, seed: int = 11, li6: bool = True):
    """A results document and datasets whose every value is known.

    7Li (and 6Li) spectra: Lorentzians at 250 ppm (electrode, growing 5 % per step) and 0 ppm
    (electrolyte) plus white noise; the model is the noiseless sum. Metal: interface 0.3 umol/h,
    bulk from 4 h at 0.5 umol/h; x6 and the interface fraction follow from them.
    """
    rng = np.random.default_rng(seed)
    t = np.linspace(0.25, 8.25, n)
    inter = 0.3 * t
    bulk = np.where(t > 4, 0.5 * (t - 4), 0.0)
    total = inter + bulk
    frac = inter / total
    x6 = 0.95 * frac + 0.0759 * (1 - frac)
    err = lambda v: (0.05 + 0.02 * np.arange(n)).tolist()  # noqa: E731
    doc = {
        "schema": "dendritemr.results/1",
        "time_h": t.tolist(),
        "metal_umol": {
            "interface": inter.tolist(),
            "interface_err": err(inter),
            "bulk": bulk.tolist(),
            "bulk_err": err(bulk),
            "total": total.tolist(),
            "total_err": err(total),
        },
        "x6_metal": x6.tolist() if li6 else [None] * n,
        "x6_metal_err": (0.01 + 0 * t).tolist() if li6 else [None] * n,
        "interface_fraction": frac.tolist() if li6 else [None] * n,
        "interface_fraction_err": (0.03 + 0 * t).tolist() if li6 else [None] * n,
        "stages": [
            {"name": "interface-growth", "start_h": 0.0, "end_h": 4.0, "rates": {}},
            {"name": "mixed-growth", "start_h": 4.0, "end_h": 7.0, "rates": {}},
            {"name": "shorted", "start_h": 7.0, "end_h": 8.5, "rates": {}},
        ],
        "short_circuit_h": 7.0,
        "not_computed": [] if li6 else ["no 6Li data: x6 of the metal cannot be computed"],
        "quantification": {"method": "synthetic", "calibration": {"k": {"k": 1.02}}},
        "study": {"name": "synthetic"},
        "citations": ["ernst1966"],
    }
    ppm = np.linspace(350.0, -50.0, m)
    spectra = xr.Dataset()
    for nuc in ("7Li", "6Li") if li6 else ("7Li",):
        lines = np.array(
            [
                (1 + 0.05 * k) / (1 + ((ppm - 250) / 2.0) ** 2) + 0.4 / (1 + (ppm / 1.5) ** 2)
                for k in range(n)
            ]
        )
        data = lines + rng.normal(0, 0.01, lines.shape) + 1j * rng.normal(0, 0.01, lines.shape)
        tn, pn = f"time_{nuc}", f"ppm_{nuc}"
        spectra[f"spectrum_{nuc}"] = ((tn, pn), data)
        spectra[f"model_{nuc}"] = ((tn, pn), lines + 0j)
        spectra[f"redchi_{nuc}"] = (tn, 1.0 + 0.1 * rng.random(n))
        spectra = spectra.assign_coords({pn: ppm, f"hours_{nuc}": (tn, t)})
    spectra.attrs["history_7Li"] = '[{"step": "fft"}, {"step": "phase", "p0": 12.5}]'
    th = np.linspace(0.0, 8.5, 3000)
    cycler = xr.Dataset(
        {
            "voltage_V": ("hours", 0.05 + 0.01 * np.exp(-th) - np.where(th > 7, 0.05, 0)),
            "current_mA": ("hours", np.full(th.size, 0.4)),
        },
        coords={"hours": th},
    )
    z = np.linspace(-0.5, 0.5, 24)
    lat = np.linspace(-1.0, 1.0, 6)
    maps = np.array(
        [
            (k + 1) * np.exp(-((z[None, :] - 0.4) ** 2) / 0.005) * np.ones((lat.size, 1))
            for k in range(3)
        ]
    )
    mri = xr.Dataset(
        {
            "metal_umol": (("scan", "lateral_mm", "z_mm"), maps, {"units": "umol"}),
            "profile_umol": (("scan", "z_mm"), maps.sum(axis=1), {"units": "umol"}),
            "profile_umol_err": (("scan", "z_mm"), np.full((3, z.size), 0.05)),
            "total_umol": ("scan", maps.sum(axis=(1, 2)), {"units": "umol"}),
            "total_umol_err": ("scan", [0.2, 0.3, 0.4]),
            "depth_b_um": ("scan", [50.0, 120.0, 260.0], {"units": "um"}),
        },
        coords={"z_mm": z, "lateral_mm": lat, "hours": ("scan", [1.0, 4.0, 8.0])},
    )
    return doc, {"spectra": spectra, "cycler": cycler, "mri": mri}
