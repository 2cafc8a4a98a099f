"""Reverse-mode automatic differentiation: `Function`, the backward pass, and `no_grad`.

The whole idea fits in the classic example from the backprop lecture (cs231n):

    q = x + y        dq/dx = 1,  dq/dy = 1
    f = q * z        df/dq = z,  df/dz = q

Walking backwards from f, every operation multiplies the gradient that reaches its output
(the *upstream* gradient) by its own *local* gradient and passes the product on to its inputs:

    df/dz = q            = 3      (x = -2, y = 5, z = -4)
    df/dq = z            = -4
    df/dx = df/dq * 1    = -4
    df/dy = df/dq * 1    = -4

Each operation is a `Function` subclass with a hand-written `forward` and `backward`;
`backward()` below visits them in reverse topological order and does the bookkeeping: it sums
the gradients of a tensor that feeds several operations, sums the gradient of a broadcast operand
back to its shape, and frees the graph afterwards. docs/engine.md walks through it line by line.
"""

from __future__ import annotations

import functools
import weakref

from tinyconv.backend import device_of, get_array_module, is_array
from tinyconv.tensor import Tensor

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True unless inside `no_grad()`: whether operations record the graph for backward."""
    return _grad_enabled


class set_grad_enabled:
    """Turn recording on or off, as torch.set_grad_enabled: as a call, `set_grad_enabled(False)`, it
    switches at once; as `with set_grad_enabled(mode):` it switches back at the end of the block; as
    a decorator, `@set_grad_enabled(mode)`, the function runs in that mode."""

    def __init__(self, mode: bool):
        global _grad_enabled
        self.mode = bool(mode)
        self.previous = _grad_enabled
        _grad_enabled = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exception) -> None:
        global _grad_enabled
        _grad_enabled = self.previous

    def __call__(self, function):
        set_grad_enabled(self.previous)  # decorating switches nothing; each call to the function does
        return in_grad_mode(function, self.mode)


class GradMode:
    """A block, or a decorated function, that runs with recording switched to `mode` and then back
    (no_grad and enable_grad below). Works as `with no_grad():`, `@no_grad()` and `@no_grad`."""

    mode = False

    def __new__(cls, function=None):
        instance = super().__new__(cls)
        return instance if function is None else instance(function)  # @no_grad, without parentheses

    def __enter__(self):
        global _grad_enabled
        self.previous = _grad_enabled
        _grad_enabled = self.mode

    def __exit__(self, *exception) -> None:
        global _grad_enabled
        _grad_enabled = self.previous

    def __call__(self, function):
        return in_grad_mode(function, self.mode)


class no_grad(GradMode):  # noqa: N801 (PyTorch's name)
    """Run a block without recording the graph: no Function keeps its inputs, nothing has a grad.

    Use it for evaluation and for parameter updates. Works as `with no_grad():` and as a decorator.
    """

    mode = False


class enable_grad(GradMode):  # noqa: N801 (PyTorch's name)
    """Record the graph again inside a `no_grad()` block (as torch.enable_grad)."""

    mode = True


def inference_mode(mode: bool = True):
    """PyTorch's inference_mode: here the same as no_grad() (or, with mode=False, enable_grad())."""
    return no_grad() if mode else enable_grad()


def in_grad_mode(function, mode: bool):
    """`function`, wrapped so that every call runs with recording switched to `mode`."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        with set_grad_enabled(mode):
            return function(*args, **kwargs)

    return run


class Function:
    """One differentiable operation: `forward` computes on arrays, `backward` applies the chain rule.

    A subclass writes two methods:

        forward(self, *arrays) -> array, or a tuple of arrays for several outputs
            Computes the output from the inputs' arrays and keeps on `self` exactly what backward
            will need (`self.x`, `self.mask`, `self.col`...). Non-tensor arguments (stride, axis...)
            arrive through `__init__`.
        backward(self, *grad_outputs) -> one gradient per input
            Receives dLoss/dOutput for each output (an array of zeros for an output that no
            gradient reached) and returns dLoss/dInput for each input: upstream gradient times
            local gradient. It returns a tuple, or a bare array when there is one input, and may
            return None for an input whose `self.needs_input_grad` entry is False. It never
            modifies the arrays it receives.

    Calling an instance, `Mul()(a, b)`, runs `forward` on the tensors' arrays. When gradients are
    being recorded and some input requires grad, the output remembers this Function as its
    `grad_fn` and the Function remembers its inputs: that link is the graph.
    """

    def __init_subclass__(cls, **kwargs):
        """Checked once, when a subclass is defined: PyTorch's way of writing a Function (static
        methods and a ctx) does not run here, and says so at once, with the form that does."""
        super().__init_subclass__(**kwargs)
        if isinstance(cls.__dict__.get("forward"), staticmethod):
            raise TypeError(PYTORCH_STYLE_FUNCTION.format(name=cls.__name__))

    @classmethod
    def apply(cls, *inputs):
        """`MyFunction.apply(x, y)`, PyTorch's spelling of `MyFunction()(x, y)` (for a Function whose
        __init__ takes no arguments)."""
        return cls()(*inputs)

    def __call__(self, *inputs):
        # Which inputs a gradient must reach; a backward may skip the work for the others
        # (the first conv layer, for instance, never needs the gradient of the images).
        check_one_device(self, inputs)
        self.needs_input_grad = tuple(isinstance(t, Tensor) and t.requires_grad for t in inputs)
        arrays = [t.data if isinstance(t, Tensor) else t for t in inputs]
        result = self.forward(*arrays)
        outputs = result if isinstance(result, tuple) else (result,)
        xp = get_array_module(*outputs)
        # asarray: NumPy returns a scalar, not a 0-d array, from reductions and 0-d arithmetic.
        output_tensors = tuple(Tensor(xp.asarray(array)) for array in outputs)

        if _grad_enabled and any(self.needs_input_grad):
            self.inputs = inputs
            # The inputs' version counters now: backward checks that nothing it needs was changed
            # in place since (see check_unchanged).
            self.input_versions = [t._version if isinstance(t, Tensor) else 0 for t in inputs]
            for t, needed in zip(inputs, self.needs_input_grad):
                if needed:
                    t._uses += 1  # for ops/inplace.py: a used tensor must not take a new history
            # Weak references: a strong one would make a cycle (tensor -> grad_fn -> tensor) that
            # keeps large activations alive until Python's cycle collector happens to run.
            self.outputs = [weakref.ref(t) for t in output_tensors]
            self.output_specs = [(t.shape, t.dtype) for t in output_tensors]
            self.released = False
            for t in output_tensors:
                if t.dtype.kind == "f":  # indices and masks (max's argmax, say) get no gradient
                    t.requires_grad = True
                    t.grad_fn = self
        return output_tensors if isinstance(result, tuple) else output_tensors[0]

    def forward(self, *arrays):
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def release(self) -> None:
        """Forget the inputs and everything forward saved (`self.col`, `self.x`, ...): the graph is
        used up. The tensors and Functions upstream become garbage as soon as the caller lets go of
        them, the saved arrays are freed even while an output lives on, and a second backward()
        through this Function is refused."""
        vars(self).clear()
        self.inputs = ()
        self.released = True

    def backward(self, *grad_outputs):
        raise NotImplementedError(f"{type(self).__name__} does not define backward")


PYTORCH_STYLE_FUNCTION = """{name}: this is PyTorch's way of writing a Function (a static forward(ctx, ...)).
In tinyconv a Function is written with plain methods, on arrays, and keeps on self what backward needs:

    class {name}(tinyconv.autograd.Function):
        def forward(self, x):              # x is an array (NumPy, or CuPy on the GPU)
            self.mask = x > 0              # PyTorch: ctx.save_for_backward(...)
            return x * self.mask
        def backward(self, grad_out):      # one gradient per input: upstream times local
            return grad_out * self.mask

and is called as {name}()(x) or {name}.apply(x). Arguments that are not tensors go to __init__.
docs/engine.md, "Writing your own Function", shows a whole one."""


def check_unchanged(function: Function) -> None:
    """Refuse to run a backward that would read an input changed in place since the forward.

    An input whose version counter moved, and whose array the Function kept (`self.x = x`, or a view
    of it), now holds other numbers than the ones the forward saw: its gradient would be wrong.
    """
    for position, (tensor, version) in enumerate(zip(function.inputs, function.input_versions)):
        if not isinstance(tensor, Tensor) or tensor._version == version:
            continue
        xp = get_array_module(tensor.data)
        kept = [value for value in vars(function).values() if is_array(value)]
        if any(xp.may_share_memory(value, tensor.data) for value in kept):
            raise RuntimeError(
                f"backward(): input {position} of {type(function).__name__} (shape {tensor.shape}) was "
                "changed by an in-place operation (+=, add_, x[...] = ...) after the forward pass used it, "
                "and its backward needs the old values. Make the change after backward(), or out of "
                "place (x = x + 1)"
            )


def check_one_device(function: Function, inputs) -> None:
    """Refuse inputs on two devices: an operation never moves data behind the user's back."""
    devices = [(position, device_of(t.data)) for position, t in enumerate(inputs) if isinstance(t, Tensor)]
    for position, device in devices[1:]:
        if device != devices[0][1]:
            raise ValueError(
                f"{type(function).__name__}: all inputs must be on one device, but input {devices[0][0]} "
                f"is on {devices[0][1]} and input {position} is on {device}; move them with .to('cuda') "
                "or .to('cpu')"
            )


def sum_to_shape(grad, shape):
    """Sum `grad` over the axes that broadcasting stretched, so that it has `shape` again.

    If y = a + b with a of shape (3, 1) and b of shape (4,), y has shape (3, 4) and each a[i, 0]
    was used 4 times: dL/da[i, 0] is the sum of dL/dy[i, :]. In general: sum over the leading axes
    broadcasting added, and over every axis where `shape` has 1 but the gradient does not.
    """
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    extra_axes = grad.ndim - len(shape)
    if extra_axes < 0:
        raise RuntimeError(f"gradient of shape {grad.shape} has fewer axes than its input {shape}")
    if extra_axes:
        grad = grad.sum(axis=tuple(range(extra_axes)))
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and grad.shape[axis] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    if grad.shape != shape:
        raise RuntimeError(f"gradient of shape {grad.shape} cannot be summed to shape {shape}")
    return grad


def topological_order(root: Tensor, first_input_first: bool = False) -> list:
    """The Functions that `root` depends on, each listed after every Function it depends on.

    Depth-first search with an explicit stack rather than recursion, so a chain of thousands of
    operations (an unrolled RNN) does not hit Python's recursion limit. Each stack entry is
    (function, children_done): a function is appended to the order only when it comes off the
    stack the second time, after all the functions that produced its inputs.

    Backward does not mind which input's Function is reached first (the last, as the stack pops);
    first_input_first=True reaches the first one first, the order viz.draw_graph lays a graph out in,
    so that the picture reads like the formula.
    """
    order = []
    visited = set()
    stack = [(root.grad_fn, False)]
    while stack:
        function, children_done = stack.pop()
        if children_done:
            order.append(function)
            continue
        if id(function) in visited:
            continue
        visited.add(id(function))
        if function.released:
            raise RuntimeError(
                "backward() reached a part of the graph that an earlier backward() already freed. "
                "Run the forward pass again, or call the first backward(retain_graph=True)."
            )
        stack.append((function, True))
        # reversed: the first input goes on the stack last, so that it comes off first
        inputs = reversed(function.inputs) if first_input_first else function.inputs
        for tensor in inputs:
            if isinstance(tensor, Tensor) and tensor.grad_fn is not None:
                if id(tensor.grad_fn) not in visited:
                    stack.append((tensor.grad_fn, False))
    return order


def accumulate_leaf_grad(tensor: Tensor, grad) -> None:
    """Add `grad` into a leaf tensor's `.grad` (a fresh array: never one another op still holds)."""
    if tensor.grad is None:
        tensor.grad = grad.copy()
    else:
        tensor.grad = tensor.grad + grad


def backward(root: Tensor, grad=None, retain_graph: bool = False) -> None:
    """Fill `.grad` of every leaf tensor that `root` depends on with dRoot/dLeaf (times `grad`).

    The gradient arriving at `root` is `grad` (default 1 for a scalar). Functions run in reverse
    topological order, so when a Function's backward runs, every gradient of its outputs is
    complete: all the paths from those outputs to `root` have already been summed.
    """
    if not root.requires_grad:
        raise RuntimeError(
            "backward() was called on a tensor that does not require grad: none of the tensors it "
            "was computed from has requires_grad=True (or it was computed under no_grad())"
        )
    grad = initial_grad(root, grad)
    if root.grad_fn is None:  # backward on a leaf: its gradient is the one given
        accumulate_leaf_grad(root, grad)
        return

    order = topological_order(root)
    # Gradients of non-leaf tensors, summed over every path so far, keyed by id(tensor). The tensor
    # itself is kept beside its gradient: once the graph is released, nothing else may hold it.
    pending = {id(root): (root, grad)}
    for function in reversed(order):
        grad_outputs = collect_output_grads(function, pending)
        if grad_outputs is not None:
            check_unchanged(function)
            grad_inputs = function.backward(*grad_outputs)
            pass_to_inputs(function, grad_inputs, pending)
        if not retain_graph:
            function.release()


def collect_output_grads(function: Function, pending: dict):
    """The finished gradients of `function`'s outputs, or None if no gradient reached any of them.

    An output that no gradient reached (the unused half of a two-output Function) gets zeros, so a
    backward never has to test for None.
    """
    grads = []
    for output_ref in function.outputs:
        output = output_ref()
        grad = pending.pop(id(output), (None, None))[1] if output is not None else None
        if grad is not None and output.retains_grad:
            output.grad = grad.copy() if output.grad is None else output.grad + grad
        grads.append(grad)
    if all(g is None for g in grads):
        return None
    xp = get_array_module(*grads)
    return [
        xp.zeros(shape, dtype=dtype) if g is None else g
        for g, (shape, dtype) in zip(grads, function.output_specs)
    ]


def pass_to_inputs(function: Function, grad_inputs, pending: dict) -> None:
    """Hand each input its gradient: into `.grad` for a leaf, into `pending` for an intermediate."""
    if not isinstance(grad_inputs, tuple):
        grad_inputs = (grad_inputs,)
    if len(grad_inputs) != len(function.inputs):
        raise RuntimeError(
            f"{type(function).__name__}.backward returned {len(grad_inputs)} gradients "
            f"for {len(function.inputs)} inputs"
        )
    for position, (tensor, grad) in enumerate(zip(function.inputs, grad_inputs)):
        # needs_input_grad, not tensor.requires_grad: what counts is whether the input required grad
        # when the operation ran (an in-place update may have made it require grad since).
        if not function.needs_input_grad[position] or grad is None:
            continue
        try:
            grad = sum_to_shape(get_array_module(grad).asarray(grad), tensor.shape)
        except RuntimeError as error:
            raise RuntimeError(
                f"{type(function).__name__}.backward returned a gradient of shape {grad.shape} for its "
                f"input {position}, of shape {tensor.shape}: {error}"
            ) from None
        if grad.dtype != tensor.dtype:  # a float64 operand must not turn a float32 gradient into float64
            grad = grad.astype(tensor.dtype)
        if tensor.grad_fn is None:
            accumulate_leaf_grad(tensor, grad)
        elif id(tensor) in pending:
            pending[id(tensor)] = (tensor, pending[id(tensor)][1] + grad)
        else:
            pending[id(tensor)] = (tensor, grad)


def initial_grad(root: Tensor, grad):
    """The gradient that starts the backward pass: 1 for a scalar, else the one the caller gave."""
    xp = get_array_module(root.data)
    if grad is None:
        if root.data.size != 1:
            raise ValueError(
                f"backward() needs a gradient argument for a tensor of shape {root.shape}: "
                "only a scalar (one-element) tensor has the implicit gradient 1. "
                "Reduce it first (loss.sum() or loss.mean()) or pass grad= of the same shape."
            )
        return xp.ones(root.shape, dtype=root.dtype)
    if isinstance(grad, Tensor):
        grad = grad.data
    if not is_array(grad):
        grad = xp.asarray(grad, dtype=root.dtype)
    if grad.shape != root.shape:
        raise ValueError(f"backward(): gradient has shape {grad.shape} but the tensor has shape {root.shape}")
    return grad.astype(root.dtype, copy=False)
