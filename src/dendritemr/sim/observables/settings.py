"""How the simulated cell is observed: magnet, NMR and MRI acquisitions, line parameters.

The settings are scenario sections (:mod:`dendritemr.sim.scenario`), declared like the cell
sections with :func:`dendritemr.sim.parameters.param` (unit, source tag, validation kind and
meaning of every field):

- ``[spectrometer]``: :class:`SpectrometerSettings` (magnet, schedule, line shifts and widths,
  cycler log);
- ``[li7]`` and ``[li6]``: :class:`NmrSettings`, with the defaults :data:`DEFAULT_LI7` and
  :data:`DEFAULT_LI6` (the nucleus is fixed by the section);
- ``[mri]``: :class:`MriSettings`, the :class:`CsiSettings` plus ``enabled``.

:class:`ObservationSettings` gathers them for the observables (``csi=None``: no MRI); it can be
built from Python directly or from a scenario (``scenario.observation()``). Every literature
value is a default taken from :mod:`dendritemr.physics` (with its source there); the rest are
instrument choices or ``[default]`` placeholders.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from dendritemr.physics.constants import LI_KNIGHT_SHIFT_PPM, LLZO_SHIFT_PPM
from dendritemr.sim.parameters import param as _p
from dendritemr.sim.topspin_writer import DEFAULT_DECIM, DEFAULT_DSPFVS, DEFAULT_GRPDLY

__all__ = [
    "NmrSettings",
    "CsiSettings",
    "MriSettings",
    "SpectrometerSettings",
    "ObservationSettings",
    "DEFAULT_START",
    "DEFAULT_LI7",
    "DEFAULT_LI6",
]

#: Start of the current (time 0 of the model), local time of the lab (UTC+1).
DEFAULT_START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))

_FILTER = "[default] digital receiver of the simulated spectrometer"


@dataclasses.dataclass(frozen=True)
class NmrSettings:
    """One 1D in situ NMR series (one nucleus), written as TopSpin experiments.

    Sections ``[li7]`` and ``[li6]`` of a scenario (every field but ``nucleus``); their defaults
    are :data:`DEFAULT_LI7` and :data:`DEFAULT_LI6`, the class defaults are those of 7Li.

    Attributes
    ----------
    nucleus : "7Li" or "6Li".
    snr : stated SNR of the first spectrum (definition: :mod:`.noise`).
    sw_ppm : spectral width (ppm); td : real points (TD, even).
    o1_ppm : carrier offset from 0 ppm (ppm).
    ns : scans; d1_s : relaxation delay (s); flip_deg : pulse flip angle (degrees).
    decim, dspfvs, grpdly : digital filter (GRPDLY in points, as TopSpin writes it).
    receiver_phase_deg : phase of the receiver (degrees), common to all lines.
    llzo_t1_s : T1 of LLZO (s) [lit, unverified: science.md s3].
    """

    nucleus: str
    snr: float = _p(
        300.0,
        "1",
        "[default] 7Li 300, 6Li 100",
        doc="stated SNR of the first spectrum (definition: dendritemr.sim.observables.noise)",
    )
    sw_ppm: float = _p(800.0, "ppm", "[default] LLZO to Li metal and beyond", doc="spectral width")
    td: int = _p(
        8192, "points", "[default] 7Li 8192, 6Li 4096", "count", doc="real points TD (even)"
    )
    o1_ppm: float = _p(
        130.0, "ppm", "[default] midway between LLZO and Li metal", "any", doc="carrier offset"
    )
    ns: int = _p(64, "1", "[default] 7Li 64, 6Li 128", "count", doc="number of scans")
    d1_s: float = _p(1.0, "s", "[default] 7Li 1 s, 6Li 2 s", "nonnegative", doc="relaxation delay")
    flip_deg: float = _p(90.0, "deg", "[default]", doc="pulse flip angle")
    decim: int = _p(DEFAULT_DECIM, "1", _FILTER, "count", doc="decimation factor DECIM")
    dspfvs: int = _p(DEFAULT_DSPFVS, "1", _FILTER, "count", doc="firmware version DSPFVS")
    grpdly: float = _p(
        DEFAULT_GRPDLY,
        "points",
        f"{_FILTER} (DECIM 16, DSPFVS 20)",
        "nonnegative",
        doc="group delay GRPDLY of the digital filter",
    )
    receiver_phase_deg: float = _p(
        25.0, "deg", "[default] 7Li 25, 6Li -40", "any", doc="receiver phase, common to all lines"
    )
    llzo_t1_s: float = _p(
        0.5,
        "s",
        "[lit] unverified, science.md s3: 7Li 0.1-1 s, 6Li seconds to tens of seconds",
        doc="T1 of the LLZO line",
    )


#: 7Li series (section ``[li7]``).
DEFAULT_LI7 = NmrSettings("7Li", snr=300.0)
#: 6Li series (section ``[li6]``): fewer points, more scans, longer delay and LLZO T1.
DEFAULT_LI6 = NmrSettings(
    "6Li",
    snr=100.0,
    sw_ppm=800.0,
    td=4096,
    ns=128,
    d1_s=2.0,
    llzo_t1_s=10.0,
    receiver_phase_deg=-40.0,
)


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

    matrix_z: int = _p(64, "1", "[default]", "count", doc="phase-encoding steps across the pellet")
    matrix_x: int = _p(
        8, "1", "[default] 1 gives a 1D CSI", "count", doc="lateral phase-encoding steps"
    )
    spectral_points: int = _p(
        256, "1", "[default]", "count", doc="complex points of the spectral dimension"
    )
    sw_hz: float = _p(80000.0, "Hz", "[default]", doc="spectral width")
    o1_ppm: float = _p(130.0, "ppm", "[default]", "any", doc="carrier offset")
    tr_s: float = _p(0.5, "s", "[default]", doc="repetition time")
    na: int = _p(1, "1", "[default]", "count", doc="number of averages")
    margin_um: float = _p(
        100.0, "um", "[default]", "nonnegative", doc="field of view beyond each electrode surface"
    )
    snr: float = _p(
        50.0,
        "1",
        "[default]",
        doc="stated SNR of the first image (definition: dendritemr.sim.observables.noise)",
    )
    every_h: float = _p(
        10.0, "h", "[default]", doc="one image every this many hours, first at the first time point"
    )
    flip_deg: float = _p(90.0, "deg", "[default]", doc="excitation flip angle")


@dataclasses.dataclass(frozen=True)
class MriSettings(CsiSettings):
    """Section ``[mri]``: the 7Li CSI series, or none (``enabled = false``).

    Attributes
    ----------
    enabled : write the MRI series; False is ``ObservationSettings(csi=None)``.
    """

    enabled: bool = _p(True, "-", "[default]", "bool", doc="write the 7Li CSI series (false: none)")

    def csi(self) -> CsiSettings | None:
        """The acquisition settings, or None when disabled."""
        if not self.enabled:
            return None
        return CsiSettings(**_values(self, CsiSettings))

    @classmethod
    def from_csi(cls, csi: CsiSettings | None, disabled: MriSettings | None = None) -> MriSettings:
        """Section of ``csi``; None gives ``disabled`` (or the defaults) with ``enabled=False``."""
        if csi is None:
            return dataclasses.replace(disabled or cls(), enabled=False)
        return cls(**_values(csi, CsiSettings))


@dataclasses.dataclass(frozen=True)
class SpectrometerSettings:
    """Section ``[spectrometer]``: magnet, schedule, line shifts and widths, cycler log.

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
    filament_spacing_um : spacing of the Li filaments filling a metal cell (um); None (0 in a
        scenario file): the grid cell size. Sets the filament radius, hence the skin-depth
        visibility.
    cycler_interval_s : logging interval of the cycler file (s).
    voltage_noise_V : standard deviation of the cycler voltage noise (V).
    """

    field_t: float = _p(
        7.05, "T", "[default] as the real in situ 7Li data (AV300WB)", doc="magnetic field B0"
    )
    b0_angle_deg: float = _p(
        0.0, "deg", "[default] stacked along B0", "any", doc="angle between cell normal z and B0"
    )
    interval_h: float = _p(0.5, "h", "[default]", doc="one 7Li + 6Li time point every this long")
    start: dt.datetime = _p(
        DEFAULT_START,
        "date-time",
        "[default]",
        "datetime",
        doc="wall-clock start of the current, with UTC offset",
    )
    knight_shift_ppm: float = _p(
        LI_KNIGHT_SHIFT_PPM,
        "ppm",
        "[lit] physics.constants: Bhattacharyya 2010, 245-275 ppm in cells",
        "any",
        doc="isotropic Knight shift of Li metal",
    )
    llzo_shift_ppm: float = _p(
        LLZO_SHIFT_PPM,
        "ppm",
        "[lit] physics.constants: cubic LLZO, one motionally averaged line",
        "any",
        doc="shift of the LLZO line",
    )
    amorphous_shift_ppm: float = _p(
        -6.0, "ppm", "[default]", "any", doc="shift of amorphous relative to crystalline Li0"
    )
    electrode_fwhm_ppm: float = _p(8.0, "ppm", "[default]", doc="Lorentzian FWHM, electrodes")
    crystalline_fwhm_ppm: float = _p(
        5.0, "ppm", "[default]", doc="Lorentzian FWHM, crystalline Li0"
    )
    amorphous_fwhm_ppm: float = _p(14.0, "ppm", "[default]", doc="Lorentzian FWHM, amorphous Li0")
    llzo_fwhm_ppm: float = _p(6.0, "ppm", "[default]", doc="Lorentzian FWHM, LLZO")
    pulse_depth_factor: float = _p(
        1.0,
        "1",
        "[default] 1 = linear response, up to ~2.8",
        doc="detected depth of bulk metal relative to delta / (2 sqrt 2)",
    )
    filament_spacing_um: float | None = _p(
        None,
        "um",
        "[default] 0 = the grid cell size",
        "positive-or-none",
        doc="spacing of the Li filaments filling a metal cell (sets their radius)",
    )
    cycler_interval_s: float = _p(60.0, "s", "[default]", doc="logging interval of the cycler")
    voltage_noise_V: float = _p(
        1e-4, "V", "[default]", "nonnegative", doc="standard deviation of the cycler voltage noise"
    )


@dataclasses.dataclass(frozen=True)
class ObservationSettings(SpectrometerSettings):
    """Magnet, schedule and spectral parameters of a simulated study.

    The scalar fields are those of :class:`SpectrometerSettings` (section ``[spectrometer]``).

    Attributes
    ----------
    li7, li6 : the NMR series (sections ``[li7]``, ``[li6]``).
    csi : the MRI series (section ``[mri]``; None: no MRI).
    """

    li7: NmrSettings = DEFAULT_LI7
    li6: NmrSettings = DEFAULT_LI6
    csi: CsiSettings | None = CsiSettings()

    def nmr(self) -> tuple[NmrSettings, ...]:
        """The NMR series in acquisition order (7Li first, then 6Li)."""
        return (self.li7, self.li6)

    def updated(self, **changes) -> ObservationSettings:
        """Copy with some fields replaced (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    def spectrometer(self) -> SpectrometerSettings:
        """The ``[spectrometer]`` section of these settings."""
        return SpectrometerSettings(**_values(self, SpectrometerSettings))

    @classmethod
    def from_sections(
        cls,
        spectrometer: SpectrometerSettings,
        li7: NmrSettings,
        li6: NmrSettings,
        mri: MriSettings,
    ) -> ObservationSettings:
        """Settings from the scenario sections (``mri.enabled = False``: ``csi=None``)."""
        scalars = _values(spectrometer, SpectrometerSettings)
        return cls(**scalars, li7=li7, li6=li6, csi=mri.csi())


def _values(obj: object, cls: type) -> dict:
    """The values of ``obj`` for the fields of ``cls`` (a base class of it, or a sibling)."""
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(cls)}
