"""`Module`: the base class of every layer and model, as `torch.nn.Module`.

A module is an object whose attributes include its parameters (`Parameter`), its other state
(`Buffer`, such as BatchNorm's running mean) and its sub-modules. No registration step is needed:
`named_parameters()` simply looks through the module's attributes, in the order they were assigned,
and recurses into sub-modules. The dotted names it builds (`features.0.weight`) are the keys of
`state_dict()`, the same keys PyTorch uses for the same model.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy

from tinyconv.backend import get_array_module
from tinyconv.checks import check_device
from tinyconv.cuda import to_device, to_host
from tinyconv.nn.parameter import Buffer, Parameter
from tinyconv.tensor import Tensor

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class HookHandle:
    """Returned by `register_forward_hook`; `remove()` takes the hook off its module's list."""

    def __init__(self, hooks: list, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


class Module:
    """Base class for layers and models: subclasses set attributes in `__init__` and write `forward`."""

    def __init__(self):
        self.training = True
        self.forward_hooks = []

    def __call__(self, *args, **kwargs):
        output = self.forward(*args, **kwargs)
        for hook in list(getattr(self, "forward_hooks", ())):  # getattr: a subclass may skip __init__
            hook(self, args, output)
        return output

    def register_forward_hook(self, hook) -> HookHandle:
        """Call `hook(module, inputs, output)` after every forward of this module, as PyTorch does.

        Hooks let a tool look inside a model without changing it: `tinyconv.summary` records each
        layer's output shape, a visualizer grabs feature maps. Returns a handle; `handle.remove()`
        detaches the hook.
        """
        if not hasattr(self, "forward_hooks"):
            self.forward_hooks = []
        self.forward_hooks.append(hook)
        return HookHandle(self.forward_hooks, hook)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    # ----------------------------------------------------------------------- walking the tree
    def named_children(self):
        """(name, module) for each direct sub-module, in the order the attributes were set."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def children(self):
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix: str = ""):
        """(dotted name, module) for this module ("" for itself) and every module below it.

        A module reachable along two paths (shared between two parents) is listed once, at the
        first path, as in PyTorch.
        """
        stack = [(prefix, self)]
        seen = set()
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, child) for n, child in module.named_children()]
            stack.extend(reversed(children))  # reversed: the first child comes off the stack first

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_tensors_of_kind(self, *kinds: type):
        """(dotted name, tensor) for every attribute of the given types here and below, each once.

        Per module, all tensors of the first kind come before those of the next: with
        (Parameter, Buffer) that is PyTorch's state_dict order (`bn.weight, bn.bias, bn.running_mean`).
        """
        seen = set()
        for module_name, module in self.named_modules():
            own = list(vars(module).items())
            for kind in kinds:
                for name, value in own:
                    if isinstance(value, kind) and id(value) not in seen:
                        seen.add(id(value))
                        yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self):
        """(dotted name, Parameter) for every parameter, each listed once even if shared."""
        return self.named_tensors_of_kind(Parameter)

    def parameters(self):
        for _, parameter in self.named_parameters():
            yield parameter

    def named_buffers(self):
        """(dotted name, Buffer) for every buffer (state that is saved but not learned)."""
        return self.named_tensors_of_kind(Buffer)

    def buffers(self):
        for _, buffer in self.named_buffers():
            yield buffer

    # ----------------------------------------------------------------------- modes and gradients
    def train(self, mode: bool = True) -> Module:
        """Put this module and every sub-module in training mode (dropout active, etc.)."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Put this module and every sub-module in evaluation mode: `train(False)`."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (set it to None, PyTorch's default)."""
        for parameter in self.parameters():
            parameter.grad = None

    def double(self) -> Module:
        """Convert every parameter to float64 (for gradient checks) and return self."""
        return self.cast_parameters(numpy.float64)

    def float(self) -> Module:
        """Convert every parameter to float32 and return self."""
        return self.cast_parameters(numpy.float32)

    def cast_parameters(self, dtype) -> Module:
        """Convert parameters and floating-point buffers (not integer counters) to `dtype`."""
        for parameter in self.parameters():
            parameter.data = parameter.data.astype(dtype)
            parameter.grad = None
        for buffer in self.buffers():
            if buffer.dtype.kind == "f":
                buffer.data = buffer.data.astype(dtype)
        return self

    # ----------------------------------------------------------------------- devices
    def to(self, device: str) -> Module:
        """Move every parameter and buffer (and their gradients) to `device`, in place; returns self.

        device: 'cpu' or 'cuda'. The tensors stay the same objects, so an optimizer built on
        `model.parameters()` keeps them; build it after the move all the same, since the state it
        creates (momentum, Adam's moments) lives on the device the parameters had at that time.
        """
        check_device(device, f"{type(self).__name__}.to")
        for _, tensor in self.named_tensors_of_kind(Parameter, Buffer):
            tensor.data = to_device(tensor.data, device, f"{type(self).__name__}.to")
            if tensor.grad is not None:
                tensor.grad = to_device(tensor.grad, device, f"{type(self).__name__}.to")
        return self

    def cuda(self) -> Module:
        """`to('cuda')`: every parameter and buffer onto the GPU."""
        return self.to("cuda")

    def cpu(self) -> Module:
        """`to('cpu')`: every parameter and buffer back to NumPy arrays."""
        return self.to("cpu")

    # ----------------------------------------------------------------------- saving and loading
    def named_state(self):
        """(key, tensor) for everything a checkpoint stores: the parameters and the buffers."""
        return self.named_tensors_of_kind(Parameter, Buffer)

    def state_dict(self) -> OrderedDict:
        """{dotted name: NumPy array copy} for every parameter and buffer: what a checkpoint stores."""
        return OrderedDict((name, to_host(tensor.data)) for name, tensor in self.named_state())

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy the arrays of `state_dict` into the parameters and buffers with the same names.

        Every problem is checked before anything is copied, so a failed load leaves the model as it
        was. strict=True (default): missing or unexpected keys are an error. A shape mismatch is
        always an error. Returns the (missing_keys, unexpected_keys) that strict=False let through.
        """
        tensors = OrderedDict(self.named_state())
        missing = [name for name in tensors if name not in state_dict]
        unexpected = [name for name in state_dict if name not in tensors]
        problems = []
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys {unexpected}")
        for name, tensor in tensors.items():
            if name in state_dict:
                value = state_dict[name]
                shape = tuple(value.shape if isinstance(value, Tensor) else numpy.shape(value))
                if shape != tensor.shape:
                    problems.append(
                        f"shape mismatch for '{name}': the state dict has {shape}, "
                        f"the model has {tensor.shape}"
                    )
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__} failed: " + "; ".join(problems))
        for name, tensor in tensors.items():
            if name in state_dict:
                value = state_dict[name]
                value = value.data if isinstance(value, Tensor) else value  # accept tensors too
                tensor.data[...] = get_array_module(tensor.data).asarray(value, dtype=tensor.dtype)
        return IncompatibleKeys(missing, unexpected)

    # ----------------------------------------------------------------------- printing
    def extra_repr(self) -> str:
        """The arguments shown inside this module's parentheses in `repr` (layers override it)."""
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            child_text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_text}")
        lines.append(")")
        return "\n".join(lines)
