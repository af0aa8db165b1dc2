"""Starting the headless Chromium that the browser tests drive (a helper, not a test).

Debian's ``chromium`` package, or the binary named by ``AUTOGRAD_MINI_CHROMIUM``; never a
browser downloaded by Playwright. Each way of not having one skips, saying which part is
missing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def find_chromium() -> str | None:
    named = os.environ.get("AUTOGRAD_MINI_CHROMIUM")
    if named:
        return named
    for candidate in ("chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@contextmanager
def launched() -> Iterator[Any]:
    """A running headless Chromium (a Playwright ``Browser``), or a skip saying why not."""
    pytest.importorskip(
        "playwright.sync_api",
        reason='browser tests need Playwright: pip install "autograd-mini[browser]"',
    )
    from playwright.sync_api import sync_playwright

    path = find_chromium()
    if path is None:
        pytest.skip("no Chromium binary: apt-get install chromium, or set AUTOGRAD_MINI_CHROMIUM")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=path, args=ARGS)
        except Exception as exc:  # a binary that does not start here: say why
            pytest.skip(f"Chromium at {path} could not be started: {exc}")
        try:
            yield browser
        finally:
            browser.close()


class Opened:
    """A browser page, the network requests it made (all refused) and its script errors."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []


def open_offline(browser: Any, path: Path, width: int = 1200, height: int = 900,
                 javascript: bool = True) -> tuple[Any, Opened]:
    """Open ``path`` in a new context where every request off this machine is refused."""
    context = browser.new_context(viewport={"width": width, "height": height},
                                  java_script_enabled=javascript)
    opened = Opened(context.new_page())

    def route(route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "about:")):
            route.continue_()
        else:
            opened.requests.append(url)
            route.abort()

    opened.page.route("**/*", route)
    opened.page.on("pageerror", lambda error: opened.errors.append(str(error)))
    opened.page.goto(path.as_uri())
    return context, opened
