"""autograd_mini's benchmark suite: side by side with micrograd and with plain floats.

``python -m benchmarks`` (or ``python benchmarks/run.py``) runs every measurement in a
fresh interpreter, under each CPython the machine has among 3.11, 3.12 and 3.13, and
writes ``benchmarks/results.md``:

* A: micrograd's two-moons demo as its notebook runs it, seconds per training step, with
  the default garbage collector and with it disabled, for autograd_mini's eager engine,
  its compiled step (:mod:`autograd_mini.compiled`), micrograd and hand-written float code;
  the eager and compiled steps compared bit for bit for 100 steps;
* the compiled step's one-time cost (trace, code generation, ``compile()``) against one
  micrograd step, and its time and memory per node on batches of 10, 100 and 1000 points;
* B: a chain of 10^4, 10^5 and 10^6 nodes, time and memory per node;
* C: the demo's graph construction and backward pass, per node;
* the targets of issues 13 (eager engine) and 12 (compiled mode), and profiles.

``--quick`` runs a small version (about 20 seconds per Python); ``--python 3.12`` measures
under one CPython only. micrograd comes with the ``bench`` extra
(``pip install "autograd-mini[bench]"``); without it the suite compares with the floor only.
"""
