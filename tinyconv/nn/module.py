"""`Module`: the base class of every layer and model, as `torch.nn.Module`.

A module is an object whose attributes include its parameters (`Parameter`), its other state
(`Buffer`, such as BatchNorm's running mean) and its sub-modules. No registration step is needed:
`named_parameters()` simply looks through the module's attributes, in the order they were assigned,
and recurses into sub-modules. The dotted names it builds (`features.0.weight`) are the keys of
`state_dict()`, the same keys PyTorch uses for the same model.

PyTorch's registration methods work too, as shorthands for an assignment: `register_buffer(name, t)` is
`self.name = Buffer(t)`, `register_parameter` and `add_module` set a Parameter or a Module, each after
checking the name. The type of what an attribute holds is what counts, so `__setattr__` keeps it, as
PyTorch does: a tensor assigned over a buffer stays a buffer, and a plain tensor over a parameter is refused.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy

from tinyconv import dtypes
from tinyconv.autograd import is_grad_enabled
from tinyconv.backend import get_array_module, is_array
from tinyconv.cuda import to_device, to_host
from tinyconv.device import device, device_type
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

    def __setattr__(self, name: str, value) -> None:
        """Set an attribute, keeping what a parameter or a buffer is (as PyTorch does):

        - over a Parameter, only a Parameter (or None) may be assigned: a plain tensor would silently
          stop being learned and saved;
        - a tensor assigned over a Buffer becomes that buffer's new value (a Buffer, with the same
          `persistent`), so `self.running_mean = 0.9 * self.running_mean + ...` stays in the state_dict.
        """
        current = vars(self).get(name)
        if isinstance(current, Parameter) and value is not None and not isinstance(value, Parameter):
            raise TypeError(
                f"cannot assign {type(value).__name__} as parameter '{name}' (tinyconv.nn.Parameter or "
                "None expected); to change its values, write into it under no_grad(): "
                f"self.{name}.copy_(...)"
            )
        if isinstance(current, Buffer) and isinstance(value, Tensor) and not isinstance(value, Buffer):
            value = as_buffer(value, name, current.persistent)
        object.__setattr__(self, name, value)

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

    # ----------------------------------------------------------------------- registering, PyTorch's way
    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Keep `tensor` as the buffer `self.<name>`: state that is saved but not learned (a running mean).

        persistent=False keeps it out of `state_dict()` (a cache that can be recomputed); it is still in
        `named_buffers()` and moves with `.to()`. The buffer shares the tensor's data.
        """
        check_new_name(self, "buffer", name, Buffer)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign {type(tensor).__name__} object to buffer '{name}' (Tensor or None required)"
            )
        object.__setattr__(self, name, None if tensor is None else as_buffer(tensor, name, persistent))

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Keep `param` as the parameter `self.<name>` (the same as assigning it)."""
        check_new_name(self, "parameter", name, Parameter)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign {type(param).__name__} object to parameter '{name}' "
                "(tinyconv.nn.Parameter or None required)"
            )
        object.__setattr__(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        """Keep `module` as the sub-module `self.<name>` (the same as assigning it)."""
        check_new_name(self, "module", name, Module)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module subclass")
        object.__setattr__(self, name, module)

    def register_module(self, name: str, module: Module | None) -> None:
        """`add_module`, by its other name."""
        self.add_module(name, module)

    def get_submodule(self, target: str) -> Module:
        """The module at the dotted path `target` ("features.0"; "" is this module itself)."""
        module = self
        for step in target.split(".") if target else ():
            child = vars(module).get(step)
            if child is None:
                raise AttributeError(
                    f"{type(module).__name__} has no attribute `{step}` (looking for '{target}')"
                )
            if not isinstance(child, Module):
                raise AttributeError(f"`{step}` is not an nn.Module (looking for '{target}')")
            module = child
        return module

    # ----------------------------------------------------------------------- walking the tree
    def named_children(self):
        """(name, module) for each direct sub-module, in the order the attributes were set; a module
        held under two names is listed once, at the first (as in PyTorch)."""
        seen = set()
        for name, value in vars(self).items():
            if isinstance(value, Module) and id(value) not in seen:
                seen.add(id(value))
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
        """(dotted name, Buffer) for every buffer (state that is kept but not learned), persistent or not."""
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

    def apply(self, fn) -> Module:
        """Call fn(module) on every sub-module, children before their parent, and on this module last;
        returns self. The usual use: `model.apply(init_weights)`, with a function that looks at the type."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set requires_grad on every parameter (False freezes them: no gradient, no update); returns self."""
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: set it to None (PyTorch's default), or to zeros in place."""
        for parameter in self.parameters():
            if set_to_none or parameter.grad is None:
                parameter.grad = None
            else:
                parameter.grad[...] = 0

    def double(self) -> Module:
        """Convert every floating-point parameter and buffer to float64 (gradient checks); returns self."""
        return self.to(dtypes.float64)

    def float(self) -> Module:
        """Convert every floating-point parameter and buffer to float32; returns self."""
        return self.to(dtypes.float32)

    # ----------------------------------------------------------------------- devices and dtypes
    def to(self, *args, **kwargs) -> Module:
        """Move and/or convert every parameter and buffer (and their gradients) in place; returns self.

        As torch.nn.Module.to: model.to("cuda"), model.to(tinyconv.device("cpu")), model.to(tinyconv.float64),
        model.to("cuda", tinyconv.float64), model.to(tensor) (its device and dtype). A dtype applies to the
        floating-point tensors only (an integer counter stays an integer). The tensors stay the same
        objects, so an optimizer built on `model.parameters()` keeps them; build it after the move all the
        same, since the state it creates (momentum, Adam's moments) stays where and as it was made.
        """
        where = f"{type(self).__name__}.to"
        target_device, target_dtype = module_conversion_target(where, args, kwargs)
        for _, tensor in self.named_tensors_of_kind(Parameter, Buffer):
            for field in ("data", "grad"):
                array = getattr(tensor, field)
                if array is None:
                    continue
                if target_dtype is not None and array.dtype.kind == "f":
                    array = array.astype(target_dtype, copy=False)
                if target_device is not None:
                    array = to_device(array, target_device, where)
                setattr(tensor, field, array)
        return self

    def cuda(self) -> Module:
        """`to('cuda')`: every parameter and buffer onto the GPU."""
        return self.to("cuda")

    def cpu(self) -> Module:
        """`to('cpu')`: every parameter and buffer back to NumPy arrays."""
        return self.to("cpu")

    # ----------------------------------------------------------------------- saving and loading
    def named_state(self):
        """(key, tensor) for everything a checkpoint stores: the parameters and the persistent buffers."""
        for name, tensor in self.named_tensors_of_kind(Parameter, Buffer):
            if not isinstance(tensor, Buffer) or tensor.persistent:
                yield name, tensor

    def state_dict(self) -> OrderedDict:
        """{dotted name: NumPy array copy} for every parameter and persistent buffer: what a checkpoint
        stores, under PyTorch's keys."""
        return OrderedDict((name, to_host(tensor.data)) for name, tensor in self.named_state())

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy the arrays of `state_dict` into the parameters and buffers with the same names.

        Every key and value is checked before anything is copied, so a refused load leaves the model as it
        was: with strict=True (default), missing or unexpected keys; always, a value that is not an array of
        numbers (strings, objects, complex numbers), or whose shape differs, or whose dtype cannot be
        converted to the tensor's without losing its kind (floats into an integer counter). Values may be
        NumPy or CuPy arrays, tinyconv tensors, or anything NumPy turns into an array (torch tensors).
        Returns the (missing_keys, unexpected_keys) that strict=False let through.
        """
        name = type(self).__name__
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"load_state_dict into {name}: expected a dict of arrays (from state_dict()), got "
                f"{type(state_dict).__name__}"
            )
        tensors = OrderedDict(self.named_state())
        missing = [key for key in tensors if key not in state_dict]
        unexpected = [key for key in state_dict if key not in tensors]
        problems = []
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys {unexpected}")
        arrays = {}
        for key, tensor in tensors.items():
            if key in state_dict:
                array, problem = checked_value(key, state_dict[key], tensor)
                if problem:
                    problems.append(problem)
                arrays[key] = array
        if problems:
            raise ValueError(
                f"load_state_dict into {name} failed, nothing was loaded: " + "; ".join(problems)
            )
        for key, array in arrays.items():
            tensor = tensors[key]
            tensor.data[...] = get_array_module(tensor.data).asarray(array, dtype=tensor.dtype)
        return IncompatibleKeys(missing, unexpected)

    # ----------------------------------------------------------------------- printing
    def extra_repr(self) -> str:
        """The arguments shown inside this module's parentheses in `repr` (layers override it)."""
        return ""

    def __repr__(self) -> str:
        """PyTorch's layout: `Name(extra)` for a leaf, else one indented line per extra line and child."""
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        children = list(self.named_children())
        if not children and len(lines) <= 1:
            return f"{type(self).__name__}({extra})"
        for name, child in children:
            child_text = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {child_text}")
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


# ---------------------------------------------------------------------------- helpers


def check_new_name(module: Module, kind: str, name, keeps: type) -> None:
    """A name for register_buffer/register_parameter/add_module: a non-empty string without a dot (dots
    separate the levels of state_dict keys), not already an attribute of another kind (PyTorch's rules)."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if not name or "." in name:
        raise KeyError(f"{kind} name must be a non-empty string without a dot, got {name!r}")
    own = vars(module)
    if hasattr(module, name) and not (name in own and isinstance(own[name], (keeps, type(None)))):
        raise KeyError(f"attribute '{name}' already exists")


def as_buffer(tensor: Tensor, name: str, persistent: bool) -> Buffer:
    """`tensor` as a Buffer sharing its data. A buffer is not learned: one that requires grad is refused
    (in PyTorch it would carry its graph into the next step, and the next backward would fail there)."""
    if tensor.requires_grad and is_grad_enabled():
        raise RuntimeError(
            f"buffer '{name}': got a tensor that requires grad; a buffer is state, not learned, so give it "
            "tensor.detach() (or compute it under no_grad())"
        )
    if isinstance(tensor, Buffer) and tensor.persistent == persistent:
        return tensor
    return Buffer(tensor.data, persistent=persistent)


def module_conversion_target(where: str, args: tuple, kwargs: dict) -> tuple:
    """(device or None, dtype or None) from Module.to's arguments, in any of PyTorch's forms."""
    target_device, target_dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"{where}: unexpected arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            target_device, target_dtype = arg.device, arg.dtype
        elif isinstance(arg, (str, device)):
            target_device = arg
        else:
            target_dtype = arg
    if target_device is not None:
        target_device = device_type(target_device, where)
    if target_dtype is not None:
        target_dtype = dtypes.as_dtype(target_dtype, where)
        if target_dtype.kind != "f":
            raise TypeError(
                f"{where}: only floating-point dtypes are accepted (as in PyTorch), got {target_dtype}"
            )
    return target_device, target_dtype


def checked_value(key: str, value, tensor: Tensor) -> tuple:
    """(the value as an array, None) when it can be copied into `tensor`, else (None, what is wrong)."""
    if isinstance(value, Tensor):
        value = value.data
    if not is_array(value):
        try:
            value = numpy.asarray(value)
        except (ValueError, TypeError) as error:
            return None, f"'{key}' is not an array ({type(value).__name__}: {error})"
    if value.dtype.kind not in "biuf":
        return None, f"'{key}' holds {value.dtype} values, not numbers (bool, int or float)"
    if value.shape != tensor.shape:
        return (
            None,
            f"shape mismatch for '{key}': the state dict has {value.shape}, the model has {tensor.shape}",
        )
    if not numpy.can_cast(value.dtype, tensor.dtype, casting="same_kind"):
        return (
            None,
            f"'{key}' holds {value.dtype} values, which cannot go into the model's {tensor.dtype} tensor",
        )
    return value, None
