"""autograd: a reverse-mode automatic differentiation engine on numpy, with PyTorch's API.

    import autograd as ag
    x = ag.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    (x.tanh() @ x.T).sum().backward()
    x.grad
"""


from . import (
    _conflicts,  # noqa: F401  (first: warns if HIPS autograd's files are mixed with ours)
    _float_warnings,  # noqa: F401  (numpy's log(0) / overflow warnings: silent, as PyTorch)
    _malloc,  # noqa: F401  (keeps freed memory for reuse between steps)
    accelerator,  # torch.accelerator, torch.backends, torch.cuda as on a CPU-only build
    amp,  # noqa: F401  (torch.amp: autocast, GradScaler)
    backends,
    cpu,  # noqa: F401
    cuda,
    linalg,  # noqa: F401  (torch.linalg; attaches det, inverse, qr, svd, ... to Tensor)
    ops,  # noqa: F401  (attaches the ops to Tensor)
)
from .amp import autocast, get_autocast_dtype, is_autocast_enabled
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .creation import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    arange,
    as_tensor,
    asarray,
    empty,
    empty_like,
    eye,
    from_dlpack,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    scalar_tensor,
    tensor,
    zeros,
    zeros_like,
)
from .device import device, get_default_device, set_default_device
from .dtypes import (
    bool,
    can_cast,
    double,
    dtype,
    finfo,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    iinfo,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    result_type,
    set_default_dtype,
    uint8,
)
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .gradients import backward, grad
from .histogram import bincount, histc, histogram, histogramdd
from .linalg.decompositions import qr_deprecated as qr
from .linalg.decompositions import svd_deprecated as svd
from .linalg.functions import cross_legacy as cross
from .linalg.functions import matrix_exp
from .linalg.inverses import cholesky_deprecated as cholesky
from .linalg.inverses import det, inverse, logdet, matrix_power, pinverse, slogdet
from .ops.bessel import i0
from .ops.compare import allclose, equal, isclose
from .ops.cumulative import (
    cummax,
    cummin,
    cumprod,
    cumulative_trapezoid,
    diff,
    logcumsumexp,
    trapezoid,
)
from .ops.gamma import digamma, lgamma, mvlgamma, polygamma
from .ops.indexing import (
    gather,
    index_put,
    index_select,
    scatter,
    scatter_add,
    unravel_index,
)
from .ops.linalg import bmm, dot, inner, linear, matmul, mm, mv, outer
from .ops.matrices import (
    adjoint,
    block_diag,
    diag,
    diag_embed,
    diagflat,
    diagonal,
    trace,
    tril_indices,
    triu_indices,
    vander,
)
from .ops.pointwise import (
    abs,
    acos,
    acosh,
    add,
    addcdiv,
    addcmul,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    bitwise_and,
    bitwise_or,
    bitwise_xor,
    ceil,
    clamp,
    clamp_max,
    clamp_min,
    cos,
    cosh,
    deg2rad,
    div,
    eq,
    erf,
    exp,
    exp2,
    expm1,
    fix,
    floor,
    floor_divide,
    fmod,
    frac,
    ge,
    gt,
    isfinite,
    isinf,
    isnan,
    le,
    lerp,
    log,
    log1p,
    log2,
    log10,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    masked_fill,
    maximum,
    minimum,
    mul,
    ne,
    neg,
    pow,
    rad2deg,
    reciprocal,
    relu,
    remainder,
    round,
    rsqrt,
    rsub,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    sub,
    tan,
    tanh,
    trunc,
    where,
)
from .ops.products import (
    addbmm,
    addmm,
    addmv,
    addr,
    baddbmm,
    cdist,
    cosine_similarity,
    dist,
    einsum,
    kron,
    tensordot,
)
from .ops.rearrange import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    cartesian_prod,
    column_stack,
    combinations,
    dsplit,
    dstack,
    fliplr,
    flipud,
    hsplit,
    hstack,
    meshgrid,
    repeat_interleave,
    roll,
    rot90,
    row_stack,
    tensor_split,
    tile,
    vsplit,
    vstack,
)
from .ops.reduction import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    cumsum,
    log_softmax,
    logsumexp,
    max,
    mean,
    min,
    norm,
    prod,
    renorm,
    softmax,
    std,
    sum,
    var,
)
from .ops.selection import (
    argwhere,
    diagonal_scatter,
    index_add,
    index_copy,
    index_fill,
    index_reduce,
    masked_scatter,
    masked_select,
    nonzero,
    put,
    scatter_reduce,
    select_scatter,
    slice_scatter,
    take,
    take_along_dim,
)
from .ops.set_ops import isin, unique, unique_consecutive
from .ops.shape import (
    broadcast_shapes,
    broadcast_tensors,
    broadcast_to,
    cat,
    chunk,
    clone,
    concat,
    concatenate,
    expand,
    flatten,
    flip,
    is_conj,
    is_inference,
    is_neg,
    is_same_size,
    is_signed,
    movedim,
    narrow,
    narrow_copy,
    pad,
    permute,
    ravel,
    repeat,
    reshape,
    resolve_conj,
    resolve_neg,
    select,
    split,
    split_with_sizes,
    squeeze,
    stack,
    t,
    transpose,
    tril,
    triu,
    unbind,
    unflatten,
    unsqueeze,
)
from .ops.sorting import argsort, bucketize, kthvalue, msort, searchsorted, sort, topk
from .ops.special import (
    copysign,
    erfc,
    erfinv,
    float_power,
    fmax,
    fmin,
    frexp,
    gcd,
    heaviside,
    hypot,
    isneginf,
    isposinf,
    lcm,
    ldexp,
    logaddexp,
    logaddexp2,
    logit,
    nan_to_num,
    nextafter,
    positive,
    sgn,
    signbit,
    sinc,
    xlogy,
)
from .ops.statistics import (
    aminmax,
    corrcoef,
    count_nonzero,
    cov,
    median,
    mode,
    nanmean,
    nanmedian,
    nanquantile,
    nansum,
    quantile,
    std_mean,
    var_mean,
)
from .ops.strided import as_strided, as_strided_
from .out_arg import add_out_arguments
from .random import (
    Generator,
    bernoulli,
    binomial,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    multinomial,
    normal,
    poisson,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
)
from .settings import (
    are_deterministic_algorithms_enabled,
    compile,
    get_float32_matmul_precision,
    get_num_threads,
    is_deterministic_algorithms_warn_only_enabled,
    set_float32_matmul_precision,
    set_num_threads,
    set_printoptions,
    use_deterministic_algorithms,
)
from .tensor import (
    RemovableHandle,
    Size,
    Tensor,
    channels_last,
    channels_last_3d,
    contiguous_format,
    layout,
    memory_format,
    preserve_format,
    strided,
)

clip = clamp
multiply, subtract, divide, true_divide, negative = mul, sub, div, div, neg
absolute, arcsin, arccos, arctan, arctan2 = abs, asin, acos, atan, atan2
arccosh, arcsinh, arctanh = acosh, asinh, atanh
greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne
swapaxes = swapdims = transpose
moveaxis = movedim
ger = outer
vdot = dot
Tensor.ger, Tensor.vdot = outer, dot
trapz = trapezoid


def chain_matmul(*matrices: Tensor) -> Tensor:
    """The product of the matrices (deprecated in PyTorch: use linalg.multi_dot)."""
    return linalg.multi_dot(matrices)


def Variable(data: Tensor, requires_grad: bool = False, volatile: bool = False) -> Tensor:  # noqa: N802
    """The deprecated `torch.autograd.Variable(t)`: a new leaf sharing t's data (detached),
    requiring grad if asked."""
    return data.detach().requires_grad_(requires_grad)


def is_nonzero(x: Tensor) -> bool:
    """The truth of a one-element tensor (PyTorch's errors for more or fewer)."""
    return x.__bool__()


def is_complex(x: Tensor) -> bool:
    return False   # (no complex dtypes here)


def numel(x: Tensor) -> int:
    return x.numel()


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(x: Tensor) -> bool:
    return x.is_floating_point()


add_out_arguments(globals())   # out= on the functions PyTorch gives it (out_arg.py)


def __getattr__(name: str):
    # subpackages and features that load on first use
    import importlib
    if name in ("functional", "viz", "data", "testing", "serialization", "checkpoint", "onnx",
                "distributions", "special"):
        return importlib.import_module(f"{__name__}.{name}")
    if name in ("save", "load"):
        return getattr(importlib.import_module(f"{__name__}.serialization"), name)
    # PyTorch's spellings through the top-level module, for programs that only swapped
    # `import torch`: torch.autograd.grad, torch.nn.Linear, torch.optim.SGD,
    # torch.utils.data.DataLoader (nothing is imported until they are used)
    if name == "autograd":
        return importlib.import_module(__name__)
    if name in ("nn", "optim"):
        return importlib.import_module(name)
    if name == "utils":
        import types
        return types.SimpleNamespace(data=importlib.import_module(f"{__name__}.data"),
                                     checkpoint=importlib.import_module(f"{__name__}.checkpoint"))
    raise AttributeError(f"module 'autograd' has no attribute '{name}'")


__version__ = "0.1.0"
