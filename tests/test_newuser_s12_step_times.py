"""New-user test (stop 12): analyze's step lines say how long each step took.

``  78.2 s  stages`` on the real TEGDME study read as 78 s of stage detection; it was the time
since the start at which the stages began (quantifying took 75.6 s of it).
"""

from __future__ import annotations

import click

from dendritemr import cli


def test_each_step_line_gives_the_time_since_the_start_and_the_previous_step(monkeypatch):
    clock = iter([100.0, 100.3, 101.0, 102.6, 178.2])
    monkeypatch.setattr("time.perf_counter", lambda: next(clock))
    said = []
    monkeypatch.setattr(click, "echo", lambda text, err=False: said.append((text, err)))
    say = cli._step_printer()  # started at 100.0
    for label in ("cycler", "reading 7Li", "quantifying", "stages"):
        say(label)
    assert said == [
        ("    0.3 s  cycler", True),
        ("    1.0 s  reading 7Li  (cycler took 0.7 s)", True),
        ("    2.6 s  quantifying  (reading 7Li took 1.6 s)", True),
        ("   78.2 s  stages  (quantifying took 75.6 s)", True),
    ]
