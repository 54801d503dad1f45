"""The op families; importing this package attaches every op to Tensor.

pointwise  - elementwise math and operators, with PyTorch's dtype promotion
reduction  - sum, mean, prod, max/min, var/std, logsumexp, norm, softmax
shape      - views, casts, cat/stack/split, pad, tril/triu, flip, repeat
strided    - as_strided: a view of the storage by sizes, strides and offset
indexing   - x[idx], x[idx] = v, gather, scatter, index_select, masked ops
linalg     - matmul (1-D, 2-D, batched) and linear
special    - erfc, erfinv, logit, xlogy, sinc, logaddexp, hypot, nan_to_num, sgn, entr, ndtri, ...
gamma      - lgamma, digamma, polygamma, mvlgamma, zeta
bessel     - i0, i0e, i1, i1e
sorting    - sort, argsort, topk, kthvalue, searchsorted, bucketize
statistics - median, quantile, mode, aminmax, std_mean, nansum, count_nonzero
cumulative - cumprod, cummax/cummin, logcumsumexp, diff, trapezoid
rearrange  - roll, rot90, tile, repeat_interleave, the stacks and splits, meshgrid
matrices   - diagonal, diag, diag_embed, trace, block_diag, tril/triu_indices
products   - einsum, tensordot, kron, addmm family, cdist, cosine_similarity
selection  - index_add/copy/fill, scatter_reduce, masked_select/scatter, take, nonzero
set_ops    - unique, unique_consecutive
compare    - isclose, allclose, equal
(torch.linalg is the package autograd/linalg.)
"""

from . import indexing, linalg, pointwise, reduction, shape  # noqa: F401

# isort: split
# (the families below build on those above)
from . import (  # noqa: F401
    bessel,
    compare,
    cumulative,
    gamma,
    matrices,
    products,
    rearrange,
    selection,
    set_ops,
    sorting,
    special,
    statistics,
    strided,
)
