"""Higher-order functional API, as `torch.autograd.functional`.

`vjp jvp jacobian hessian hvp vhp`, for functions of one tensor or a tuple of tensors that
return one tensor or a tuple of tensors. Everything is built on reverse mode:

- `jvp` and `hvp` use the double-vjp trick: `u -> J'u` is linear in `u`, so the gradient
  of `<J'u, v>` with respect to `u` is `J v`.
- `jacobian` runs the function once, keeps its graph (`retain_graph=True`) and takes one
  vector-Jacobian product per output element (one row of J per backward pass); it never
  re-runs the forward pass. With `vectorize=True, strategy='forward-mode'` it instead builds
  the graph of `u -> J'u` once and takes one product per *input* element (one column per
  pass), the cheaper choice when the function has more outputs than inputs.
- `hessian` is the `jacobian` of the `create_graph=True` gradient: one forward pass, one
  first-order backward, then one backward through the gradient's graph per input element.

This engine has no batched backward (`is_grads_batched`), so neither direction can do all
rows in one pass; see docs/testing.md for measured costs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import grad_mode
from .gradients import grad as _grad
from .tensor import Tensor, _make

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# -- helpers (PyTorch's structure and messages) --------------------------------------------

def _as_tuple(inp, arg_name: str, fn_name: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(inp, tuple)
    items = inp if is_tuple else (inp,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = (f"value at index {i} has type {type(el)}" if is_tuple
                     else f"given {arg_name} has type {type(el)}")
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                            f"tuple of Tensors but the {where}.")
    return is_tuple, items


def _tuple_postprocess(res, to_unpack):
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    """Fresh tensors to differentiate with respect to; still linked to the caller's graph
    when `create_graph` (so the results can be differentiated again)."""
    res = []
    for inp in inputs:
        if create_graph and inp.requires_grad:
            res.append(inp.view_as(inp))
        else:
            res.append(inp.detach().requires_grad_(need_graph))
    return tuple(res)


def _grad_postprocess(inputs, create_graph: bool):
    if isinstance(inputs[0], Tensor) or inputs[0] is None:
        if create_graph:
            return tuple(inputs)
        return tuple(None if t is None else t.detach() for t in inputs)
    return tuple(_grad_postprocess(el, create_graph) for el in inputs)


def _validate_v(v: tuple, other: tuple, is_other_tuple: bool) -> None:
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got "
                               f"{len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.shape != el_other.shape:
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(f"{prepend}v has invalid size: should be {el_other.size()} but "
                               f"got {el_v.size()}.")


def _check_requires_grad(inputs: tuple, input_type: str, strict: bool) -> None:
    if not strict:
        return
    for i, inp in enumerate(inputs):
        if inp is None:
            raise RuntimeError(f"The output of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode.")
        if not inp.requires_grad:
            if input_type == "hessian":
                raise RuntimeError(
                    f"The hessian of the user-provided function with respect to input {i} is "
                    "independent of the input. This is not allowed in strict mode. You should "
                    "ensure that your function is thrice differentiable and that the hessian "
                    "depends on the inputs.")
            if input_type == "jacobian":
                raise RuntimeError(
                    "While computing the hessian, found that the jacobian of the user-provided "
                    f"function with respect to input {i} is independent of the input. This is "
                    "not allowed in strict mode. You should ensure that your function is twice "
                    "differentiable and that the jacobian depends on the inputs (this would be "
                    "violated by a linear function for example).")
            if input_type == "grad_inputs":
                raise RuntimeError(
                    f"The gradient with respect to input {i} is independent of the inputs of "
                    "the user-provided function. This is not allowed in strict mode.")
            raise RuntimeError(
                f"Output {i} of the user-provided function does not require gradients. The "
                "outputs must be computed in a differentiable manner from the input when "
                "running in strict mode.")


def _autograd_grad(outputs: tuple, inputs: tuple, grad_outputs=None, create_graph=False,
                   retain_graph=None) -> tuple:
    """`grad` over the outputs that require grad; None for every input if none does."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return _grad([o for o, _ in pairs], inputs, [g for _, g in pairs], allow_unused=True,
                 create_graph=create_graph, retain_graph=retain_graph)


_STRICT_NONE = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
            "not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
                         "{i} in the grad_jacobian. This is not allowed in strict mode as it "
                         "prevents from using the double backward trick to replace forward "
                         "mode AD.",
}


def _fill_in_zeros(grads: tuple, refs: tuple, strict: bool, create_graph: bool,
                   stage: str) -> tuple:
    res = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_STRICT_NONE[stage].format(i=i))
            g = _make(np.zeros(ref._data.shape, ref._data.dtype))
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode when "
                               "create_graph=True.")
        res.append(g)
    return tuple(res)


def _v_or_none(v, ref: tuple, is_ref_tuple: bool, fn_name: str, create_graph: bool,
               ref_name: str):
    if v is not None:
        _, v = _as_tuple(v, "v", fn_name)
        v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
        _validate_v(v, ref, is_ref_tuple)
        return v
    if len(ref) != 1 or ref[0].numel() != 1:
        raise RuntimeError(f"The vector v can only be None if the {ref_name} a single Tensor "
                           "with a single element.")
    return None


def _single_output(outputs: tuple, is_tuple: bool, fn_name: str) -> None:
    if is_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should "
                           "contain a single element")


# -- the API -------------------------------------------------------------------------------

def _result(outputs, res, create_graph: bool, outputs_tuple: bool, res_tuple: bool) -> tuple:
    """`(func's output, the product)`, detached unless create_graph, unpacked like the inputs
    the user gave (a tuple or a single tensor)."""
    return (_tuple_postprocess(_grad_postprocess(outputs, create_graph), outputs_tuple),
            _tuple_postprocess(_grad_postprocess(res, create_graph), res_tuple))


def vjp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """Return `(func(*inputs), v' J)`: the vector-Jacobian product at `inputs`."""
    with grad_mode.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                              "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        v = _v_or_none(v, outputs, is_outputs_tuple, "vjp", create_graph,
                       "user-provided function returns")
    with grad_mode.set_grad_enabled(create_graph or grad_mode.is_grad_enabled()):
        res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(res, inputs, strict, create_graph, "back")
    return _result(outputs, res, create_graph, is_outputs_tuple, is_inputs_tuple)


def jvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """Return `(func(*inputs), J v)`: the Jacobian-vector product, by the double-vjp trick."""
    with grad_mode.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        v = _v_or_none(v, inputs, is_inputs_tuple, "jvp", create_graph,
                       "input to the user-provided function is")
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                              "jvp")
        _check_requires_grad(outputs, "outputs", strict)
        # u -> J'u is linear: u's value never enters the second backward (zeros are safe)
        us = tuple(_make(np.zeros(o._data.shape, o._data.dtype)).requires_grad_(True)
                   for o in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, us, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
        res = _autograd_grad(grad_inputs, us, v, create_graph=create_graph)
        res = _fill_in_zeros(res, outputs, strict, create_graph, "back_trick")
    return _result(outputs, res, create_graph, is_outputs_tuple, is_outputs_tuple)


def _onehot(n: int, j: int, shape: tuple, dtype) -> Tensor:
    e = np.zeros(n, dtype)
    e[j] = 1
    return _make(e.reshape(shape))


def _assemble(blocks, out: Tensor, inp: Tensor, create_graph: bool, by_rows: bool) -> Tensor:
    """Rows (or columns) of d out / d inp -> a tensor of shape out.shape + inp.shape."""
    shape = tuple(out.shape) + tuple(inp.shape)
    if create_graph:
        from .ops.shape import stack
        if not blocks:
            return _make(np.zeros(shape, inp._data.dtype))
        m = stack([b.reshape(-1) for b in blocks])
        return (m if by_rows else m.T).reshape(shape)
    n_out, n_in = out.numel(), inp.numel()
    dtype = next((b._data.dtype for b in blocks), inp._data.dtype)
    m = np.zeros((n_out, n_in) if by_rows else (n_in, n_out), dtype)
    for j, b in enumerate(blocks):
        m[j] = b._data.reshape(-1)
    return _make((m if by_rows else m.T).reshape(shape))


def _jac_reverse(outputs: tuple, inputs: tuple, create_graph: bool, strict: bool) -> tuple:
    """One vjp per output element, all on the same retained graph."""
    jac = []
    for i, out in enumerate(outputs):
        rows: list[list] = [[] for _ in inputs]
        n = out.numel()
        for j in range(n):
            go = _onehot(n, j, tuple(out._data.shape), out._data.dtype)
            vj = _autograd_grad((out,), inputs, (go,), create_graph=create_graph,
                                retain_graph=True)
            for k, g in enumerate(vj):
                if g is None:
                    if strict:
                        raise RuntimeError(f"Output {i} of the user-provided function is "
                                           f"independent of input {k}. This is not allowed in "
                                           "strict mode.")
                    g = _make(np.zeros(inputs[k]._data.shape, inputs[k]._data.dtype))
                elif strict and create_graph and not g.requires_grad:
                    raise RuntimeError(f"The jacobian of the user-provided function is "
                                       f"independent of input {k}. This is not allowed in "
                                       "strict mode when create_graph=True.")
                rows[k].append(g)
        jac.append(tuple(_assemble(rows[k], out, inputs[k], create_graph, True)
                         for k in range(len(inputs))))
    return tuple(jac)


def _jac_forward(outputs: tuple, inputs: tuple) -> tuple:
    """One column per input element: build u -> J'u once, then differentiate it along
    each one-hot direction (the double-vjp trick, on one retained graph)."""
    us = tuple(_make(np.zeros(o._data.shape, o._data.dtype)).requires_grad_(True)
               for o in outputs)
    gi = _autograd_grad(outputs, inputs, us, create_graph=True)
    cols: list[list[list]] = [[[] for _ in inputs] for _ in outputs]
    for k, (g, inp) in enumerate(zip(gi, inputs)):
        n = inp.numel()
        for j in range(n):
            if g is None or not g.requires_grad:
                res = (None,) * len(outputs)
            else:
                e = _onehot(n, j, tuple(g._data.shape), g._data.dtype)
                res = _grad(g, us, e, retain_graph=True, allow_unused=True)
            for i, c in enumerate(res):
                if c is None:
                    c = _make(np.zeros(outputs[i]._data.shape, inp._data.dtype))
                cols[i][k].append(c)
    return tuple(tuple(_assemble(cols[i][k], out, inputs[k], False, False)
                       for k in range(len(inputs))) for i, out in enumerate(outputs))


def jacobian(func: Callable, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian of `func` at `inputs`: d out / d in has shape `out.shape + in.shape`.

    Tuple inputs give a tuple per input; tuple outputs a tuple (per output) of those.
    `strategy='forward-mode'` (needs `vectorize=True`) builds the Jacobian column by
    column, which costs fewer backward passes when inputs have fewer elements than outputs.
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". '
                         'Hint: If your function has more outputs than inputs, "forward-mode" '
                         'tends to be more performant. Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "autograd.functional.jacobian: `create_graph=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`create_graph=False` or `strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError(
                'autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are '
                'not supported together (yet). Please either set `strict=False` or '
                '`strategy="reverse-mode"`.')
        if not vectorize:
            raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-"
                                      "reverse Hessian is only implemented for `vectorize=True`.")
    if strict and vectorize:
        raise RuntimeError("autograd.functional.jacobian: `strict=True` and `vectorized=True` "
                           "are not supported together. Please either set `strict=False` or "
                           "`vectorize=False`.")
    with grad_mode.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                              "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        if strategy == "forward-mode":
            jac = _jac_forward(outputs, inputs)
        else:
            jac = _jac_reverse(outputs, inputs, create_graph, strict)
    jac = _grad_postprocess(jac, create_graph)
    return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def hessian(func: Callable, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a scalar `func`: the `jacobian` of its `create_graph=True` gradient.

    For tuple inputs, `H[i][j]` has shape `inputs[i].shape + inputs[j].shape`.
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_func(*inp):
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function",
                                        "hessian")
        _check_requires_grad(t_out, "outputs", strict)
        _single_output(t_out, is_out_tuple, "hessian")
        return out.reshape(())

    def jac_func(*inp):
        jac = jacobian(scalar_func, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


def _hessian_setup(func, inputs, v, create_graph, strict, fn_name):
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
    v = _v_or_none(v, inputs, is_inputs_tuple, fn_name, create_graph,
                   "input to the user-provided function is")
    outputs = func(*inputs)
    is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                          fn_name)
    _check_requires_grad(outputs, "outputs", strict)
    _single_output(outputs, is_outputs_tuple, fn_name)
    jac = _autograd_grad(outputs, inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict)
    return is_inputs_tuple, is_outputs_tuple, inputs, outputs, v, jac


def vhp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """Return `(func(*inputs), v' H)` for a scalar `func`."""
    with grad_mode.enable_grad():
        is_in_t, is_out_t, inputs, outputs, v, jac = _hessian_setup(func, inputs, v,
                                                                   create_graph, strict, "vhp")
    with grad_mode.set_grad_enabled(create_graph or grad_mode.is_grad_enabled()):
        res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(res, inputs, strict, create_graph, "double_back")
    return _result(outputs, res, create_graph, is_out_t, is_in_t)


def hvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """Return `(func(*inputs), H v)` for a scalar `func`, by the double-vjp trick."""
    with grad_mode.enable_grad():
        is_in_t, is_out_t, inputs, outputs, v, jac = _hessian_setup(func, inputs, v,
                                                                   create_graph, strict, "hvp")
        grad_jac = tuple(_make(np.zeros(t._data.shape, t._data.dtype)).requires_grad_(True)
                         for t in inputs)
        double_back = _autograd_grad(jac, inputs, grad_jac, create_graph=True)
        _check_requires_grad(jac, "hessian", strict)
        res = _autograd_grad(double_back, grad_jac, v, create_graph=create_graph)
        res = _fill_in_zeros(res, inputs, strict, create_graph, "double_back_trick")
    return _result(outputs, res, create_graph, is_out_t, is_in_t)
