"""The module registry: every layer and loss, with a constructor and input makers.

Entry format (other nn files, e.g. `tests/nn/module_db_conv.py`, define a list `MODULES`
of the same entries):

    ModuleInfo(
        name="Linear",                         # unique id
        make=lambda: nn.Linear(3, 2),          # () -> Module (float32; tests call .double())
        inputs=lambda rng: (rng.normal(size=(4, 3)),),   # np.random.Generator -> tuple of arrays
        targets=None,                          # optional: rng -> arrays passed after inputs
        train_eval_differ=False,               # True if train() and eval() outputs differ
        random=False,                          # True if forward is random in train mode
        gradcheck=True,                        # gradcheck outputs w.r.t. float inputs and params
    )

Float arrays from `inputs` become float64 tensors requiring grad; integer arrays stay
integer tensors (class indices, ...). `targets` arrays never require grad.
`tests/nn/test_module_db.py` checks every entry: forward runs in float32 and float64,
gradcheck (float64) w.r.t. inputs and parameters, and train/eval behaviour.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import autograd as ag
import nn


@dataclass
class ModuleInfo:
    name: str
    make: Callable[[], nn.Module]
    inputs: Callable[[np.random.Generator], tuple]
    targets: Callable[[np.random.Generator], tuple] | None = None
    train_eval_differ: bool = False
    random: bool = False
    gradcheck: bool = True

    def __repr__(self) -> str:
        return self.name


def _x(*shape, low=-2.0, high=2.0):
    return lambda rng: (rng.uniform(low, high, shape),)


def _away(*shape, kinks=(0.0,)):
    """Inputs nudged away from the activation's kinks (finite differences stay valid)."""
    def make(rng):
        a = rng.uniform(-2, 2, shape)
        for k in kinks:
            close = np.abs(a - k) < 0.05
            a[close] = k + 0.1
        return (a,)
    return make


def _called(lazy: nn.Module, *shape: int) -> nn.Module:
    """A lazy layer after its first call, on zeros of `shape` (which fixes its parameters'
    shapes)."""
    lazy(ag.zeros(*shape))
    return lazy


def _probs(*shape):
    return lambda rng: (rng.uniform(0.05, 0.95, shape),)


def _classes(n, c):
    return lambda rng: (rng.integers(0, c, n),)


def _both(*shape):
    return lambda rng: (rng.normal(size=shape), rng.normal(size=shape))


MODULES: list[ModuleInfo] = [
    ModuleInfo("Identity", lambda: nn.Identity(), _x(2, 3)),
    ModuleInfo("Linear", lambda: nn.Linear(3, 2), _x(4, 3)),
    ModuleInfo("Linear_nobias_3d", lambda: nn.Linear(3, 2, bias=False), _x(2, 2, 3)),
    ModuleInfo("Linear_unbatched", lambda: nn.Linear(3, 2), _x(3)),
    ModuleInfo("LazyLinear", lambda: _called(nn.LazyLinear(2), 3), _x(4, 3)),
    ModuleInfo("Bilinear", lambda: nn.Bilinear(2, 3, 2),
               lambda rng: (rng.normal(size=(4, 2)), rng.normal(size=(4, 3)))),
    ModuleInfo("Flatten", lambda: nn.Flatten(), _x(2, 3, 2)),
    ModuleInfo("Unflatten", lambda: nn.Unflatten(1, (2, 3)), _x(2, 6)),
    ModuleInfo("Dropout", lambda: nn.Dropout(0.5), _x(4, 5), train_eval_differ=True,
               random=True),
    ModuleInfo("Dropout1d", lambda: nn.Dropout1d(0.5), _x(4, 3, 5), train_eval_differ=True,
               random=True),
    ModuleInfo("Dropout1d_unbatched", lambda: nn.Dropout1d(0.5), _x(6, 5),
               train_eval_differ=True, random=True),
    ModuleInfo("Dropout2d", lambda: nn.Dropout2d(0.5), _x(2, 4, 2, 3), train_eval_differ=True,
               random=True),
    ModuleInfo("Dropout3d", lambda: nn.Dropout3d(0.5), _x(2, 4, 2, 2, 2),
               train_eval_differ=True, random=True),
    ModuleInfo("AlphaDropout", lambda: nn.AlphaDropout(0.3), _x(4, 5), train_eval_differ=True,
               random=True),
    ModuleInfo("FeatureAlphaDropout", lambda: nn.FeatureAlphaDropout(0.3), _x(4, 5, 3),
               train_eval_differ=True, random=True),
    ModuleInfo("Sequential_mlp", lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(),
                                                       nn.Linear(4, 2)), _x(5, 3)),
    ModuleInfo("Sequential_dropout", lambda: nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.3)),
               _x(5, 3), train_eval_differ=True, random=True),
    ModuleInfo("ReLU", lambda: nn.ReLU(), _away(3, 4)),
    ModuleInfo("LeakyReLU", lambda: nn.LeakyReLU(0.1), _away(3, 4)),
    ModuleInfo("RReLU", lambda: nn.RReLU(0.1, 0.3), _away(3, 4), train_eval_differ=True,
               random=True),
    ModuleInfo("ELU", lambda: nn.ELU(0.5), _away(3, 4)),
    ModuleInfo("GELU", lambda: nn.GELU(), _x(3, 4)),
    ModuleInfo("GELU_tanh", lambda: nn.GELU("tanh"), _x(3, 4)),
    ModuleInfo("SiLU", lambda: nn.SiLU(), _x(3, 4)),
    ModuleInfo("Sigmoid", lambda: nn.Sigmoid(), _x(3, 4)),
    ModuleInfo("Tanh", lambda: nn.Tanh(), _x(3, 4)),
    ModuleInfo("Softplus", lambda: nn.Softplus(2.0, 2.0), _away(3, 4, kinks=(1.0,))),
    ModuleInfo("Softmax", lambda: nn.Softmax(1), _x(3, 4)),
    ModuleInfo("LogSoftmax", lambda: nn.LogSoftmax(-1), _x(3, 4)),
    ModuleInfo("ReLU6", lambda: nn.ReLU6(), lambda rng: (rng.uniform(-1, 7, (3, 4)),)),
    ModuleInfo("Hardtanh", lambda: nn.Hardtanh(-0.5, 1.5), _away(3, 4, kinks=(-0.5, 1.5))),
    ModuleInfo("PReLU", lambda: nn.PReLU(), _away(3, 4)),
    ModuleInfo("PReLU_channels", lambda: nn.PReLU(3, init=0.1), _away(2, 3, 4)),
    ModuleInfo("SELU", lambda: nn.SELU(), _away(3, 4)),
    ModuleInfo("CELU", lambda: nn.CELU(0.5), _away(3, 4)),
    ModuleInfo("Mish", lambda: nn.Mish(), _x(3, 4)),
    ModuleInfo("Hardsigmoid", lambda: nn.Hardsigmoid(), _away(3, 4, kinks=(-3.0, 3.0))),
    ModuleInfo("Hardswish", lambda: nn.Hardswish(), _away(3, 4, kinks=(-3.0, 3.0))),
    ModuleInfo("Threshold", lambda: nn.Threshold(0.2, -1.0), _away(3, 4, kinks=(0.2,))),
    ModuleInfo("Hardshrink", lambda: nn.Hardshrink(0.3), _away(3, 4, kinks=(-0.3, 0.3))),
    ModuleInfo("Softshrink", lambda: nn.Softshrink(0.3), _away(3, 4, kinks=(-0.3, 0.3))),
    ModuleInfo("Tanhshrink", lambda: nn.Tanhshrink(), _x(3, 4)),
    ModuleInfo("Softsign", lambda: nn.Softsign(), _x(3, 4)),
    ModuleInfo("LogSigmoid", lambda: nn.LogSigmoid(), _x(3, 4)),
    ModuleInfo("GLU", lambda: nn.GLU(1), _x(3, 4)),
    ModuleInfo("Softmin", lambda: nn.Softmin(1), _x(3, 4)),
    ModuleInfo("Softmax2d", lambda: nn.Softmax2d(), _x(2, 3, 2, 2)),
    # normalisation
    ModuleInfo("GroupNorm", lambda: nn.GroupNorm(2, 4), _x(2, 4, 3)),
    ModuleInfo("GroupNorm_no_affine_2d", lambda: nn.GroupNorm(3, 3, affine=False), _x(2, 3, 2, 2)),
    ModuleInfo("InstanceNorm1d", lambda: nn.InstanceNorm1d(3), _x(2, 3, 4)),
    ModuleInfo("InstanceNorm1d_unbatched_affine", lambda: nn.InstanceNorm1d(3, affine=True),
               _x(3, 4)),
    ModuleInfo("InstanceNorm2d_tracked", lambda: nn.InstanceNorm2d(2, affine=True,
                                                                   track_running_stats=True),
               _x(2, 2, 3, 2), train_eval_differ=True),
    ModuleInfo("InstanceNorm3d", lambda: nn.InstanceNorm3d(2), _x(1, 2, 2, 2, 2)),
    ModuleInfo("BatchNorm3d_cumulative", lambda: nn.BatchNorm3d(2, momentum=None),
               _x(2, 2, 2, 1, 2), train_eval_differ=True),
    ModuleInfo("RMSNorm", lambda: nn.RMSNorm(4), _x(3, 4)),
    ModuleInfo("RMSNorm_2d_eps", lambda: nn.RMSNorm((2, 3), eps=1e-3,
                                                    elementwise_affine=False), _x(2, 2, 3)),
    ModuleInfo("LocalResponseNorm", lambda: nn.LocalResponseNorm(3, alpha=0.5, k=2.0),
               _x(2, 5, 3)),
    ModuleInfo("LocalResponseNorm_4d", lambda: nn.LocalResponseNorm(2), _x(1, 3, 2, 2)),
    # sparse and distance
    ModuleInfo("EmbeddingBag_mean", lambda: nn.EmbeddingBag(6, 3),
               lambda rng: (rng.integers(0, 6, (3, 4)),)),
    ModuleInfo("EmbeddingBag_sum_offsets_psw", lambda: nn.EmbeddingBag(6, 3, mode="sum"),
               lambda rng: (rng.integers(0, 6, 7), np.array([0, 2, 2, 5]),
                            rng.uniform(0.5, 1.5, 7))),
    ModuleInfo("EmbeddingBag_max_padding", lambda: nn.EmbeddingBag(6, 2, mode="max",
                                                                   padding_idx=0),
               lambda rng: (np.array([1, 0, 3, 0, 5, 2, 0]), np.array([0, 3, 4]))),
    ModuleInfo("EmbeddingBag_last_offset", lambda: nn.EmbeddingBag(
        5, 2, include_last_offset=True), lambda rng: (rng.integers(0, 5, 6), np.array([0, 2, 6]))),
    ModuleInfo("CosineSimilarity", lambda: nn.CosineSimilarity(), _both(3, 4)),
    ModuleInfo("CosineSimilarity_dim0_broadcast", lambda: nn.CosineSimilarity(0, eps=1e-6),
               lambda rng: (rng.normal(size=(4, 3)), rng.normal(size=(4, 1)))),
    ModuleInfo("PairwiseDistance", lambda: nn.PairwiseDistance(), _both(3, 4)),
    ModuleInfo("PairwiseDistance_p1_keepdim", lambda: nn.PairwiseDistance(1.0, keepdim=True),
               _both(2, 3)),
    # losses
    ModuleInfo("MSELoss", lambda: nn.MSELoss(), _both(3, 4)),
    ModuleInfo("MSELoss_none", lambda: nn.MSELoss(reduction="none"), _both(3, 4)),
    ModuleInfo("L1Loss", lambda: nn.L1Loss(reduction="sum"), _both(3, 4)),
    ModuleInfo("HuberLoss", lambda: nn.HuberLoss(delta=0.5), _both(3, 4)),
    ModuleInfo("SmoothL1Loss", lambda: nn.SmoothL1Loss(beta=0.5), _both(3, 4)),
    ModuleInfo("CrossEntropyLoss", lambda: nn.CrossEntropyLoss(), _x(5, 4),
               targets=_classes(5, 4)),
    ModuleInfo("CrossEntropyLoss_full",
               lambda: nn.CrossEntropyLoss(weight=ag.tensor([0.5, 1.0, 2.0, 1.5]),
                                           ignore_index=1, label_smoothing=0.1,
                                           reduction="sum"),
               _x(6, 4), targets=lambda rng: (np.array([0, 1, 2, 3, 2, 0]),)),
    ModuleInfo("CrossEntropyLoss_2d", lambda: nn.CrossEntropyLoss(reduction="none"),
               _x(2, 3, 2, 2), targets=lambda rng: (rng.integers(0, 3, (2, 2, 2)),)),
    ModuleInfo("CrossEntropyLoss_probs", lambda: nn.CrossEntropyLoss(label_smoothing=0.2),
               _x(3, 4), targets=lambda rng: (rng.dirichlet(np.ones(4), 3),)),
    ModuleInfo("NLLLoss", lambda: nn.NLLLoss(weight=ag.tensor([1.0, 2.0, 0.5])),
               lambda rng: (np.log(rng.dirichlet(np.ones(3), 4)),), targets=_classes(4, 3)),
    ModuleInfo("BCELoss", lambda: nn.BCELoss(), _probs(3, 2),
               targets=lambda rng: (rng.uniform(0, 1, (3, 2)),)),
    ModuleInfo("BCEWithLogitsLoss", lambda: nn.BCEWithLogitsLoss(
        pos_weight=ag.tensor([2.0, 0.5])), _x(3, 2),
        targets=lambda rng: (rng.uniform(0, 1, (3, 2)),)),
    ModuleInfo("KLDivLoss", lambda: nn.KLDivLoss(reduction="batchmean"),
               lambda rng: (np.log(rng.dirichlet(np.ones(3), 4)),),
               targets=lambda rng: (rng.dirichlet(np.ones(3), 4),)),
    ModuleInfo("CosineEmbeddingLoss", lambda: nn.CosineEmbeddingLoss(margin=0.2), _both(4, 3),
               targets=lambda rng: (np.array([1.0, -1.0, 1.0, -1.0]),)),
    ModuleInfo("MarginRankingLoss", lambda: nn.MarginRankingLoss(0.1, reduction="sum"),
               _both(5), targets=lambda rng: (np.array([1.0, -1.0, 1.0, 1.0, -1.0]),)),
    ModuleInfo("HingeEmbeddingLoss", lambda: nn.HingeEmbeddingLoss(1.5),
               lambda rng: (rng.uniform(0.1, 1.3, (3, 4)),),
               targets=lambda rng: (np.sign(rng.normal(size=(3, 4))),)),
    ModuleInfo("TripletMarginLoss", lambda: nn.TripletMarginLoss(margin=2.0, swap=True),
               lambda rng: tuple(rng.normal(size=(4, 3)) + k for k in (0, 1, 3))),
    ModuleInfo("TripletMarginWithDistanceLoss", lambda: nn.TripletMarginWithDistanceLoss(
        distance_function=nn.PairwiseDistance(p=1.0), margin=3.0),
        lambda rng: tuple(rng.normal(size=(4, 3)) + k for k in (0, 1, 3))),
    ModuleInfo("PoissonNLLLoss", lambda: nn.PoissonNLLLoss(full=True), _x(3, 4),
               targets=lambda rng: (rng.poisson(2.0, (3, 4)).astype(float),)),
    ModuleInfo("PoissonNLLLoss_rates", lambda: nn.PoissonNLLLoss(log_input=False,
                                                                 reduction="none"),
               lambda rng: (rng.uniform(0.5, 3, (3, 4)),),
               targets=lambda rng: (rng.poisson(2.0, (3, 4)).astype(float),)),
    ModuleInfo("GaussianNLLLoss", lambda: nn.GaussianNLLLoss(full=True), _x(3, 4),
               targets=lambda rng: (rng.normal(size=(3, 4)), rng.uniform(0.5, 2, (3,)))),
    ModuleInfo("SoftMarginLoss", lambda: nn.SoftMarginLoss(), _x(3, 4),
               targets=lambda rng: (np.sign(rng.normal(size=(3, 4))),)),
    ModuleInfo("MultiLabelSoftMarginLoss", lambda: nn.MultiLabelSoftMarginLoss(
        weight=ag.tensor([1.0, 0.5, 2.0, 1.5])), _x(3, 4),
        targets=lambda rng: (rng.integers(0, 2, (3, 4)).astype(float),)),
    ModuleInfo("MultiMarginLoss", lambda: nn.MultiMarginLoss(), _x(4, 5),
               targets=_classes(4, 5)),
    ModuleInfo("MultiMarginLoss_p2_weight", lambda: nn.MultiMarginLoss(
        p=2, margin=0.5, weight=ag.tensor([1.0, 2.0, 0.5]), reduction="none"), _x(4, 3),
        targets=_classes(4, 3)),
    ModuleInfo("MultiLabelMarginLoss", lambda: nn.MultiLabelMarginLoss(),
               lambda rng: (rng.uniform(-2, 2, (2, 4)) + np.arange(4) * 0.3,),
               targets=lambda rng: (np.array([[3, 0, -1, 1], [1, 2, 3, -1]]),)),
    # PyTorch's gradient convention (exp(log_probs) - posteriors) is the derivative for
    # log_softmax outputs, not for free log_probs: checked through log_softmax in the op
    # registry (F.ctc_loss) instead of here
    ModuleInfo("CTCLoss", lambda: nn.CTCLoss(blank=1, zero_infinity=True),
               lambda rng: (np.log(rng.dirichlet(np.ones(4), (6, 2))),),
               targets=lambda rng: (np.array([[0, 2, 2], [3, 0, 0]]), np.array([6, 5]),
                                    np.array([3, 1])), gradcheck=False),
]

_names = [m.name for m in MODULES]
assert len(_names) == len(set(_names)), "duplicate names in the module registry"
