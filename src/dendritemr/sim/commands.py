"""``dendritemr simulate``: run the forward model and write a study folder with its truth."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dendritemr.errors import DendriteMRError, exit_with


@click.command()
@click.argument("scenario", required=False, type=click.Path(path_type=Path))
@click.option(
    "--out", "out", required=True, type=click.Path(path_type=Path), help="Study folder to write."
)
@click.option("--seed", type=int, default=None, help="Override the scenario seed.")
def simulate(scenario: Path | None, out: Path, seed: int | None) -> None:
    """Simulate an in situ Li|LLZO|Li study (default scenario if SCENARIO.toml is omitted).

    SCENARIO.toml sets the cell ([geometry], [llzo], [interface], [growth], [protocol],
    [isotopes]) and its observation ([spectrometer] field and schedule, [li7] and [li6]
    acquisitions, [mri] imaging, enabled = false for none); missing keys take the defaults of
    dendritemr/sim/default_scenario.toml.

    Writes 7Li/ and 6Li/ TopSpin series, mri/ ParaVision CSI, cycler.csv, scenario.toml and
    ground_truth.json into OUT.
    """
    from tqdm import tqdm

    from dendritemr.sim.scenario import load_scenario
    from dendritemr.sim.study import simulate as run_study

    try:
        sc = load_scenario(scenario)
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
