"""7Li chemical-shift imaging of the cell: k-space (phase encoding) x spectral FID.

Geometry: encoding direction 1 runs across the pellet (cell z, from electrode B at z = 0 to A
at z = L, field of view ``L + 2 margin`` centred on the pellet), encoding direction 2 laterally
(cell x, field of view = the periodic width of the section). Pure phase encoding: every
k-space point holds a full FID (no read gradient), so the chemical-shift displacement of
frequency encoding does not arise.

Signal (7Li-equivalent mol, the amplitudes of :mod:`.lines`)::

    s(m1, m2, t) = sum_p a_p S_p(m1, m2) exp(-2 pi i (m1 z_p / FOV_z + m2 x_p / FOV_x)) f_p(t)

with positions relative to the isocentre, ``S_p`` the Fourier transform of the object's
support (a grid cell: sinc of the cell size; LLZO: the pellet box; electrodes: the skin-depth
profile ``exp(-2 (1 + i) s / delta)`` into the metal, sampled finely) and ``f_p`` the
Lorentzian FID of the line. Reconstruction: inverse DFT over k (centred), DFT over t; pixel
``j`` sits at ``(j - N/2) FOV / N`` from the isocentre.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dendritemr.physics.nuclei import larmor_mhz
from dendritemr.physics.skin_depth import skin_depth_for
from dendritemr.sim.cell import SimulationResult
from dendritemr.sim.observables.lines import Lines
from dendritemr.sim.observables.noise import band_mask, noise_sigma
from dendritemr.sim.observables.settings import CsiSettings

__all__ = [
    "CsiGeometry",
    "csi_geometry",
    "encode",
    "reconstruct_array",
    "csi_ppm",
    "csi_sigma",
    "metal_map",
]


@dataclasses.dataclass(frozen=True)
class CsiGeometry:
    """Field of view and sampling of the CSI (SI units).

    Attributes
    ----------
    fov_z_m, fov_x_m : fields of view (m); centre_z_m, centre_x_m : isocentre in cell
        coordinates (m); steps_z, steps_x : phase-encoding steps (-N/2 .. N/2-1);
    bf1_mhz : 0 ppm of 7Li (MHz); o1_hz : carrier offset (Hz); sw_hz : spectral width (Hz);
    n_t : spectral points; field_t : B0 (T).
    """

    fov_z_m: float
    fov_x_m: float
    centre_z_m: float
    centre_x_m: float
    steps_z: np.ndarray
    steps_x: np.ndarray
    bf1_mhz: float
    o1_hz: float
    sw_hz: float
    n_t: int
    field_t: float

    def pixel_z_um(self) -> np.ndarray:
        """Cell-coordinate z of each reconstructed pixel across the pellet (um)."""
        n = self.steps_z.size
        return (self.centre_z_m + (np.arange(n) - n // 2) * self.fov_z_m / n) * 1e6

    def pixel_x_um(self) -> np.ndarray:
        """Cell-coordinate x of each reconstructed pixel laterally (um)."""
        n = self.steps_x.size
        return (self.centre_x_m + (np.arange(n) - n // 2) * self.fov_x_m / n) * 1e6


def csi_geometry(result: SimulationResult, csi: CsiSettings, field_t: float) -> CsiGeometry:
    """Field of view and encoding of the CSI of this cell in a field ``field_t`` (T)."""
    bf1_mhz = float(larmor_mhz("7Li", field_t))
    geo = result.scenario.geometry
    thick = geo.thickness_um * 1e-6
    width = result.grid.nx * result.grid.h
    return CsiGeometry(
        fov_z_m=thick + 2 * csi.margin_um * 1e-6,
        fov_x_m=width,
        centre_z_m=thick / 2,
        centre_x_m=width / 2,
        steps_z=np.arange(csi.matrix_z) - csi.matrix_z // 2,
        steps_x=np.arange(csi.matrix_x) - csi.matrix_x // 2,
        bf1_mhz=bf1_mhz,
        o1_hz=csi.o1_ppm * bf1_mhz,
        sw_hz=csi.sw_hz,
        n_t=csi.spectral_points,
        field_t=field_t,
    )


def _fids(lines: Lines, geo: CsiGeometry) -> np.ndarray:
    t = np.arange(geo.n_t) / geo.sw_hz
    rate = 2j * np.pi * (lines.ppm * geo.bf1_mhz - geo.o1_hz) - np.pi * lines.fwhm_ppm * geo.bf1_mhz
    return np.exp(rate[:, None] * t[None, :])


def encode(result: SimulationResult, lines: Lines, geo: CsiGeometry) -> np.ndarray:
    """Noiseless k-space ``(steps_z, steps_x, n_t)`` of the 7Li lines (7Li-equivalent mol)."""
    g = result.grid
    kz = geo.steps_z / geo.fov_z_m
    kx = geo.steps_x / geo.fov_x_m
    fids = _fids(lines, geo)
    out = np.zeros((kz.size, kx.size, geo.n_t), complex)
    at_kx0 = geo.steps_x == 0
    # metal cells
    cell = lines.iz >= 0
    if cell.any():
        z = (lines.iz[cell] + 0.5) * g.h - geo.centre_z_m
        x = (lines.ix[cell] + 0.5) * g.h - geo.centre_x_m
        ez = np.exp(-2j * np.pi * kz[:, None] * z[None, :]) * np.sinc(kz * g.h)[:, None]
        ex = np.exp(-2j * np.pi * kx[:, None] * x[None, :]) * np.sinc(kx * g.h)[:, None]
        weighted = fids[cell] * lines.amplitude[cell][:, None]
        out += np.einsum("zp,xp,pt->zxt", ez, ex, weighted, optimize=True)
    # LLZO: uniform box 0 < z < L, uniform laterally (only kx = 0)
    thick = result.scenario.geometry.thickness_um * 1e-6
    temp_k = result.scenario.protocol.temperature_C + 273.15
    delta = float(skin_depth_for("7Li", geo.field_t, temperature_k=temp_k))
    for name in ("llzo", "electrode_B", "electrode_A"):
        sel = lines.component == name
        if not sel.any():
            continue
        if name == "llzo":
            prof = np.sinc(kz * thick) * np.exp(-2j * np.pi * kz * (thick / 2 - geo.centre_z_m))
        else:
            # midpoint rule, delta / 400 steps: a left sum in delta / 20 steps differed from
            # the continuous profile by ~1e-3 of the electrode after the best face shift, i.e.
            # ringing of ~5 % of the metal next to an electrode 50x stronger
            step = delta / 400
            depth = np.arange(0.0, geo.fov_z_m / 2 - thick / 2, step) + step / 2
            w = np.exp(-2.0 * (1.0 + 1.0j) * depth / delta)
            w /= w.sum()
            zpos = -depth if name == "electrode_B" else thick + depth
            prof = np.exp(-2j * np.pi * kz[:, None] * (zpos - geo.centre_z_m)[None, :]) @ w
        spec = (fids[sel] * lines.amplitude[sel][:, None]).sum(axis=0)
        out[:, at_kx0, :] += prof[:, None, None] * spec[None, None, :]
    return out


def reconstruct_array(kspace: np.ndarray) -> np.ndarray:
    """Unnormalised reconstruction ``(z, x, ppm)``: centred inverse DFT x N over k, DFT over t.

    The spectral axis runs from high to low ppm (as TopSpin and ParaVision display it). The one
    reconstruction of the package: :func:`dendritemr.mri.recon.reconstruct_array`.
    """
    from dendritemr.mri.recon import reconstruct_array as _reconstruct

    return _reconstruct(kspace, ("kz", "kx", "t2"))


def csi_ppm(geo: CsiGeometry) -> np.ndarray:
    """ppm of each point of the spectral axis of :func:`reconstruct_array` (decreasing)."""
    hz = np.fft.fftshift(np.fft.fftfreq(geo.n_t, 1.0 / geo.sw_hz))[::-1]
    return (hz + geo.o1_hz) / geo.bf1_mhz


def csi_sigma(first_kspace: np.ndarray, geo: CsiGeometry, snr: float) -> float:
    """Per-channel k-space noise giving ``snr`` on the first image (definition: :mod:`.noise`)."""
    recon = reconstruct_array(first_kspace)
    peak = float(np.max(np.abs(recon[..., band_mask(csi_ppm(geo))])))
    return noise_sigma(peak, snr, first_kspace.size)


def _overlap_bins(
    centre: np.ndarray, width: float, pitch: float, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pixels and overlap fractions of intervals ``centre +- width / 2`` (``width <= pitch``).

    Pixel ``j`` spans ``(j - n // 2 -+ 1/2) pitch``; an interval falls into at most two pixels
    ``lo`` and ``lo + 1`` with fractions ``f`` and ``1 - f``.
    """
    lower = centre - width / 2
    lo = np.floor(lower / pitch + 0.5).astype(int)
    edge = (lo + 0.5) * pitch
    f = np.clip((edge - lower) / width, 0.0, 1.0)
    return lo + n // 2, f, lo + n // 2 + 1, 1.0 - f


def metal_map(
    result: SimulationResult,
    lines_iz: np.ndarray,
    lines_ix: np.ndarray,
    mol: np.ndarray,
    geo: CsiGeometry,
) -> np.ndarray:
    """True dendritic Li (umol) in each reconstructed pixel's volume ``(z, x)``.

    Each grid cell's metal is shared among the pixels its cell volume overlaps (a cell of
    size ``h`` straddles at most two pixels per axis), laterally periodic, clipped across.
    """
    g = result.grid
    nz, nx = geo.steps_z.size, geo.steps_x.size
    dz, dx = geo.fov_z_m / nz, geo.fov_x_m / nx
    z = (lines_iz + 0.5) * g.h - geo.centre_z_m
    x = (lines_ix + 0.5) * g.h - geo.centre_x_m
    out = np.zeros((nz, nx))
    z_bins = _overlap_bins(z, min(g.h, dz), dz, nz)
    x_bins = _overlap_bins(x, min(g.h, dx), dx, nx)
    for jz, fz in (z_bins[:2], z_bins[2:]):
        for jx, fx in (x_bins[:2], x_bins[2:]):
            w = mol * 1e6 * fz * fx
            np.add.at(out, (np.clip(jz, 0, nz - 1), np.mod(jx, nx)), w)
    return out
