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
            return {"electrode_face_area_cm2": float(value)}
        if kind == "signal":
            s, _, rel = value.partition("+-")
            return Calibration(float(s), float(rel or 0.0), "given")
    except ValueError as exc:
        raise DataError(text, f"bad calibration: {exc}") from exc
    raise DataError(text, "calibration must be electrode=AREA_CM2 or signal=S_PER_UMOL[+-REL]")


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--calibration",
    default=None,
    help="electrode=AREA_CM2 (exposed electrode face area) or signal=AREA_PER_UMOL[+-REL].",
)
@click.option("--temperature", "temperature_k", type=float, default=298.15, help="K.")
@click.option("--t1", "t1_s", type=float, default=None, help="Metal T1, s (default Korringa).")
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
def quantify(path, calibration, temperature_k, t1_s, as_json) -> None:
    """Metallic Li per time point (umol, ug, uAh): electrode / microstructure split."""
    from dendritemr.quant.run import load_spectra, quantify_series

    try:
        cal = parse_calibration(calibration)
        doc = quantify_series(load_spectra(path), cal, temperature_k=temperature_k, t1_s=t1_s)
    except DendriteMRError as exc:
        exit_with(exc)
    except ValueError as exc:
        exit_with(DataError(path, str(exc)))
    if as_json:
        click.echo(json.dumps(doc, indent=1))
        return
    micro = doc.get("microstructure", {}).get("umol")
    key = "umol" if micro is not None else None
    for i, h in enumerate(doc["time_h"]):
        if key:
            m, me = doc["microstructure"]["umol"][i], doc["microstructure"]["umol_err"][i]
            click.echo(f"{h:8.3f} h  microstructure {m:.4g} +- {me:.2g} umol")
        else:
            a, ae = doc["areas"]["microstructure"][i], doc["areas"]["microstructure_err"][i]
            click.echo(f"{h:8.3f} h  microstructure area {a:.4g} +- {ae:.2g}")


@click.command()
@click.option("--li6", required=True, type=click.Path(path_type=Path), help="6Li data.")
@click.option("--li7", required=True, type=click.Path(path_type=Path), help="7Li data.")
@click.option("--reference-li6", type=click.Path(path_type=Path), default=None)
@click.option("--reference-li7", type=click.Path(path_type=Path), default=None)
@click.option("--reference-x6", type=float, default=None, help="Known x6 of the reference.")
@click.option("--reference-x6-err", type=float, default=0.0)
@click.option(
    "--reference-line",
    type=click.Choice(["electrolyte", "electrode", "microstructure"]),
    default="electrolyte",
    help="Line of the reference that calibrates K.",
)
@click.option("--k", "k_value", type=float, default=None, help="Known instrument ratio K.")
@click.option("--k-rel-err", type=float, default=0.0)
@click.option("--temperature", "temperature_k", type=float, default=298.15, help="K.")
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
def isotopes(
    li6,
    li7,
    reference_li6,
    reference_li7,
    reference_x6,
    reference_x6_err,
    reference_line,
    k_value,
    k_rel_err,
    temperature_k,
    as_json,
) -> None:
    """6Li atom fraction x6 per component from paired 6Li and 7Li data."""
    from dendritemr.quant.isotopes import InstrumentRatio
    from dendritemr.quant.run import isotope_pair

    try:
        given = [reference_li6, reference_li7, reference_x6]
        reference = None
        if any(g is not None for g in given):
            if any(g is None for g in given):
                raise DataError(
                    reference_li6 or reference_li7 or li6,
                    "missing reference: need --reference-li6, --reference-li7 and --reference-x6",
                )
            reference = (reference_li6, reference_li7, reference_x6)
        instrument = InstrumentRatio(k_value, k_rel_err) if k_value is not None else None
        doc = isotope_pair(
            li6,
            li7,
            reference=reference,
            reference_x6_err=reference_x6_err,
            reference_line=reference_line,
            instrument=instrument,
            temperature_k=temperature_k,
        )
    except DendriteMRError as exc:
        exit_with(exc)
    except ValueError as exc:
        exit_with(DataError(li6, str(exc)))
    if as_json:
        click.echo(json.dumps(doc, indent=1))
        return
    for name, c in doc["components"].items():
        if c["x6"] is None:
            click.echo(f"{name:15s} x6 n/a ({c['note']})")
        else:
            click.echo(f"{name:15s} x6 = {c['x6']:.4f} +- {c['x6_err']:.4f}")
