"""Report of an analysis: one self-contained interactive ``report.html`` and static figures.

:func:`write_report` is what ``dendritemr analyze`` and ``dendritemr demo`` call after the
results are computed. Modules: :mod:`~dendritemr.report.inputs` (what is read from the results),
:mod:`~dendritemr.report.figures` (plotly panels), :mod:`~dendritemr.report.html` (the page),
:mod:`~dendritemr.report.static` (matplotlib PNG + PDF), :mod:`~dendritemr.report.style`.
Layouts of the datasets the report reads: ``docs/report.md``.
"""

from __future__ import annotations

from pathlib import Path

import xarray as xr

__all__ = ["write_report", "REPORT_NAME", "FIGURES_DIR"]

REPORT_NAME = "report.html"
FIGURES_DIR = "figures"


def write_report(folder: Path, doc: dict, datasets: dict[str, xr.Dataset]) -> Path:
    """Write ``folder/report.html`` and ``folder/figures/*.png|pdf``; return the HTML path.

    Parameters
    ----------
    folder : existing output folder (the analysis' temporary folder before its rename).
    doc : results document, schema ``dendritemr.results/1`` (``docs/results-schema.md``).
    datasets : the analysis datasets: ``timeline``, ``cycler``, ``spectra``, ``mri`` (each
        optional; a panel whose data are absent states why instead of a figure).

    Returns
    -------
    Path : ``folder/report.html``.

    Raises
    ------
    OSError : the folder cannot be written. A panel or static figure that cannot be drawn from
        odd data does not raise: the page says so in its place (and a ``RuntimeWarning``).
    """
    from dendritemr.report.html import render_html
    from dendritemr.report.static import write_static

    folder = Path(folder)
    figures = write_static(folder / FIGURES_DIR, doc, datasets)
    path = folder / REPORT_NAME
    tmp = folder / f".{REPORT_NAME}.tmp"
    tmp.write_text(render_html(doc, datasets, static_figures=figures), encoding="utf-8")
    tmp.replace(path)
    return path
