"""How the simulated cell is observed: magnet, NMR and MRI acquisitions, line parameters.

Every literature value is a default taken from :mod:`dendritemr.physics` (with its source
there); the rest are instrument choices or ``[default]`` placeholders, named with their unit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from dendritemr.physics.constants import LI_KNIGHT_SHIFT_PPM, LLZO_SHIFT_PPM
from dendritemr.sim.topspin_writer import DEFAULT_DECIM, DEFAULT_DSPFVS, DEFAULT_GRPDLY

__all__ = ["NmrSettings", "CsiSettings", "ObservationSettings", "DEFAULT_START"]

#: Start of the current (time 0 of the model), local time of the lab (UTC+1).
DEFAULT_START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))


@dataclasses.dataclass(frozen=True)
class NmrSettings:
    """One 1D in situ NMR series (one nucleus), written as TopSpin experiments.

    Attributes
    ----------
    nucleus : "7Li" or "6Li".
    snr : stated SNR of the first spectrum (definition: :mod:`.noise`).
    sw_ppm : spectral width (ppm); td : real points (TD).
    o1_ppm : carrier offset from 0 ppm (ppm).
    ns : scans; d1_s : relaxation delay (s); flip_deg : pulse flip angle (degrees).
    decim, dspfvs, grpdly : digital filter (GRPDLY in points, as TopSpin writes it).
    receiver_phase_deg : phase of the receiver (degrees), common to all lines.
    llzo_t1_s : T1 of LLZO (s) [lit, unverified: science.md s3].
    """

    nucleus: str
    snr: float
    sw_ppm: float = 800.0
    td: int = 8192
    o1_ppm: float = 130.0
    ns: int = 64
    d1_s: float = 1.0
    flip_deg: float = 90.0
    decim: int = DEFAULT_DECIM
    dspfvs: int = DEFAULT_DSPFVS
    grpdly: float = DEFAULT_GRPDLY
    receiver_phase_deg: float = 25.0
    llzo_t1_s: float = 0.5


@dataclasses.dataclass(frozen=True)
class CsiSettings:
    """7Li chemical-shift imaging (phase-encoded z across the pellet, x laterally).

    Attributes
    ----------
    matrix_z, matrix_x : phase-encoding steps across the pellet and laterally (x may be 1:
        a 1D CSI).
    spectral_points : complex points of the spectral dimension; sw_hz : its width (Hz).
    o1_ppm : carrier offset (ppm); tr_s : repetition time (s); na : averages.
    margin_um : field of view beyond each electrode surface (um).
    snr : stated SNR of the first image (definition: :mod:`.noise`).
    every_h : one image every this many hours (first at the first NMR time point).
    flip_deg : excitation flip angle (degrees).
    """

    matrix_z: int = 64
    matrix_x: int = 8
    spectral_points: int = 256
    sw_hz: float = 80000.0
    o1_ppm: float = 130.0
    tr_s: float = 0.5
    na: int = 1
    margin_um: float = 100.0
    snr: float = 50.0
    every_h: float = 10.0
    flip_deg: float = 90.0


@dataclasses.dataclass(frozen=True)
class ObservationSettings:
    """Magnet, schedule and spectral parameters of a simulated study.

    Attributes
    ----------
    field_t : B0 (T); default 7.05 T as the real in situ 7Li data (AV300WB).
    b0_angle_deg : angle between the cell normal z and B0 (degrees); 0 = stacked along B0.
    interval_h : one 7Li + 6Li time point every this many hours.
    start : wall-clock time of the start of the current (timezone-aware).
    knight_shift_ppm : isotropic Knight shift of Li metal (ppm, physics constants).
    llzo_shift_ppm : LLZO line (ppm, physics constants).
    amorphous_shift_ppm : shift of amorphous relative to crystalline Li0 (ppm) [default].
    electrode_fwhm_ppm, crystalline_fwhm_ppm, amorphous_fwhm_ppm, llzo_fwhm_ppm : Lorentzian
        full widths at half maximum (ppm) [default].
    pulse_depth_factor : effective detected depth of bulk metal relative to the
        linear-response value delta / (2 sqrt 2) (1 = linear response, up to ~2.8).
    filament_spacing_um : spacing of the Li filaments filling a metal cell (um); None: the
        grid cell size. Sets the filament radius, hence the skin-depth visibility.
    cycler_interval_s : logging interval of the cycler file (s).
    voltage_noise_V : standard deviation of the cycler voltage noise (V).
    li7, li6 : the NMR series; csi : the MRI series (None: no MRI).
    """

    field_t: float = 7.05
    b0_angle_deg: float = 0.0
    interval_h: float = 0.5
    start: dt.datetime = DEFAULT_START
    knight_shift_ppm: float = LI_KNIGHT_SHIFT_PPM
    llzo_shift_ppm: float = LLZO_SHIFT_PPM
    amorphous_shift_ppm: float = -6.0
    electrode_fwhm_ppm: float = 8.0
    crystalline_fwhm_ppm: float = 5.0
    amorphous_fwhm_ppm: float = 14.0
    llzo_fwhm_ppm: float = 6.0
    pulse_depth_factor: float = 1.0
    filament_spacing_um: float | None = None
    cycler_interval_s: float = 60.0
    voltage_noise_V: float = 1e-4
    li7: NmrSettings = NmrSettings("7Li", snr=300.0)
    li6: NmrSettings = NmrSettings(
        "6Li",
        snr=100.0,
        sw_ppm=800.0,
        td=4096,
        ns=128,
        d1_s=2.0,
        llzo_t1_s=10.0,
        receiver_phase_deg=-40.0,
    )
    csi: CsiSettings | None = CsiSettings()

    def nmr(self) -> tuple[NmrSettings, ...]:
        """The NMR series in acquisition order (7Li first, then 6Li)."""
        return (self.li7, self.li6)

    def updated(self, **changes) -> ObservationSettings:
        """Copy with some fields replaced (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)
