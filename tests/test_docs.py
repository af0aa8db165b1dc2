"""The documentation site: it builds offline in strict mode, and its stepper pages play.

The build is the one the README gives (``sphinx-build -W --keep-going -n``): every warning
fails it, a reference to anything undocumented included, and every notebook is executed
into its page. Needs the ``docs`` extra; the browser check also the ``browser`` extra
and a Chromium (see tests/chromium.py). Without them the tests skip, saying so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import chromium
import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
BUILD_TIMEOUT_SECONDS = 900  # generous: a shared CI machine; it takes about a minute here


def _sphinx(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    for module in ("sphinx", "myst_nb", "furo"):
        pytest.importorskip(module, reason='building the docs needs the "docs" extra')
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html",
         str(source), str(out)],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECONDS,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("site")
    result = _sphinx(DOCS, out)
    assert result.returncode == 0, f"the docs build failed:\n{result.stdout}\n{result.stderr}"
    yield out


def test_the_site_builds_strictly_with_every_page(site: Path) -> None:
    for page in ("index.html", "api.html", "stepping.html",
                 *(f"notebooks/{nb.stem}.html" for nb in sorted((DOCS / "notebooks").glob("*.ipynb")))):
        assert (site / page).is_file(), page
    api = (site / "api.html").read_text(encoding="utf-8")
    for name in ("autograd_mini.Value", "autograd_mini.stepper.stepper", "autograd_mini.draw_dot",
                 "autograd_mini.steps.Step", "autograd_mini.nn.MLP"):
        assert f'id="{name}"' in api, name
    # The notebooks were executed into their pages: notebook 02's stepper is there.
    assert 'class="am-stepper"' in (site / "notebooks/02_stepping_through_backward.html").read_text(
        encoding="utf-8")


def test_stepper_pages_load_no_script_from_the_network(site: Path) -> None:
    for page in ("stepping.html", "notebooks/02_stepping_through_backward.html"):
        html = (site / page).read_text(encoding="utf-8")
        remote = re.findall(r'<script[^>]*\bsrc="(https?:[^"]+)"', html)
        # MathJax typesets the notebooks' formulas; nothing else comes from outside.
        assert [url for url in remote if "mathjax" not in url] == [], page


def test_a_broken_reference_fails_the_build(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(DOCS / "conf.py", source / "conf.py")
    (source / "index.md").write_text(
        "# Broken\n\nSee {py:func}`autograd_mini.no_such_function`.\n", encoding="utf-8")
    result = _sphinx(source, tmp_path / "out")
    assert result.returncode != 0
    assert "autograd_mini.no_such_function" in result.stderr
    assert "reference target not found" in result.stderr


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium.launched() as launched:
        yield launched


def test_the_stepper_plays_in_the_built_site(site: Path, browser: Any) -> None:
    from autograd_mini import Value
    from autograd_mini.steps import backward_steps

    context, opened = chromium.open_offline(browser, site / "stepping.html")
    try:
        boxes = opened.page.locator(".am-stepper")
        assert boxes.count() == 2
        second = boxes.nth(1)
        second.press("End")
        a = Value(3.0, label="a")
        c = a * a + a
        c.label = "c"
        steps = [str(step) for step in backward_steps(c)]  # once: leaves accumulate
        assert second.locator(".am-text").inner_text() == steps[-1]
        second.press("ArrowLeft")
        assert second.locator(".am-text").inner_text() == steps[-2]
        assert boxes.nth(0).locator("input[type=range]").input_value() == "0"
        assert opened.errors == []
        assert [url for url in opened.requests if "mathjax" not in url] == []
    finally:
        context.close()
