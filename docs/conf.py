"""Sphinx configuration of the autograd_mini documentation site.

Build it (offline, in strict mode: any warning, a broken reference included, fails)::

    pip install -e ".[docs]"
    sphinx-build -W --keep-going -n -b html docs build/docs/html
    # then open build/docs/html/index.html in a browser

Sphinx rather than MkDocs because the docstrings are written with Sphinx roles
(``:func:``, ``:class:``, ``:data:``) that autodoc resolves and nitpicky mode checks;
myst-nb executes the notebooks in ``notebooks/`` (``docs/notebooks`` links there) and
keeps their HTML outputs, scripts included, so the stepper pages play in the site.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import autograd_mini

project = "autograd_mini"
author = "The autograd_mini developers"
copyright = "The autograd_mini developers"  # noqa: A001 (Sphinx's name for it)
release = version = autograd_mini.__version__

extensions = ["myst_nb", "sphinx.ext.autodoc"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**/.ipynb_checkpoints", "conf.py"]
root_doc = "index"

html_theme = "furo"
html_title = f"autograd_mini {release}"
html_static_path: list[str] = []
# MathJax is the one thing a page may load from the network (the notebooks' formulas);
# the stepper and everything else is in the page itself.

# A broken reference is an error: every :func:, :class: and type in a signature must
# resolve to something documented here (or be one of the standard library's, below).
nitpicky = True
nitpick_ignore_regex = [
    # The standard library and the optional libraries are not documented here, and an
    # offline build cannot fetch their inventories.
    ("py:class", r"(typing|collections\.abc|pathlib|os|types|contextlib|numbers|"
                 r"threading|random|io|json|enum)\..*"),
    ("py:class", r"(graphviz|hypothesis|ipywidgets|matplotlib|numpy|torch)(\..*)?"),
    ("py:class", r"(Any|Callable|Iterable|Iterator|Mapping|Sequence|Hashable|TypeVar|"
                 r"Path|PathLike|Generator|Awaitable|Coroutine|Self|Literal|NoReturn|"
                 r"ContextManager|TextIO|BinaryIO|IO|Random|Node|T|ModuleType|"
                 r"Fraction|SearchStrategy|Real|Number)"),
    ("py:class", r"(int|float|str|bytes|bool|None|object|list|tuple|dict|set|type|"
                 r"frozenset|complex|BaseException|Exception|ValueError|TypeError)"),
    ("py:exc", r"(ValueError|TypeError|ImportError|OSError|ZeroDivisionError|"
               r"ArithmeticError|RecursionError|MemoryError|KeyError)"),
    # Private helpers named in signatures, and graph.py's type variable: not API.
    ("py:class", r"autograd_mini(\.\w+)*\._\w+"),
    ("py:class", r"autograd_mini\.graph\.Node"),
]

autodoc_member_order = "bysource"
autodoc_default_options: dict[str, Any] = {}
autodoc_typehints = "signature"

myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

nb_execution_mode = "force"  # every build runs every notebook: the pages cannot rot
nb_execution_timeout = 600
nb_execution_raise_on_error = True  # a failing cell fails the build
nb_execution_in_temp = True  # notebooks must not write next to themselves
nb_merge_streams = True
# No widget JavaScript from a CDN: the one widget (notebook 02's explore, for live
# kernels) has its output hidden in the site, and the stepper needs none.
nb_ipywidgets_js: dict[str, dict[str, str]] = {}


def _documented_alias(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve ``autograd_mini.engine.Value`` (or a bare ``Value``) to ``autograd_mini.Value``.

    The package re-exports its core names and the site documents them there once; type
    hints and docstrings name them where they are defined. Only names the package
    really exports are redirected, so a reference to anything else still fails.
    """
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    name = target.rsplit(".", 1)[-1]
    candidates = []
    if name in autograd_mini.__all__:
        candidates.append(f"autograd_mini.{name}")
    module, cls = node.get("py:module"), node.get("py:class")
    if "." not in target and module:
        if cls:
            candidates.append(f"{module}.{cls}.{target}")
        candidates.append(f"{module}.{target}")
    for modname in _MODULES:
        if "." not in target and hasattr(importlib.import_module(modname), target):
            candidates.append(f"{modname}.{target}")
    domain = env.get_domain("py")
    for candidate in candidates:
        if candidate == target:
            continue
        for role in ("class", "func", "data", "exc", "meth", "attr", "obj"):
            found = domain.resolve_xref(env, node["refdoc"], app.builder, role, candidate,
                                        node, contnode)
            if found is not None:
                return found
    return None


_MODULES = [
    "autograd_mini.engine", "autograd_mini.ops", "autograd_mini.formulas",
    "autograd_mini.primitives", "autograd_mini.compiled", "autograd_mini.functional", "autograd_mini.forward",
    "autograd_mini.check", "autograd_mini.testing", "autograd_mini.expr",
    "autograd_mini.steps", "autograd_mini.stepper", "autograd_mini.viz",
    "autograd_mini.notebook", "autograd_mini.graph", "autograd_mini.nn",
    "autograd_mini.losses", "autograd_mini.optim", "autograd_mini.schedules",
    "autograd_mini.datasets", "autograd_mini.training", "autograd_mini.runs",
    "autograd_mini.plots", "autograd_mini.model_files", "autograd_mini.interop",
    "autograd_mini.files",
]


# |x| in a docstring means an absolute value: the project defines no reST substitutions.
_ABSOLUTE_VALUE = re.compile(r"(?<![\\`|])\|(\w[^|`\s]*)\|(?![_`])")


def _absolute_values(app: Any, what: str, name: str, obj: Any, options: Any,
                     lines: list[str]) -> None:
    for k, line in enumerate(lines):
        if not line.lstrip().startswith((">>>", "...")):
            lines[k] = _ABSOLUTE_VALUE.sub(r"\|\1\|", line)


def setup(app: Any) -> None:
    app.connect("missing-reference", _documented_alias)
    app.connect("autodoc-process-docstring", _absolute_values)
