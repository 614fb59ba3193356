"""The documentation site builds with `mkdocs build --strict`, and the strict build catches broken links.

mkdocs.yml sets every link check of MkDocs 1.6 (`validation:`) to warn, so under --strict a link to a missing
page or to a missing anchor fails the build. Three builds, in this process (no Python start-up per build):

- the real docs/ build, with the pages the hooks generate from ODD.md, the API pages and the tutorials;
- a copy of docs/ with one link to a page that does not exist fails, and for that link alone;
- a copy with a link to a heading that does not exist, once from a page to another and once inside ODD.md
  (which the hook splits into pages, so it must not hide a broken anchor either), fails for those two alone.

The copies get placeholder notebooks for tutorials not yet written, so that the planted link is the only fault.
A fourth test, without a build, checks the hook that makes Python-Markdown nest lists as GitHub does.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import shutil
from pathlib import Path

import markdown
import nbformat
import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ("01-first-what-if", "02-step-the-model", "03-how-sure", "04-build-a-scenario")


class Warnings(logging.Handler):
    """Collects the build's warnings: the strict build fails on them, and the tests say which they were."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def strict_build(config_file: Path, site: Path) -> list[str]:
    """Build as `mkdocs build --strict -f config_file -d site` does; the warnings, or Abort if there were any."""
    handler = Warnings()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    try:
        build(load_config(str(config_file), site_dir=str(site), strict=True))
    except Abort:
        raise Abort("\n".join(handler.messages)) from None
    finally:
        logger.removeHandler(handler)
    return handler.messages


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")  # Material's banner about MkDocs 2, printed on every build


def docs_copy(tmp_path: Path) -> Path:
    """mkdocs.yml and docs/ copied (src linked, for the API pages), with placeholders for missing notebooks."""
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "src").symlink_to(ROOT / "src")
    for name in TUTORIALS:
        notebook = tmp_path / "docs" / "tutorials" / f"{name}.ipynb"
        if not notebook.exists():
            nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {name}")]), notebook)
    return tmp_path


def test_site_builds_strict(tmp_path):
    site = tmp_path / "site"
    assert strict_build(ROOT / "mkdocs.yml", site) == []
    for page in ["index.html", "getting-started.html", "model/index.html", "model/details.html",
                 "model/submodels/05-deployment.html", "api/morale.html", "api/experiments.html",
                 "guide/scenarios.html", *(f"tutorials/{name}.html" for name in TUTORIALS)]:
        assert (site / page).is_file(), page
    assert not (site / "ODD.html").exists()  # the single file is served only as its pages
    # the generated pages carry the content, and a link into ODD.md lands on the page that now holds it
    assert "Deployment" in (site / "model/submodels/05-deployment.html").read_text(encoding="utf-8")
    assert 'href="../model/details.html#iiiiii-input-data"' in (site / "guide/scenarios.html").read_text()
    assert 'id="morale.run"' in (site / "api/morale.html").read_text(encoding="utf-8")


def test_broken_link_fails(tmp_path):
    root = docs_copy(tmp_path)
    with (root / "docs" / "index.md").open("a", encoding="utf-8") as page:
        page.write("\nSee [the missing page](no-such-page.md).\n")
    with pytest.raises(Abort) as failed:
        strict_build(root / "mkdocs.yml", tmp_path / "site")
    warnings = str(failed.value).splitlines()
    assert len(warnings) == 1 and "'no-such-page.md'" in warnings[0], warnings


def test_broken_anchor_fails(tmp_path):
    root = docs_copy(tmp_path)
    with (root / "docs" / "index.md").open("a", encoding="utf-8") as page:
        page.write("\nSee [a missing heading](getting-started.md#no-such-heading).\n")
    with (root / "docs" / "ODD.md").open("a", encoding="utf-8") as odd:
        odd.write("\nSee [a missing heading](#no-such-odd-heading).\n")
    with pytest.raises(Abort) as failed:
        strict_build(root / "mkdocs.yml", tmp_path / "site")
    warnings = str(failed.value).splitlines()
    assert len(warnings) == 2, warnings
    assert any("#no-such-heading" in w and "getting-started.md" in w for w in warnings), warnings
    assert any("#no-such-odd-heading" in w for w in warnings), warnings


def test_lists_nest_as_on_github():
    """The lists hook: 2- and 3-space nesting, a list right after text, and a number that GitHub reads as text."""
    spec = importlib.util.spec_from_file_location("commonmark_lists", ROOT / "docs/hooks/commonmark_lists.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    text = ("Steps:\n1. one\n2. two, in order:\n   1. first\n   2. second\n\n   After the sub-steps.\n3. three\n\n"
            "- a paragraph that goes on over\n  2023. a line that starts with a year\n  - nested\n")
    html = markdown.markdown(hook.reindent(text), extensions=["sane_lists", "pymdownx.superfences"])
    bare = re.sub(r"\s*</?p>\s*", " ", html)  # loose or tight items: only the structure is checked
    assert re.search(r"^ Steps: <ol>\s*<li> one </li>\s*<li> two, in order: <ol>\s*<li> first </li>\s*<li> second "
                     r"</li>\s*</ol> After the sub-steps. </li>\s*<li> three </li>\s*</ol>", bare), html
    assert re.search(r"<ul>\s*<li> ?a paragraph that goes on over\s+2023\. a line that starts with a year\s*<ul>\s*"
                     r"<li>nested</li>\s*</ul>\s*</li>\s*</ul>", bare), html
