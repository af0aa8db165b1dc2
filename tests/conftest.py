"""Shared test configuration: the Hypothesis profiles, and the make_primitive fixture.

Two profiles, chosen by the environment variable ``HYPOTHESIS_PROFILE``:

* ``dev`` (the default): few examples, for a quick run while working;
* ``ci``: a fixed seed (``derandomize=True``) so a CI run is reproducible, and enough
  examples per property to matter. ``.ci/run`` selects it.

Neither has a deadline: the machine running the suite is shared and its timing is noise.
A slow property lowers its own count with ``@settings(max_examples=...)``; no test module
registers profiles of its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

try:
    from hypothesis import HealthCheck, Verbosity, settings
except ImportError:  # the suite without the testing extra: Hypothesis tests are skipped
    settings = None

PROFILE_VARIABLE = "HYPOTHESIS_PROFILE"
DEFAULT_PROFILE = "dev"

if settings is not None:
    settings.register_profile(
        "ci",
        derandomize=True,
        max_examples=200,
        deadline=None,
        print_blob=True,
        # A CI machine may be slow; generation time says nothing about correctness there.
        suppress_health_check=[HealthCheck.too_slow],
        verbosity=Verbosity.normal,
    )
    settings.register_profile("dev", max_examples=30, deadline=None, print_blob=True)

    _profile = os.environ.get(PROFILE_VARIABLE, DEFAULT_PROFILE)
    try:
        settings.load_profile(_profile)
    except Exception as exc:  # InvalidArgument; re-raised with the way out
        raise RuntimeError(
            f"{PROFILE_VARIABLE}={_profile!r} names no Hypothesis profile;"
            " use HYPOTHESIS_PROFILE=ci or HYPOTHESIS_PROFILE=dev"
        ) from exc


@pytest.fixture
def make_primitive() -> Iterator[Callable[..., Any]]:
    """primitive(...) whose ops leave the table after the test, so no other test draws them."""
    from autograd_mini import ops, primitive

    made: list[str] = []

    def make(name: str, *args: Any, **kwargs: Any) -> Any:
        made.append(name)
        return primitive(name, *args, **kwargs)

    yield make
    for name in made:
        if name in ops.OPS:
            ops.unregister(name)
