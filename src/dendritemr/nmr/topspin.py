"""Replay TopSpin's own processing from its recorded ``procs`` parameters.

TopSpin (efp/ft with pk) applies, in order: FID DC correction (BC_mod), TDeff truncation,
the window (WDW: 1 = exponential with LB, 2 = Gaussian; 0 = none), zero filling to SI, the
Fourier transform with digital-filter removal, and the phase PHC0 + PHC1 (i / SI), with i
counted from the high-ppm edge, applied with the opposite sign to :class:`Phase`. TopSpin
removes the fractional group delay with a ramp that is zero at the spectrum edge, not at the
carrier, which adds a constant 180 x frac(GRPDLY) degrees: this module adds it back so that
the replay matches TopSpin's 1r. When the audit trail shows TopSpin's ``abs`` baseline
correction, a polynomial of degree ABSG is fitted to automatically found baseline points.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from dendritemr.errors import DataError, ProcessingError
from dendritemr.nmr.apodize import ExponentialApodization, GaussianApodization
from dendritemr.nmr.baseline import PolynomialBaseline
from dendritemr.nmr.dc_offset import DCOffset
from dendritemr.nmr.digital_filter import DigitalFilter
from dendritemr.nmr.fourier import FourierTransform
from dendritemr.nmr.phase import Phase
from dendritemr.nmr.pipeline import Pipeline
from dendritemr.nmr.zero_fill import Truncate, ZeroFill


def used_abs_baseline(pdata_dir: str | Path) -> bool:
    """True if ``auditp.txt`` records TopSpin's ``abs`` (polynomial baseline) command."""
    audit = Path(pdata_dir) / "auditp.txt"
    if not audit.is_file():
        return False
    return any(
        line.strip().startswith("<abs") for line in audit.read_text(errors="replace").splitlines()
    )


def topspin_pipeline(
    procs: dict[str, Any], group_delay: float, abs_baseline: bool = False
) -> Pipeline:
    """The :class:`Pipeline` equivalent to TopSpin's processing with ``procs``.

    Parameters
    ----------
    procs : parameters of ``pdata/N/procs`` (see :func:`dendritemr.io.bruker.procs_parameters`).
    group_delay : digital-filter delay of the raw data, points (``attrs['group_delay']``).
    abs_baseline : add TopSpin's ``abs`` polynomial baseline (degree ABSG) at the end.
    """
    steps: list = []
    if int(procs.get("BC_mod", 0)) in (1, 2):  # 'single' / 'quad': FID DC offset
        steps.append(DCOffset())
    steps.append(DigitalFilter(method="roll"))
    tdeff = int(procs.get("TDeff", 0))
    if tdeff > 0:
        steps.append(Truncate(points=tdeff // 2))
    wdw = int(procs.get("WDW", 0))
    if wdw == 1:
        steps.append(ExponentialApodization(lb_hz=float(procs.get("LB", 0.0))))
    elif wdw == 2:
        steps.append(GaussianApodization(gb_hz=abs(float(procs.get("LB", 0.0)))))
    elif wdw != 0:
        raise ProcessingError(f"TopSpin window function WDW={wdw} is not supported")
    steps.append(ZeroFill(size=int(procs["SI"])))
    steps.append(FourierTransform(first_point=1.0))
    frac = group_delay - np.floor(group_delay) if group_delay > 0 else 0.0
    p0 = -float(procs.get("PHC0", 0.0)) - 180.0 * frac
    steps.append(Phase(p0_deg=p0, p1_deg=-float(procs.get("PHC1", 0.0))))
    if abs_baseline:
        steps.append(PolynomialBaseline(order=int(procs.get("ABSG", 5)), regions="auto"))
    return Pipeline(steps)


def experiment_folder(fid: xr.DataArray, expno: int) -> Path:
    """Folder of experiment ``expno`` of a series (or of the single experiment) read from disk."""
    source = Path(fid.attrs.get("source", ""))
    if (source / str(expno)).is_dir():
        return source / str(expno)
    return source


def replay_topspin(fid: xr.DataArray, procno: int = 1) -> xr.DataArray:
    """Process every row as TopSpin did, from each experiment's ``pdata/<procno>/procs``.

    Rows of one experiment (a pseudo-2D) share its procs. Raises :class:`DataError` if an
    experiment has no processing parameters.
    """
    from dendritemr.io.bruker import procs_parameters

    parts = []
    expnos = fid["expno"].values if "expno" in fid.coords else np.full(fid.sizes["time"], -1)
    for expno in dict.fromkeys(int(e) for e in expnos):
        rows = fid.isel(time=np.flatnonzero(expnos == expno))
        pdata = experiment_folder(fid, expno) / "pdata" / str(procno)
        if not (pdata / "procs").is_file():
            raise DataError(pdata / "procs", "no TopSpin processing parameters to replay")
        pipe = topspin_pipeline(
            procs_parameters(pdata),
            float(fid.attrs.get("group_delay", 0)),
            abs_baseline=used_abs_baseline(pdata),
        )
        parts.append(pipe(rows))
    out = xr.concat(parts, dim="time", combine_attrs="override") if len(parts) > 1 else parts[0]
    out.attrs["source"] = fid.attrs.get("source", "")
    return out
