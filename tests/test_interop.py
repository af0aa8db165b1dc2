"""interop without PyTorch: a clear ImportError naming the extra (the comparisons with PyTorch
itself are in tests/test_torch_oracle.py, which skips when it is absent)."""

from __future__ import annotations

import sys

import pytest

from autograd_mini import nn
from autograd_mini.interop import from_torch, to_torch


def test_without_torch_both_directions_say_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(ImportError, match=r'to_torch needs PyTorch: pip install "autograd-mini\[torch\]"'):
        to_torch(nn.MLP(2, [1], seed=0))
    with pytest.raises(ImportError, match=r"from_torch needs PyTorch.*CPU build.*README"):
        from_torch(object())


def test_importing_the_package_and_interop_does_not_import_torch() -> None:
    import subprocess

    code = ("import sys, autograd_mini, autograd_mini.interop, autograd_mini.nn;"
            " print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_the_newer_activations_move_both_ways_with_pytorchs_defaults() -> None:
    torch = pytest.importorskip("torch")
    from autograd_mini import nn
    from autograd_mini.interop import from_torch, to_torch

    for activation in ("leaky_relu", "elu", "gelu"):
        model = nn.MLP(2, [3, 1], activation=activation, seed=0)
        net = to_torch(model)
        x = [0.3, -0.7]
        assert net(torch.tensor(x, dtype=torch.float64)).item() == pytest.approx(model(x).data, rel=1e-12)
        assert from_torch(net).activation == activation
    other = torch.nn.Sequential(torch.nn.Linear(2, 3, dtype=torch.float64),
                                torch.nn.LeakyReLU(0.2), torch.nn.Linear(3, 1, dtype=torch.float64))
    with pytest.raises(TypeError, match=r"negative_slope=0\.2; only negative_slope=0\.01"):
        from_torch(other)


def test_a_module_with_a_weight_that_is_not_finite_is_refused() -> None:
    # nn.load and load_state_dict refuse such weights, so the model could not be saved.
    torch = pytest.importorskip("torch")
    net = torch.nn.Linear(3, 1, dtype=torch.float64)
    with torch.no_grad():
        net.weight[0, 1] = float("nan")
        net.bias[0] = float("inf")
    with pytest.raises(ValueError, match=r"Linear has 2 weight\(s\) that are not finite .*"
                                         r"neurons\.0\.w\.1 = nan"):
        from_torch(net)
