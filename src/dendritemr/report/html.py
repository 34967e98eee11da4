"""One self-contained ``report.html``: plotly.js inlined once, no external resource.

The page: summary and stage table, what could not be computed, the panels of
:func:`dendritemr.report.figures.build_panels`, the processing history, the calibration used, the
score against a ground truth (simulated studies) and the citations.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import Any

import plotly.io as pio
from plotly.offline import get_plotlyjs

from dendritemr.report import inputs as I
from dendritemr.report.figures import Panel, build_panels
from dendritemr.report.style import FONT, PLOTLY_CONFIG, STAGE_BOUNDARY, STAGE_COLORS, stage_color

__all__ = ["render_html"]

CSS = f"""
body {{ font-family: {FONT}; color: #111; max-width: 1100px; margin: 0 auto; padding: 0 20px 60px;
  line-height: 1.4; }}
h1 {{ font-size: 22px; margin: 24px 0 4px; }}
h2 {{ font-size: 17px; margin: 30px 0 6px; border-bottom: 1px solid #ccc; padding-bottom: 3px; }}
h3 {{ font-size: 14px; margin: 16px 0 4px; }}
.meta {{ color: #555; font-size: 13px; }}
table {{ border-collapse: collapse; font-size: 13px; margin: 6px 0; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 3px 10px 3px 0; text-align: left;
  vertical-align: top; }}
th {{ font-weight: 600; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.note {{ font-size: 12.5px; color: #444; margin: 2px 0 0; overflow-wrap: anywhere; }}
.absent {{ font-size: 13.5px; color: #7a4b00; background: #fff6e5; border-left: 3px solid #e0a030;
  padding: 6px 10px; }}
.limits li {{ font-size: 13px; }}
div.absent {{ margin: 6px 0 10px; }}
code {{ font-size: 12px; background: #f3f3f3; padding: 0 3px; }}
.chip {{ display: inline-block; width: 14px; height: 10px; margin: 0 4px 0 12px;
  border: 1px solid #999; vertical-align: middle; }}
.legend {{ font-size: 12.5px; color: #333; }}
pre {{ font-size: 12px; background: #f6f6f6; padding: 8px; white-space: pre-wrap;
  overflow-wrap: anywhere; }}
ol.refs li {{ font-size: 13px; margin-bottom: 3px; }}
table.record td {{ font-size: 12px; overflow-wrap: anywhere; }}
"""


def _e(x: Any) -> str:
    return html.escape(str(x))


def _num(v: Any, err: Any = None, digits: int = 3) -> str:
    if v is None:
        return "n/a"
    try:
        s = f"{float(v):.{digits}g}"
    except (TypeError, ValueError):
        return _e(v)
    if err is not None:
        try:
            s += f" ± {float(err):.2g}"
        except (TypeError, ValueError):
            pass
    return s


def _rounded(obj: Any, digits: int = 4) -> Any:
    """``obj`` with every float rounded to ``digits`` significant digits (for display only:
    results.json keeps the full values)."""
    if isinstance(obj, float):
        return float(f"{obj:.{digits}g}") if obj == obj and abs(obj) != float("inf") else obj
    if isinstance(obj, dict):
        return {k: _rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_rounded(v, digits) for v in obj]
    return obj


def _soft_shorts(doc: dict) -> str | None:
    """One line per soft short (``doc["short"]["soft_shorts"]``), or None without a record."""
    short = doc.get("short")
    if not isinstance(short, dict) or "soft_shorts" not in short:
        return None
    items = []
    for s in short.get("soft_shorts") or []:
        text = (
            f"{s.get('kind') or 'soft short'} {_num(s.get('start_h'))} to {_num(s.get('end_h'))} h"
        )
        extra = []
        if s.get("min_voltage_V") is not None:
            extra.append(f"min |U| {_num(s['min_voltage_V'], digits=2)} V")
        if s.get("min_ratio") is not None:
            extra.append(f"{_num(s['min_ratio'], digits=2)} of the level before")
        items.append(text + (f" ({', '.join(extra)})" if extra else ""))
    return "; ".join(items) if items else "none"


def _one_point() -> str:
    """Why a study of one time point has no growth or stages (as summary.txt says it)."""
    from dendritemr.pipeline import ONE_POINT

    return ONE_POINT


def _last(values: Any) -> Any:
    if not values:
        return None
    for v in reversed(values):
        if v is not None:
            return v
    return None


def _last_with_err(values: Any, errs: Any) -> tuple[Any, Any]:
    if not values:
        return None, None
    for i in range(len(values) - 1, -1, -1):
        if values[i] is not None:
            e = errs[i] if errs and i < len(errs) else None
            return values[i], e
    return None, None


#: what a study without 6Li data cannot give (the summary's n/a cells say why)
NO_6LI = "n/a (no ⁶Li data)"


def no_li6_sentence(doc: dict) -> str | None:
    """The analysis' own sentence on what a 7Li-only study cannot give (``doc["not_computed"]``,
    starting "no 6Li data"), or None when the study has 6Li results (any finite x6 of the
    metal) or the document says nothing about it."""
    if any(v is not None for v in doc.get("x6_metal") or []):
        return None
    for s in doc.get("not_computed") or []:
        if str(s).lower().startswith("no 6li data"):
            return str(s)
    return None


def _li6_box(doc: dict) -> str:
    """A box at the top of the page for a 7Li-only study: what could not be computed without
    6Li data and what gives it (the TEGDME tour study showed 'n/a' in four summary rows, and
    the reason only in a list further down)."""
    said = no_li6_sentence(doc)
    if said is None:
        return ""
    return (
        "<div class='absent' id='no-li6'><b>⁷Li only: not computed without ⁶Li data.</b> "
        + _e(said[0].upper() + said[1:])
        + ". The stages below are therefore named by the total metal only (<i>mixed-growth</i>"
        " where it grows), and the summary's per-route and isotope rows read "
        + _e(f"'{NO_6LI}'")
        + ". A study with a 6Li series (<code>[nmr.li6]</code>) and the electrodes' "
        "enrichment (<code>[isotopes]</code>) gets them (docs/study-format.md).</div>"
    )


def _summary(doc: dict) -> str:
    t = doc.get("time_h") or []
    m = doc.get("metal_umol") or {}
    no6 = no_li6_sentence(doc) is not None
    rows = [
        (
            "time points",
            f"{len(t)}" + (f" ({t[0]:.2f} to {t[-1]:.2f} h since {I.time_zero(doc)})" if t else ""),
        )
    ]
    rel = doc.get("metal_relative") or {}
    for route in ("total", "interface", "bulk"):
        v, e = _last_with_err(m.get(route), m.get(f"{route}_err"))
        shown = "n/a (not calibrated)" if v is None and rel.get("primary") else _num(v, e)
        if v is None and no6 and route != "total":
            shown = NO_6LI
        rows.append((f"dendritic metal, {route}, last value / µmol", shown))
    if rel.get("primary"):  # no umol: the metal relative to the first electrode line
        v, e = _last_with_err(rel.get("total"), rel.get("total_stat_err"))
        rows.append(("dendritic metal, last value / first spectrum's electrode line", _num(v, e)))
        g, ge = _last_with_err(rel.get("growth"), rel.get("growth_err"))
        r, re_ = _last_with_err(rel.get("ratio_to_first"), rel.get("ratio_to_first_err"))
        firsts = [
            (x, e)
            for x, e in zip(rel.get("total") or [], rel.get("total_stat_err") or [], strict=False)
            if x is not None
        ]
        v0, e0 = firsts[0] if firsts else (None, None)
        # the ratio only where the first value is 2 SE above 0 ('× n/a', '× 42 ± 240' before)
        meaningful = r is not None and v0 is not None and (e0 is None or v0 >= 2 * e0)
        growth = _num(g, ge) + (f" (× {_num(r, re_)} of the first value)" if meaningful else "")
        if len(t) < 2:  # it showed '0 ± 0 (× 1 ± 0 of the first value)'
            growth = f"n/a ({_one_point()})"
        rows.append(("dendritic metal growth / first spectrum's electrode line", growth))
    v, e = _last_with_err(doc.get("x6_metal"), doc.get("x6_metal_err"))
    rows.append(("x(⁶Li) of the metal, last value", NO_6LI if v is None and no6 else _num(v, e)))
    v, e = _last_with_err(doc.get("interface_fraction"), doc.get("interface_fraction_err"))
    rows.append(("interface fraction, last value", NO_6LI if v is None and no6 else _num(v, e)))
    rows.append(
        (
            "short circuit / h",
            _num(doc.get("short_circuit_h"), doc.get("short_circuit_err_h"))
            if doc.get("short_circuit_h") is not None
            else ("none detected" if doc.get("short") else "n/a (no cycler file)"),
        )
    )
    soft = _soft_shorts(doc)
    if soft is not None:
        rows.append(("soft shorts (recovered)", soft))
    rows += _mri_rows(doc)
    warning = ""
    cov = _coverage(doc)
    if cov is not None:
        n_cov, n_all, rec = cov
        rows.append(("NMR acquisitions inside the cycler record", f"{n_cov} of {n_all}{rec}"))
        charge = _charge(doc)
        if charge is not None:
            rows.append(charge)
        if n_cov < n_all:
            warning = (
                "<p class='absent' id='clock-warning'>"
                + _e(
                    f"The cycler record covers {n_cov} of the {n_all} NMR acquisitions{rec}: "
                    "current, voltage and charge are missing for the others"
                    + (
                        ", and time zero may be wrong. Check [cycler] start, timezone and "
                        "clock_offset_s in study.toml (docs/study-format.md)."
                        if n_cov == 0
                        else "."
                    )
                )
                + "</p>"
            )
    body = "".join(f"<tr><th>{_e(a)}</th><td class='num'>{_e(b)}</td></tr>" for a, b in rows)
    return f"{warning}<table id='summary'>{body}</table>"


def _mri_rows(doc: dict) -> list[tuple[str, str]]:
    """Summary rows of the MRI scans: how many, when, which metal line model their CSI fits
    used, and the metal in the last image beside the NMR series' dendritic total nearest it."""
    mri = doc.get("mri_images") or {}
    t = [h for h in mri.get("time_h") or [] if h is not None]
    if not t:
        return []
    text = f"{len(mri['time_h'])} ({t[0]:.2f} to {t[-1]:.2f} h)"
    models = [m for m in mri.get("metal_model") or [] if m]
    if models:
        nmr = sum(m == "nmr" for m in models)
        own = sorted({m for m in models if m != "nmr"})
        parts = []
        if nmr:
            parts.append(f"{nmr} with the ⁷Li NMR series' metal line shape")
        if own:
            parts.append(f"{len(models) - nmr} with their own line model ({', '.join(own)})")
        text += "; " + ", ".join(parts)
    rows = [("MRI scans", text)]
    v, e = _last_with_err(mri.get("total_umol"), mri.get("total_umol_err"))
    if v is not None:
        k = max(i for i, x in enumerate(mri["total_umol"]) if x is not None)
        th = mri["time_h"][k]
        shown = _num(v, e)
        times = doc.get("time_h") or []
        total = (doc.get("metal_umol") or {}).get("total") or []
        near = [
            (abs(h - th), i)
            for i, h in enumerate(times)
            if th is not None and i < len(total) and total[i] is not None
        ]
        if near:
            i = min(near)[1]
            errs = (doc.get("metal_umol") or {}).get("total_err") or [None] * len(total)
            shown += f" (NMR dendritic total at {times[i]:.2f} h: {_num(total[i], errs[i])})"
        rows.append((f"metal in the last image ({th:.2f} h) / µmol", shown))
    return rows


def _charge(doc: dict) -> tuple[str, str] | None:
    """Summary row: the charge passed by the last NMR time point the cycler record covers (what
    the metal's growth is compared with); None without a cycler charge."""
    c = doc.get("cycler") or {}
    q = c.get("charge_mAh") or []
    covered = [i for i, v in enumerate(q) if v is not None]
    if not covered:
        return None
    i = covered[-1]
    t = (doc.get("time_h") or [None] * len(q))[i]
    extra = [
        f"{_num(v)} {unit}"
        for key, unit in (("charge_mAh_cm2", "mAh cm⁻²"), ("dense_li_um", "µm of dense Li"))
        if (v := (c.get(key) or [None] * len(q))[i]) is not None
    ]
    value = f"{_num(q[i])}" + (f" ({', '.join(extra)})" if extra else "")
    return (f"charge passed by {_num(t)} h / mAh", value)


def _coverage(doc: dict) -> tuple[int, int, str] | None:
    """``(covered, all, " (record A to B h)")`` of the NMR acquisition windows inside the cycler
    record (``doc["cycler"]["covered"]``), or None without a cycler."""
    cyc = doc.get("cycler")
    if not isinstance(cyc, dict) or not isinstance(cyc.get("covered"), list):
        return None
    flags = cyc["covered"]
    rec = cyc.get("record_h")
    span = ""
    if isinstance(rec, list) and len(rec) == 2 and None not in rec:
        a, b = (round(float(x), 2) + 0.0 for x in rec)  # + 0.0: no "-0.00"
        span = f" (record {a:.2f} to {b:.2f} h)"
    return sum(bool(f) for f in flags), len(flags), span


def _stages(doc: dict) -> str:
    stages = doc.get("stages") or []
    if not stages and len(doc.get("time_h") or []) < 2:
        return f"<p class='absent'>no growth stages: {_one_point()}</p>"
    if not stages:
        return "<p class='absent'>no growth stages detected</p>"
    relative = str((doc.get("stage_detection") or {}).get("units", "")).startswith("relative")
    unit, key = (
        ("electrode lines h⁻¹", "total_rel_per_h") if relative else ("µmol h⁻¹", "total_umol_per_h")
    )
    gain_unit = "electrode lines" if relative else "µmol"
    head = (
        f"<tr><th></th><th>stage</th><th>start / h</th><th>end / h</th><th>rate / {unit}</th>"
        f"<th>growth in the stage / {gain_unit}</th><th>growth by route</th></tr>"
    )
    rows = []
    for s in stages:
        rates = s.get("rates") or {}
        rate = _num(rates.get(key), rates.get(f"{key}_err"))
        start = _num(s.get("start_h"), s.get("start_err_h"))
        rows.append(
            f"<tr><td><span class='chip' style='background:{stage_color(s['name'])};margin:0'>"
            f"</span></td><td>{_e(s['name'])}</td><td class='num'>{_e(start)}</td>"
            f"<td class='num'>{_e(_num(s.get('end_h')))}</td><td class='num'>{_e(rate)}</td>"
            f"<td class='num'>{_e(_gain(s, key))}</td><td>{_e(_route_cell(s))}</td></tr>"
        )
    note = ""
    det = doc.get("stage_detection") or {}
    if det.get("window_h") is not None and det.get("detection_sigmas") is not None:
        note = (
            "<p class='note' id='stage-rule'>A route is growing when its amount rose by more "
            f"than {_num(det['detection_sigmas'])} standard errors within "
            f"{_num(det['window_h'])} h (results.json: stage_detection); in a "
            "<i>stall</i> no route did, so slow steady growth can go on in a stall: see its "
            "rate and its growth (rate × duration).</p>"
        )
    return f"<table id='stages'>{head}{''.join(rows)}</table>{note}"


def _gain(stage: dict, key: str) -> str:
    """The stage's growth: its rate times its duration (± the rate's error times it); a long
    'stall' of the demo grew 17 umol at 0.67 umol/h, which the rate alone hid."""
    rates = stage.get("rates") or {}
    r, a, b = rates.get(key), stage.get("start_h"), stage.get("end_h")
    if r is None or a is None or b is None:
        return "n/a"
    e = rates.get(f"{key}_err")
    return _num(r * (b - a), None if e is None else e * (b - a))


def _route_cell(stage: dict) -> str:
    """What the route column says: the interface share of the stage's growth where the routes
    are known (it said 'known'), else the stage's own route note ('unknown (no 6Li data)')."""
    route = str(stage.get("route", ""))
    share = (stage.get("rates") or {}).get("interface_share")
    if route != "known":
        return route
    if share is None:
        return "n/a"
    return f"interface {100 * share:.0f} %, bulk {100 * (1 - share):.0f} %"


def _legend() -> str:
    chips = "".join(
        f"<span class='chip' style='background:{c}'></span>{_e(n)}" for n, c in STAGE_COLORS.items()
    )
    return (
        f"<p class='legend'>Stage bands:{chips}<span class='chip' "
        "style='background:#fff;border:0;border-left:2px dashed #C00000'></span>short circuit"
        "<span class='chip' style='background:rgba(192,0,0,0.08);border:1px dotted #C00000'>"
        "</span>soft short<span class='chip' style='background:#fff;border:0;border-left:1px "
        f"dotted {STAGE_BOUNDARY['color']}'></span>boundary between two stages of one name</p>"
    )


def _panel(p: Panel) -> str:
    out = [f"<section class='panel' id='panel-{_e(p.key)}'><h2>{_e(p.title)}</h2>"]
    if p.figure is None:
        out.append(f"<p class='absent' data-absent='{_e(p.key)}'>{_e(p.note)}</p>")
    else:
        out.append(
            pio.to_html(
                p.figure,
                full_html=False,
                include_plotlyjs=False,
                div_id=f"fig-{p.key}",
                config=PLOTLY_CONFIG,
                auto_play=False,
                validate=False,
            )
        )
        out.append(f"<p class='note'>{_e(p.note)}</p>")
    out.append("</section>")
    return "".join(out)


def _json_block(obj: Any) -> str:
    return f"<pre>{_e(json.dumps(_rounded(obj), indent=1, default=str))}</pre>"


def _flat(v: Any) -> str:
    """One table cell: numbers to 4 digits, lists joined, dicts as 'key: value; ...'."""
    v = _rounded(v)
    if v is None:
        return "n/a"
    if isinstance(v, list) and all(not isinstance(x, dict | list) for x in v):
        return ", ".join("n/a" if x is None else str(x) for x in v) or "none"
    if isinstance(v, dict) and all(not isinstance(x, dict | list) for x in v.values()):
        return "; ".join(f"{k}: {'n/a' if x is None else x}" for k, x in v.items()) or "none"
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_flat(x)}" for k, x in v.items()) or "none"
    if isinstance(v, list) and all(isinstance(x, dict) for x in v):
        return " | ".join(f"({k + 1}) {_flat(x)}" for k, x in enumerate(v))
    if isinstance(v, list | dict):
        return json.dumps(v, default=str)
    return str(v)


def _record_table(obj: dict, table_id: str) -> str:
    """A record of the analysis (stage or short detection, study) as a readable table: its
    ``criterion`` sentence first, then one row per entry (they were JSON dumps with one number
    per line)."""
    if not isinstance(obj, dict):
        return _json_block(obj)
    head = f"<p class='note'>{_e(obj['criterion'])}</p>" if obj.get("criterion") else ""
    rows = "".join(
        f"<tr><th>{_e(k)}</th><td>{_e(_flat(v))}</td></tr>"
        for k, v in obj.items()
        if k != "criterion"
    )
    return f"{head}<table id='{_e(table_id)}' class='record'>{rows}</table>"


def _history(doc: dict, datasets: dict) -> str:
    parts = []
    q = doc.get("quantification") or {}
    if q.get("method"):
        parts.append(f"<h3>Quantification</h3><p>{_e(q['method'])}</p>")
    sources = [(n, ds.attrs.get("source")) for n, ds in datasets.items() if ds.attrs.get("source")]
    if sources:
        parts.append(
            "<h3>Datasets</h3><table id='datasets'>"
            + "".join(f"<tr><th>{_e(n)}</th><td>{_e(src)}</td></tr>" for n, src in sources)
            + "</table>"
        )
    hist = I.histories(datasets)
    if "spectra" in datasets and not any(k.startswith("spectra") for k in hist):
        parts.append(
            "<p class='note' id='no-spectra-history'>The spectra dataset records no processing "
            "steps (apodisation, zero filling, phasing are not stored with it); the method above "
            "names the fit.</p>"
        )
    for label, steps in hist.items():
        rows = "".join(
            f"<tr><td class='num'>{i + 1}</td><td>{_e(s.get('step', '?'))}</td><td>"
            + _e(", ".join(f"{k}={v}" for k, v in s.items() if k != "step"))
            + "</td></tr>"
            for i, s in enumerate(steps)
        )
        parts.append(
            f"<h3>{_e(label)}</h3><table><tr><th>#</th><th>step</th><th>parameters</th></tr>"
            f"{rows}</table>"
        )
    cyc = doc.get("cycler") or {}
    if cyc.get("clock"):
        parts.append(
            "<h3>Cycler clock</h3><ul>" + "".join(f"<li>{_e(c)}</li>" for c in cyc["clock"])
        )
        parts.append("</ul>")
    if doc.get("stage_detection"):
        parts.append(
            "<h3>Stage detection</h3>" + _record_table(doc["stage_detection"], "stage-detection")
        )
    if doc.get("short"):
        parts.append("<h3>Short detection</h3>" + _record_table(doc["short"], "short-detection"))
    if doc.get("study"):
        parts.append("<h3>Study (study.toml as read)</h3>" + _record_table(doc["study"], "study"))
    if not parts:
        return "<p class='absent'>no processing history recorded</p>"
    return "".join(parts)


def _pct(rel: Any) -> str:
    """A relative error as ' ± 0.52 %' ('' when absent)."""
    try:
        r = float(rel)
    except (TypeError, ValueError):
        return ""
    return f" ± {100 * r:.2g} %" if r == r else ""


def _c7_row(c: dict) -> tuple[str, str, str]:
    """The 7Li amount calibration (``calibration["li7"]``, ``quant.atoms``) in words."""
    value = _num(c.get("c7_signal_per_umol"), digits=4) + _pct(c.get("rel_err"))
    how = str(c.get("method", ""))
    if how == "electrode":
        t = c.get("time_h")
        parts = [
            f"{label} {_num(c[key], digits=3)}{unit}"
            for key, label, unit in (
                ("face_area_cm2", "electrode face area", " cm²"),
                ("skin_depth_um", "⁷Li skin depth", " µm"),
                ("deff_over_delta", "visible depth / skin depth", ""),
                ("x6_electrode", "x(⁶Li) of the electrode", ""),
            )
            if c.get(key) is not None
        ]
        how = (
            f"from the bulk electrode line of spectrum {int(c.get('time_index', 0)) + 1}"
            + (f" ({_num(t)} h)" if t is not None else "")
            + f", whose skin-depth layer holds {_num(c.get('visible_7li_umol'))} µmol of "
            "visible ⁷Li (" + ", ".join(parts) + ")"
        )
    else:
        extra = {
            k: v
            for k, v in c.items()
            if k not in ("c7_signal_per_umol", "rel_err", "method") and v is not None
        }
        how = how + (
            f" ({', '.join(f'{k}: {_num(v)}' for k, v in extra.items())})" if extra else ""
        )
    return "⁷Li signal per µmol of ⁷Li atoms (C₇)", value, how


#: calibration entries in words: key -> (label, what it is)
CALIBRATION_LABELS = {
    "model": (
        "line model of the series fit",
        "Bayesian information criterion of each candidate line model on the series mean (lower is "
        "better; docs/quantification.md)",
    ),
    "atoms_from": ("metal atoms from", ""),
    "relative": ("amounts relative to", "no electrode area: no µmol"),
}


def _calibration(doc: dict) -> str:
    """The calibration used, one row per entry with its meaning (the raw dictionaries were shown
    as 'c7_signal_per_umol: 35500000.0, rel_err: 0.00524, method: "electrode", ...')."""
    cal = (doc.get("quantification") or {}).get("calibration")
    if not cal:
        return "<p class='absent'>no calibration recorded (amounts not calibrated)</p>"
    rows = []
    for k, v in cal.items():
        if k == "k_line":
            continue  # said with K
        if k == "li7" and isinstance(v, dict):
            rows.append(_c7_row(v))
            continue
        if k == "k" and isinstance(v, dict) and "k" in v:
            src = cal.get("k_line")
            rows.append(
                (
                    "⁶Li/⁷Li instrument ratio K = C₆/C₇",
                    _num(v["k"], digits=4) + _pct(v.get("rel_err")),
                    f"from {src}" if src else "",
                )
            )
            continue
        if isinstance(v, float):
            shown = f"{v:.4g}"
        elif isinstance(v, str | int):
            shown = str(v)
        elif isinstance(v, dict):
            shown = ", ".join(f"{a}: {json.dumps(_rounded(b), default=str)}" for a, b in v.items())
        else:
            shown = json.dumps(_rounded(v), default=str)
        label, what = CALIBRATION_LABELS.get(k, (k, ""))
        rows.append((label, shown, what))
    t1 = (doc.get("quantification") or {}).get("t1")
    if t1:  # the relaxation times behind the signal-per-atom factors (not shown before)
        if isinstance(t1, dict):
            how = t1.get("method", "")
            shown = _flat({k: v for k, v in t1.items() if k != "method"})
        else:
            how, shown = "", str(t1)
        rows.append(("T₁ used for the saturation factors", shown, how))
    body = "".join(
        f"<tr><th>{_e(a)}</th><td>{_e(b)}</td><td class='note'>{_e(c)}</td></tr>"
        for a, b, c in rows
    )
    return f"<table id='calibration'>{body}</table>"


def _hours_text(v: float) -> str:
    """A time or time error in hours to 0.001 h; a float-rounding residue reads 0.000."""
    if v != v or abs(v) == float("inf"):
        return str(v)
    text = f"{v:.3f}"
    return "0.000" if float(text) == 0 else text


def _score(doc: dict) -> str:
    sc = doc.get("score")
    if not sc:
        return ""
    rows = []
    # the summary figures in words first (as the demo prints them), then every other key
    keys = [k for k in I.SCORE_LABELS if k in sc] + [k for k in sc if k not in I.SCORE_LABELS]
    for k in keys:
        v = sc[k]
        hours = k.endswith("_h")  # times: to 0.001 h (3.6 s), as the demo's table ('-3.897e-08')
        if isinstance(v, float):
            # a float residue of zero reads 0 (an error fraction showed '1.158e-09')
            v = _hours_text(v) if hours else ("0" if abs(v) < 1e-6 else f"{v:.4g}")
        elif isinstance(v, list) and hours:
            v = "[" + ", ".join(_hours_text(x) if isinstance(x, float) else str(x) for x in v) + "]"
        elif isinstance(v, list | dict):
            v = json.dumps(_rounded(v), default=str)
        label = I.SCORE_LABELS.get(k)
        head = f"{_e(label)} <span class='meta'>({_e(k)})</span>" if label else _e(k)
        rows.append(f"<tr><th>{head}</th><td class='num'>{_e(v)}</td></tr>")
    return "<h2>Score against the ground truth</h2><table id='score'>" + "".join(rows) + "</table>"


def _citations(doc: dict, datasets: dict | None = None) -> str:
    refs = I.citation_entries(doc, datasets)
    if not refs:
        return "<p class='absent'>no citations registered by the methods used</p>"
    return (
        "<ol class='refs' id='citations'>"
        + "".join(
            f"<li>{_e(r)}"
            + (f" <span class='meta'>(used for: {_e(u)})</span>" if u else "")
            + "</li>"
            for r, u in refs
        )
        + "</ol>"
    )


def _static(figures: dict | None, texts: dict[str, str] | None = None) -> str:
    """The static figures written (or why not), each with its draft caption."""
    if not figures:
        return ""
    texts = texts or {}
    rows = []
    for name, got in figures.items():
        if isinstance(got, str):
            rows.append(f"<tr><td>{_e(name)}</td><td class='note'>not written: {_e(got)}</td></tr>")
        else:
            files = ", ".join(f"figures/{p.name}" for p in got)
            cap = f"<p class='note'>{_e(texts[name])}</p>" if name in texts else ""
            rows.append(f"<tr><td>{_e(name)}</td><td>{_e(files)}{cap}</td></tr>")
    return (
        "<h2>Static figures (PNG 300 dpi, PDF)</h2><p class='note'>Draft captions: "
        "figures/captions.md.</p><table id='static-figures'>" + "".join(rows) + "</table>"
    )


def _captions(doc: dict, datasets: dict) -> dict[str, str]:
    from dendritemr.report.static import captions

    try:
        return captions(doc, datasets)
    except Exception:  # noqa: BLE001 - the figure list without captions then
        return {}


def render_html(
    doc: dict,
    datasets: dict,
    panels: list[Panel] | None = None,
    static_figures: dict | None = None,
) -> str:
    """The whole report page as one string (plotly.js inlined).

    ``static_figures``: what :func:`dendritemr.report.static.write_static` returned (listed on
    the page with the reason for each figure not written)."""
    from dendritemr import __version__

    panels = build_panels(doc, datasets) if panels is None else panels
    study = doc.get("study") or {}
    name = study.get("name") or "study"
    made = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    limits = doc.get("not_computed") or []
    limits_html = (
        "<h2>Not computed, and assumptions</h2><ul class='limits' id='not-computed'>"
        + "".join(f"<li>{_e(s)}</li>" for s in limits)
        + "</ul>"
        if limits
        else ""
    )
    warned = doc.get("warnings") or []
    warnings_html = (
        "<h2>Warnings from reading and analysing the data</h2><ul class='limits' id='warnings'>"
        + "".join(
            f"<li><b>{_e(w.get('step', ''))}</b>: {_e(w.get('message', ''))}"
            + (f" ({_e(w['count'])} times)" if (w.get("count") or 1) > 1 else "")
            + "</li>"
            for w in warned
        )
        + "</ul>"
        if warned
        else ""
    )
    body = [
        f"<h1>dendritemr report: {_e(name)}</h1>",
        f"<p class='meta'>results schema {_e(doc.get('schema', '?'))} · dendritemr "
        f"{_e(__version__)} · generated {made}</p>",
        "<h2>Summary</h2>",
        _li6_box(doc),
        _summary(doc),
        "<h3>Growth stages</h3>",
        _stages(doc),
        limits_html,
        warnings_html,
        _legend(),
        *(_panel(p) for p in panels),
        _score(doc),
        "<h2>Processing history</h2>",
        _history(doc, datasets),
        "<h2>Calibration used</h2>",
        _calibration(doc),
        "<h2>Citations</h2>",
        _citations(doc, datasets),
        _static(static_figures, _captions(doc, datasets) if static_figures else None),
    ]
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>dendritemr report: {_e(name)}</title><style>{CSS}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )
