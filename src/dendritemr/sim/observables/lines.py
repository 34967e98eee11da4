"""Spectral lines of one nucleus at one time point: which Li is seen, where, how strongly.

Amplitude of a line (complex, "7Li-equivalent mol" of detected signal)::

    a = n_k * w_k * S(TR, T1) * v

``n_k`` mol of isotope k (x6 or 1 - x6 of the Li), ``w_k = gamma^3 I (I + 1)`` relative to
7Li, ``S`` the steady-state saturation (Ernst) with the Korringa T1 of Li metal (LLZO: its own
T1), ``v`` the complex skin-depth visibility:

* electrodes (bulk metal): only a surface layer, ``area * d_eff`` with the semi-infinite
  ``d_eff = delta / (2 (1 + i))`` (magnitude 0.354 delta, -45 degrees), times
  ``pulse_depth_factor``; isotope fraction of that surface layer;
* metal cells: Li filaments of radius ``r = s sqrt(f / pi)`` (``f`` filled volume fraction of
  the cell, ``s`` filament spacing) seen through the exact cylinder visibility: thin
  dendrites are fully visible;
* LLZO (an insulator): fully visible.

Shift: Knight shift + BMS ``(1/3 - D) chi_v`` of the object shape along B0 (electrodes: plate
with normal at ``b0_angle_deg`` to B0; a cluster: spheroid with its z and x extents), plus
the amorphous offset for the amorphous fraction of each cell, which gets its own line.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dendritemr.physics.constants import LI_MOLAR_VOLUME_CM3_MOL
from dendritemr.physics.nuclei import signal_per_nucleus
from dendritemr.physics.relaxation import korringa_t1, saturation_factor
from dendritemr.physics.skin_depth import (
    cylinder_visibility,
    semi_infinite_effective_thickness,
    skin_depth_for,
)
from dendritemr.physics.susceptibility import bms_shift_ppm, spheroid_bms_shift_ppm
from dendritemr.sim.cell import SimulationResult
from dendritemr.sim.observables.settings import NmrSettings, ObservationSettings
from dendritemr.sim.observables.snapshot import Snapshot

__all__ = ["Lines", "spectral_lines", "isotope_fraction", "tr_seconds"]

_AVOGADRO = 6.02214076e23
_COMPONENTS = ("electrode_B", "electrode_A", "interface", "bulk", "llzo")


@dataclasses.dataclass
class Lines:
    """Lorentzian lines of one spectrum.

    Attributes
    ----------
    component : which population each line belongs to (``electrode_B``, ``electrode_A``,
        ``interface``, ``bulk``, ``llzo``).
    ppm : centre (ppm); fwhm_ppm : full width at half maximum (ppm).
    amplitude : complex detected signal (7Li-equivalent mol).
    iz, ix : grid cell of a metal-cell line (-1 for electrodes and LLZO).
    """

    component: np.ndarray
    ppm: np.ndarray
    fwhm_ppm: np.ndarray
    amplitude: np.ndarray
    iz: np.ndarray
    ix: np.ndarray

    def total(self, component: str) -> complex:
        """Summed complex amplitude of one component."""
        return complex(self.amplitude[self.component == component].sum())

    def select(self, mask: np.ndarray) -> Lines:
        """The lines where ``mask`` is True."""
        return Lines(*(getattr(self, f.name)[mask] for f in dataclasses.fields(self)))


def isotope_fraction(nucleus: str, x6: np.ndarray | float) -> np.ndarray | float:
    """Atom fraction of ``nucleus`` in Li with 6Li fraction ``x6``."""
    return x6 if nucleus == "6Li" else 1.0 - np.asarray(x6)


def tr_seconds(nmr: NmrSettings, sw_hz: float) -> float:
    """Repetition time of a 1D acquisition: D1 + AQ (s)."""
    return nmr.d1_s + nmr.td / (2.0 * sw_hz)


def _cluster_bms(snap: Snapshot, h_m: float, angle_deg: float) -> np.ndarray:
    """BMS shift (ppm) per metal cell from the z and x extents of its cluster."""
    out = np.zeros(snap.iz.size)
    for lab in np.unique(snap.cluster):
        sel = snap.cluster == lab
        lz = (np.ptp(snap.iz[sel]) + 1) * h_m
        lx = np.unique(snap.ix[sel]).size * h_m
        out[sel] = spheroid_bms_shift_ppm(lz / lx, angle_deg)
    return out


def spectral_lines(
    result: SimulationResult,
    snap: Snapshot,
    obs: ObservationSettings,
    nmr: NmrSettings,
    tr_s: float,
) -> Lines:
    """All lines of ``nmr.nucleus`` at the time of ``snap``.

    Parameters
    ----------
    result : the run (geometry and scenario).
    snap : metal state at the time point (:func:`.snapshot.snapshot`).
    obs : observation settings (field, shifts, widths, orientation).
    nmr : the series (nucleus, flip angle, LLZO T1).
    tr_s : repetition time (s).
    """
    nuc = nmr.nucleus
    sc = result.scenario
    g = result.grid
    temp_k = sc.protocol.temperature_C + 273.15
    delta = float(skin_depth_for(nuc, obs.field_t, temperature_k=temp_k))
    weight = signal_per_nucleus(nuc)
    sat_metal = float(saturation_factor(tr_s, korringa_t1(nuc, temp_k), nmr.flip_deg))
    sat_llzo = float(saturation_factor(tr_s, nmr.llzo_t1_s, nmr.flip_deg))
    vm = LI_MOLAR_VOLUME_CM3_MOL * 1e-6
    k_iso = obs.knight_shift_ppm
    comp, ppm, fwhm, amp, iz, ix = [], [], [], [], [], []

    def add(name, p, w, a, z=-1, x=-1):
        n = np.size(a)
        comp.append(np.full(n, name, dtype=object))
        ppm.append(np.broadcast_to(p, n).astype(float))
        fwhm.append(np.broadcast_to(w, n).astype(float))
        amp.append(np.broadcast_to(a, n).astype(complex))
        iz.append(np.broadcast_to(z, n).astype(int))
        ix.append(np.broadcast_to(x, n).astype(int))

    # electrodes: surface layer only (bulk metal), plate BMS
    area_m2 = sc.geometry.area_cm2 * 1e-4
    d_eff = complex(semi_infinite_effective_thickness(delta)) * obs.pulse_depth_factor
    plate = float(bms_shift_ppm(np.cos(np.radians(obs.b0_angle_deg)) ** 2))
    for side in ("B", "A"):
        n_vis = area_m2 * d_eff / vm * isotope_fraction(nuc, snap.x6_electrode[side])
        add(f"electrode_{side}", k_iso + plate, obs.electrode_fwhm_ppm, n_vis * weight * sat_metal)
    # metal cells: filaments, cluster-shape BMS, amorphous and crystalline lines
    if snap.iz.size:
        fill = snap.mol * vm / g.cell_volume
        spacing = g.h if obs.filament_spacing_um is None else obs.filament_spacing_um * 1e-6
        radius = spacing * np.sqrt(np.clip(fill, 0.0, 1.0) / np.pi)
        vis = np.asarray(cylinder_visibility(radius, delta))
        base = snap.mol * isotope_fraction(nuc, snap.x6) * weight * sat_metal * vis
        shift = k_iso + _cluster_bms(snap, g.h, obs.b0_angle_deg)
        names = np.where(snap.route == 1, "interface", "bulk")
        for name in ("interface", "bulk"):
            sel = names == name
            if not sel.any():
                continue
            c = snap.crystallinity[sel]
            add(
                name,
                shift[sel],
                obs.crystalline_fwhm_ppm,
                base[sel] * c,
                snap.iz[sel],
                snap.ix[sel],
            )
            add(
                name,
                shift[sel] + obs.amorphous_shift_ppm,
                obs.amorphous_fwhm_ppm,
                base[sel] * (1.0 - c),
                snap.iz[sel],
                snap.ix[sel],
            )
    # LLZO: the whole pellet, fully visible
    llzo_mol = (sc.llzo.li_site_density_cm3 * 1e6 / _AVOGADRO) * area_m2
    llzo_mol *= sc.geometry.thickness_um * 1e-6
    add(
        "llzo",
        obs.llzo_shift_ppm,
        obs.llzo_fwhm_ppm,
        llzo_mol * isotope_fraction(nuc, snap.x6_llzo) * weight * sat_llzo,
    )
    return Lines(
        np.concatenate(comp).astype(str),
        np.concatenate(ppm),
        np.concatenate(fwhm),
        np.concatenate(amp),
        np.concatenate(iz),
        np.concatenate(ix),
    )


COMPONENTS = _COMPONENTS
