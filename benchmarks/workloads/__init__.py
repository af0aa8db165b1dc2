"""The benchmark workloads, each usable on its own (the runner calls them in fresh processes).

* :mod:`benchmarks.workloads.moons`: micrograd's demo, an MLP trained on two moons
  (workloads A and C), the same code text for every micrograd-compatible engine;
* :mod:`benchmarks.workloads.floor`: the same training step written by hand on plain floats,
  the floor no graph engine can beat;
* :mod:`benchmarks.workloads.chain`: a chain of N nodes, time and memory per node (workload B).
"""
