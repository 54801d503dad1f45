"""Named result tuples, as `torch.return_types`: `ag.sort(x).values`, `ag.linalg.svd(a).S`.

Each is a namedtuple (indexing and unpacking work as for a tuple) that prints as PyTorch's:
`autograd.return_types.sort(values=tensor(...), indices=tensor(...))`.
"""

from __future__ import annotations

from collections import namedtuple


def _make(name: str, fields: str) -> type:
    base = namedtuple(name, fields)

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"autograd.return_types.{name}(\n{body})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__,
                                "__module__": "autograd.return_types"})


max = _make("max", "values indices")   # noqa: A001  (PyTorch's names)
min = _make("min", "values indices")   # noqa: A001
sort = _make("sort", "values indices")
topk = _make("topk", "values indices")
kthvalue = _make("kthvalue", "values indices")
median = _make("median", "values indices")
nanmedian = _make("nanmedian", "values indices")
mode = _make("mode", "values indices")
cummax = _make("cummax", "values indices")
cummin = _make("cummin", "values indices")
aminmax = _make("aminmax", "min max")
slogdet = _make("slogdet", "sign logabsdet")
linalg_slogdet = _make("linalg_slogdet", "sign logabsdet")
linalg_inv_ex = _make("linalg_inv_ex", "inverse info")
linalg_cholesky_ex = _make("linalg_cholesky_ex", "L info")
linalg_solve_ex = _make("linalg_solve_ex", "result info")
linalg_qr = _make("linalg_qr", "Q R")
qr = _make("qr", "Q R")
linalg_svd = _make("linalg_svd", "U S Vh")
svd = _make("svd", "U S V")
linalg_eigh = _make("linalg_eigh", "eigenvalues eigenvectors")
linalg_eig = _make("linalg_eig", "eigenvalues eigenvectors")
linalg_lstsq = _make("linalg_lstsq", "solution residuals rank singular_values")
frexp = _make("frexp", "mantissa exponent")
