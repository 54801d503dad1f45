"""The torch functions and Tensor methods of the surface issue exist under PyTorch's names
(and in-place forms where PyTorch has them), and nothing PyTorch lacks is added to
Tensor under these names."""

from __future__ import annotations

import pytest

import autograd as ag

NAMES = """einsum tensordot topk sort argsort msort cumsum cumprod cummax cummin logcumsumexp
roll flip fliplr flipud rot90 diag diagonal diag_embed diagflat trace tril triu tril_indices
triu_indices meshgrid outer kron repeat_interleave tile addmm addmv addbmm baddbmm bmm cdist
atan2 hypot erf erfc erfinv logit xlogy sinc nan_to_num clamp lerp masked_select
masked_scatter take take_along_dim index_add index_copy index_fill scatter_reduce nonzero
argwhere unique unique_consecutive searchsorted bucketize median nanmedian quantile
nanquantile mode std_mean var_mean aminmax isclose allclose equal count_nonzero isnan isinf
isfinite isneginf isposinf signbit sign sgn frac trunc round fmod remainder logaddexp
logaddexp2 cosine_similarity movedim moveaxis swapaxes swapdims unflatten narrow unbind
hstack vstack dstack column_stack row_stack atleast_1d atleast_2d atleast_3d broadcast_to
broadcast_tensors broadcast_shapes block_diag cartesian_prod combinations chunk tensor_split
hsplit vsplit dsplit cumulative_trapezoid trapezoid trapz diff gcd lcm clone flatten ravel
amax amin nansum nanmean det logdet slogdet inverse pinverse matrix_exp matrix_power
cholesky qr svd cross kthvalue ger vdot chain_matmul""".split()

LINALG = """norm vector_norm matrix_norm inv inv_ex det slogdet solve solve_ex lstsq cholesky
cholesky_ex qr svd svdvals eigh eigvalsh eig eigvals pinv matrix_power matrix_exp
matrix_rank cross vecdot multi_dot diagonal vander solve_triangular cond matmul
LinAlgError""".split()


def test_every_function_and_method_exists_as_in_pytorch():
    torch = pytest.importorskip("torch")
    for name in NAMES:
        assert hasattr(ag, name) == hasattr(torch, name), name
        for method in (name, name + "_"):
            if method in ("swapaxes_", "swapdims_"):   # in-place transposes: not supported
                continue
            assert hasattr(ag.Tensor, method) == hasattr(torch.Tensor, method), method
    for name in LINALG:
        assert hasattr(torch.linalg, name) and hasattr(ag.linalg, name), name


def test_the_functions_exist_without_pytorch():
    for name in NAMES:
        assert callable(getattr(ag, name)), name
    for name in LINALG:
        assert hasattr(ag.linalg, name), name
