"""Headless Chromium for the browser tests (the dashboard's and the documentation site's).

They need a Chromium: `$CHROMIUM`, or one on the usual paths (Debian's `chromium`, which `.ci/run` installs).
Without one they are skipped with one line, unless `MORALE_REQUIRE_BROWSER` is set (CI sets it), where that is
an error.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
# As the machine's notes give them: headless, and no background traffic to hosts a closed network refuses.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BOUND_MS = 120_000  # a bound on any one wait (a cold start on a busy 2-core machine included), never a sync


def chromium() -> str | None:
    named = os.environ.get("CHROMIUM")
    if named:
        return named
    return next((p for p in (*CHROMIUM_PATHS, shutil.which("chromium") or "") if p and Path(p).is_file()), None)


@contextmanager
def launched_chromium():
    """Playwright's Chromium on the machine's browser, or a skip (a failure when MORALE_REQUIRE_BROWSER is set)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    path = chromium()
    if path is None:
        reason = "no Chromium found (set CHROMIUM, or install Debian's chromium): the browser tests need one"
        if os.environ.get("MORALE_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    playwright_api.expect.set_options(timeout=BOUND_MS)
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
