"""nn.utils.prune (torch.nn.utils.prune): masks, the reparametrisation, containers for
repeated pruning, global pruning and remove, against PyTorch and without it."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.utils.prune as prune


def _history(lib, lib_nn, lib_prune):
    """The pruning tutorial's steps on a small net; what each prints, as numpy/plain data."""
    lib.manual_seed(0)
    conv, fc = lib_nn.Conv2d(2, 4, 3), lib_nn.Linear(8, 6)
    out = []
    lib_prune.random_unstructured(conv, name="weight", amount=0.3)
    lib_prune.l1_unstructured(conv, name="bias", amount=1)
    lib_prune.ln_structured(conv, name="weight", amount=0.5, n=2, dim=0)   # a container
    lib_prune.random_structured(fc, "weight", amount=0.25, dim=1)
    lib_prune.random_unstructured(fc, "weight", amount=3)
    out += [conv.weight_mask.numpy(), conv.bias_mask.numpy(), fc.weight_mask.numpy(),
            conv.weight.detach().numpy(), [n for n, _ in conv.named_parameters()],
            list(conv.state_dict().keys())]
    lin = lib_nn.Linear(5, 3)
    lib_prune.global_unstructured([(fc, "weight"), (lin, "weight"), (lin, "bias")],
                                  pruning_method=lib_prune.L1Unstructured, amount=0.4)
    out += [fc.weight_mask.numpy(), lin.weight_mask.numpy(), lin.bias_mask.numpy()]
    lib_prune.remove(conv, "weight")
    out += [conv.weight.detach().numpy(), [n for n, _ in conv.named_parameters()],
            [n for n, _ in conv.named_buffers()], lib_prune.is_pruned(conv)]
    y = fc(lib.ones(2, 8)).sum()
    y.backward()
    out += [fc.weight_orig.grad.numpy(), lib.rand(2).numpy()]   # (the generator's state)
    return out


def test_pruning_is_pytorchs():
    torch = pytest.importorskip("torch")
    import torch.nn.utils.prune as tprune
    ours, theirs = _history(ag, nn, prune), _history(torch, torch.nn, tprune)
    for a, b in zip(ours, theirs, strict=True):
        if isinstance(a, np.ndarray):
            np.testing.assert_allclose(a, b, rtol=1e-6)
        else:
            assert a == b


def test_masks_reparametrisation_and_remove():
    fc = nn.Linear(4, 3)
    w = fc.weight.detach().numpy().copy()
    prune.l1_unstructured(fc, "weight", amount=0.5)
    mask = fc.weight_mask.numpy()
    assert mask.sum() == 6 and np.abs(w[mask == 0]).max() <= np.abs(w[mask == 1]).min()
    assert [n for n, _ in fc.named_parameters()] == ["bias", "weight_orig"]
    assert not isinstance(fc.weight, nn.Parameter) and fc.weight.grad_fn.name() == "MulBackward0"
    np.testing.assert_array_equal(fc.weight.detach().numpy(), w * mask)
    fc.weight_orig.data.fill_(2.0)   # the hook recomputes the pruned weight before forward
    fc(ag.ones(1, 4))
    np.testing.assert_array_equal(fc.weight.detach().numpy(), 2.0 * mask)
    prune.l1_unstructured(fc, "weight", amount=2)   # two more, among the unpruned only
    assert fc.weight_mask.numpy().sum() == 4 and isinstance(
        fc._forward_pre_hooks[next(iter(fc._forward_pre_hooks))], prune.PruningContainer)
    prune.remove(fc, "weight")
    assert isinstance(fc.weight, nn.Parameter) and not prune.is_pruned(fc)
    assert (fc.weight.detach().numpy() == 0).sum() == 8 and "weight_mask" not in dict(
        fc.named_buffers())


def test_errors():
    fc = nn.Linear(4, 3)
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        prune.remove(fc, "weight")
    with pytest.raises(ValueError, match=r"amount=1.5 should either be a float in the range"):
        prune.l1_unstructured(fc, "weight", amount=1.5)
    with pytest.raises(ValueError, match="amount=20 should be smaller than the number of "
                                         "parameters to prune=12"):
        prune.random_unstructured(fc, "weight", amount=20)
    assert "weight" in dict(fc.named_parameters())   # a failed pruning leaves it as it was
    with pytest.raises(ValueError, match="Structured pruning can only be applied to "
                                         "multidimensional tensors"):
        prune.ln_structured(fc, "bias", amount=1, n=2, dim=0)
    with pytest.raises(TypeError, match="Only \"unstructured\" PRUNING_TYPE"):
        prune.global_unstructured([(fc, "weight")], prune.RandomStructured, amount=1)
