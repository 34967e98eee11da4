"""report.html of a real (simulated, then analysed) study opened in headless Debian Chromium.

Fails on any console error, page error or request (the page must need nothing from outside),
checks that every figure rendered with data and that the plotted metal equals results.json,
moves the 7Li time slider with the mouse and checks that the spectrum changed to that time
point's spectrum, and saves a screenshot. Skips only outside CI when Chromium or Playwright is
missing; in CI (``CI`` set, ``.ci/run`` installs ``chromium``) that is a failure.
"""

from __future__ import annotations

import os
import shutil
import warnings

import numpy as np
import pytest

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _need_browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    missing = []
    if sync_playwright is None:
        missing.append("the playwright package (pip install -e '.[test]')")
    if CHROMIUM is None:
        missing.append("Debian's chromium (apt-get install chromium)")
    if missing:
        msg = "browser test needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(msg + " (CI: must not skip)")
        pytest.skip(msg)
    return sync_playwright


@pytest.fixture(scope="module")
def analysed(tmp_path_factory, small_study_changes):
    """A 300 um pellet at high current that shorts after a few hours, simulated in vendor
    formats (short FIDs: 2048/1024 points) and analysed by the real pipeline (``run_study``):
    ``(doc, datasets)``; about 10 s of CPU."""
    from dendritemr.pipeline import run_study
    from dendritemr.sim.presets import load_preset
    from dendritemr.sim.study import simulate
    from dendritemr.study import load_study

    scenario = load_preset("high-current").updated(
        **small_study_changes, **{"li7.td": 2048, "li6.td": 1024}
    )
    folder = tmp_path_factory.mktemp("browser") / "study"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        simulate(scenario, folder, seed=3)
        study = load_study(folder)
        doc, datasets = run_study(study)
    return doc, datasets


JS_FIGURES = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({
  id: gd.id,
  traces: gd._fullData.map(t => ({
    name: t.name, type: t.type,
    n: t.type === 'heatmap' ? t.z.length * t.z[0].length : (t.y ? t.y.length : 0),
    finite: t.type === 'heatmap'
      ? Array.from(t.z).reduce((a, r) => a + Array.from(r).filter(Number.isFinite).length, 0)
                                 : Array.from(t.y || []).filter(Number.isFinite).length,
  })),
  drawn: gd.querySelectorAll('.scatterlayer .trace path, .heatmaplayer image, .hm image').length,
}))"""

JS_Y = "([id, k]) => Array.from(document.getElementById(id)._fullData[k].y)"


def _drag_slider_to_start(page, fid: str) -> None:
    """Drag the slider of figure ``fid`` with the mouse from where it is to its first step."""
    page.locator(f"#{fid} .slider-grip-rect").scroll_into_view_if_needed()
    grip = page.locator(f"#{fid} .slider-grip-rect").bounding_box()
    rail = page.locator(f"#{fid} .slider-rail-rect").bounding_box()
    page.mouse.move(grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2)
    page.mouse.down()
    page.mouse.move(rail["x"] + 1, rail["y"] + rail["height"] / 2, steps=8)
    page.mouse.up()
    page.wait_for_function(
        f"() => document.getElementById('{fid}').layout.sliders[0].active === 0",
        timeout=20_000,
    )
    page.wait_for_timeout(300)


def test_report_in_headless_chromium(analysed, tmp_path):
    sync_playwright = _need_browser()
    from dendritemr.report import write_report
    from dendritemr.report.figures import build_panels

    doc, datasets = analysed
    html = write_report(tmp_path, doc, datasets)
    panels = build_panels(doc, datasets)
    with_fig = [f"fig-{p.key}" for p in panels if p.figure is not None]
    # a real study with 6Li, cycler and spectra: the core panels must have figures
    for key in ("metal", "isotopes", "cycler", "spectra", "map-7Li", "map-6Li"):
        assert f"fig-{key}" in with_fig, [p.note for p in panels if p.key == key]
    url = html.resolve().as_uri()
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.on(
            "console",
            lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))

        def gate(route):
            if route.request.url == url:
                route.continue_()
            else:
                problems.append(f"request to {route.request.url}")
                route.abort()

        page.route("**/*", gate)
        page.goto(url)
        page.wait_for_function(
            "n => document.querySelectorAll('.js-plotly-plot').length === n && "
            "Array.from(document.querySelectorAll('.js-plotly-plot')).every(g => g._fullData)",
            arg=len(with_fig),
            timeout=60_000,
        )
        figs = {f["id"]: f for f in page.evaluate(JS_FIGURES)}
        assert sorted(figs) == sorted(with_fig)
        for fid, f in figs.items():
            assert f["traces"] and max(t["finite"] for t in f["traces"]) >= 2, (fid, f)
            assert f["drawn"] >= 1, fid
        # every panel without data shows its sentence instead
        absent = page.locator("p.absent[data-absent]").all_text_contents()
        assert absent == [p.note for p in panels if p.figure is None]
        # the plotted metal is results.json's metal
        names = [t["name"] for t in figs["fig-metal"]["traces"]]
        k = names.index("total")
        shown = np.array(page.evaluate(JS_Y, ["fig-metal", k]), float)
        want = np.array([np.nan if v is None else v for v in doc["metal_umol"]["total"]])
        np.testing.assert_allclose(shown, want, rtol=1e-12, equal_nan=True)

        # move the 7Li time slider with the mouse: from the last spectrum to the first
        fid = "fig-spectra"
        before = np.array(page.evaluate(JS_Y, [fid, 1]), float)
        _drag_slider_to_start(page, fid)
        after = np.array(page.evaluate(JS_Y, [fid, 1]), float)
        label = page.evaluate(
            f"() => Array.from(document.querySelectorAll('#{fid} .slider-label'))"
            ".map(t => t.textContent).find(t => t.startsWith('time / h:'))"
        )
        # the "metal" button zooms both nuclei onto the metal window
        page.locator(f"#{fid} .updatemenu-button").nth(1).click()
        page.wait_for_function(
            f"() => (document.getElementById('{fid}').layout.xaxis.range || [])[0] === 300",
            timeout=20_000,
        )
        ranges = page.evaluate(
            f"() => ['xaxis', 'xaxis2'].map(a => document.getElementById('{fid}').layout[a].range)"
        )
        # the MRI map names each scan's metal line model in its title, which follows its slider
        mid = "fig-mri-map-metal-umol"
        js_title = f"() => document.querySelector('#{mid} .gtitle').textContent"
        mri_titles = [page.evaluate(js_title)]
        _drag_slider_to_start(page, mid)
        mri_titles.append(page.evaluate(js_title))
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot))
        browser.close()
    assert problems == []
    assert not np.allclose(before, after)
    assert ranges == [[300, 200], [300, 200]]
    # the trace now shows the first spectrum of the series (as drawn: decimated, normalised)
    from dendritemr.report.inputs import spectra_series

    series, _ = spectra_series(datasets, "7Li", doc)
    scale = np.nanmax(np.abs(series.data))
    np.testing.assert_allclose(after, series.data[0] / scale, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(before, series.data[-1] / scale, rtol=1e-5, atol=1e-6)
    assert label.endswith(f"{doc['time_h'][0]:.2f}")
    # the scans' metal line models (results.json mri_images.metal_model) on the page: the first
    # scan has no significant NMR metal before it (its own model choice), a later one the shape
    from dendritemr.report.figures import mri_scan_texts
    from dendritemr.report.inputs import mri_series

    models = doc["mri_images"]["metal_model"]
    assert models[0] != "nmr" and "nmr" in models, models
    texts = mri_scan_texts(mri_series(datasets, doc)[0])
    assert mri_titles == [f"scan at {texts[-1]}", f"scan at {texts[0]}"]
    page_text = html.read_text(encoding="utf-8")
    assert f"metal line model &#x27;{models[0]}&#x27;" in page_text  # the map's caption
    assert "metal line shape from the ⁷Li NMR series" in page_text
    assert shot.read_bytes()[:4] == b"\x89PNG" and shot.stat().st_size > 20_000
