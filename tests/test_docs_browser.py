"""The documentation site in a real browser: headless Chromium opens the built pages from disk and follows them.

Marked `browser` (run after the parallel part, like the dashboard's). The strict build (tests/test_docs_site.py)
proves every link resolves; this proves a reader gets there: the navigation shows the model's submodel pages, a
section reference in the text leads to the submodel it names, a tutorial shows its executed outputs, and the
API reference renders a docstring.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config

from tests.browser import launched_chromium

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    build(load_config(str(ROOT / "mkdocs.yml"), site_dir=str(folder), strict=True))
    return folder


@pytest.fixture(scope="module")
def page():
    with launched_chromium() as browser:
        context = browser.new_context()
        yield context.new_page()
        context.close()


def test_the_navigation_leads_to_a_submodel_page(site, page):
    from playwright.sync_api import expect

    page.goto((site / "index.html").as_uri())
    expect(page.locator("h1").first).to_contain_text("morale")
    page.goto((site / "model" / "details.html").as_uri())
    page.locator("article a[href$='submodels/05-deployment.html']").first.click()
    expect(page.locator("h1").first).to_contain_text("Deployment")
    expect(page.get_by_text("tour_weeks").first).to_be_visible()


def test_a_section_reference_leads_to_the_submodel_it_names(site, page):
    from playwright.sync_api import expect

    page.goto((site / "model" / "submodels" / "03-recruitment.html").as_uri())
    page.locator("article a", has_text="§III.iv.12").first.click()
    expect(page.locator("h1").first).to_contain_text("Emigration")


def test_a_tutorial_shows_its_outputs_and_the_api_its_docstrings(site, page):
    from playwright.sync_api import expect

    page.goto((site / "tutorials" / "02-step-the-model.html").as_uri())
    expect(page.locator(".jp-OutputArea-output, .output_area").first).to_be_visible()
    page.goto((site / "api" / "morale.html").as_uri())
    expect(page.locator(".doc-object-name", has_text="Simulation").first).to_be_visible()
