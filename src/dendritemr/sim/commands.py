"""``dendritemr simulate``: run the forward model and write a study folder with its truth."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dendritemr.errors import DendriteMRError, exit_with


@click.command()
@click.argument("scenario", required=False, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    help="Study folder to write: new, empty, or an earlier simulated study (replaced).",
)
@click.option("--seed", type=int, default=None, help="Override the scenario seed.")
@click.option(
    "--preset",
    default=None,
    help="Run a scenario preset shipped with the package (see --list-presets).",
)
@click.option("--list-presets", "list_presets_", is_flag=True, help="List the presets and exit.")
def simulate(
    scenario: Path | None,
    out: Path | None,
    seed: int | None,
    preset: str | None,
    list_presets_: bool,
) -> None:
    """Simulate an in situ Li|LLZO|Li study (default scenario if SCENARIO.toml is omitted).

    SCENARIO.toml sets the cell ([geometry], [llzo], [interface], [growth], [protocol],
    [isotopes]) and its observation ([spectrometer] field and schedule, [li7] and [li6]
    acquisitions, [mri] imaging, enabled = false for none); missing keys take the defaults of
    dendritemr/sim/default_scenario.toml. --preset NAME runs a shipped preset instead.

    Writes 7Li/ and 6Li/ TopSpin series, reference/ calibration experiments, mri/ ParaVision
    CSI, cycler.csv, scenario.toml, study.toml and ground_truth.json into OUT. OUT must be a
    new or empty folder or an earlier simulated study (ground_truth.json and scenario.toml:
    its files are written over); a folder holding anything else, or one in raw instrument
    data, is refused and left untouched.

    \b
    Examples:
      dendritemr simulate --list-presets
      dendritemr simulate --out study                  # the default scenario (minutes)
      dendritemr simulate --preset high-current --out hc-study --seed 2
      dendritemr simulate my-scenario.toml --out my-study --seed 1
      dendritemr analyze my-study --out my-results     # then analyse it (study.toml)
    """
    from dendritemr.errors import DataError
    from dendritemr.sim.presets import list_presets, load_preset

    if list_presets_:
        for name, text in list_presets().items():
            click.echo(f"{name:16s} {text}")
        return
    try:
        if out is None:
            raise DataError("simulate", "--out is required (the study folder to write)")
        if preset is not None and scenario is not None:
            raise DataError(str(scenario), "give a scenario file or --preset, not both")
    except DendriteMRError as exc:
        exit_with(exc)
    from tqdm import tqdm

    from dendritemr.sim.scenario import load_scenario
    from dendritemr.sim.study import simulate as run_study

    try:
        sc = load_preset(preset) if preset is not None else load_scenario(scenario)
        with tqdm(total=100, desc="simulate", unit="%", file=sys.stderr) as bar:

            def progress(fraction: float, label: str) -> None:
                bar.set_postfix_str(label, refresh=False)
                bar.update(max(int(round(fraction * 100)) - bar.n, 0))

            truth = run_study(sc, out, seed=seed, progress=progress)
    except DendriteMRError as exc:
        exit_with(exc)
    short = truth["short_circuit_h"]
    click.echo(
        f"wrote {out}: {len(truth['time_h'])} time points, {len(truth['files']['mri'])} images, "
        f"short circuit: {'none' if short is None else f'{short:.2f} h'}"
    )
