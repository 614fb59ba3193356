"""The dashboard in a real browser: `morale dashboard` serves it, headless Chromium (Playwright) drives it.

Marked `browser`: `make test` runs these after the parallel part, one at a time, against one server; the Chromium
they need and when they are skipped: `tests/browser.py`.

Nothing waits on a clock: every step waits for a state of the page (a heading, a button, a label), bounded by a
generous timeout that only ends a hung test. Screenshots of each page go to `$MORALE_SCREENSHOTS` (the README's
are made so) or else to the test's temporary folder.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from morale.calibration.history_matching import history_match
from morale.calibration.toy import toy_model, toy_observations
from morale.experiments.design import function_model
from morale.experiments.sensitivity import ishigami, sensitivity
from tests.browser import BOUND_MS, launched_chromium

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


@pytest.fixture(scope="module")
def browser():
    with launched_chromium() as launched:
        yield launched


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`morale dashboard` on a free port, in a folder of its own whose `runs/` holds two experiments; its URL."""
    port = free_port()
    folder = tmp_path_factory.mktemp("dashboard")
    toy, toy_parameters = toy_model()
    history_match(toy, toy_parameters, toy_observations(), out=folder / "runs" / "toy-calibration", points=20,
                  waves=1, replicates=2, replicated_points=4, seed=1, scheduler="inprocess", candidates=500)
    model, parameters = function_model(ishigami, {f"x{i}": (-np.pi, np.pi) for i in (1, 2, 3)})
    sensitivity(model=model, parameters=parameters, method="morris", samples=4, outcomes=["y"],
                out=folder / "runs" / "ishigami-morris", scheduler="inprocess")
    log = (folder / "server.log").open("w")
    process = subprocess.Popen([sys.executable, "-c", "from morale.cli import app; app()", "dashboard", "--port",
                                str(port)], cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        waited = 0.0
        while not healthy(url):  # the health check answers once the server listens
            if process.poll() is not None:
                pytest.fail(f"morale dashboard exited with {process.returncode}: "
                            f"{(folder / 'server.log').read_text()[-2000:]}")
            waited += 0.2
            assert waited < BOUND_MS / 1000, "morale dashboard did not answer its health check"
            try:
                process.wait(0.2)
            except subprocess.TimeoutExpired:
                pass
        yield url
    finally:
        process.terminate()
        process.wait(60)
        log.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("MORALE_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(browser, server, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(BOUND_MS)
    opened = context.new_page()
    yield opened
    opened.screenshot(path=str(tmp_path / "last.png"))  # what the page showed at the end, pass or fail
    context.close()


def open_page(page, url: str, title: str) -> None:
    page.goto(url)
    page.locator("h1", has_text=title).wait_for()
    settled(page)


def settled(page) -> None:
    """Wait until Streamlit has finished running the page's script (its status widget is gone)."""
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0)


def assert_clean(page) -> None:
    errors = page.locator(ERRORS)
    assert errors.count() == 0, errors.all_inner_texts()


def number(page, label_start: str, value: str) -> None:
    """Type into a number input (by the start of its label) and commit it, as a user does."""
    field = page.locator(f'input[aria-label^="{label_start}"]')
    field.fill(value)
    field.press("Enter")


def screenshot(page, folder: Path, name: str) -> None:
    """The whole page: Streamlit scrolls inside its own container, so the viewport is made as tall as it."""
    height = page.locator('[data-testid="stMain"]').evaluate("e => e.scrollHeight")
    page.set_viewport_size({"width": 1400, "height": max(1000, min(int(height), 8000))})
    settled(page)
    page.screenshot(path=str(folder / f"dashboard-{name}.png"))
    page.set_viewport_size({"width": 1400, "height": 1000})


def test_scenario_page_runs_a_changed_setting_and_shows_its_results(page, server, shots):
    open_page(page, server, "Scenario")
    assert_clean(page)
    expect(page.get_by_text("Press Run to see this setting's results.")).to_be_visible()
    number(page, "Scale (persons per agent)", "500")
    number(page, "combat.intensity", "0.06")
    expect(page.get_by_text("Parameters (1 changed)")).to_be_visible()
    expect(page.get_by_text("what-if: set combat.intensity = 0.06 for the whole run (pinned)")).to_be_visible()
    command = page.locator("code", has_text="morale run russia-2022")
    expect(command).to_have_text("morale run russia-2022 --seed 0 --scale 500 --end 2027-12-31 "
                                 "--set combat.intensity=0.06")
    page.get_by_role("button", name="Run", exact=True).click()
    page.locator("h3", has_text="Results: russia-2022, seed 0, scale 500, to 2027-12-31").wait_for()
    settled(page)
    assert_clean(page)
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(6)
    page.locator(".js-plotly-plot").nth(7).wait_for()  # eight charts and the map, drawn by Plotly in the page
    expect(page.get_by_role("button", name="Run", exact=True)).to_be_disabled()  # this setting's result is shown
    screenshot(page, shots, "scenario")

    page.get_by_role("button", name="undo combat.intensity = 0.06").click()
    expect(page.get_by_text("Parameters (0 changed)")).to_be_visible()
    expect(page.get_by_text("Press Run to see this setting's results.")).to_be_visible()  # not the other's
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(0)
    assert_clean(page)


def test_scenario_page_cancels_a_run(page, server):
    open_page(page, server, "Scenario")
    number(page, "Scale (persons per agent)", "2")  # minutes of work: the cancel always comes first
    page.get_by_role("button", name="Run", exact=True).click()
    expect(page.locator('[data-testid="stProgress"]')).to_be_visible()
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator('[data-testid="stProgress"]')).to_have_count(0)
    expect(page.get_by_role("button", name="Run", exact=True)).to_be_enabled()
    expect(page.get_by_text("Press Run to see this setting's results.")).to_be_visible()
    assert_clean(page)


def test_compare_page_runs_a_pinned_b_against_a(page, server, shots):
    open_page(page, server, "Scenario")
    page.get_by_role("link", name="Compare").click()  # through the menu, as a user goes
    page.locator("h1", has_text="Compare two scenarios").wait_for()
    page.get_by_text("A with changes").click()
    changes = page.locator("textarea")
    changes.fill("combat.intensity=0.06")
    changes.press("Control+Enter")
    scale = page.locator('input[type="range"][aria-label="Scale (persons per agent)"]')
    scale.focus()
    scale.press("End")  # the coarsest scale offered, 1000
    expect(scale).to_have_attribute("aria-valuetext", "1000")
    year = page.get_by_role("spinbutton", name="year, End")
    year.click()
    year.press("ArrowDown")
    year.press("ArrowDown")
    year.press("Escape")
    page.locator("h1").click()  # the date is committed when the field loses focus
    expect(year).to_have_attribute("aria-valuenow", "2022")
    number(page, "Runs per scenario (at most 20 here", "2")  # a shorter span at a coarser scale: the most runs
    page.get_by_role("button", name="Run 4 runs").click()
    page.get_by_text("Headline outcomes: B - A over paired runs").wait_for()
    settled(page)
    assert_clean(page)
    page.locator(".js-plotly-plot").nth(1).wait_for()
    expect(page.get_by_text("Press Run to compare")).to_have_count(0)
    screenshot(page, shots, "compare")


def test_explore_page_lists_and_opens_the_experiments_under_runs(page, server, shots):
    open_page(page, f"{server}/explore", "Explore an experiment folder")  # its own address, with the full menu
    expect(page.get_by_role("link", name="Scenario")).to_be_visible()
    page.locator("h3", has_text="Ranking").wait_for()  # the first experiment under runs/, by name
    page.get_by_role("combobox", name="Experiment").click()
    page.get_by_role("option", name="toy-calibration (calibration)").click()
    page.get_by_text("Calibrated sample (runs not ruled out)").wait_for()
    page.locator(".js-plotly-plot").nth(2).wait_for()
    settled(page)
    assert_clean(page)
    screenshot(page, shots, "explore")

    folder = page.get_by_label("Folder: an experiment folder, or one holding some")
    folder.fill("runs/no-such-folder")
    folder.press("Enter")
    expect(page.locator('[data-testid="stAlertContentError"]')).to_have_count(1)  # one line, not a traceback
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_classic_page_reruns_when_a_slider_moves(page, server, shots):
    open_page(page, f"{server}/classic", "Classic: Epstein's civil violence (2002)")
    assert_clean(page)
    expect(page.locator(".js-plotly-plot")).to_have_count(2)
    screenshot(page, shots, "classic")
    citizens = page.locator('[data-testid="stMetric"]').first
    before = citizens.inner_text()
    density = page.get_by_role("slider", name="Citizen density")
    density.focus()
    density.press("Home")  # the lowest density: fewer citizens on the lattice
    settled(page)
    expect(citizens).not_to_have_text(before)
    assert_clean(page)
    expect(page.locator(".js-plotly-plot")).to_have_count(2)
