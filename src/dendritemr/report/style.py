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
    "stage_label_positions",
    "soft_shorts",
    "nucleus_html",
    "nucleus_text",
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
    # MRI per-scan numbers: Okabe-Ito colours no route or isotope panel uses
    "depth_b": "#56B4E9",
    "depth_a": "#E69F00",
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


def stage_label_positions(
    stages: list[dict], lo: float, hi: float, chars_across: float
) -> list[tuple[float, str]]:
    """Where to write the stage names above a time axis from ``lo`` to ``hi`` (h) so that no
    two overlap: ``[(x_h, name), ...]``.

    Consecutive stages of one name share one label (three ``mixed-growth`` stages in a row are
    one band to the eye); each label sits at the middle of its visible part, moved inside the
    axis if it would stick out, or beside the labels of longer stages when it would overlap
    one (by at most its own half width past the band's edge); a label with no such place is
    left out (its band and the stage table still show it).

    Parameters
    ----------
    stages : ``doc["stages"]`` (``name``, ``start_h``, ``end_h``).
    lo, hi : the axis range, h.
    chars_across : how many label characters fit across the whole axis.
    """
    runs: list[list] = []
    for s in stages:
        a, b = s.get("start_h"), s.get("end_h")
        if a is None or b is None or not b > a:
            continue
        if runs and runs[-1][2] == s["name"] and abs(runs[-1][1] - a) <= 1e-9 * max(1, abs(a)):
            runs[-1][1] = b
        else:
            runs.append([a, b, s["name"]])
    span = hi - lo
    if not (span > 0 and chars_across > 0):
        return []
    placed: list[tuple[float, float, float, str]] = []
    for a, b, name in sorted(runs, key=lambda r: -(min(r[1], hi) - max(r[0], lo))):
        a, b = max(a, lo), min(b, hi)
        if not b > a:
            continue
        half = 0.5 * (len(name) + 1) / chars_across * span
        centre = 0.5 * (a + b)
        # the middle of the band, else as near it as clears the labels already placed (at
        # most a label's half width beyond the band's half width)
        reach = half + 0.5 * (b - a)
        tries = [centre] + sorted(
            (c for p0, p1, _, _ in placed for c in (p0 - half, p1 + half)),
            key=lambda c: abs(c - centre),
        )
        for x in tries:
            x = min(max(x, lo + half), hi - half)
            if abs(x - centre) > reach + 1e-12:
                continue
            if all(x + half <= p0 + 1e-12 or x - half >= p1 - 1e-12 for p0, p1, _, _ in placed):
                placed.append((x - half, x + half, x, name))
                break
    return [(x, name) for _, _, x, name in sorted(placed)]


#: a boundary between two stages of one name (drawn as a thin dotted line: their bands merge)
STAGE_BOUNDARY = {"color": "#6E6E6E", "width": 1.0}


def same_name_boundaries(stages: list[dict]) -> list[float]:
    """Times (h) where a stage follows one of the same name (a 7Li-only study's stages are all
    ``mixed-growth``: three stages of the table were one band on every time axis, their
    boundaries invisible)."""
    out = []
    for prev, s in zip(stages, stages[1:], strict=False):
        a = s.get("start_h")
        if a is not None and s.get("name") == prev.get("name") and prev.get("end_h") is not None:
            out.append(float(a))
    return out


def soft_shorts(doc: dict) -> list[tuple[float, float, str]]:
    """``[(start_h, end_h, label), ...]`` of the soft shorts in ``doc["short"]`` (transient
    collapses and partial soft shorts that recover; docs/study-format.md)."""
    out = []
    for s in (doc.get("short") or {}).get("soft_shorts") or []:
        a, b = s.get("start_h"), s.get("end_h")
        if a is None or b is None or not b >= a:
            continue
        kind = s.get("kind")
        out.append((float(a), float(b), f"soft short ({kind})" if kind else "soft short"))
    return out


def nucleus_html(nucleus: str) -> str:
    """``7Li`` -> ``<sup>7</sup>Li`` (mass number as a superscript, for plotly and HTML)."""
    mass = "".join(c for c in nucleus if c.isdigit())
    symbol = "".join(c for c in nucleus if not c.isdigit())
    return f"<sup>{mass}</sup>{symbol}" if mass else symbol


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def nucleus_text(nucleus: str) -> str:
    """``7Li`` -> ``⁷Li`` (Unicode superscript digits, for headings and plain text)."""
    mass = "".join(c for c in nucleus if c.isdigit())
    symbol = "".join(c for c in nucleus if not c.isdigit())
    return mass.translate(_SUPERSCRIPT) + symbol


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


#: readable names of the MRI variables (the report's headings and axes, interactive and static;
#: others: the name with spaces)
MRI_LABELS = {
    "metal_umol": "metal per voxel",
    "profile_umol": "metal per row across the pellet",
    "total_umol": "metal in the image",
    "depth_b_um": "penetration depth from B",
    "depth_a_um": "penetration depth from A",
}


def mri_label(name: str) -> str:
    """Heading/axis text for an MRI variable (:data:`MRI_LABELS`)."""
    return MRI_LABELS.get(name, name.replace("_", " "))
