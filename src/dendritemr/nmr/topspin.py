"""Replay TopSpin's own processing from its recorded ``procs`` parameters and audit trail.

What TopSpin does (``efp``/``ef``/``fp``/``ft``, then the commands of ``auditp.txt``), as
established against every real pair of raw FID and TopSpin 1r we have (docs/processing.md):

1. FID DC correction (BC_mod 1 'single' / 2 'quad': subtract the mean of the FID's last
   quarter), TDeff truncation.
2. Digital-filter removal: the FID is rolled left by the group delay rounded to the *nearest*
   integer (GRPDLY when acqus sets it, DSPFVS >= 20; else the DSPFVS/DECIM table), the wrapped
   points zeroed; the remainder (-0.5..0.5 points) is a linear phase after the transform.
3. The window (WDW 1 exponential LB, t = 0 at the new first point; other windows -- GM,
   sine, traf -- are refused: no real pair to check them on), the first
   point times FCOR (0.5 in our TopSpin 1.3 pair, 1 in the 4.1.4 one), zero filling to SI, FFT.
4. The phase phi(i) = PHC0 + PHC1 i / SI, i counted from the high-ppm edge (point 0 of 1r), in
   the opposite sense to :class:`~dendritemr.nmr.phase.Phase`.
5. The commands recorded after the last ``Start of raw data processing``: ``abs``/``absd``/
   ``absf`` (polynomial baseline of degree ABSG through automatically found baseline points),
   ``mc`` (magnitude), ``ps`` (power spectrum); ``apk``/``apks``/``apk0``/``apk1``/``apkf``/
   ``apkm``/``pk`` only set PHC0/PHC1, which procs records (step 4 uses them); ``sr``/``sref``
   move the axis only (SF, read from procs). Other commands that change 1r are refused with a
   :class:`ProcessingError` naming them (:data:`NOT_REPLAYED`).

The group-delay phase convention: TopSpin removes the *whole* group delay d as a phase ramp
that is zero at the high-ppm edge of the spectrum, whereas this package's transform removes it
about the carrier (centre). The two differ by the constant 180 x d degrees (mod 360): half the
ramp's 360 d degree span. For d = 44.75 (DSPFVS 10, DECIM 2: the TopSpin 1.3, 2.1 and 4.1.4
pairs) that is 135 degrees, the same as the older rule 180 x frac(d); for the TopSpin 3.0
Hahn echo of issue 9 (DSPFVS 20, GRPDLY 67.96875) it is -5.6 degrees where 180 x frac(d) gives
174.4: 180 degrees apart, which is the anticorrelation (r = -0.98) that issue reported. The
rule does not depend on how the delay is split into integer and fraction.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from dendritemr.errors import DataError, ProcessingError
from dendritemr.io.bruker_procs import current_commands, procs_parameters
from dendritemr.nmr.apodize import ExponentialApodization
from dendritemr.nmr.baseline import PolynomialBaseline
from dendritemr.nmr.dc_offset import DCOffset
from dendritemr.nmr.digital_filter import DigitalFilter
from dendritemr.nmr.fourier import FourierTransform
from dendritemr.nmr.magnitude import Magnitude
from dendritemr.nmr.phase import Phase
from dendritemr.nmr.pipeline import Pipeline
from dendritemr.nmr.zero_fill import Truncate, ZeroFill

#: commands that (re)process the raw FID with the procs parameters
RAW = frozenset({"ef", "efp", "fp", "ft", "gf", "gfp", "fmc"})
#: commands whose only effect on 1r is PHC0/PHC1, which procs records
PHASE_ONLY = frozenset({"apk", "apks", "apk0", "apk1", "apkf", "apkm", "apk0f", "pk", "ph"})
#: polynomial baseline corrections (degree ABSG)
BASELINE = frozenset({"abs", "absd", "absf", "absot"})
#: 1r replaced by the magnitude (mc) or power (ps) spectrum
MAGNITUDE = {"mc": False, "ps": True}
#: commands that leave 1r unchanged (axis, peak picking, integration, display, parameters)
UNCHANGED = frozenset(
    {"sr", "sref", ".sr", "pp", "ppf", "ppl", "pps", "li", "lipp", "int", "intrng", "zf_no"}
)
#: commands known to change 1r that the replay cannot reproduce
NOT_REPLAYED = frozenset(
    {"bcm", "sab", "abst", "sino", "filt", "ls", "rs", "rv", "rev", "nm", "add", "addc", "dt"}
)


def group_delay_phase(group_delay: float) -> float:
    """Constant phase (degrees, in [-180, 180)) between TopSpin's edge-referenced removal of a
    ``group_delay``-point digital-filter delay and this package's carrier-referenced one:
    180 x d mod 360 (see the module docstring)."""
    if group_delay <= 0:
        return 0.0
    return float((180.0 * group_delay + 180.0) % 360.0 - 180.0)


def topspin_pipeline(
    procs: dict[str, Any], group_delay: float, commands: Sequence[str] = ()
) -> Pipeline:
    """The :class:`Pipeline` equivalent to TopSpin's processing with ``procs``.

    Parameters
    ----------
    procs : parameters of ``pdata/N/procs`` (:func:`dendritemr.io.bruker_procs.procs_parameters`).
    group_delay : digital-filter delay of the raw data, points (``attrs['group_delay']``).
    commands : names of the audit-trail commands after the raw-data processing, in order
        (:func:`dendritemr.io.bruker_procs.current_commands`).

    Raises
    ------
    ProcessingError : a window function or a command that cannot be replayed.
    """
    steps: list = []
    if int(procs.get("BC_mod", 0)) in (1, 2):  # 'single' / 'quad': FID DC offset
        steps.append(DCOffset())
    steps.append(DigitalFilter(method="roll", rounding="nearest"))
    tdeff = int(procs.get("TDeff", 0))
    if tdeff > 0:
        steps.append(Truncate(points=tdeff // 2))
    wdw = int(procs.get("WDW", 0))
    if wdw == 1:
        steps.append(ExponentialApodization(lb_hz=float(procs.get("LB", 0.0))))
    elif wdw != 0:  # 2 = GM (Lorentz-Gauss, LB < 0 and GB a fraction of AQ), 3+ sine, traf...
        raise ProcessingError(f"procs: window function WDW={wdw} is not replayed (only EM)")
    steps.append(ZeroFill(size=int(procs["SI"])))
    steps.append(FourierTransform(first_point=float(procs.get("FCOR", 1.0))))
    p0 = -float(procs.get("PHC0", 0.0)) - group_delay_phase(group_delay)
    steps.append(Phase(p0_deg=p0, p1_deg=-float(procs.get("PHC1", 0.0))))
    magnitude = False
    for name in commands:
        name = name.lower()
        if name in RAW or name in UNCHANGED:
            continue
        if name in PHASE_ONLY:
            if magnitude:
                raise ProcessingError(f"auditp.txt: '{name}' after mc/ps cannot be replayed")
            continue
        if name in BASELINE:
            steps.append(PolynomialBaseline(order=int(procs.get("ABSG", 5)), regions="auto"))
        elif name in MAGNITUDE:
            steps.append(Magnitude(power=MAGNITUDE[name]))
            magnitude = True
        elif name in NOT_REPLAYED:
            raise ProcessingError(f"auditp.txt: command '{name}' changes 1r and cannot be replayed")
        else:
            raise ProcessingError(f"auditp.txt: command '{name}' is unknown to the replay")
    return Pipeline(steps)


def experiment_folder(fid: xr.DataArray, expno: int) -> Path:
    """Folder of experiment ``expno`` of a series (or of the single experiment) read from disk."""
    source = Path(fid.attrs.get("source", ""))
    if (source / str(expno)).is_dir():
        return source / str(expno)
    return source


def replay_topspin(fid: xr.DataArray, procno: int = 1) -> xr.DataArray:
    """Process every row as TopSpin did, from each experiment's ``pdata/<procno>``.

    Rows of one experiment (a pseudo-2D) share its procs. Raises :class:`DataError` (naming
    the pdata folder) if an experiment has no processing parameters, or if its procs or audit
    trail hold a window or command the replay cannot reproduce.
    """
    parts = []
    expnos = fid["expno"].values if "expno" in fid.coords else np.full(fid.sizes["time"], -1)
    for expno in dict.fromkeys(int(e) for e in expnos):
        rows = fid.isel(time=np.flatnonzero(expnos == expno))
        pdata = experiment_folder(fid, expno) / "pdata" / str(procno)
        if not (pdata / "procs").is_file():
            raise DataError(pdata / "procs", "no TopSpin processing parameters to replay")
        names = [c.name for c in current_commands(pdata)]
        try:
            pipe = topspin_pipeline(
                procs_parameters(pdata), float(fid.attrs.get("group_delay", 0)), names
            )
        except ProcessingError as exc:
            raise DataError(pdata, f"TopSpin processing not replayable: {exc}") from exc
        parts.append(pipe(rows))
    out = xr.concat(parts, dim="time", combine_attrs="override") if len(parts) > 1 else parts[0]
    out.attrs["source"] = fid.attrs.get("source", "")
    return out


__all__ = ["group_delay_phase", "replay_topspin", "topspin_pipeline"]
