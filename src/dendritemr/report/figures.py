"""Interactive report panels: one plotly figure per panel, or a sentence saying why there is none.

:func:`build_panels` turns a results document (``dendritemr.results/1``) and the analysis
datasets into an ordered list of :class:`Panel`. Every panel on a time axis carries the growth
stages as bands and the short circuit as a vertical line. Values plotted are the document's own
numbers (no smoothing, no interpolation).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dendritemr.report import inputs as I
from dendritemr.report.style import (
    AXIS,
    COLORS,
    STAGE_BOUNDARY,
    TIME_TITLE,
    mri_label,
    nucleus_html,
    nucleus_text,
    plotly_layout,
    pretty_unit,
    same_name_boundaries,
    shift_title,
    soft_shorts,
    stage_color,
    stage_label_positions,
)

__all__ = ["Panel", "build_panels", "MAX_FRAMES"]

#: opacity of the stage bands behind the data
STAGE_OPACITY = 0.55

#: a slider gets one frame per spectrum up to this many (longer series: evenly spaced subset)
MAX_FRAMES = 300


@dataclass
class Panel:
    """One report panel.

    Attributes
    ----------
    key : HTML id (letters, digits, dashes).
    title : heading.
    figure : the plotly figure, or None when the data are absent.
    note : caption under the figure, or the reason the figure is absent.
    """

    key: str
    title: str
    figure: go.Figure | None
    note: str


LEGEND_INSIDE = dict(
    x=0.01, y=0.99, xanchor="left", yanchor="top", bgcolor="rgba(255,255,255,0.85)"
)


def _style(fig: go.Figure, height: int, **layout) -> go.Figure:
    fig.update_layout(**plotly_layout(height=height, **layout))
    fig.update_xaxes(**AXIS)
    fig.update_yaxes(**AXIS)
    return fig


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


#: stage labels above an interactive time axis: characters of 10 px text across the plot area
#: (about 900 px wide at the report's 1100 px page)
LABEL_CHARS_ACROSS = 130


def _x_span(fig: go.Figure, stages: list[dict]) -> tuple[float, float]:
    """Range of the numeric x values of the figure's traces and of the stages, h; (0, 1)
    when there are none."""
    xs: list[float] = []
    for tr in fig.data:
        x = getattr(tr, "x", None)
        if x is None:
            continue
        try:
            a = np.asarray(x, dtype=float)
        except (TypeError, ValueError):
            continue
        a = a[np.isfinite(a)]
        if a.size:
            xs += [float(a.min()), float(a.max())]
    for s in stages:
        xs += [v for v in (s.get("start_h"), s.get("end_h")) if v is not None]
    return (min(xs), max(xs)) if xs else (0.0, 1.0)


def add_stages(fig: go.Figure, doc: dict, rows: list[int] | None = None, label: bool = True):
    """Stage bands (``doc["stages"]``), the short circuit line and the soft shorts (red
    outlined bands) on every time axis; stage names above the first one, none overlapping
    (:func:`dendritemr.report.style.stage_label_positions`)."""
    stages = doc.get("stages") or []
    # soft shorts only where the figure has data (a band outside would widen the time axis)
    lo, hi = _x_span(fig, [])
    softs = [(max(a, lo), min(b, hi), t) for a, b, t in soft_shorts(doc) if b > lo and a < hi]
    targets = rows or [None]
    for row in targets:
        kw = {} if row is None else {"row": row, "col": 1}
        for s in stages:
            a, b = s.get("start_h"), s.get("end_h")
            if a is None or b is None or not b > a:
                continue
            fig.add_vrect(
                x0=a,
                x1=b,
                fillcolor=stage_color(s["name"]),
                opacity=STAGE_OPACITY,
                layer="below",
                line_width=0,
                **kw,
            )
        for a, b, _ in softs:
            fig.add_vrect(
                x0=a,
                x1=b,
                fillcolor=_rgba(COLORS["short"], 0.08),
                layer="below",
                line=dict(color=COLORS["short"], width=1, dash="dot"),
                **kw,
            )
        for x in same_name_boundaries(stages):
            fig.add_vline(x=x, line=dict(**STAGE_BOUNDARY, dash="dot"), layer="below", **kw)
        short = doc.get("short_circuit_h")
        if short is not None:
            fig.add_vline(x=short, line=dict(color=COLORS["short"], width=1.6, dash="dash"), **kw)
    first = targets[0]
    xref = "x" if first in (None, 1) else f"x{first}"
    yref = "y domain" if first in (None, 1) else f"y{first} domain"
    for a, b, text in softs:
        fig.add_annotation(
            x=0.5 * (a + b),
            y=0.98,
            xref=xref,
            yref=yref,
            yanchor="top",
            text=text,
            showarrow=False,
            font=dict(size=10, color=COLORS["short"]),
        )
    if label and stages:
        lo, hi = _x_span(fig, stages)
        for x, name in stage_label_positions(stages, lo, hi, LABEL_CHARS_ACROSS):
            fig.add_annotation(
                x=x,
                y=1.0,
                xref=xref,
                yref="paper",
                yanchor="bottom",
                text=name,
                showarrow=False,
                font=dict(size=10, color="#444"),
            )
    return fig


def _band(fig, x, y, err, color, name, row=None, dash=None, group=None):
    """A line with a +-1 SE band (one legend entry); a single point with an error gets an
    error bar instead (its band has no width: a one-spectrum study showed no uncertainty)."""
    kw = {} if row is None else {"row": row, "col": 1}
    ok = np.isfinite(y) & np.isfinite(err)
    bar = {}
    if ok.sum() == 1:
        bar = {"error_y": dict(type="data", array=np.where(ok, err, np.nan), color=color)}
    if ok.any():
        xs = np.concatenate([x[ok], x[ok][::-1]])
        ys = np.concatenate([(y + err)[ok], (y - err)[ok][::-1]])
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                fill="toself",
                fillcolor=_rgba(color, 0.22),
                line=dict(width=0),
                hoverinfo="skip",
                showlegend=False,
                legendgroup=group or name,
                name=f"{name} ±1 SE",
            ),
            **kw,
        )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="lines+markers",
            marker=dict(size=4),
            line=dict(color=color, width=1.8, dash=dash),
            name=name,
            legendgroup=group or name,
            customdata=err,
            hovertemplate="%{x:.2f} h: %{y:.4g} ± %{customdata:.2g}<extra>" + name + "</extra>",
            **bar,
        ),
        **kw,
    )


def metal_panel(doc: dict) -> Panel:
    """Dendritic metal per route (interface, bulk) and in total vs time, +-1 SE bands."""
    t = I.as_float(doc.get("time_h"))
    series, relative = I.metal_series(doc)
    fig = go.Figure()
    drawn = []
    for route, (y, err) in series.items():
        _band(fig, t, y, err, COLORS[route], route, dash="dot" if route == "total" else None)
        drawn.append(route)
    if not drawn:
        return Panel(
            "metal",
            "Dendritic Li metal",
            None,
            "no metal amounts: "
            + _reason(doc, ("not calibrated", "amount"), "quantification gave none"),
        )
    add_stages(fig, doc)
    _style(
        fig,
        380,
        xaxis_title=TIME_TITLE,
        yaxis_title=I.METAL_RELATIVE_AXIS if relative else "n(Li<sup>0</sup>) / µmol",
        margin=dict(l=70, r=30, t=40, b=55),
        legend=LEGEND_INSIDE,
    )
    note = "Dendritic metal (electrodes excluded); bands: ±1 standard error."
    if "interface" in drawn:
        note += (
            " Interface: metal grown from an electrode at the electrode | electrolyte interface "
            "(the electrode's ⁶Li fraction); bulk: metal formed by reduction of Li⁺ inside the "
            "electrolyte (the electrolyte's ⁶Li fraction); the split follows from the ⁶Li "
            "fraction of the metal (panel below); total = interface + bulk."
        )
    if relative:
        note += (
            " Not calibrated in µmol ("
            + _reason(doc, "electrode_area", "no calibration")
            + "): the 7Li signal of the dendritic metal relative to the electrode line of the"
            " first spectrum (results.json: metal_relative); bands: statistical errors."
        )
    if "interface" not in drawn:
        note += " Per route: " + _reason(
            doc, "route", "the route attribution needs the 6Li/7Li ratio (x6)"
        )
    title = "Dendritic Li metal per growth route" if "interface" in drawn else "Dendritic Li metal"
    return Panel("metal", title, fig, note)


def _reason(doc: dict, word: str | tuple[str, ...], default: str) -> str:
    """The first ``doc["not_computed"]`` sentence holding ``word`` (or the first of several
    words, in their order of preference), else ``default``."""
    for w in (word,) if isinstance(word, str) else word:
        for s in doc.get("not_computed") or []:
            if w.lower() in s.lower():
                return s
    return default


def _no_6li_note(doc: dict) -> str:
    """Why there is no x6 panel: the analysis' own "no 6Li data: ..." sentence alone (it said
    "no 6Li series: ... cannot be computed (no 6Li data: ... cannot be computed; ...)"), else
    a generic sentence with the first reason naming 6Li."""
    said = _reason(doc, "no 6Li data", "")
    if said:
        return said[0].upper() + said[1:]
    return (
        "no 6Li series: x6 of the metal and the route attribution cannot be computed ("
        + _reason(doc, "6Li", "no x6 values in the results")
        + ")"
    )


def isotope_panel(doc: dict) -> Panel:
    """x6 of the dendritic metal and the interface fraction vs time, +-1 SE bands."""
    t = I.as_float(doc.get("time_h"))
    n = t.size
    x6 = I.as_float(doc.get("x6_metal"), n)
    fr = I.as_float(doc.get("interface_fraction"), n)
    if not np.isfinite(x6).any() and not np.isfinite(fr).any():
        return Panel(
            "isotopes",
            "⁶Li fraction of the metal and interface fraction",
            None,
            _no_6li_note(doc),
        )
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06)
    _band(fig, t, x6, I.as_float(doc.get("x6_metal_err"), n), COLORS["x6"], "x6 (metal)", row=1)
    _band(
        fig,
        t,
        fr,
        I.as_float(doc.get("interface_fraction_err"), n),
        COLORS["fraction"],
        "interface fraction",
        row=2,
    )
    ends = I.end_members(doc)
    for route, (y, err) in ends.items():
        _band(fig, t, y, err, COLORS[route], f"{route} metal (end member)", row=1, dash="dash")
    add_stages(fig, doc, rows=[1, 2])
    # the legend outside the data, only when the end members need naming (each row's axis
    # title names its quantity; a legend box inside hid the first points)
    _style(
        fig,
        460,
        margin=dict(l=70, r=200 if ends else 30, t=40, b=55),
        showlegend=bool(ends),
        legend=dict(x=1.01, y=1.0, xanchor="left", yanchor="top", font=dict(size=11)),
    )
    fig.update_yaxes(title_text="x(<sup>6</sup>Li) of Li<sup>0</sup>", row=1, col=1)
    fig.update_yaxes(title_text="interface fraction", row=2, col=1)
    fig.update_xaxes(title_text=TIME_TITLE, row=2, col=1)
    note = "6Li atom fraction of the dendritic metal and interface / (interface + bulk); ±1 SE."
    if ends:
        note += (
            " Dashed: the ⁶Li fraction of pure interface metal and of pure bulk metal at each "
            "time (results.json: routes, end members with their model error bands); the "
            "interface fraction places the metal's x6 between them."
        )
    # both are fractions: the axes show 0..1; values outside are counted, not hidden silently
    for row, (vals, what) in enumerate(((x6, "x6"), (fr, "interface fraction")), start=1):
        out = int(np.sum(np.isfinite(vals) & ((vals < 0) | (vals > 1))))
        if np.isfinite(vals).any():
            fig.update_yaxes(range=[-0.05, 1.05], row=row, col=1)
        if out:
            note += (
                f" {out} {what} value(s) outside 0..1 lie off the axis (drag the axis to see them)."
            )
    if not np.isfinite(fr).any():
        note += " Interface fraction: " + _reason(doc, "route", "not computed")
    return Panel("isotopes", "⁶Li fraction of the metal and interface fraction", fig, note)


def _nmr_span(doc: dict) -> tuple[float, float] | None:
    """First and last NMR time point, h (None without any)."""
    t = I.as_float(doc.get("time_h"))
    t = t[np.isfinite(t)]
    return (float(t.min()), float(t.max())) if t.size else None


def cycler_panel(doc: dict, datasets: dict) -> Panel:
    """Cell voltage and current vs time (full record when the cycler dataset is there)."""
    cyc, why = I.cycler_series(datasets, doc)
    if cyc is None:
        return Panel("cycler", "Voltage and current", None, why)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06)
    if cyc.voltage_V is not None:
        fig.add_trace(
            go.Scatter(
                x=cyc.hours,
                y=cyc.voltage_V,
                mode="lines",
                line=dict(color=COLORS["voltage"], width=1),
                name="voltage",
            ),
            row=1,
            col=1,
        )
    if cyc.current_mA is not None:
        fig.add_trace(
            go.Scatter(
                x=cyc.hours,
                y=cyc.current_mA,
                mode="lines",
                line=dict(color=COLORS["current"], width=1),
                name="current",
            ),
            row=2,
            col=1,
        )
    add_stages(fig, doc, rows=[1, 2])
    _style(fig, 420, showlegend=False, margin=dict(l=70, r=30, t=40, b=55))
    fig.update_yaxes(title_text="U / V", row=1, col=1)
    fig.update_yaxes(title_text="I / mA", row=2, col=1)
    if cyc.current_mA is not None and np.isfinite(cyc.current_mA).any():
        # from 0 to the current with a margin: a constant current was autoscaled to -0.5..1.3
        lo = min(0.0, float(np.nanmin(cyc.current_mA)))
        hi = max(0.0, float(np.nanmax(cyc.current_mA)))
        pad = 0.1 * ((hi - lo) or 1.0)
        fig.update_yaxes(range=[lo - pad, hi + pad], row=2, col=1)
    fig.update_xaxes(title_text=TIME_TITLE, row=2, col=1)
    note = f"Source: {cyc.source}."
    span = _nmr_span(doc)
    # + 0.0: a record starting at -1e-9 h read '-0.00'
    rec = (
        (round(float(np.nanmin(cyc.hours)), 2) + 0.0, round(float(np.nanmax(cyc.hours)), 2) + 0.0)
        if cyc.hours.size
        else None
    )
    if span is not None and rec is not None and (span[1] - span[0]) < 0.8 * (rec[1] - rec[0]):
        # a long record (the TEGDME tour: 45 h of cycling, 4 h of spectra): where the NMR is
        fig.add_shape(
            type="rect",
            xref="x",
            yref="y domain",
            x0=span[0],
            x1=span[1],
            y0=0.0,
            y1=0.035,
            fillcolor="#555555",
            line=dict(width=0),
            row=1,
            col=1,
        )
        note += (
            f" Dark bar at the foot of the voltage axis: the NMR series ({span[0]:.2f} to "
            f"{span[1]:.2f} h); the record runs from {rec[0]:.2f} to {rec[1]:.2f} h."
        )
    given = doc.get("cycler") or {}
    if given.get("current_given"):
        said = [c for c in given.get("clock") or [] if c.startswith("current:")]
        note += (
            " The current is not measured: "
            + (said[0][len("current: ") :] if said else "a constant from study.toml")
            + "; interruptions such as impedance steps are not seen in it."
        )
    return Panel("cycler", "Voltage and current", fig, note)


def _frame_indices(n: int) -> np.ndarray:
    if n <= MAX_FRAMES:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, MAX_FRAMES).round().astype(int))


def spectra_panel(doc: dict, datasets: dict) -> Panel:
    """7Li and 6Li spectra stacked (one row per nucleus) with one time slider.

    Each row shows every spectrum of its series in grey and, for the selected time point, the
    spectrum and its fit, with the residual (data - fit) in a strip of its own under it (its
    own y axis, ticks in the spectrum's units; the values are stored 0.25 below zero, so a
    residual drawn on the spectrum's axis was out of view in every zoom). Slider steps are the
    7Li time points (the first nucleus present); the other nucleus shows its spectrum nearest
    in time. Intensities are normalised to the largest point of each series.
    """
    rows = []
    absent = []
    for nuc in I.NUCLEI:
        s, why = I.spectra_series(datasets, nuc, doc)
        if s is None:
            absent.append(f"no {nuc} spectra: {why}")
        else:
            rows.append(s)
    title = " and ".join(nucleus_text(s.nucleus) for s in rows) + " spectra" if rows else "Spectra"
    if not rows:
        return Panel("spectra", title, None, "; ".join(absent))
    lead = rows[0]
    n = lead.data.shape[0]
    idx = _frame_indices(n)
    offset = -0.25  # the residual is drawn below the baseline
    fig = make_subplots(rows=len(rows), cols=1, vertical_spacing=0.12)
    traces: list[int] = []
    per_row = []  # (scaled data, model, residual, index into this series for each frame)
    resid_traces: dict[int, int] = {}  # row -> index of its residual trace
    for r, s in enumerate(rows, start=1):
        scale = I.magnitude(s.data)
        data = (s.data / scale).astype(np.float32)
        model = None if s.model is None else (s.model / scale).astype(np.float32)
        resid = None if s.residual is None else (s.residual / scale).astype(np.float32)
        near = np.abs(s.hours[None, :] - lead.hours[idx][:, None]).argmin(axis=1)
        if s is lead:
            near = idx
        stack_x = np.concatenate([np.append(s.ppm, np.nan) for _ in near]).astype(np.float32)
        stack_y = np.concatenate([np.append(data[i], np.nan) for i in near]).astype(np.float32)
        show = r == 1
        fig.add_trace(
            go.Scatter(
                x=stack_x,
                y=stack_y,
                mode="lines",
                line=dict(color=COLORS["stack"], width=0.6),
                name="all spectra",
                legendgroup="stack",
                showlegend=show,
                hoverinfo="skip",
            ),
            row=r,
            col=1,
        )
        last = int(near[-1])
        parts = [("spectrum", data, dict(color=COLORS["data"], width=1.2), 0.0)]
        if model is not None:
            parts.append(("fit", model, dict(color=COLORS["model"], width=1.2, dash="dash"), 0.0))
        if resid is not None:
            parts.append(
                (
                    "residual",
                    resid,
                    dict(color=COLORS["residual"], width=0.8),
                    offset,
                )
            )
        for name, arr, line, off in parts:
            traces.append(len(fig.data))
            if off:
                resid_traces[r] = len(fig.data)
            fig.add_trace(
                go.Scatter(
                    x=s.ppm,
                    y=arr[last] + off,
                    mode="lines",
                    line=line,
                    name=name,
                    legendgroup=name,
                    showlegend=show,
                    hovertemplate="%{x:.1f} ppm: %{y:.3g}<extra>"
                    + s.nucleus
                    + " "
                    + name
                    + "</extra>",
                ),
                row=r,
                col=1,
            )
        per_row.append((parts, near))
        fig.update_xaxes(title_text=shift_title(s.nucleus), autorange="reversed", row=r, col=1)
        fig.update_yaxes(title_text=f"{nucleus_html(s.nucleus)} intensity / max", row=r, col=1)

    def frame_data(k: int) -> list[dict]:
        out = []
        for parts, near in per_row:
            i = int(near[k])
            out.extend({"y": arr[i] + off} for _, arr, _, off in parts)
        return out

    fig.frames = [go.Frame(name=str(k), data=frame_data(k), traces=traces) for k in range(len(idx))]
    steps = [
        dict(
            method="animate",
            label=f"{lead.hours[i]:.2f}",
            args=[[str(k)], dict(mode="immediate", frame=dict(duration=0, redraw=False))],
        )
        for k, i in enumerate(idx)
    ]
    fig.update_layout(
        sliders=[
            dict(
                active=len(idx) - 1,
                steps=steps,
                currentvalue=dict(prefix="time / h: ", font=dict(size=12, color="black")),
                pad=dict(t=45, b=10),
                len=1.0,
                x=0,
                ticklen=2,
                minorticklen=0,
                font=dict(size=9, color="black" if len(idx) <= 15 else "rgba(0,0,0,0)"),
            )
        ]
    )
    _style(
        fig,
        300 + 260 * len(rows),
        legend=dict(orientation="h", x=0.0, y=1.0, yanchor="bottom", bgcolor="rgba(255,255,255,0)"),
        margin=dict(l=70, r=30, t=40, b=40),
    )
    resid_axes = _residual_strips(fig, resid_traces, len(rows))
    _zoom_buttons(fig, rows, offset, resid_axes)
    counts = ", ".join(f"{s.data.shape[0]} {s.nucleus}" for s in rows)
    note = (
        f"{counts} spectra (real part), each series normalised to its largest point, the "
        "residual (data - fit) of the selected spectrum in the strip under it, in the same "
        "units; "
        f"slider: time since {I.time_zero(doc)} ({lead.nucleus} time points"
        + (", the other nucleus nearest in time)." if len(rows) > 1 else ").")
    )
    if len(idx) < n:
        note += f" The slider shows {len(idx)} evenly spaced spectra of {n}."
    strides = {s.stride for s in rows if s.stride > 1}
    if strides:
        note += f" One point in {max(strides)} of the ppm axis is drawn."
    if any(s.model is None for s in rows):
        note += " No fitted model stored with some spectra."
    if absent:
        note += " " + "; ".join(absent) + "."
    return Panel("spectra", title, fig, note)


def _residual_strips(fig: go.Figure, resid_traces: dict[int, int], n_rows: int) -> dict[int, str]:
    """Move each row's residual trace onto a y axis of its own: a strip at the bottom of the
    row (a quarter of its height; the spectrum keeps the top), on the row's x axis, which is
    then drawn under the strip. Returns ``{row: axis name}`` (``"yaxis3"``...)."""
    axes = {}
    for r, k in resid_traces.items():
        ax = "" if r == 1 else str(r)
        name = f"y{n_rows + r}"
        d0, d1 = fig.layout[f"yaxis{ax}"].domain
        h = d1 - d0
        fig.layout[f"yaxis{ax}"].domain = [d0 + 0.3 * h, d1]
        fig.layout[f"yaxis{n_rows + r}"] = dict(
            domain=[d0, d0 + 0.24 * h],
            anchor=f"x{ax}",
            title=dict(text="resid.", font=dict(size=11)),
            **AXIS,
        )
        fig.layout[f"xaxis{ax}"].anchor = name
        fig.data[k].yaxis = name
        axes[r] = f"yaxis{n_rows + r}"
    return axes


def _residual_view(resid: np.ndarray, offset: float) -> dict:
    """Range and ticks of a residual strip for the residuals in view (``resid``, scaled as
    drawn): symmetric about the zero line (``offset``, where the residual is drawn), ticks
    labelled in the spectrum's units."""
    amp = float(np.nanmax(np.abs(resid))) if np.isfinite(resid).any() else 0.0
    amp = amp or 1e-3
    tick = float(f"{0.8 * amp:.1g}")
    return {
        "range": [offset - 1.1 * amp, offset + 1.1 * amp],
        "tickvals": [offset - tick, offset, offset + tick],
        "ticktext": [f"{-tick:g}", "0", f"{tick:g}"],
    }


def _zoom_buttons(
    fig: go.Figure, rows: list, offset: float, resid_axes: dict[int, str] | None = None
) -> None:
    """Buttons: whole range, the metal window, the electrolyte window
    (:mod:`dendritemr.nmr.defaults`), each with the y range of every spectrum and fit inside
    it, and the residual strip (``resid_axes``, see :func:`_residual_strips`) scaled to the
    residuals inside it. The panel opens on the metal window when the spectra cover it."""
    resid_axes = resid_axes or {}
    from dendritemr.nmr.defaults import ELECTROLYTE_WINDOW, METAL_WINDOW

    full: dict = {}
    views = {"metal": {}, "electrolyte": {}}
    for r, s in enumerate(rows, start=1):
        ax = "" if r == 1 else str(r)
        full[f"xaxis{ax}.autorange"] = "reversed"
        full[f"yaxis{ax}.autorange"] = True
        scale = I.magnitude(s.data)
        strip = resid_axes.get(r) if s.residual is not None else None
        if strip:
            for key, value in _residual_view(s.residual / scale, offset).items():
                full[f"{strip}.{key}"] = value
        for name, (lo, hi) in (("metal", METAL_WINDOW), ("electrolyte", ELECTROLYTE_WINDOW)):
            inside = (s.ppm >= lo) & (s.ppm <= hi)
            if not inside.any():
                continue
            parts = [s.data[:, inside]]
            if s.model is not None:
                parts.append(s.model[:, inside])
            top = max(float(np.nanmax(p)) for p in parts) / scale
            bottom = min(float(np.nanmin(p)) for p in parts) / scale
            pad = 0.05 * (top - bottom or 1.0)
            views[name][f"xaxis{ax}.range"] = [hi, lo]
            views[name][f"yaxis{ax}.range"] = [bottom - pad, top + pad]
            if strip:
                shown = _residual_view(s.residual[:, inside] / scale, offset)
                for key, value in shown.items():
                    views[name][f"{strip}.{key}"] = value
    buttons = [dict(label="whole range", method="relayout", args=[full])]
    for name, (lo, hi) in (("metal", METAL_WINDOW), ("electrolyte", ELECTROLYTE_WINDOW)):
        if views[name]:
            label = f"{name} {lo:g} to {hi:g} ppm"
            buttons.append(dict(label=label, method="relayout", args=[views[name]]))
    active = 0
    if views["metal"]:
        # open on the metal window: in a 7Li spectrum the electrolyte line is ~100x the metal
        # line, which is a flat trace in the whole range
        active = 1
        for key, value in views["metal"].items():
            axis, prop = key.split(".")
            fig.layout[axis][prop] = value
            if prop == "range":
                fig.layout[axis]["autorange"] = False
    fig.update_layout(
        updatemenus=[
            dict(
                type="buttons",
                active=active,
                direction="right",
                buttons=buttons,
                x=0.45,
                xanchor="left",
                y=1.0,
                yanchor="bottom",
                pad=dict(b=4),
                showactive=True,
                font=dict(size=11),
            )
        ]
    )


def map_panel(doc: dict, datasets: dict, nucleus: str) -> Panel:
    """2D time x shift map of one nucleus' spectra with the stages as a strip on the time axis."""
    s, why = I.spectra_series(datasets, nucleus, doc)
    key = f"map-{nucleus}"
    title = f"{nucleus_text(nucleus)} time × shift map"
    if s is None:
        return Panel(key, title, None, f"no {nucleus} map: {why}")
    if s.data.shape[0] < 2:
        return Panel(key, title, None, f"no {nucleus} map: one spectrum (a map needs two or more)")
    from dendritemr.nmr.defaults import METAL_WINDOW

    scale = I.magnitude(s.data)
    z = (s.data / scale).astype(np.float32)
    order = np.argsort(s.hours)
    z_full = (0.0, float(np.nanpercentile(z, 99.5)))
    lo, hi = METAL_WINDOW
    inside = (s.ppm >= lo) & (s.ppm <= hi)
    z_metal = None
    if inside.sum() > 2:  # the metal sits on the tails of bigger lines: the window's own range
        z_metal = tuple(float(v) for v in np.nanpercentile(z[:, inside], [0.5, 99.5]))
    fig = go.Figure(
        go.Heatmap(
            x=s.ppm,
            y=s.hours[order],
            z=z[order],
            colorscale="Viridis",
            zmin=(z_metal or z_full)[0],
            zmax=(z_metal or z_full)[1],
            colorbar=dict(title=dict(text="intensity / max", side="right"), thickness=12),
            hovertemplate="%{x:.1f} ppm, %{y:.2f} h: %{z:.3g}<extra></extra>",
        )
    )
    _map_stages(fig, doc, s.hours)
    if doc.get("short_circuit_h") is not None:
        fig.add_hline(
            y=doc["short_circuit_h"], line=dict(color=COLORS["short"], width=1, dash="dash")
        )
    xaxis = dict(title=shift_title(nucleus), autorange="reversed", **AXIS)
    view = "whole range"
    if z_metal:
        xaxis = dict(title=shift_title(nucleus), range=[hi, lo], **AXIS)
        view = f"metal window {lo:g} to {hi:g} ppm"
        fig.update_layout(
            updatemenus=[
                dict(
                    type="buttons",
                    direction="right",
                    x=0.0,
                    xanchor="left",
                    y=1.0,
                    yanchor="bottom",
                    pad=dict(b=4),
                    font=dict(size=11),
                    buttons=[
                        dict(
                            label=f"metal {lo:g} to {hi:g} ppm",
                            method="update",
                            args=[
                                {"zmin": [z_metal[0]], "zmax": [z_metal[1]]},
                                {"xaxis.range": [hi, lo]},
                            ],
                        ),
                        dict(
                            label="whole range",
                            method="update",
                            args=[
                                {"zmin": [z_full[0]], "zmax": [z_full[1]]},
                                {"xaxis.autorange": "reversed"},
                            ],
                        ),
                    ],
                )
            ]
        )
    _style(
        fig,
        440,
        xaxis=xaxis,
        yaxis=dict(title=TIME_TITLE, **AXIS),
        margin=dict(l=70, r=30, t=40, b=55),
    )
    return Panel(
        key,
        title,
        fig,
        "Real part of each spectrum, normalised to the series maximum. Colour scale: metal "
        "window, its 0.5th to 99.5th percentile; whole range, 0 to the 99.5th percentile "
        f"(shown: {view}). The strip at the right edge shows the growth stages (names beside "
        "it where they fit), dotted white lines their boundaries.",
    )


#: plot-area height of a time x shift map, px (440 px figure less its margins)
MAP_PLOT_PX = 345


def _map_stages(fig: go.Figure, doc: dict, hours: np.ndarray) -> None:
    """The growth stages on a time x shift map: an opaque strip in their colours inside the
    right edge (the strip at the left edge, 1 % wide and pale behind the tick marks, was not
    seen), white dotted lines across the map at their boundaries, and their names beside the
    strip where a 12 px label fits without overlapping another (longest stages first)."""
    stages = [
        s
        for s in doc.get("stages") or []
        if s.get("start_h") is not None and s.get("end_h") is not None and s["end_h"] > s["start_h"]
    ]
    if not stages:
        return
    lo = min(float(np.nanmin(hours)), min(s["start_h"] for s in stages))
    hi = max(float(np.nanmax(hours)), max(s["end_h"] for s in stages))
    for st in stages:
        fig.add_shape(
            type="rect",
            xref="paper",
            x0=0.975,
            x1=1.0,
            y0=st["start_h"],
            y1=st["end_h"],
            yref="y",
            fillcolor=stage_color(st["name"]),
            line=dict(width=0.5, color="#666"),
            layer="above",
        )
    for st in stages[1:]:
        fig.add_hline(y=st["start_h"], line=dict(color="white", width=1, dash="dot"))
    per_h = MAP_PLOT_PX / ((hi - lo) or 1.0)
    taken: list[tuple[float, float]] = []
    for st in sorted(stages, key=lambda x: x["start_h"] - x["end_h"]):
        mid = 0.5 * (st["start_h"] + st["end_h"])
        half = 7.0 / per_h  # half a 12 px label, in h
        if any(mid + half > a and mid - half < b for a, b in taken):
            continue
        taken.append((mid - half, mid + half))
        fig.add_annotation(
            x=0.97,
            xref="paper",
            xanchor="right",
            y=mid,
            yref="y",
            text=st["name"],
            showarrow=False,
            font=dict(size=10, color="white"),
            bgcolor="rgba(0,0,0,0.35)",
        )


def fit_quality_panel(doc: dict, datasets: dict) -> Panel:
    """Reduced chi-square of each spectrum's fit vs time, one trace per nucleus; the note
    counts the fits above :data:`dendritemr.quant.decompose.REDCHI_FLAG` per nucleus (the real
    TEGDME series: every 7Li fit at 5-15, which the panel showed without a word)."""
    from dendritemr.quant.decompose import REDCHI_FLAG

    fig = go.Figure()
    notes = []
    flagged: list[tuple[str, int, int]] = []  # (nucleus, fits above the flag, fits)
    labels: set[str] = set()
    for nuc in I.NUCLEI:
        s, why = I.spectra_series(datasets, nuc, doc)
        if s is None:
            notes.append(f"{nuc}: {why}")
            continue
        if s.redchi is not None:
            y, label = s.redchi, "reduced χ²"
        elif s.residual is not None:
            y = np.sqrt(np.nanmean(s.residual**2, axis=1)) / I.magnitude(s.data)
            label = "rms residual / max"
        else:
            notes.append(f"{nuc}: no fitted model stored with the spectra")
            continue
        labels.add(label)
        if s.redchi is not None:
            flagged.append((nuc, int(np.sum(s.redchi > REDCHI_FLAG)), int(s.redchi.size)))
        fig.add_trace(
            go.Scatter(
                x=s.hours,
                y=y,
                mode="lines+markers",
                marker=dict(size=4),
                line=dict(color=COLORS[nuc], width=1.5),
                name=f"{nucleus_html(nuc)} {label}",
            )
        )
    if not fig.data:
        return Panel("fit-quality", "Fit quality", None, "no fit residuals: " + "; ".join(notes))
    if "reduced χ²" in labels:
        fig.add_hline(y=1.0, line=dict(color="#888", width=1, dash="dot"))
    add_stages(fig, doc)
    _style(
        fig,
        320,
        xaxis_title=TIME_TITLE,
        yaxis_title=" and ".join(sorted(labels)),
        margin=dict(l=70, r=30, t=40, b=55),
        legend=LEGEND_INSIDE,
    )
    fig.update_yaxes(rangemode="tozero")
    note = (
        "Reduced chi-square of each spectrum's fit (1: residual at the noise level)"
        if labels == {"reduced χ²"}
        else "Fit residual of each spectrum: reduced chi-square where stored, else the rms "
        "residual over the series maximum"
    ) + "; the residual of each spectrum is shown under it in the spectra panel."
    bad = [(nuc, k, n) for nuc, k, n in flagged if k]
    if bad:
        counts = ", ".join(f"{k} of {n} {nuc} fits" for nuc, k, n in bad)
        note += (
            f" Flagged: {counts} above reduced chi-square {REDCHI_FLAG:g}: the line model "
            "misses part of those spectra (see their residual); the standard errors of their "
            "amounts are scaled up by the square root of the reduced chi-square (Birge ratio)."
        )
    elif flagged:
        note += f" No fit above reduced chi-square {REDCHI_FLAG:g}."
    if notes:
        note += " " + "; ".join(notes) + "."
    return Panel("fit-quality", "Fit quality", fig, note)


def mri_scan_texts(m) -> list[str]:
    """One line per scan: its time and the metal line model its CSI fit used
    (``mri_images.metal_model`` / ``metal_shape_from``), e.g. ``"10.13 h: metal line from the
    NMR series (NMR series, interpolated (10.01, 10.51 h))"``; the time alone where no model is
    recorded."""
    out = []
    for k, h in enumerate(m.hours):
        when = f"{h:.2f} h" if np.isfinite(h) else f"scan {k + 1}"
        model = m.metal_model[k] if m.metal_model else ""
        src = m.shape_from[k] if m.shape_from else ""
        if model == "nmr":
            text = "metal line shape from the ⁷Li NMR series"
        elif model:
            text = f"metal line model '{model}', chosen by this scan's own fit"
        else:
            text = ""
        for said in ("NMR series, ", "model choice: "):  # the words before say it already
            if text and src.startswith(said):
                src = src[len(said) :]
        if src and not text:
            text = f"metal line: {src}"
        elif src:  # no brackets in brackets: 'interpolated (10.01, 10.51 h)'
            text = f"{text}, {src}" if "(" in src else f"{text} ({src})"
        out.append(f"{when}: {text}" if text else when)
    return out


def _mri_model_note(m) -> str:
    """Caption sentence: each scan's metal line model and what the models mean."""
    if not m.metal_model and not m.shape_from:
        return ""
    note = " Metal line model of each scan's CSI fit (results.json: mri_images.metal_model): " + (
        "; ".join(mri_scan_texts(m)) + "."
    )
    if m.metal_model and "nmr" in m.metal_model:
        note += (
            " 'From the NMR series': the dendritic ⁷Li lines of the NMR series fit at the scan's"
            " mid-time, held fixed as offsets from the image's own electrode line (docs/mri.md)"
        )
        note += (
            "; otherwise the fit chose its own metal line model for the map."
            if any(x != "nmr" for x in m.metal_model)
            else "."
        )
    return note


def mri_panels(doc: dict, datasets: dict) -> list[Panel]:
    """MRI maps (heatmap per scan) and profiles (line per scan), each with its own slider; the
    title of each frame names the scan's time and the metal line model of its CSI fit."""
    m, why = I.mri_series(datasets, doc)
    if m is None:
        return [Panel("mri", "MRI maps and profiles", None, why)]
    panels = []
    labels = [f"{h:.2f}" if np.isfinite(h) else f"scan {k + 1}" for k, h in enumerate(m.hours)]
    titles = [f"scan at {t}" for t in mri_scan_texts(m)]
    model_note = _mri_model_note(m)
    for name, (arr, rows, cols, rname, cname, units) in m.maps.items():
        vmax = I.magnitude(arr)
        err = m.map_errors.get(name)
        where = f"{_axis_title(cname)} %{{x:.3f}}, {_axis_title(rname)} %{{y:.3f}}: %{{z:.3g}}"
        if err is not None:  # the voxel's standard error in the hover
            where += " ± %{customdata:.2g}"
        fig = go.Figure(
            go.Heatmap(
                x=cols,
                y=rows,
                z=arr[-1].astype(np.float32),
                customdata=None if err is None else err[-1].astype(np.float32),
                colorscale="Viridis",
                zmin=0.0,
                zmax=vmax,
                colorbar=dict(title=dict(text=_mri_axis(name, units))),
                hovertemplate=where
                + (f" {pretty_unit(units)}" if units else "")
                + "<extra></extra>",
            )
        )
        fig.frames = [
            go.Frame(
                name=str(k),
                data=[
                    go.Heatmap(
                        z=arr[k].astype(np.float32),
                        customdata=None if err is None else err[k].astype(np.float32),
                    )
                ],
                traces=[0],
                layout=_frame_title(titles[k]),
            )
            for k in range(arr.shape[0])
        ]
        _slider(fig, labels, "scan at time / h: ")
        _style(
            fig,
            460,
            xaxis=dict(title=_axis_title(cname), **AXIS),
            yaxis=dict(title=_axis_title(rname), **AXIS),
            margin=dict(l=70, r=30, t=50, b=55),
            **_frame_title(titles[-1]),
        )
        _faces(fig, m, cname)
        panels.append(
            Panel(
                f"mri-map-{_slug(name)}",
                f"MRI map: {mri_label(name)}",
                fig,
                f"{arr.shape[0]} scans; colour scale fixed over the series (0 to the largest "
                "voxel of all scans)"
                + ("; hover: each voxel's value ± its standard error." if err is not None else ".")
                + _faces_note(m)
                + model_note,
            )
        )
    if m.series and np.isfinite(m.hours).any():
        panels.append(_mri_series_panel(doc, m))
    for name, (arr, z, zname, err, units) in m.profiles.items():
        fig = go.Figure()
        fig.add_trace(
            go.Scatter(
                x=z,
                y=arr[-1],
                mode="lines",
                line=dict(color=COLORS["total"], width=1.5),
                name=mri_label(name),
                error_y=None
                if err is None
                else dict(type="data", array=err[-1], visible=True, thickness=0.8, width=0),
            )
        )
        frames = []
        for k in range(arr.shape[0]):
            d = {"y": arr[k]}
            if err is not None:
                d["error_y"] = dict(type="data", array=err[k], visible=True)
            frames.append(
                go.Frame(name=str(k), data=[d], traces=[0], layout=_frame_title(titles[k]))
            )
        fig.frames = frames
        lo = float(np.nanmin(arr - (0 if err is None else err)))
        hi = float(np.nanmax(arr + (0 if err is None else err)))
        _slider(fig, labels, "scan at time / h: ")
        _style(
            fig,
            400,
            showlegend=False,
            xaxis=dict(title=_axis_title(zname), **AXIS),
            yaxis=dict(
                title=_mri_axis(name, units),
                range=[lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)],
                **AXIS,
            ),
            margin=dict(l=70, r=30, t=50, b=55),
            **_frame_title(titles[-1]),
        )
        fig.add_hline(y=0.0, line=dict(color="#999", width=0.8, dash="dot"))
        _faces(fig, m, zname)
        panels.append(
            Panel(
                f"mri-profile-{_slug(name)}",
                f"MRI profile: {mri_label(name)}",
                fig,
                f"{arr.shape[0]} scans; the map summed over the lateral axis, per row of z"
                + ("; bars: ±1 SE." if err is not None else ".")
                + _faces_note(m)
                + ("" if m.maps else model_note),
            )
        )
    return panels


def _frame_title(text: str) -> dict:
    """Layout of a slider frame's title (the scan's time and metal line model)."""
    return {"title": dict(text=text, x=0.0, xanchor="left", y=0.98, font=dict(size=12))}


def _faces(fig: go.Figure, m, axis_name: str) -> None:
    """The pellet faces (electrode B, electrode A) as grey lines on a z axis, when known."""
    if m.faces_mm is None or not axis_name.startswith("z"):
        return
    for z, label in zip(m.faces_mm, ("B", "A"), strict=True):
        fig.add_vline(
            x=z,
            line=dict(color="#555", width=1, dash="dash"),
            annotation_text=f"face of {label}",
            annotation_position="top",
            annotation_font=dict(size=10, color="#444"),
        )


def _faces_note(m) -> str:
    if m.faces_mm is None:
        return ""
    b, a = m.faces_mm
    return f" Dashed: the faces of electrode B (z = {b:g} mm) and A (z = {a:g} mm)."


def _mri_axis(name: str, units: str | None) -> str:
    return f"{mri_label(name)} / {pretty_unit(units)}" if units else mri_label(name)


def mri_value_range(*arrays) -> tuple[float, float]:
    """y limits of an MRI per-scan panel: the finite values of ``arrays`` and 0, 8 % margins
    (error bars beyond are cut: a 7Li image of metal at x6 ~0.98 has a total +- 60 umol)."""
    v = np.concatenate([np.asarray(a, float).ravel() for a in arrays]) if arrays else np.zeros(0)
    v = v[np.isfinite(v)]
    lo, hi = (min(0.0, float(v.min())), float(v.max())) if v.size else (0.0, 1.0)
    pad = 0.08 * ((hi - lo) or 1.0)
    return lo - pad, hi + pad


#: per-scan numbers of the MRI series panel, when the dataset has them (else every one)
MRI_SERIES_SHOWN = ("total_umol", "depth_b_um", "depth_a_um")


#: y-axis titles of the MRI per-scan rows, by unit ("quantity / unit", not the unit alone)
MRI_SERIES_AXES = {"umol": "n(Li<sup>0</sup>) / µmol", "um": "depth / µm"}


def _mri_series_panel(doc: dict, m) -> Panel:
    """Per-scan numbers vs time, one row per unit: the MRI total metal (with the NMR series'
    dendritic total beside it, dashed) and the penetration depths from B and A, each with its
    ±1 SE band (``docs/mri.md``: CRLB of the map's total; bootstrap of the front walk). The
    map totals are filled markers where the CSI fit held the NMR series' metal line shape,
    open where the scan's own fit chose its line model (hover: the model)."""
    shown = {k: v for k, v in m.series.items() if k in MRI_SERIES_SHOWN} or m.series
    by_unit: dict[str, list] = {}
    for name, (y, err, units) in shown.items():
        by_unit.setdefault(units, []).append((name, y, err))
    # the metal first (what the NMR panels above show), then the depths
    units = sorted(by_unit, key=lambda u: (u != "umol", list(by_unit).index(u)))
    fig = make_subplots(rows=len(units), cols=1, shared_xaxes=True, vertical_spacing=0.08)
    # one colour per quantity over all rows (numbered per row, the first of each row was black:
    # 'metal in the image' and 'penetration depth from B' shared one legend style); not the
    # route colours (interface blue, bulk orange), which a depth from B or A is not
    named = {"total_umol": "total", "depth_b_um": "depth_b", "depth_a_um": "depth_a"}
    spare = iter(["#999999", "#F0E442", "#7F7F7F", "#B8860B"] * 4)
    texts = mri_scan_texts(m)
    for r, unit in enumerate(units, start=1):
        for name, y, err in by_unit[unit]:
            e = np.full(y.size, np.nan) if err is None else err
            color = COLORS[named[name]] if name in named else next(spare)
            _band(fig, m.hours, y, e, color, mri_label(name), row=r)
            if name == "total_umol" and m.metal_model:
                tr = fig.data[-1]
                tr.marker.symbol = [
                    "circle" if x == "nmr" else "circle-open" for x in m.metal_model
                ]
                tr.marker.size = 8
                tr.text = texts
                tr.hovertemplate = (
                    "%{text}<br>%{y:.4g} ± %{customdata:.2g} µmol<extra>"
                    + mri_label(name)
                    + "</extra>"
                )
        values = [y for _, y, _ in by_unit[unit]]
        if unit == "umol" and "total_umol" in shown:
            nmr = doc.get("metal_umol") or {}
            t = I.as_float(doc.get("time_h"))
            y = I.as_float(nmr.get("total"), t.size)
            if t.size and np.isfinite(y).any():
                e = I.as_float(nmr.get("total_err"), t.size)
                _band(fig, t, y, e, COLORS["fraction"], "NMR total (dendritic)", row=r, dash="dash")
                values.append(y)
        # around the values: a huge error (x6 near 1 at the first scan) must not flatten them
        fig.update_yaxes(range=list(mri_value_range(*values)), row=r, col=1)
        title = MRI_SERIES_AXES.get(unit, pretty_unit(unit) or "value")
        fig.update_yaxes(title_text=title, row=r, col=1)
    add_stages(fig, doc, rows=list(range(1, len(units) + 1)))
    # legend outside the data, on the right (inside it hid the first scans' bands)
    _style(
        fig,
        200 + 170 * len(units),
        legend=dict(x=1.01, y=1.0, xanchor="left", yanchor="top", font=dict(size=11)),
        margin=dict(l=70, r=200, t=40, b=55),
    )
    fig.update_xaxes(title_text=TIME_TITLE, row=len(units), col=1)
    note = (
        f"{m.hours.size} scans at the mid-points of their acquisitions; total metal from the "
        "map (the NMR series' dendritic total dashed) and penetration depths from electrodes "
        "B and A; bands: ±1 SE where given."
    )
    if m.metal_model and "total_umol" in shown:
        note += (
            " Map totals: filled markers where the CSI fit held the metal line shape of the ⁷Li "
            "NMR series, open where the scan's own fit chose its line model (hover for it)."
        )
    return Panel("mri-series", "MRI: per-scan totals and depths", fig, note)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name)


def _axis_title(dim: str) -> str:
    for unit in ("mm", "um"):
        if dim.endswith(f"_{unit}"):
            return f"{dim[: -len(unit) - 1]} / {'µm' if unit == 'um' else unit}"
    return dim


def _slider(fig: go.Figure, labels: list[str], prefix: str) -> None:
    fig.update_layout(
        sliders=[
            dict(
                active=len(labels) - 1,
                steps=[
                    dict(
                        method="animate",
                        label=lab,
                        args=[[str(k)], dict(mode="immediate", frame=dict(duration=0))],
                    )
                    for k, lab in enumerate(labels)
                ],
                currentvalue=dict(prefix=prefix, font=dict(size=12, color="black")),
                pad=dict(t=45, b=10),
                len=1.0,
                x=0,
                font=dict(size=9, color="black" if len(labels) <= 15 else "rgba(0,0,0,0)"),
            )
        ]
    )


def _guarded(key: str, title: str, build) -> list[Panel]:
    """Run one panel builder; an unexpected failure becomes a panel that says so (and a
    warning), so one odd dataset cannot cost the whole report or the analysis behind it."""
    try:
        out = build()
    except Exception as exc:  # noqa: BLE001 - any data oddity must not stop the report
        warnings.warn(f"report panel {key!r} not drawn: {exc!r}", RuntimeWarning, stacklevel=2)
        return [
            Panel(
                key, title, None, f"this panel could not be drawn ({exc.__class__.__name__}: {exc})"
            )
        ]
    return out if isinstance(out, list) else [out]


def build_panels(doc: dict, datasets: dict) -> list[Panel]:
    """Every interactive panel of the report, in display order."""
    jobs = [
        ("metal", "Dendritic Li metal per growth route", lambda: metal_panel(doc)),
        (
            "isotopes",
            "⁶Li fraction of the metal and interface fraction",
            lambda: isotope_panel(doc),
        ),
        ("cycler", "Voltage and current", lambda: cycler_panel(doc, datasets)),
        ("spectra", "Spectra", lambda: spectra_panel(doc, datasets)),
    ]
    for nuc in I.NUCLEI:
        jobs.append(
            (
                f"map-{nuc}",
                f"{nucleus_text(nuc)} time × shift map",
                lambda n=nuc: map_panel(doc, datasets, n),
            )
        )
    jobs.append(("fit-quality", "Fit quality", lambda: fit_quality_panel(doc, datasets)))
    jobs.append(("mri", "MRI maps and profiles", lambda: mri_panels(doc, datasets)))
    panels: list[Panel] = []
    for key, title, build in jobs:
        panels.extend(_guarded(key, title, build))
    return panels
