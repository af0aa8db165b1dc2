"""The CPythons to measure on, and how to start a benchmark worker under each of them.

autograd_mini and micrograd are pure Python, so a worker runs under any CPython 3.11+ with
the repository root on ``PYTHONPATH`` (for ``autograd_mini`` and ``benchmarks``) and a
folder holding only the installed ``micrograd`` package (not the whole site-packages of
the running interpreter, whose compiled extensions belong to another Python).
"""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

VERSIONS = ("3.11", "3.12", "3.13")
"""The CPythons the project supports; the suite measures on each one the machine has."""

_PROBE = "import platform, sys; print(platform.python_implementation(), platform.python_version())"


@dataclass(frozen=True)
class Interpreter:
    """One CPython: its full version (``3.12.1``) and executable."""

    version: str
    executable: str

    @property
    def minor(self) -> str:
        """``3.12`` for ``3.12.1``.

        >>> Interpreter("3.12.1", "/usr/bin/python3.12").minor
        '3.12'
        """
        return ".".join(self.version.split(".")[:2])

    @property
    def current(self) -> bool:
        """Whether this is the interpreter running the suite."""
        return self.executable == sys.executable


def current() -> Interpreter:
    """The running interpreter.

    >>> current().version.startswith("3.")
    True
    """
    return Interpreter(".".join(map(str, sys.version_info[:3])), sys.executable)


def probe(executable: str) -> Interpreter | None:
    """The CPython at ``executable``, or ``None`` if it does not run or is not CPython.

    A pyenv shim for a version that is not selected exits with an error: ``None``.

    >>> probe(sys.executable) == current()
    True
    >>> probe("/nonexistent/python3") is None
    True
    """
    try:
        completed = subprocess.run([executable, "-c", _PROBE], capture_output=True, text=True,
                                   timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = completed.stdout.split()
    if completed.returncode != 0 or len(words) != 2 or words[0] != "CPython":
        return None
    return Interpreter(words[1], executable)


def _candidates(minor: str) -> list[str]:
    """Where a ``python3.X`` may be: on PATH, then pyenv's versions (newest patch first)."""
    found = [path for path in (shutil.which(f"python{minor}"),) if path]
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    versions = glob.glob(os.path.join(root, "versions", f"{minor}.*", "bin", f"python{minor}"))
    found += sorted(versions, key=lambda path: [int(part) for part in
                                                 Path(path).parent.parent.name.split(".")
                                                 if part.isdigit()], reverse=True)
    return found


def find(versions: tuple[str, ...] = VERSIONS) -> list[Interpreter]:
    """The working CPython of each of ``versions`` that the machine has, the running one first.

    The running interpreter stands for its own version (it is the one with the project
    installed); for another version the first candidate that runs is taken.

    >>> find((current().minor,)) == [current()]
    True
    """
    running = current()
    found = [running] if running.minor in versions else []
    for minor in versions:
        if minor == running.minor:
            continue
        for candidate in _candidates(minor):
            interpreter = probe(candidate)
            if interpreter is not None and interpreter.minor == minor:
                found.append(interpreter)
                break
    return found


def select(wanted: list[str] | None, available: list[Interpreter]) -> list[Interpreter]:
    """The interpreters named by ``wanted`` (minor versions such as ``3.12``), or all.

    >>> pythons = [Interpreter("3.11.7", "a"), Interpreter("3.13.0", "b")]
    >>> [p.version for p in select(["3.13"], pythons)]
    ['3.13.0']
    >>> select(["3.10"], pythons)
    Traceback (most recent call last):
    ...
    ValueError: benchmarks: no CPython 3.10 found on this machine (found: 3.11.7, 3.13.0); name one of those, or install it
    """
    if not wanted:
        return available
    chosen = []
    for minor in wanted:
        matches = [p for p in available if p.minor == minor or p.version == minor]
        if not matches:
            names = ", ".join(p.version for p in available) or "none"
            raise ValueError(f"benchmarks: no CPython {minor} found on this machine (found:"
                             f" {names}); name one of those, or install it")
        chosen += [p for p in matches if p not in chosen]
    return chosen


class Environments:
    """The environment variables a worker needs under each interpreter.

    The running interpreter needs nothing added. For another one, ``PYTHONPATH`` names the
    repository root and a temporary folder holding a link to the installed micrograd
    (made on first use, removed by :meth:`close`).
    """

    def __init__(self) -> None:
        self._folder: str | None = None

    def _micrograd_folder(self) -> str | None:
        if self._folder is None:
            spec = importlib.util.find_spec("micrograd")
            if spec is None or not spec.submodule_search_locations:
                return None
            package = next(iter(spec.submodule_search_locations))
            self._folder = tempfile.mkdtemp(prefix="autograd-mini-bench-")
            target = os.path.join(self._folder, "micrograd")
            try:
                os.symlink(package, target, target_is_directory=True)
            except OSError:  # no symlinks (some Windows setups): a copy of a pure-Python package
                shutil.copytree(package, target)
        return self._folder

    def for_interpreter(self, interpreter: Interpreter) -> dict[str, str] | None:
        """The environment for a worker under ``interpreter`` (``None``: inherit as is)."""
        if interpreter.current:
            return None
        paths = [str(ROOT)]
        micrograd = self._micrograd_folder()
        if micrograd is not None:
            paths.append(micrograd)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(paths)
        env.pop("PYTHONHOME", None)
        return env

    def close(self) -> None:
        """Remove the temporary folder."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
