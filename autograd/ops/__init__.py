"""The op families; importing this package attaches every op to Tensor.

pointwise  - elementwise math and operators, with PyTorch's dtype promotion
reduction  - sum, mean, prod, max/min, var/std, logsumexp, norm, softmax
shape      - views, casts, cat/stack/split, pad, tril/triu, flip, repeat
indexing   - x[idx], x[idx] = v, gather, scatter, index_select, masked ops
linalg     - matmul (1-D, 2-D, batched) and linear
"""

from . import indexing, linalg, pointwise, reduction, shape  # noqa: F401

# isort: split
# (the families below build on those above)
from . import cumulative, sorting, special, statistics  # noqa: F401
