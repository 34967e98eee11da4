"""One plain, paper-like style for every report figure (interactive and static).

Colours: Okabe-Ito colour-blind-safe palette (M. Okabe, K. Ito, "Color Universal Design", 2008),
one colour per quantity so a route has the same colour in every panel. Axis titles follow the
IUPAC convention "quantity / unit" with the shift written delta(nucleus) (Harris et al. 2001,
:mod:`dendritemr.physics.citations` key ``harris2001``).
"""

from __future__ import annotations

__all__ = [
    "COLORS",
    "STAGE_COLORS",
    "FONT",
    "TIME_TITLE",
    "shift_title",
    "stage_color",
    "pretty_unit",
    "plotly_layout",
    "PLOTLY_CONFIG",
]

#: Okabe-Ito palette, one colour per quantity.
COLORS: dict[str, str] = {
    "total": "#000000",
    "interface": "#0072B2",
    "bulk": "#D55E00",
    "x6": "#009E73",
    "fraction": "#CC79A7",
    "voltage": "#000000",
    "current": "#0072B2",
    "data": "#000000",
    "model": "#D55E00",
    "residual": "#0072B2",
    "stack": "#B8B8B8",
    "7Li": "#0072B2",
    "6Li": "#D55E00",
    "short": "#C00000",
}

#: light fills for the growth stages (names of ``docs/results-schema.md``).
STAGE_COLORS: dict[str, str] = {
    "interface-growth": "#CFE3F3",
    "stall": "#EBEBEB",
    "bulk-nucleation": "#F8DCC8",
    "mixed-growth": "#E6D5EC",
    "shorted": "#F6C9C9",
}

FONT = "Arial, Helvetica, sans-serif"
TIME_TITLE = "time / h"


def shift_title(nucleus: str) -> str:
    """IUPAC axis title of a chemical shift axis, e.g. ``"δ(7Li) / ppm"`` with a superscript."""
    mass = "".join(c for c in nucleus if c.isdigit())
    symbol = "".join(c for c in nucleus if not c.isdigit())
    return f"δ(<sup>{mass}</sup>{symbol}) / ppm"


def pretty_unit(unit: str) -> str:
    """ASCII units as printed: ``umol`` -> ``µmol``, ``um`` -> ``µm``, ``ohm`` -> ``Ω``."""
    u = str(unit)
    for a, b in (("umol", "µmol"), ("um", "µm"), ("uA", "µA"), ("ohm", "Ω")):
        if u == a or u.startswith(a + " ") or u.startswith(a + "/"):
            u = b + u[len(a) :]
    return u


def stage_color(name: str) -> str:
    """Fill colour of a stage band (grey for an unknown name)."""
    return STAGE_COLORS.get(name, "#EEEEEE")


#: every interactive axis: thin black frame, outside ticks, no grid
AXIS = dict(
    showline=True,
    linecolor="black",
    linewidth=1,
    mirror=True,
    ticks="outside",
    showgrid=False,
    zeroline=False,
)


def plotly_layout(**extra) -> dict:
    """Base layout of every interactive figure: white, thin black axes, outside ticks."""
    axis = dict(AXIS, title_font=dict(size=14), tickfont=dict(size=12))
    base = dict(
        template="simple_white",
        font=dict(family=FONT, size=13, color="black"),
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin=dict(l=70, r=30, t=30, b=55),
        legend=dict(bgcolor="rgba(255,255,255,0.8)", borderwidth=0),
        hovermode="closest",
        xaxis=axis,
        yaxis=axis,
    )
    base.update(extra)
    return base


#: plotly config: no link to plotly's servers, static PNG export from the browser.
PLOTLY_CONFIG: dict = {
    "displaylogo": False,
    "responsive": True,
    "toImageButtonOptions": {"format": "png", "scale": 3},
    "modeBarButtonsToRemove": ["select2d", "lasso2d"],
}
