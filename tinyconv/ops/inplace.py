"""In-place operations, as PyTorch users write them: x += y, x.add_(y), x.zero_(), x[i] = v, ...

Every in-place method of Tensor describes its result out of place (a function of the old value) and
hands it to `apply_in_place`, which decides, as PyTorch does, among three cases:

1. Outside the graph (under `no_grad()`, or when nothing involved requires grad): the tensor's array
   is overwritten in place. Identity, leaf status and requires_grad stay, and every other holder of
   the array (an optimizer, a NumPy array from `from_numpy`) sees the change. This is how a learner
   writes an optimizer step by hand: `with no_grad(): w -= lr * w.grad`.
2. A leaf that requires grad, with grad mode on: refused, with PyTorch's error. Its `.grad` is the
   gradient of the value it had when it was used; changing that value behind the graph's back would
   make the gradient lie.
3. Inside the graph (a non-leaf, `h = a * 2; h += 1`, or a tensor updated with one that requires
   grad, `out[:, t] = h`): the tensor takes the out-of-place result as its new value *and history*.
   Its old value stays in the graph, untouched, for the backward of whatever made it. A tensor with
   no history yet (`out`) has the new values written into its own memory, as in PyTorch, so that a
   view of it or a NumPy array sharing it sees them. Refused, rather than silently different from
   PyTorch: a tensor that an operation recorded for backward has already used (that operation's
   gradient would reach the new history instead of the old one: PyTorch rewires such a graph), and
   a view made in the graph (`row = h[0]; row += 1`: PyTorch would change h as well).

Each in-place change adds 1 to the tensor's version counter (`_version`). If a Function saved the
old array for its backward and the array was then changed in place (case 1), backward() finds the
version changed and refuses, rather than compute a gradient from the new values (autograd.py).
"""

from __future__ import annotations

import weakref

from tinyconv.autograd import is_grad_enabled, no_grad
from tinyconv.backend import get_array_module
from tinyconv.ops.shape import SetItem, unwrap_index
from tinyconv.tensor import Tensor, where


def apply_in_place(tensor: Tensor, compute, operands: tuple, name: str) -> Tensor:
    """Make `tensor` hold compute(tensor), in place; `operands` are the other tensors compute reads.

    compute(old) must return a Tensor of old's shape (or one that broadcasts to it). Returns tensor.
    """
    in_graph = is_grad_enabled() and (
        tensor.requires_grad or any(isinstance(t, Tensor) and t.requires_grad for t in operands)
    )
    if in_graph and tensor.is_leaf and tensor.requires_grad:
        raise RuntimeError(
            f"{name}: a leaf tensor that requires grad is being used in an in-place operation. "
            "Update it under `with tinyconv.no_grad():` (as an optimizer step does), or write the "
            "operation out of place (x = x + 1), which makes a new tensor"
        )
    if in_graph and tensor._uses:
        raise RuntimeError(
            f"{name}: this tensor was already used by {tensor._uses} operation(s) recorded for backward, "
            "and changing it in place would send their gradients into its new value. Write the "
            "operation out of place (h = h + 1, or torch.stack/cat to assemble a result) instead"
        )
    if in_graph and tensor.grad_fn is not None:
        check_not_a_view(tensor, name)
        old = stand_in(tensor)
        result = fit_result(compute(old), tensor, name)
        take_over(tensor, result)
    elif in_graph:
        # No history yet (a tensor that did not require grad, updated with one that does): its
        # memory is written, as PyTorch does, so that everything sharing it (a view, a NumPy array)
        # sees the change; the values before the change are kept in a copy, for the graph.
        result = fit_result(compute(Tensor(tensor.data.copy())), tensor, name)
        write_array(tensor, result.data, name)
        take_over(tensor, result, keep_memory=True)
    else:
        with no_grad():
            result = fit_result(compute(tensor), tensor, name)
        write_array(tensor, result.data, name)
    tensor._version += 1
    return tensor


def set_item(tensor: Tensor, index, value: Tensor) -> None:
    """tensor[index] = value. Outside the graph the values are written straight into the array (no
    copy of the rest, so a loop filling a big tensor row by row stays cheap); inside it, SetItem records
    the write so that gradients reach `value` and skip the overwritten places."""
    in_graph = is_grad_enabled() and (tensor.requires_grad or value.requires_grad)
    if in_graph:
        apply_in_place(
            tensor, lambda old: SetItem(index)(old, value.cast(old.dtype)), (value,), "x[...] = value"
        )
        return
    # A single number is converted as PyTorch converts it (t[0] = 2.5 in an int tensor writes 2);
    # an array of values must fit the tensor's dtype.
    xp = get_array_module(value.data)
    if value.ndim and not xp.can_cast(value.dtype, tensor.dtype, casting="same_kind"):
        raise RuntimeError(
            f"x[...] = value: values of dtype {value.dtype} cannot be written into a tensor of dtype "
            f"{tensor.dtype}; convert them first (.to({tensor.dtype}))"
        )
    writable(tensor, "x[...] = value")
    tensor.data[unwrap_index(index)] = value.data
    tensor._version += 1


def replaced(old: Tensor, new) -> Tensor:
    """`new` (a number or tensor, broadcast to old's shape) as a result that replaces `old`: in the
    graph its gradient reaches `new` and nothing reaches `old` (fill_, copy_, uniform_, normal_)."""
    keep_nothing = get_array_module(old.data).ones(old.shape, dtype=bool)
    return where(keep_nothing, new, old)


def fit_result(result: Tensor, tensor: Tensor, name: str) -> Tensor:
    """The result of an in-place op, checked to fit the tensor it will be written into.

    Shape: an in-place op cannot grow its tensor (x of shape (3,) += y of shape (2, 3) is refused,
    as in PyTorch). Dtype: the result is cast to the tensor's dtype if NumPy's 'same_kind' rule
    allows it (float64 into float32 yes, float into an int tensor no).
    """
    if result.shape != tensor.shape:
        xp = get_array_module(result.data)
        try:
            xp.broadcast_shapes(result.shape, tensor.shape)
            grows = xp.broadcast_shapes(result.shape, tensor.shape) != tensor.shape
        except ValueError:
            grows = True
        if grows:
            raise RuntimeError(
                f"{name}: the result has shape {result.shape}, which does not fit the tensor's shape "
                f"{tensor.shape}: an in-place operation cannot change its tensor's shape"
            )
        result = result.expand(tensor.shape)
    if result.dtype != tensor.dtype:
        if not get_array_module(result.data).can_cast(result.dtype, tensor.dtype, casting="same_kind"):
            raise RuntimeError(
                f"{name}: the result has dtype {result.dtype}, which cannot be written into a tensor of "
                f"dtype {tensor.dtype} (in place, the tensor keeps its dtype); convert first, e.g. "
                f"x = x.to({result.dtype})"
            )
        result = result.to(tensor.dtype)
    return result


def write_array(tensor: Tensor, values, name: str) -> None:
    """Copy `values` into the tensor's own array (the same memory, so every holder sees it)."""
    writable(tensor, name)
    tensor.data[...] = values


def writable(tensor: Tensor, name: str) -> None:
    """Refuse to write into memory that NumPy marks read-only (expand's broadcast views)."""
    if not tensor.data.flags.writeable:
        raise RuntimeError(
            f"{name}: this tensor's memory cannot be written (it is a broadcast view from expand(), where "
            "one element stands for many); use .clone() first"
        )


def stand_in(tensor: Tensor) -> Tensor:
    """A new Tensor object that takes `tensor`'s place in the graph, holding its current value.

    The Function that made `tensor` (if any) is told that its output is now the stand-in, so the
    graph as it was before the update stays intact, with `tensor` free to take a new history.
    """
    old = Tensor(tensor.data)
    old.requires_grad, old.grad_fn = tensor.requires_grad, tensor.grad_fn
    if tensor.grad_fn is not None:
        replace_output(tensor.grad_fn, tensor, old)
    return old


def take_over(tensor: Tensor, result: Tensor, keep_memory: bool = False) -> None:
    """Make `tensor` be `result`: its value (its array, or with keep_memory the same values already
    written into its own), requires_grad and the Function that made it."""
    if not keep_memory:
        tensor.data = result.data
    tensor.requires_grad, tensor.grad_fn = result.requires_grad, result.grad_fn
    if result.grad_fn is not None:
        replace_output(result.grad_fn, result, tensor)


def check_not_a_view(tensor: Tensor, name: str) -> None:
    """Refuse an in-place change, inside the graph, of a tensor that shares its memory with the tensor
    it was made from (by view, reshape, transpose, indexing, ...).

    In PyTorch the change would show in that other tensor too, and both would take a new history.
    Here the changed tensor takes a new value of its own, so the other would silently keep the old
    values: refused instead.
    """
    xp = get_array_module(tensor.data)
    for source in tensor.grad_fn.inputs:
        if isinstance(source, Tensor) and xp.may_share_memory(source.data, tensor.data):
            raise RuntimeError(
                f"{name}: this tensor is a view of another one (it shares the memory of the input of "
                f"{type(tensor.grad_fn).__name__}), and an in-place change inside the graph would not "
                "reach that other tensor here, as it would in PyTorch. Write the change out of place "
                "(y = x + 1, tinyconv.where(mask, new, x), tinyconv.cat(...)), or make the view a copy "
                "first with .clone()"
            )


def replace_output(function, current: Tensor, replacement: Tensor) -> None:
    """Point the Function's (weak) reference to its output `current` at `replacement` instead."""
    function.outputs = [
        weakref.ref(replacement) if reference() is current else reference for reference in function.outputs
    ]
