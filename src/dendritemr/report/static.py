"""Static figures for papers: PNG (300 dpi, Agg) and PDF (vector), matplotlib without pyplot.

Same data and colours as the interactive panels (:mod:`dendritemr.report.figures`); sized for a
double-column journal figure (7 in wide). Figures whose data are absent are not written;
:func:`write_static` returns which were written and why the others were not.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from dendritemr.report import inputs as I
from dendritemr.report.style import (
    COLORS,
    STAGE_BOUNDARY,
    mri_label,
    nucleus_text,
    pretty_unit,
    same_name_boundaries,
    soft_shorts,
    stage_color,
    stage_label_positions,
)

__all__ = ["write_static", "captions", "FIGURE_NAMES", "CAPTIONS_NAME"]

#: draft captions of the written figures, beside them
CAPTIONS_NAME = "captions.md"

#: base names of the static figures (each written as .png and .pdf when its data exist)
FIGURE_NAMES = (
    "overview",
    "spectra_7Li",
    "spectra_6Li",
    "map_7Li",
    "map_6Li",
    "fit_quality",
    "mri",
)

WIDTH_IN = 7.0
#: why a time x shift map is not drawn for a single spectrum (it would be an empty frame)
ONE_SPECTRUM = "one spectrum: a time x shift map needs at least two"
STAGE_ALPHA = 0.55
RC = {
    "font.family": "sans-serif",
    "font.sans-serif": ["Arial", "Helvetica", "DejaVu Sans"],
    "font.size": 8,
    "axes.labelsize": 8,
    "axes.titlesize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "axes.linewidth": 0.7,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "xtick.major.width": 0.7,
    "ytick.major.width": 0.7,
    "lines.linewidth": 1.0,
    "pdf.fonttype": 42,
    "savefig.dpi": 300,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.03,
}


class _Figures:
    """The few pyplot calls used here, on plain ``Figure`` objects: no pyplot state, no backend
    switch in the caller's session (Agg renders PNG, matplotlib's PDF backend the PDF)."""

    @staticmethod
    def subplots(nrows: int = 1, ncols: int = 1, *, figsize, **kw):
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize)
        return fig, fig.subplots(nrows, ncols, **kw)

    @staticmethod
    def get_cmap(name: str):
        import matplotlib

        return matplotlib.colormaps[name]

    @staticmethod
    def close(fig) -> None:
        fig.clear()

    @staticmethod
    def rc_context(rc: dict):
        import matplotlib

        return matplotlib.rc_context(rc)


def _mpl() -> _Figures:
    return _Figures()


def _shift_label(nucleus: str) -> str:
    mass = "".join(c for c in nucleus if c.isdigit())
    sym = "".join(c for c in nucleus if not c.isdigit())
    return rf"$\delta(^{{{mass}}}\mathrm{{{sym}}})$ / ppm"


def _nucleus_tex(nucleus: str) -> str:
    mass = "".join(c for c in nucleus if c.isdigit())
    sym = "".join(c for c in nucleus if not c.isdigit())
    return rf"$^{{{mass}}}\mathrm{{{sym}}}$"


def _stages(ax, doc: dict) -> None:
    """Stage bands, soft shorts (red dotted outline) and the short circuit (dashed red)."""
    for s in doc.get("stages") or []:
        a, b = s.get("start_h"), s.get("end_h")
        if a is None or b is None or not b > a:
            continue
        ax.axvspan(a, b, color=stage_color(s["name"]), alpha=STAGE_ALPHA, lw=0, zorder=0)
    for x in same_name_boundaries(doc.get("stages") or []):
        ax.axvline(x, color=STAGE_BOUNDARY["color"], lw=STAGE_BOUNDARY["width"], ls=":", zorder=1)
    for a, b, _ in soft_shorts(doc):
        ax.axvspan(a, b, fc=COLORS["short"], alpha=0.07, lw=0, zorder=0)
        ax.axvspan(a, b, fc="none", ec=COLORS["short"], lw=0.6, ls=":", zorder=1)
    if doc.get("short_circuit_h") is not None:
        ax.axvline(doc["short_circuit_h"], color=COLORS["short"], lw=0.8, ls="--", zorder=1)


def _stage_labels(ax, doc: dict, soft_labels: bool = True) -> None:
    """Stage names above ``ax`` (none overlapping, inside its x range; call after the x
    limits are set) and the soft shorts' names inside its top edge."""
    lo, hi = ax.get_xlim()
    fig = ax.figure
    width_pt = ax.get_position().width * fig.get_figwidth() * 72
    chars = width_pt / (0.6 * 6)  # 6 pt text, ~0.6 em per character
    for x, name in stage_label_positions(doc.get("stages") or [], lo, hi, chars):
        ax.text(
            x,
            1.02,
            name,
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=6,
            color="#444",
            clip_on=False,
        )
    if soft_labels:
        for a, b, text in soft_shorts(doc):
            if b >= lo and a <= hi:
                ax.text(
                    min(max(0.5 * (a + b), lo), hi),
                    0.97,
                    text,
                    transform=ax.get_xaxis_transform(),
                    ha="center",
                    va="top",
                    fontsize=6,
                    color=COLORS["short"],
                )


def _panel_label(ax, k: int) -> None:
    """``(a)``, ``(b)``, ... at the figure's left edge, level with the top of ``ax`` (outside
    the data, left of the axis title)."""
    top = ax.get_position().y1
    ax.figure.text(0.0, top, f"({chr(97 + k)})", ha="left", va="top", fontweight="bold")


def _band(ax, t, y, err, color, label, ls="-"):
    ok = np.isfinite(y)
    if not ok.any():
        return False
    e = np.where(np.isfinite(err), err, 0.0)
    ax.fill_between(t, y - e, y + e, color=color, alpha=0.25, lw=0, zorder=2)
    ax.plot(t, y, color=color, ls=ls, marker="o", ms=1.8, label=label, zorder=3)
    return True


def _fraction_axis(ax, t, y, color) -> None:
    """A fraction's axis: 0..1 (+-0.05); values off it as open triangles on the edge."""
    lo, hi = -0.05, 1.05
    ax.set_ylim(lo, hi)
    for sel, edge, marker in ((y > hi, hi, "^"), (y < lo, lo, "v")):
        sel = np.isfinite(y) & sel
        if sel.any():
            ax.plot(
                t[sel],
                np.full(sel.sum(), edge),
                ls="none",
                marker=marker,
                ms=3.5,
                mfc="white",
                mec=color,
                clip_on=False,
                zorder=4,
            )


def _save(fig, folder: Path, name: str, plt) -> list[Path]:
    out = []
    for ext in ("png", "pdf"):
        p = folder / f"{name}.{ext}"
        fig.savefig(p)
        out.append(p)
    plt.close(fig)
    return out


def _overview(doc: dict, datasets: dict, folder: Path, plt) -> tuple[list[Path], str]:
    t = I.as_float(doc.get("time_h"))
    n = t.size
    # the time span of the NMR series (and the short): a cycler record that runs on for days
    # after the last spectrum would squeeze the series into a corner (the interactive
    # report's voltage panel shows the whole record)
    t0 = I.as_float(doc.get("time_start_h"), n)
    t1 = I.as_float(doc.get("time_end_h"), n)
    span = np.concatenate([t, t0, t1, I.as_float([doc.get("short_circuit_h")])])
    span = span[np.isfinite(span)]
    shown = (float(span.min()), float(span.max())) if span.size else None
    cyc, _ = I.cycler_series(datasets, doc, span=shown)
    x6 = I.as_float(doc.get("x6_metal"), n)
    fr = I.as_float(doc.get("interface_fraction"), n)
    rows = []
    if cyc is not None and cyc.voltage_V is not None:
        rows.append("voltage")
    metal, relative = I.metal_series(doc)
    if metal:
        rows.append("metal")
    if np.isfinite(x6).any():
        rows.append("x6")
    if np.isfinite(fr).any():
        rows.append("fraction")
    if not rows:
        return [], "no voltage, metal amount, x6 or interface fraction to plot"
    heights = {"voltage": 1.0, "metal": 1.6, "x6": 1.0, "fraction": 1.0}
    fig, axes = plt.subplots(
        len(rows),
        1,
        sharex=True,
        figsize=(WIDTH_IN, 0.3 + sum(heights[r] for r in rows)),
        gridspec_kw={"height_ratios": [heights[r] for r in rows], "hspace": 0.08},
        squeeze=False,
    )
    axes = axes[:, 0]
    for k, (ax, r) in enumerate(zip(axes, rows, strict=True)):
        _stages(ax, doc)
        if r == "voltage":
            ax.plot(cyc.hours, cyc.voltage_V, color=COLORS["voltage"], lw=0.6)
            ax.set_ylabel("$U$ / V")
        elif r == "metal":
            for route, (y, err) in metal.items():
                _band(ax, t, y, err, COLORS[route], route, ":" if route == "total" else "-")
            ax.set_ylabel(I.METAL_RELATIVE_AXIS if relative else r"$n(\mathrm{Li}^0)$ / µmol")
            ax.legend(loc="upper left")
        elif r == "x6":
            _band(ax, t, x6, I.as_float(doc.get("x6_metal_err"), n), COLORS["x6"], "metal")
            ends = I.end_members(doc)
            for route, (y, err) in ends.items():  # pure interface / bulk metal, dashed
                e = np.where(np.isfinite(err), err, 0.0)
                ax.fill_between(t, y - e, y + e, color=COLORS[route], alpha=0.12, lw=0, zorder=2)
                ax.plot(t, y, color=COLORS[route], ls="--", lw=0.8, label=f"{route} end member")
            if ends:
                ax.legend(loc="center right", ncol=3, fontsize=6)
            ax.set_ylabel(r"$x(^6\mathrm{Li})$ of Li$^0$")
        else:
            _band(
                ax,
                t,
                fr,
                I.as_float(doc.get("interface_fraction_err"), n),
                COLORS["fraction"],
                "interface fraction",
            )
            ax.set_ylabel("interface\nfraction")
        if r in ("x6", "fraction"):
            _fraction_axis(ax, t, x6 if r == "x6" else fr, COLORS[r])
        _panel_label(ax, k)
    axes[-1].set_xlabel("time / h")
    if shown is not None:
        lo, hi = shown
    elif cyc is not None:
        lo, hi = float(np.nanmin(cyc.hours)), float(np.nanmax(cyc.hours))
    else:
        lo, hi = 0.0, 1.0
    pad = 0.01 * (hi - lo or 1.0)
    axes[-1].set_xlim(lo - pad, hi + pad)
    _stage_labels(axes[0], doc)
    fig.align_ylabels(axes)
    return _save(fig, folder, "overview", plt), ""


def _spectra(doc, datasets, folder, plt, nucleus) -> tuple[list[Path], str]:
    """Up to 8 spectra stacked with their fits: (a) the metal window
    (:data:`dendritemr.nmr.defaults.METAL_WINDOW`), normalised to the series maximum there;
    (b) the whole stored range, normalised to the series maximum."""
    from dendritemr.nmr.defaults import METAL_WINDOW

    s, why = I.spectra_series(datasets, nucleus, doc)
    if s is None:
        return [], why
    n = s.data.shape[0]
    pick = np.unique(np.linspace(0, n - 1, min(n, 8)).round().astype(int))
    lo, hi = METAL_WINDOW
    inside = (s.ppm >= lo) & (s.ppm <= hi)
    views = [(s.ppm.max(), s.ppm.min(), np.ones_like(inside), "whole range")]
    if inside.sum() > 2:
        views.insert(0, (hi, lo, inside, "metal window"))
    fig, axes = plt.subplots(
        1, len(views), figsize=(WIDTH_IN, 3.2), squeeze=False, gridspec_kw={"wspace": 0.08}
    )
    cmap = plt.get_cmap("viridis")
    step = 0.6
    for k, (ax, (x0, x1, mask, title)) in enumerate(zip(axes[0], views, strict=True)):
        scale = I.magnitude(s.data[:, mask])
        for j, i in enumerate(pick):
            off = j * step
            color = cmap(j / max(1, len(pick) - 1) * 0.9)
            ax.plot(s.ppm[mask], s.data[i, mask] / scale + off, color=color, lw=0.7)
            if s.model is not None:
                ax.plot(s.ppm[mask], s.model[i, mask] / scale + off, color="k", lw=0.5, ls="--")
            if k == 0:  # the time above the trace's left end (the shift axis runs high to low)
                left = s.data[i, mask][np.argsort(-s.ppm[mask])][: max(3, mask.sum() // 30)]
                base = np.nanmedian(np.real(left)) / scale if np.isfinite(left).any() else 0.0
                ax.text(
                    x0,
                    off + base + 0.04,
                    f" {s.hours[i]:.1f} h",
                    fontsize=6,
                    color=color,
                    va="bottom",
                )
        ax.set_xlim(x0, x1)
        ax.set_xlabel(_shift_label(nucleus))
        ax.set_yticks([])
        ax.set_title(f"({chr(97 + k)}) {title}", loc="left")
    axes[0, 0].set_ylabel("intensity / max (offset)")
    return _save(fig, folder, f"spectra_{nucleus}", plt), ""


def _map(doc, datasets, folder, plt, nucleus) -> tuple[list[Path], str]:
    """Time x shift maps: (a) the metal window with its own colour range (0.5th-99.5th
    percentile), (b) the whole range (0 to the 99.5th percentile); series-maximum units."""
    from dendritemr.nmr.defaults import METAL_WINDOW

    s, why = I.spectra_series(datasets, nucleus, doc)
    if s is None:
        return [], why
    if s.data.shape[0] < 2:
        return [], ONE_SPECTRUM
    scale = I.magnitude(s.data)
    order = np.argsort(s.hours)
    z = s.data[order] / scale
    gap = np.all(~np.isfinite(z), axis=0)  # the NaN columns between stored windows
    if gap.all():
        return [], "the spectra hold no finite values"
    lo, hi = METAL_WINDOW
    inside = (s.ppm >= lo) & (s.ppm <= hi)
    views = [(np.ones_like(inside), (0.0, float(np.nanpercentile(z, 99.5))), "whole range")]
    if inside.sum() > 2:
        lim = tuple(float(v) for v in np.nanpercentile(z[:, inside], [0.5, 99.5]))
        views.insert(0, (inside, lim, "metal window"))
    fig, axes = plt.subplots(
        1, len(views), figsize=(WIDTH_IN, 3.0), squeeze=False, gridspec_kw={"wspace": 0.25}
    )
    for k, (ax, (mask, (vmin, vmax), title)) in enumerate(zip(axes[0], views, strict=True)):
        # one mesh per stored window: a single mesh stretched the cells next to a gap halfway
        # into it (the whole-range map showed data at 160-130 ppm that were never stored)
        cols = np.flatnonzero(mask & ~gap)
        for seg in np.split(cols, np.flatnonzero(np.diff(cols) > 1) + 1):
            if seg.size == 0:
                continue
            mesh = ax.pcolormesh(
                s.ppm[seg],
                s.hours[order],
                z[:, seg],
                shading="nearest",
                cmap="viridis",
                vmin=vmin,
                vmax=vmax,
                rasterized=True,
            )
        _map_stages_static(ax, doc)
        ax.set_xlim(np.nanmax(s.ppm[mask]), np.nanmin(s.ppm[mask]))
        ax.set_xlabel(_shift_label(nucleus))
        ax.set_title(f"({chr(97 + k)}) {title}", loc="left")
        if doc.get("short_circuit_h") is not None:
            ax.axhline(doc["short_circuit_h"], color=COLORS["short"], lw=0.8, ls="--")
        fig.colorbar(mesh, ax=ax, label="intensity / max", pad=0.02)
    axes[0, 0].set_ylabel("time / h")
    return _save(fig, folder, f"map_{nucleus}", plt), ""


def _map_stages_static(ax, doc: dict) -> None:
    """Growth stages on a time x shift map: a strip in their colours inside the right edge and
    dotted white lines at their boundaries (as the interactive map)."""
    stages = [
        s
        for s in doc.get("stages") or []
        if s.get("start_h") is not None and s.get("end_h") is not None and s["end_h"] > s["start_h"]
    ]
    for k, st in enumerate(stages):
        ax.axhspan(st["start_h"], st["end_h"], xmin=0.97, xmax=1.0, color=stage_color(st["name"]),
                   lw=0, zorder=3)  # fmt: skip
        if k:
            ax.axhline(st["start_h"], color="white", lw=0.6, ls=":", zorder=3)


def _fit_quality(doc, datasets, folder, plt) -> tuple[list[Path], str]:
    fig, ax = plt.subplots(figsize=(WIDTH_IN / 2, 2.2))
    drawn = []
    for nuc in I.NUCLEI:
        s, _ = I.spectra_series(datasets, nuc, doc)
        if s is None or s.redchi is None:
            continue
        ax.plot(s.hours, s.redchi, marker="o", ms=2, color=COLORS[nuc], label=_nucleus_tex(nuc))
        drawn.append(nuc)
    if not drawn:
        plt.close(fig)
        return [], "no reduced chi-square stored with the spectra"
    _stages(ax, doc)
    _stage_labels(ax, doc, soft_labels=False)
    ax.axhline(1.0, color="#888", lw=0.6, ls=":")
    ax.set_xlabel("time / h")
    ax.set_ylabel(r"reduced $\chi^2$")
    ax.legend()
    return _save(fig, folder, "fit_quality", plt), ""


def _mri(doc, datasets, folder, plt) -> tuple[list[Path], str]:
    """Last map and the profiles; under them, when the dataset has them, the map totals (with
    the NMR series' dendritic total) and the penetration depths vs time, ±1 SE bars. The metal
    line model of each scan's CSI fit (``mri_images.metal_model``) is named in the map's title
    and the profiles' legend, and marked on the totals (filled: the NMR series' line shape;
    open: the scan's own model choice)."""
    m, why = I.mri_series(datasets, doc)
    if m is None:
        return [], why
    ncol = (1 if m.maps else 0) + (1 if m.profiles else 0)
    series = [k for k in ("total_umol", "depth_b_um", "depth_a_um") if k in m.series]
    timed = bool(series) and bool(np.isfinite(m.hours).any())
    rows = 2 if timed else 1
    fig, grid = plt.subplots(
        rows, max(ncol, 2 if timed else 1), figsize=(WIDTH_IN, 2.8 * rows), squeeze=False
    )
    axes = list(grid[0])
    for extra in axes[ncol:]:
        extra.set_visible(False)
    if timed:
        _mri_series_axes(doc, m, list(grid[1]))
    fig.subplots_adjust(wspace=0.55, hspace=0.45)  # the map's colour bar label and the profiles'
    cmap = plt.get_cmap("viridis")
    words = [I.metal_model_word(x) for x in m.metal_model] if m.metal_model else None
    if m.maps:
        name, (arr, rows, cols, rname, cname, units) = next(iter(m.maps.items()))
        ax = axes.pop(0)
        # the interactive map's colour scale: 0 to the largest voxel of all scans
        mesh = ax.pcolormesh(
            cols, rows, arr[-1], shading="nearest", cmap="viridis", vmin=0.0,
            vmax=I.magnitude(arr), rasterized=True,
        )  # fmt: skip
        label = mri_label(name)
        fig.colorbar(
            mesh, ax=ax, label=f"{label} / {pretty_unit(units)}" if units else label, extend="min"
        )
        ax.set_xlabel(cname.replace("_", " / "))
        ax.set_ylabel(rname.replace("_", " / "))
        h = m.hours[-1]
        title = f"last scan, {h:.1f} h" if np.isfinite(h) else "last scan"
        if words and words[-1]:
            title += f"\nmetal line: {words[-1]}"
        ax.set_title(title, fontsize=7)
        _faces_static(ax, m, cname)
    if m.profiles:
        name, (arr, z, zname, err, units) = next(iter(m.profiles.items()))
        ax = axes.pop(0)
        k = arr.shape[0]
        for i in range(k):
            h = m.hours[i]
            lab = f"{h:.1f} h" if np.isfinite(h) else f"scan {i + 1}"
            if words and words[i]:
                lab += f" ({words[i]})"
            ax.plot(z, arr[i], color=cmap(i / max(1, k - 1) * 0.9), lw=0.8, label=lab)
        ax.axhline(0.0, color="#888", lw=0.5, ls=":")
        ax.set_xlabel(zname.replace("_", " / "))
        label = mri_label(name)
        ax.set_ylabel(f"{label} / {pretty_unit(units)}" if units else label)
        ax.legend(fontsize=5.5)
        _faces_static(ax, m, zname)
    shown = [a for a in fig.axes if a.get_visible() and a.get_label() != "<colorbar>"]
    for j, ax in enumerate(shown):
        ax.set_title(f"({chr(97 + j)}) " + ax.get_title(), loc="left", fontsize=7)
        if ax.get_title(loc="center"):
            ax.set_title("")
    return _save(fig, folder, "mri", plt), ""


def _faces_static(ax, m, axis_name: str) -> None:
    """The pellet faces (B, A) as dashed grey lines on a z axis, when the dataset gives them."""
    if m.faces_mm is None or not axis_name.startswith("z"):
        return
    for z, label in zip(m.faces_mm, ("B", "A"), strict=True):
        ax.axvline(z, color="#555", lw=0.6, ls="--")
        ax.text(z, 1.01, label, transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                fontsize=6)  # fmt: skip


def _mri_series_axes(doc, m, axes) -> None:
    """Map totals vs time (NMR dendritic total dashed) and depths from B and A, ±1 SE; a total
    whose CSI fit chose its own metal line model is an open marker."""
    from dendritemr.report.figures import mri_value_range

    ax_t, ax_d = axes[0], axes[1]
    for extra in axes[2:]:
        extra.set_visible(False)
    for ax in (ax_t, ax_d):
        _stages(ax, doc)
    if "total_umol" in m.series:
        y, err, _ = m.series["total_umol"]
        own = np.array([x not in ("nmr", "") for x in m.metal_model]) if m.metal_model else None
        if own is None:  # no model recorded: one marker style
            ax_t.errorbar(m.hours, y, yerr=err, fmt="o-", ms=3, color=COLORS["total"],
                          capsize=2, label="MRI map total")  # fmt: skip
        else:
            ax_t.errorbar(m.hours, y, yerr=err, fmt="-", color=COLORS["total"], capsize=2, lw=1.0)
            ax_t.plot(m.hours[~own], y[~own], "o", ms=3.5, color=COLORS["total"],
                      label="MRI map total (metal line from NMR)")  # fmt: skip
        if own is not None and own.any():
            ax_t.plot(m.hours[own], y[own], "o", ms=3.5, mfc="white", mec=COLORS["total"],
                      label="MRI map total (own line model)")  # fmt: skip
        nmr = doc.get("metal_umol") or {}
        t = I.as_float(doc.get("time_h"))
        yn = I.as_float(nmr.get("total"), t.size)
        if t.size and np.isfinite(yn).any():
            ax_t.plot(t, yn, ls="--", color=COLORS["fraction"], label="NMR dendritic total")
        ax_t.set_ylabel(r"$n(\mathrm{Li}^0)$ / µmol")
        ax_t.legend(fontsize=6)
        ax_t.set_ylim(*mri_value_range(y, yn))  # a huge error must not flatten the values
    for key, color, label in (
        ("depth_b_um", COLORS["depth_b"], "from B"),
        ("depth_a_um", COLORS["depth_a"], "from A"),
    ):
        if key in m.series:
            y, err, _ = m.series[key]
            ax_d.errorbar(m.hours, y, yerr=err, fmt="o-", ms=3, color=color, capsize=2,
                          label=label)  # fmt: skip
    ax_d.set_ylabel("penetration depth / µm")
    ax_d.set_ylim(bottom=0.0)  # a depth is >= 0; bars below are cut at the face
    ax_d.legend(fontsize=6)
    for ax in (ax_t, ax_d):
        ax.set_xlabel("time / h")


def _stage_sentence(doc: dict, span: tuple[float, float] | None = None) -> str:
    """The stage bands and short marks of a time axis, in words (soft shorts only where they
    meet ``span``, h: the overview is cropped to the NMR series)."""
    names = list(dict.fromkeys(s.get("name", "") for s in doc.get("stages") or []))
    out = ""
    if names:
        out += " Shaded bands: growth stages (" + ", ".join(names) + "; names above the axis)."
    if same_name_boundaries(doc.get("stages") or []):
        out += " Dotted grey lines: boundaries between consecutive stages of one name."
    if doc.get("short_circuit_h") is not None:
        out += f" Dashed red line: short circuit at {doc['short_circuit_h']:.2f} h."
    softs = [
        (a, b) for a, b, _ in soft_shorts(doc) if span is None or (b >= span[0] and a <= span[1])
    ]
    if softs:
        out += " Dotted red outline: soft shorts that recovered."
    return out


def captions(doc: dict, datasets: dict) -> dict[str, str]:
    """A draft caption for each static figure whose data exist (figure name -> text): what
    each panel shows, the units, what the bands and marks are, and for ``mri`` the metal line
    model of each scan's CSI fit. Written beside the figures as ``captions.md``."""
    out: dict[str, str] = {}
    t0 = I.time_zero(doc)
    metal, relative = I.metal_series(doc)
    rows = []
    cyc, _ = I.cycler_series(datasets, doc)
    if cyc is not None and cyc.voltage_V is not None:
        rows.append("cell voltage U")
    if metal:
        what = (
            "dendritic Li metal relative to the first spectrum's electrode line"
            if relative
            else "dendritic Li metal n(Li⁰) in µmol"
        )
        routes = [r for r in metal if r != "total"]
        if routes:
            what += " per growth route (" + ", ".join(routes) + ") and in total"
        rows.append(what)
    n = len(doc.get("time_h") or [])
    if np.isfinite(I.as_float(doc.get("x6_metal"), n)).any():
        rows.append(
            "⁶Li atom fraction x(⁶Li) of the metal"
            + (
                ", with that of pure interface and pure bulk metal (dashed end members)"
                if I.end_members(doc)
                else ""
            )
        )
    if np.isfinite(I.as_float(doc.get("interface_fraction"), n)).any():
        rows.append("interface fraction, interface / (interface + bulk)")
    t = I.as_float(doc.get("time_h"))
    t = t[np.isfinite(t)]
    span = (float(t.min()), float(t.max())) if t.size else None
    if rows:
        panels = "; ".join(f"({chr(97 + k)}) {r}" for k, r in enumerate(rows))
        fractions = any(r.startswith(("⁶Li atom", "interface fraction")) for r in rows)
        out["overview"] = (
            f"In situ NMR of the cell over time (h since {t0}): {panels}. Bands: ±1 standard "
            "error"
            + (
                "; fractions on 0 to 1, values off the axis as open triangles on its edge."
                if fractions
                else "."
            )
            + _stage_sentence(doc, span)
        )
    from dendritemr.nmr.defaults import METAL_WINDOW
    from dendritemr.quant.decompose import REDCHI_FLAG

    lo, hi = METAL_WINDOW
    for nuc in I.NUCLEI:
        s, _ = I.spectra_series(datasets, nuc, doc)
        if s is None:
            continue
        k = min(s.data.shape[0], 8)
        label = nucleus_text(nuc)
        out[f"spectra_{nuc}"] = (
            f"In situ {label} NMR spectra (real part), {k} of {s.data.shape[0]} spectra from "
            f"{np.nanmin(s.hours):.1f} to {np.nanmax(s.hours):.1f} h, stacked with offsets and "
            "labelled with their time; dashed black: the fitted line model. (a) the metal "
            f"window, {hi:g} to {lo:g} ppm, normalised to the series maximum there; (b) the "
            "whole range."
        )
        if s.data.shape[0] >= 2:
            out[f"map_{nuc}"] = (
                f"{label} intensity (real part, normalised to the series maximum) against "
                f"shift and time: (a) the metal window, {hi:g} to {lo:g} ppm, colour scale its "
                "0.5th to 99.5th percentile; "
                "(b) the whole range, 0 to the 99.5th percentile."
                + (
                    f" Dashed red: short circuit at {doc['short_circuit_h']:.2f} h."
                    if doc.get("short_circuit_h") is not None
                    else ""
                )
            )
        if s.redchi is not None and "fit_quality" not in out:
            out["fit_quality"] = (
                "Reduced chi-square of each spectrum's fit (1: residual at the noise level; "
                f"above {REDCHI_FLAG:g} the standard errors of that spectrum's amounts are scaled "
                "up by its square root)." + _stage_sentence(doc, span)
            )
    m, _ = I.mri_series(datasets, doc)
    if m is not None:
        from dendritemr.report.figures import mri_scan_texts

        text = (
            "⁷Li chemical-shift imaging of the dendritic metal: (a) metal per voxel in the last "
            "scan, (b) metal per row along z (the map summed over the lateral axis), one line "
            "per scan"
        )
        if any(k in m.series for k in ("total_umol", "depth_b_um")) and np.isfinite(m.hours).any():
            text += (
                "; (c) metal in the image per scan (±1 SE) with the NMR series' dendritic total "
                "(dashed); (d) penetration depth of the metal from electrodes B and A (±1 SE)"
            )
        text += "."
        if m.metal_model:
            text += (
                " Metal line model of each scan's CSI fit: "
                + "; ".join(mri_scan_texts(m))
                + ". 'From the ⁷Li NMR series': the dendritic ⁷Li lines of the NMR series fit "
                "at the scan's mid-time, held fixed (filled markers in (c)); otherwise the "
                "scan's own model choice (open markers)."
            )
        out["mri"] = text
    return out


def _write_captions(folder: Path, texts: dict[str, str], written: dict) -> None:
    """``captions.md``: one draft caption per figure written (PNG and PDF beside it)."""
    parts = ["# Figure captions (drafts, from the analysis)\n"]
    for name, got in written.items():
        if isinstance(got, list) and got and name in texts:
            parts.append(f"## {name} ({', '.join(p.name for p in got)})\n\n{texts[name]}\n")
    if len(parts) > 1:
        (folder / CAPTIONS_NAME).write_text("\n".join(parts), encoding="utf-8")


def write_static(folder: Path, doc: dict, datasets: dict) -> dict[str, list[Path] | str]:
    """Write the static figures into ``folder`` (created).

    Returns
    -------
    dict : figure name -> the written paths (PNG and PDF), or the reason it was not written.
    """
    plt = _mpl()
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, list[Path] | str] = {}
    with plt.rc_context(RC):
        jobs = {
            "overview": lambda: _overview(doc, datasets, folder, plt),
            "fit_quality": lambda: _fit_quality(doc, datasets, folder, plt),
            "mri": lambda: _mri(doc, datasets, folder, plt),
        }
        for nuc in I.NUCLEI:
            jobs[f"spectra_{nuc}"] = lambda nuc=nuc: _spectra(doc, datasets, folder, plt, nuc)
            jobs[f"map_{nuc}"] = lambda nuc=nuc: _map(doc, datasets, folder, plt, nuc)
        for name in FIGURE_NAMES:
            try:
                paths, why = jobs[name]()
            except Exception as exc:  # noqa: BLE001 - one odd dataset must not stop the report
                warnings.warn(
                    f"static figure {name!r} not written: {exc!r}", RuntimeWarning, stacklevel=2
                )
                paths, why = [], f"not written ({exc.__class__.__name__}: {exc})"
            out[name] = paths or why
    try:
        _write_captions(folder, captions(doc, datasets), out)
    except Exception as exc:  # noqa: BLE001 - a caption must not cost the figures
        warnings.warn(f"figure captions not written: {exc!r}", RuntimeWarning, stacklevel=2)
    return out
