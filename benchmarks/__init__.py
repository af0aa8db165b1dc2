"""autograd_mini's benchmark suite: side by side with micrograd and with plain floats.

``python -m benchmarks`` (or ``python benchmarks/run.py``) runs three workloads, each
measurement in a fresh interpreter, and writes ``benchmarks/results.md``:

* A: micrograd's two-moons demo, seconds per training step, with the default garbage
  collector and with it disabled, for autograd_mini, micrograd and hand-written float code;
* B: a chain of 10^4, 10^5 and 10^6 nodes, time and memory per node;
* C: the demo's graph construction and backward pass, per node.

``--quick`` runs a small version in about a minute. micrograd comes with the ``bench``
extra (``pip install "autograd-mini[bench]"``); without it the suite compares with the
floor only.
"""
