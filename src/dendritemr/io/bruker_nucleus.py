"""Cross-check of TopSpin's NUC1 against BF1 and the other channels' basic frequencies.

NUC1 is only a label: a wrong one is common (e.g. 1H recorded as 15N on a low-field DNP
console). NUC1 is consistent when the 1H frequency it implies (BF1 / Xi) also explains another
channel's BF as some nucleus' Xi, or equals it.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from dendritemr.errors import DataError
from dendritemr.io.bruker_params import number, strip_brackets
from dendritemr.physics.nuclei import NUCLEI, get_nucleus

_REL_TOL = 2e-5


def _explained(bf: float, proton_mhz: float) -> bool:
    ratio = bf / proton_mhz * 100.0
    return any(abs(n.xi_percent - ratio) <= _REL_TOL * n.xi_percent for n in NUCLEI.values())


def checked_nucleus(acqus: dict[str, Any], path: Path, override: str | None = None) -> str:
    """The nucleus name of an experiment (``override`` wins), warning if NUC1 disagrees with BF1.

    Raises
    ------
    DataError : NUC1 (or the override) is not a known nucleus.
    """
    label = override or strip_brackets(acqus.get("NUC1", ""))
    try:
        nucleus = get_nucleus(label)
    except ValueError as exc:
        raise DataError(path, f"unknown nucleus {label!r} (NUC1)") from exc
    if override:
        return nucleus.name
    bf1 = number(acqus, "BF1", path, 0.0)
    others = [b for k in range(2, 9) if (b := number(acqus, f"BF{k}", path, 0.0)) > 0]
    if bf1 > 0 and others:
        proton = bf1 / (nucleus.xi_percent / 100.0)
        if not any(_explained(bf, proton) for bf in others):
            warnings.warn(
                f"{path}: NUC1 says {nucleus.name} but BF1 {bf1:g} MHz implies 1H at "
                f"{proton:.2f} MHz,"
                f" which no other channel ({', '.join(f'{b:g}' for b in others)} MHz) confirms;"
                " NUC1 may be wrong (override the nucleus if so)",
                stacklevel=2,
            )
    return nucleus.name


def field_tesla(nucleus: str, bf1_mhz: float) -> float:
    """B0 in T (positive) from the basic frequency of ``nucleus``: ``2 pi f / |gamma|``
    (:func:`dendritemr.physics.nuclei.field_from_larmor`, bare nucleus). A nucleus with a
    negative gamma (15N, 29Si) gave a negative field before."""
    from dendritemr.physics.nuclei import field_from_larmor

    return float(field_from_larmor(nucleus, bf1_mhz, reference="gamma"))
