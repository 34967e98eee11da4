"""Click commands ``quantify`` and ``isotopes`` (registered on the main CLI by ``cli.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from dendritemr.errors import DataError, DendriteMRError, exit_with

__all__ = ["quantify", "isotopes", "parse_calibration"]


def parse_calibration(text: str | None):
    """``electrode=AREA_CM2`` (electrode geometry), ``signal=S_PER_UMOL[+-REL]`` or ``None``."""
    from dendritemr.quant.amounts import Calibration

    if not text:
        return None
    try:
        kind, value = text.split("=", 1)
        if kind == "electrode":
            area, _, index = value.partition("@")
            return {"electrode_face_area_cm2": float(area), "index": int(index or 0)}
        if kind == "signal":
            s, _, rel = value.partition("+-")
            Calibration(float(s), float(rel or 0.0), "given")  # validates
            return {"c7": float(s), "rel_err": float(rel or 0.0)}
    except ValueError as exc:
        raise DataError(text, f"bad calibration: {exc}") from exc
    raise DataError(text, "calibration must be electrode=AREA_CM2 or signal=S_PER_UMOL[+-REL]")


def _print_series(doc: dict) -> None:
    m = doc["model"]
    click.echo(
        f"model: {', '.join(m['components'])} (skin phase {m['skin_phase_deg']:.1f} +- "
        f"{m['skin_phase_err_deg']:.1f} deg); {m['choice']}"
    )
    if "k" in doc:
        click.echo(
            f"K = C6/C7 = {doc['k']:.5g} (+- {100 * doc['k_rel_err']:.2g} %) from {doc['k_source']}"
        )
    if "calibration" in doc:
        c = doc["calibration"]
        where = f" on spectrum {c['time_index']}" if "time_index" in c else ""
        click.echo(
            f"calibration: {c['method']}{where}: {c['c7_signal_per_umol']:.5g} per umol 7Li "
            f"(+- {100 * c['rel_err']:.2g} %); atoms from {doc['atoms_from']}"
        )
    flags = doc["fit_quality"]["flagged"]
    for i, h in enumerate(doc["time_h"]):
        parts = [f"{h:8.3f} h"]
        for g in ("electrode", "microstructure"):
            if "x6" in doc:
                x = doc["x6"][g]
                parts.append(f"x6 {g[:5]} {x['value'][i]:.3f} +- {x['err'][i]:.3f}")
            if "umol" in doc:
                u = doc["umol"][g]
                parts.append(f"{g[:5]} {u['value'][i]:.4g} +- {u['err'][i]:.2g} umol")
        if not ("x6" in doc or "umol" in doc):
            a = doc["areas"]["7Li"]["microstructure"]
            parts.append(f"microstructure area {a['value'][i]:.4g} +- {a['err'][i]:.2g}")
        if any(f[i] for f in flags):
            parts.append("[fit flagged: reduced chi-square > 2]")
        click.echo("  ".join(parts))


def _dump(doc: dict) -> None:
    doc = {k: v for k, v in doc.items() if not k.startswith("_")}
    click.echo(json.dumps(doc, indent=1))


#: default of --deposit, as quant.decompose.DEPOSIT (not imported here: the CLI starts without
#: loading the fit machinery; tests/quant/test_commands.py checks the two agree)
DEPOSIT_DEFAULT = "auto"
#: default of --baseline-drift, as quant.decompose.BASELINE_DRIFT (checked by the same test)
BASELINE_DRIFT_DEFAULT = "auto"
_T1_HELP = "T1 of a line, GROUP:NUCLEUS=SECONDS (repeatable), e.g. electrolyte:6Li=10."
_MODEL_OPTS = [
    click.option(
        "--n-micro",
        type=click.Choice(["auto", "0", "1", "2"]),
        default="auto",
        help="Number of microstructure lines (auto: BIC on the series mean).",
    ),
    click.option(
        "--micro-phase/--no-micro-phase",
        default=None,
        help="Microstructure lines share one fitted phase in -45..+5 deg (dendrites near the "
        "skin depth) or are absorptive (thin filaments). Default: absorptive with the comb "
        "(6Li and 7Li), a phase with the lines (7Li only).",
    ),
    click.option(
        "--split-electrode",
        type=click.Choice(["no", "yes", "auto"]),
        default="no",
        help="A second bulk electrode line (electrodes at different shifts).",
    ),
    click.option(
        "--broad",
        type=click.Choice(["auto", "yes", "no"]),
        default="auto",
        help="Broad base of the electrode line (auto: BIC).",
    ),
    click.option(
        "--drift",
        type=click.Choice(["centres", "smooth", "shared"]),
        default="centres",
        help="Over the series: centres drift smoothly, widths fixed (default); centres and "
        "widths drift; or both fixed.",
    ),
    click.option(
        "--nonnegative",
        type=click.Choice(["auto", "yes", "no"]),
        default="auto",
        help="Metal line areas >= 0 (auto: with 7Li only).",
    ),
    click.option(
        "--deposit",
        type=click.Choice(["auto", "yes", "no"]),
        default=DEPOSIT_DEFAULT,
        help="A flat interface deposit at the electrode's shift, absorptive, counted as "
        "dendritic metal (auto: with the comb one broad line, FWHM 10-40 ppm, within 12 ppm "
        "of the electrode; BIC with 6Li and 7Li and the lines; none with 7Li only).",
    ),
    click.option(
        "--dendritic",
        type=click.Choice(["auto", "comb", "lines"]),
        default="auto",
        help="Dendritic metal next to the electrode line: a comb of fixed absorptive lines "
        "(-12..+12 ppm) beside the microstructure lines, or the lines (and deposit) alone "
        "(auto: comb with 6Li and 7Li, lines with 7Li only).",
    ),
    click.option(
        "--skin-phase",
        type=click.Choice(["auto", "anchor", "series"]),
        default="auto",
        help="Electrode skin phase: fitted to the first time point and held (anchor), or "
        "fitted to the whole series (auto: anchor with the comb).",
    ),
    click.option(
        "--baseline-drift",
        type=click.Choice(["local", "smooth", "auto"]),
        default=BASELINE_DRIFT_DEFAULT,
        help="Baselines free per spectrum (local), smooth in time, or auto (lower BIC of both; "
        "twice the fitting time).",
    ),
]


def _model_kw(
    n_micro,
    broad,
    micro_phase,
    split_electrode,
    drift="centres",
    nonnegative="auto",
    deposit=DEPOSIT_DEFAULT,
    dendritic="auto",
    skin_phase="auto",
    baseline_drift=BASELINE_DRIFT_DEFAULT,
):
    """The line-model options of the commands (click's values) as ``analyse_pair`` keywords."""
    return {
        "baseline_drift": baseline_drift,
        "dendritic": dendritic,
        "skin_phase": skin_phase,
        "deposit": deposit if deposit == "auto" else deposit == "yes",
        "drift": drift,
        "nonnegative": nonnegative if nonnegative == "auto" else nonnegative == "yes",
        "n_micro": n_micro if n_micro == "auto" else int(n_micro),
        "broad": broad if broad == "auto" else broad == "yes",
        "micro_phase": "auto" if micro_phase is None else micro_phase,
        "split": split_electrode if split_electrode == "auto" else split_electrode == "yes",
    }


def _with(opts):
    def deco(f):
        for o in reversed(opts):
            f = o(f)
        return f

    return deco


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--li6", type=click.Path(path_type=Path), default=None, help="6Li series (pairs).")
@click.option(
    "--calibration",
    default=None,
    help="electrode=AREA_CM2[@INDEX] (exposed electrode face area; spectrum INDEX, default 0) "
    "or signal=7LI_AREA_PER_UMOL[+-REL].",
)
@click.option(
    "--x6",
    "x6_assumed",
    type=float,
    default=0.0759,
    help="x6 of the metal when there is no 6Li series (default natural abundance).",
)
@click.option(
    "--x6-electrode",
    type=float,
    default=None,
    help="x6 of the electrode for the electrode calibration (default: measured/--x6).",
)
@click.option("--k", "k_value", type=float, default=None, help="Known instrument ratio K.")
@click.option(
    "--known-line",
    default=None,
    help="GROUP=X6[@INDEX]: a line of known x6 calibrates K (with --li6).",
)
@click.option("--t1", "t1_items", multiple=True, help=_T1_HELP)
@click.option("--temperature", "temperature_k", type=float, default=298.15, help="K.")
@_with(_MODEL_OPTS)
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
def quantify(
    path,
    li6,
    calibration,
    x6_assumed,
    x6_electrode,
    k_value,
    known_line,
    t1_items,
    temperature_k,
    as_json,
    **model,
) -> None:
    """Metallic Li per time point: electrode / microstructure / electrolyte lines, in atoms.

    PATH: the 7Li series (a folder of numbered TopSpin experiments, one experiment or a
    pseudo-2D). Without --calibration the lines are given as areas only; with
    --calibration electrode=AREA the electrode line of spectrum 0 calibrates umol (AREA: the
    electrode faces the coil sees, both electrodes of a symmetric cell). With --li6 the 6Li
    series is fitted jointly (x6 of every line; K from --known-line or --k).

    \b
    Examples:
      dendritemr quantify study/7Li                              # areas, no calibration
      dendritemr quantify study/7Li --calibration electrode=2.0  # umol: two 1 cm2 faces
      dendritemr quantify study/7Li --li6 study/6Li --known-line electrolyte=0.0759@0 \\
          --calibration electrode=2.0 --json > quant.json
      dendritemr quantify study/7Li --t1 electrolyte:7Li=0.5 --n-micro 1 --broad no
    """
    from dendritemr.quant.run import analyse_pair, parse_known_line, parse_t1

    try:
        if not 0.0 <= x6_assumed < 1.0:
            raise DataError(path, f"--x6 must lie in [0, 1), not {x6_assumed}")
        cal = parse_calibration(calibration)
        known = parse_known_line(known_line)
        if li6 is not None and k_value is None and known is None:
            known = ("electrolyte", 0.0759, 0)
        doc = analyse_pair(
            path,
            li6,
            k=None if k_value is None else (k_value, 0.0),
            known_line=known,
            calibration=cal,
            x6_assumed=x6_assumed,
            x6_electrode=x6_electrode,
            t1=parse_t1(t1_items),
            temperature_k=temperature_k,
            **_model_kw(**model),
        )
    except DendriteMRError as exc:
        exit_with(exc)
    except ValueError as exc:
        exit_with(DataError(path, str(exc)))
    if as_json:
        _dump(doc)
    else:
        _print_series(doc)


@click.command()
@click.option("--li6", required=True, type=click.Path(path_type=Path), help="6Li data.")
@click.option("--li7", required=True, type=click.Path(path_type=Path), help="7Li data.")
@click.option("--reference-li6", type=click.Path(path_type=Path), default=None)
@click.option("--reference-li7", type=click.Path(path_type=Path), default=None)
@click.option("--reference-x6", type=float, default=None, help="Known x6 of the reference.")
@click.option(
    "--reference-line",
    type=click.Choice(["electrolyte", "electrode", "microstructure"]),
    default="electrolyte",
    help="Line of the reference that calibrates K.",
)
@click.option(
    "--known-line",
    default=None,
    help="GROUP=X6[@INDEX|@all]: a line of the sample of known x6 calibrates K.",
)
@click.option("--k", "k_value", type=float, default=None, help="Known instrument ratio K.")
@click.option("--k-rel-err", type=float, default=0.0)
@click.option("--t1", "t1_items", multiple=True, help=_T1_HELP)
@click.option("--temperature", "temperature_k", type=float, default=298.15, help="K.")
@_with(_MODEL_OPTS)
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
def isotopes(
    li6,
    li7,
    reference_li6,
    reference_li7,
    reference_x6,
    reference_line,
    known_line,
    k_value,
    k_rel_err,
    t1_items,
    temperature_k,
    as_json,
    **model,
) -> None:
    """6Li atom fraction x6 of every line at every time point from paired 6Li/7Li series.

    K (the 6Li/7Li instrument ratio) comes from a reference pair of known x6
    (--reference-li6/--reference-li7/--reference-x6), a line of the sample of known x6
    (--known-line, e.g. the natural-abundance electrolyte) or --k.

    \b
    Examples:
      dendritemr isotopes --li6 study/6Li --li7 study/7Li --known-line electrolyte=0.0759@0
      dendritemr isotopes --li6 study/6Li --li7 study/7Li --reference-li6 \\
          study/reference/6Li/1 --reference-li7 study/reference/7Li/1 --reference-x6 0.0759
      dendritemr isotopes --li6 study/6Li --li7 study/7Li --k 0.95 --json > x6.json
    """
    from dendritemr.quant.run import analyse_pair, parse_known_line, parse_t1

    try:
        given = [reference_li6, reference_li7, reference_x6]
        reference = None
        if any(g is not None for g in given):
            if any(g is None for g in given):
                raise DataError(
                    reference_li6 or reference_li7 or li6,
                    "missing reference: need --reference-li6, --reference-li7 and --reference-x6",
                )
            reference = (reference_li6, reference_li7, reference_x6, reference_line)
        known = parse_known_line(known_line)
        if reference is None and known is None and k_value is None:
            raise DataError(
                li6,
                "missing reference: give --reference-li6/--reference-li7/--reference-x6, "
                "--known-line or --k",
            )
        if k_value is not None and not (k_value > 0):
            raise DataError(li6, f"--k must be positive, not {k_value}")
        doc = analyse_pair(
            li7,
            li6,
            k=None if k_value is None else (k_value, k_rel_err),
            reference=reference,
            known_line=known,
            t1=parse_t1(t1_items),
            temperature_k=temperature_k,
            **_model_kw(**model),
        )
    except DendriteMRError as exc:
        exit_with(exc)
    except ValueError as exc:
        exit_with(DataError(li6, str(exc)))
    if as_json:
        _dump(doc)
    else:
        _print_series(doc)
