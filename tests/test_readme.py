"""The README stays true: its op table is the op table, and its examples run.

* Between ``<!-- op-table:start -->`` and ``<!-- op-table:end -->`` the README holds exactly
  :func:`autograd_mini.ops.markdown_table` (regenerate with ``autograd-mini ops``).
* Every ```` ```python ```` block that starts with ``>>>`` is a doctest; the blocks run in
  order in one namespace, as a reader would type them.
"""

from __future__ import annotations

import doctest
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograd_mini import ops

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- op-table:start -->", "<!-- op-table:end -->"
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def readme_text() -> str:
    if not README.exists():
        pytest.skip("README.md is not written yet")
    return README.read_text(encoding="utf-8")


def test_markdown_table_lists_every_builtin_op_and_the_power_family() -> None:
    table = ops.markdown_table()
    lines = table.splitlines()
    assert lines[0].startswith("| op | notation |") and lines[1] == "|---|---|---|---|"
    builtin = [op for op in ops.OPS.values() if op.builtin]
    assert len(lines) == 2 + len(builtin) + sum(len(f.variants) for f in ops.FAMILIES)
    for line, op in zip(lines[2:], builtin):
        assert line.startswith(f"| `{op.name}` | `{op.format(*op.inputs)}` |")
        for formula in op.formulas:
            assert f"`{formula}`" in line
        assert line.count("|") - line.count("\\|") == 5  # four cells: no stray pipe
    assert lines[-1].startswith("| `**k` | `x ** k` | d/dx = `k * x ** (k - 1)` |")
    assert table.endswith("\n")


def test_markdown_table_leaves_user_ops_out_unless_asked() -> None:
    from autograd_mini import primitive

    primitive("cube_readme_test", lambda x: x**3, lambda x: 3 * x**2)
    try:
        assert "cube_readme_test" not in ops.markdown_table()
        assert "| `cube_readme_test` | `cube_readme_test(x)` |" in ops.markdown_table(
            include_user_ops=True
        )
    finally:
        ops.unregister("cube_readme_test")


def test_the_ops_command_prints_the_table() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "autograd_mini", "ops"], capture_output=True, text=True,
        check=True, timeout=60,
    )
    assert result.stdout == ops.markdown_table() and result.stderr == ""


def test_readme_contains_the_generated_op_table() -> None:
    text = readme_text()
    assert text.count(START) == 1 and text.count(END) == 1, (
        f"README.md needs one {START} and one {END} marker around the op table"
    )
    between = text.split(START, 1)[1].split(END, 1)[0]
    assert between.strip("\n") == ops.markdown_table().strip("\n"), (
        "the README's op table is out of date: replace the lines between the markers with"
        " the output of `autograd-mini ops`"
    )


def doctest_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, source) of each ```python block whose first line starts with >>>."""
    blocks = []
    for match in FENCE.finditer(text):
        body = match.group(1)
        if body.lstrip().startswith(">>>"):
            blocks.append((text.count("\n", 0, match.start(1)) + 1, body))
    return blocks


def test_fence_parser_finds_only_doctest_blocks() -> None:
    sample = (
        "intro\n```python\n>>> 1 + 1\n2\n```\n\n```python\nx = 1\n```\n"
        "```bash\n>>> no\n```\n```python\n>>> print('a')\na\n\n```\n"
    )
    assert doctest_blocks(sample) == [(3, ">>> 1 + 1\n2\n"), (14, ">>> print('a')\na\n\n")]


def test_readme_examples_run() -> None:
    text = readme_text()
    blocks = doctest_blocks(text)
    if not blocks:
        pytest.skip("README.md has no >>> examples yet")
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    namespace: dict[str, object] = {"__name__": "readme"}
    ops_before = set(ops.OPS)
    failures: list[str] = []
    try:
        for line, source in blocks:
            test = parser.get_doctest(source, namespace, f"README.md:{line}", str(README), line)
            report: list[str] = []
            result = runner.run(test, out=report.append, clear_globs=False)
            if result.failed:
                failures.append("".join(report))
    finally:
        for name in set(ops.OPS) - ops_before:  # the README may define primitives
            ops.unregister(name)
    assert not failures, "\n".join(failures)
