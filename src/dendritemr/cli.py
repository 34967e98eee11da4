"""Command-line interface (a thin shell over the library)."""

from __future__ import annotations

import functools
import json
import warnings
from pathlib import Path

import click

from dendritemr.errors import DataError, DendriteMRError, exit_with


def _progress(label: str):
    from tqdm import tqdm

    def wrap(items):
        return tqdm(items, desc=label, unit="exp", leave=False, disable=len(items) < 5)

    return wrap


def _stop_cleanly_on_sigterm() -> None:
    """SIGTERM (``timeout``, a batch scheduler, ``kill``) ends a command like Ctrl-C does: as an
    exception, so that what it was writing is removed (``analyze`` left a hidden temporary
    results folder behind when killed while writing)."""
    import signal
    import threading

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    click.echo(f"warning: {message}", err=True)


@click.group()
@click.version_option(package_name="dendritemr")
def main() -> None:
    """dendritemr: in situ NMR and MRI of lithium dendrites in Li | solid electrolyte | Li
    cells. Reads Bruker TopSpin / ParaVision, Varian and JCAMP-DX data and cycler exports
    (EC-Lab, Neware, Maccor, Arbin, CSV) in place; raw data are never written.

    \b
    Start here:
      dendritemr demo --out demo-out          simulate a cell to its short, analyse it,
                                              compare with the truth (~2-3 min)
      dendritemr analyze STUDY --out RESULTS  a study folder (study.toml, see
                                              docs/study-format.md) -> results.json,
                                              summary.txt, report.html, figures/
      dendritemr info EXPERIMENT              what a dataset is (nucleus, field, times)

    Bad input: one line `error: FILE: problem`, exit code 2, no output written.
    Run `dendritemr COMMAND --help` for each command's options and examples.
    """
    warnings.showwarning = _show_warning
    _stop_cleanly_on_sigterm()


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--nucleus", default=None, help="Override the nucleus recorded in the file.")
def info(path: Path, nucleus: str | None) -> None:
    """Describe a dataset: nucleus, field, shape, acquisition times.

    PATH: a TopSpin experiment (fid/ser), a folder of numbered experiments (one in situ
    series), TopSpin pdata/N, a ParaVision scan, a Varian .fid folder, a JCAMP-DX file or a
    NetCDF file written by dendritemr. Prints JSON.

    \b
    Examples:
      dendritemr info study/7Li      # a series: nucleus, field, shape, first/last time
      dendritemr info study/7Li/1    # one experiment (study/: `dendritemr simulate --out study`)
    """
    from dendritemr.process import describe, read_inputs

    try:
        data = read_inputs([path], nucleus, _progress("reading"))
    except DendriteMRError as exc:
        exit_with(exc)
    click.echo(json.dumps(describe(data), indent=2, default=str))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="NetCDF file to write (spectra, integrals, provenance).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary to stdout.")
@click.option(
    "--region",
    "regions",
    multiple=True,
    help="Integral region NAME=LOW:HIGH in ppm, e.g. metal=200:300 (repeatable).",
)
@click.option("--noise", default=None, help="Noise region LOW:HIGH ppm (signal-free).")
@click.option("--lb", "lb_hz", type=float, default=None, help="Exponential broadening, Hz.")
@click.option(
    "--phase",
    type=click.Choice(["auto", "windows", "lines", "lines-acme", "acme", "none"]),
    default="auto",
    help="Phase: windows (electrolyte line's phase, metal window its own), lines (per line; "
    "-acme: by ACME), acme (one phase from the mean spectrum), none; auto: windows when a "
    "metal line is present, else acme.",
)
@click.option(
    "--mode",
    type=click.Choice(["auto", "topspin"]),
    default="auto",
    help="topspin: replay each experiment's recorded TopSpin processing (procs).",
)
@click.option("--nucleus", default=None, help="Override the nucleus recorded in the files.")
def process(paths, out, as_json, regions, noise, lb_hz, phase, mode, nucleus) -> None:
    """Process an experiment, a folder of experiments (one series) or a pseudo-2D:
    digital filter, apodisation, zero fill, FT, phase, baseline; integrals of the regions.

    \b
    Examples:
      dendritemr process study/7Li --out 7li.nc --region metal=200:300 --noise 100:180
      dendritemr process study/7Li/1 study/7Li/2 --out two.nc --json  # study/: from simulate
      dendritemr process study/7Li --out tops.nc --mode topspin   # replay TopSpin's procs
    """
    from dendritemr.model import save
    from dendritemr.process import parse_region, process_series, read_inputs, summary

    try:
        # options first: a mistyped --region failed only after every file had been read
        region_map = dict(parse_region(r) for r in regions) or None
        noise_region = parse_region(f"noise={noise}")[1] if noise else None
        data = read_inputs(list(paths), nucleus, _progress("reading"))
        result = process_series(data, region_map, noise_region, lb_hz, phase, mode)
        save(result, out)
    except DendriteMRError as exc:
        exit_with(exc)
    doc = summary(result)
    if as_json:
        click.echo(json.dumps(doc, indent=2))
    else:
        click.echo(f"{doc['n_spectra']} {doc['nucleus']} spectra -> {out}")


@main.command()
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=Path("dendritemr-demo"),
    show_default=True,
    help="Folder for the simulated study (study/) and its analysis (results/).",
)
@click.option(
    "--preset",
    default="default",
    show_default=True,
    help="Scenario preset to simulate (dendritemr simulate --list-presets).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Scenario seed (another random cell, >= 0); default: dendritemr.demo.DEMO_SEED (3).",
)
def demo(out: Path, preset: str, seed: int | None) -> None:
    """Simulate an in situ study, analyse it with `analyze`, compare with the ground truth.

    Writes OUT/study (TopSpin 7Li/6Li series, ParaVision CSI, cycler CSV, study.toml,
    ground_truth.json), OUT/results (what `analyze` writes, report.html included) and prints
    the stages, metal per route, x6, interface fraction and short time beside the truth.
    OUT may hold an earlier demo run (replaced), nothing else.

    \b
    Examples:
      dendritemr demo --out demo-out
      dendritemr demo --out demo-b --preset scheme-b --seed 4
    """
    from dendritemr.demo import DEMO_SEED, demo_table, run_demo

    try:
        run = run_demo(out, preset, DEMO_SEED if seed is None else seed)
    except DendriteMRError as exc:
        exit_with(exc)
    click.echo(demo_table(run))


@main.command()
@click.argument("study_dir", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Results folder to write (created; an earlier analyze result there is replaced).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print results.json to stdout instead of the summary."
)
@click.option(
    "--exchange-per-h",
    type=click.FloatRange(min=0),
    default=None,
    help="Li0/LLZO isotope exchange rate, 1/h (default: unknown, 0-0.02/h as a model error).",
)
@click.option(
    "--bootstrap",
    type=click.IntRange(min=0),
    default=None,
    help="Bootstrap draws for the stage-boundary uncertainties (default 100, 40 above 100 "
    "time points; 0: none, boundary errors n/a).",
)
@click.option(
    "--mri-maps/--no-mri-maps",
    default=True,
    help="Fit the CSI scans of a study with MRI (metal maps, depths; ~1 s per scan; default on).",
)
@click.option(
    "--mri-nmr-shape/--no-mri-nmr-shape",
    default=True,
    help="Hold each CSI scan's metal line shape at the 7Li NMR series' dendritic lines at its "
    "time (default on; off: the CSI fit chooses its metal model per scan; docs/mri.md).",
)
def analyze(
    study_dir: Path,
    out: Path,
    as_json: bool,
    exchange_per_h: float,
    bootstrap,
    mri_maps: bool,
    mri_nmr_shape: bool,
) -> None:
    """Analyse a study folder (study.toml): routes, stages, short -> results.json and more.

    STUDY_DIR holds study.toml naming the raw data by role (docs/study-format.md; only
    [nmr.li7] is required). Writes OUT atomically: results.json (time_h from when the current
    started, every value with its _err), summary.txt, report.html + figures/ (PNG, PDF),
    timeline.nc, spectra.nc, cycler.nc. OUT may be an earlier analyze result (replaced),
    nothing else, and may not lie inside the study folder. Without a 6Li series, x6, the
    interface fraction and the metal per route are not computed (results.json: not_computed);
    without [cell] electrode_area_cm2 the metal is not in umol but relative to the first
    spectrum's electrode line (results.json: metal_relative; stages on it). What the readers
    warned about is listed in results.json (warnings), summary.txt and the report.

    \b
    Examples:
      dendritemr analyze study --out results      # what `dendritemr simulate` wrote
      dendritemr analyze tegdme --out tegdme-results     # the README's tour (real 7Li)
      dendritemr analyze demo-out/study --out rerun --exchange-per-h 0.01 --json > r.json
    """
    from dendritemr.pipeline import AnalyzeOptions, summary_text
    from dendritemr.pipeline import analyze as run_analysis

    try:
        opts = AnalyzeOptions(
            exchange_per_h=exchange_per_h,
            n_boot=bootstrap,
            mri_maps=mri_maps,
            mri_nmr_shape=mri_nmr_shape,
        )
        doc = run_analysis(study_dir, out, opts, _step_printer())
    except DendriteMRError as exc:
        exit_with(exc)
    click.echo(json.dumps(doc, indent=1, default=str) if as_json else summary_text(doc))


def _step_printer():
    """``say(label)``: each analysis step on stderr with the seconds since the start and, from
    the second step on, how long the step before it took, so a user sees which step the time
    goes to (``  78.2 s  stages`` alone read as 78 s of stage detection: it was the time at
    which the stages started, after 75.6 s of quantifying)."""
    import time

    t0 = time.perf_counter()
    last: list = []  # (label, start) of the step before

    def say(label: str) -> None:
        now = time.perf_counter()
        line = f"{now - t0:7.1f} s  {label}"
        if last:
            line += f"  ({last[0]} took {now - last[1]:.1f} s)"
        last[:] = [label, now]
        click.echo(line, err=True)

    return say


def _register() -> None:
    """Commands that live with their subsystem."""
    from dendritemr.mri.commands import image
    from dendritemr.quant.commands import isotopes, quantify
    from dendritemr.sim.commands import simulate

    for command in (quantify, isotopes, simulate, image):
        main.add_command(command)
    for command in main.commands.values():
        _create_out_folder_first(command)


#: what each command's ``--out`` names: a ``file`` (its folder is created) or a ``folder``.
#: ``analyze`` writes its results folder atomically itself (``atomic``): the folder holding it
#: is created first, and the results folder is announced once it has been written.
_OUT_KIND = {
    "process": "file",
    "image": "file",
    "demo": "folder",
    "simulate": "folder",
    "analyze": "atomic",
}


#: commands run on one BLAS/LAPACK thread (``dendritemr.demo.SIM_BLAS_THREADS``: the cell
#: model's small banded solves on OpenBLAS's two spinning threads took 5x the wall time and 6x
#: the CPU of one thread on a loaded 2-core machine); analyze limits its own fits
_ONE_BLAS_THREAD = ("simulate",)


def _blas_limit(name: str | None):
    """BLAS thread limit for command ``name`` (a no-op for the others)."""
    import contextlib

    if name not in _ONE_BLAS_THREAD:
        return contextlib.nullcontext()
    from dendritemr.backend import blas_threads
    from dendritemr.demo import SIM_BLAS_THREADS

    return blas_threads(SIM_BLAS_THREADS)


def _check_simulate_out(out: Path) -> None:
    """``simulate --out``: a new or empty folder, or an earlier simulated study
    (:func:`dendritemr.sim.study.check_simulate_out`, which ``simulate`` also applies)."""
    from dendritemr.sim.study import check_simulate_out

    check_simulate_out(out)


def _check_writable(folder: Path) -> None:
    """A file can be made in ``folder`` (checked before any work, so that a read-only or
    full disk is a one-line error at the start, not a traceback after the analysis).

    Raises
    ------
    DataError : the folder does not accept a new entry.
    """
    import tempfile

    try:
        Path(tempfile.mkdtemp(prefix=".dendritemr-write-check.", dir=folder)).rmdir()
    except OSError as exc:
        raise DataError(folder, f"cannot write into this folder ({exc.strerror})") from None


def _check_not_in_raw_data(out: Path, series: bool = True) -> None:
    """``--out`` of every command: neither in nor below a raw data folder
    (:func:`dendritemr.model.storage.check_not_in_raw_data`, which ``pipeline.analyze`` also
    applies to its output folder)."""
    from dendritemr.model.storage import check_not_in_raw_data

    check_not_in_raw_data(out, series)


def _check_out_file(out: Path) -> None:
    """``--out FILE`` of ``process``/``image``: not a folder, not inside a raw data folder, and
    an existing file is replaced only if dendritemr wrote it (``process --out 7Li/2/fid``
    overwrote the raw FID with NetCDF, and any other file likewise).

    Raises
    ------
    DataError : one line naming ``out`` and why it is not written.
    """
    if out.is_dir():  # it was named after a temporary file: '.out.1a2b.tmp: cannot write'
        raise DataError(out, "is a folder: --out names the file to write")
    if out.exists():
        from dendritemr.model import load

        try:
            load(out)
        except DendriteMRError:
            raise DataError(
                out, "exists and is not a NetCDF file written by dendritemr: not replaced"
            ) from None


def _create_out_folder_first(command: click.Command) -> None:
    """One rule for every command: a missing ``--out`` folder is created (with its parents)
    and ``created folder PATH`` is printed on stderr once the command succeeded; a command
    that fails on bad input removes the (still empty) folder it created (docs/data-model.md)."""
    kind = _OUT_KIND.get(command.name or "")
    if kind is None or command.callback is None:
        return
    callback = command.callback

    @functools.wraps(callback)
    def run(*args, **kwargs):
        from dendritemr.model.storage import create_output_folder

        out = kwargs.get("out")
        target = None if out is None else (Path(out) if kind == "folder" else Path(out).parent)
        new_out = out is not None and not Path(out).exists()
        created = False
        if target is not None:
            try:
                _check_not_in_raw_data(Path(out), series=kind != "file")
                if command.name == "simulate":
                    _check_simulate_out(Path(out))
                if kind == "file":
                    _check_out_file(Path(out))
                created = create_output_folder(target, announce=False)
                _check_writable(target)
            except DendriteMRError as exc:
                if created:
                    target.rmdir()
                exit_with(exc)
        try:
            try:
                with _blas_limit(command.name):
                    result = callback(*args, **kwargs)
            except OSError as exc:  # disk full, permissions changed while running, ...
                where = exc.filename if exc.filename is not None else (out or "output")
                exit_with(DataError(where, f"cannot write ({exc.strerror or exc})"))
        except (SystemExit, KeyboardInterrupt) as exc:
            # bad input or Ctrl-C: leave nothing behind (a folder this run created and left
            # empty; Ctrl-C left it, as KeyboardInterrupt is not a SystemExit)
            failed = isinstance(exc, KeyboardInterrupt) or exc.code not in (0, None)
            if failed and created and target.is_dir() and not any(target.iterdir()):
                target.rmdir()
            raise
        if kind == "atomic":
            if new_out and Path(out).is_dir():
                click.echo(f"created folder {out}", err=True)
        elif created:
            click.echo(f"created folder {target}", err=True)
        return result

    command.callback = run


_register()

if __name__ == "__main__":
    main()
