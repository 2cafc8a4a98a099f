"""Containers, as torch.nn's: `Sequential` (a chain of modules), `ModuleList` and `ModuleDict` (modules a
parent calls as it likes), `ParameterList` (parameters kept in a list).

Each keeps its items as attributes, so their parameters are found and named the way every module's are:
a ModuleList's modules are the attributes '0', '1', ... (state_dict keys `layers.0.weight`), a ModuleDict's
are named by their keys (`heads.cls.weight`), a ParameterList's parameters are '0', '1', ... (`scales.0`),
all PyTorch's keys. After an insertion or a deletion the numbered items are renumbered, as in PyTorch.
"""

from __future__ import annotations

from collections import OrderedDict

from tinyconv.checks import is_int
from tinyconv.nn.module import Module
from tinyconv.nn.parameter import Parameter
from tinyconv.tensor import Tensor


def check_modules(container: str, modules) -> list:
    """The modules as a list, or a TypeError naming the first item that is not a Module."""
    modules = list(modules)
    for index, module in enumerate(modules):
        if not isinstance(module, Module):
            raise TypeError(f"{container}: item {index} must be a Module, got {type(module).__name__}")
    return modules


def position(container, index, length: int) -> int:
    """An int index into a container of `length` items, as a position in [0, length)."""
    if not is_int(index):
        raise TypeError(
            f"{type(container).__name__} indices must be ints or slices, got {type(index).__name__}"
        )
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range for {type(container).__name__} of length {length}")
    return int(index) % length


class ModuleList(Module):
    """A list of modules whose parameters belong to the parent, as `torch.nn.ModuleList`.

    Supports what a list does: len, iteration, indexing (negative too), slicing (a ModuleList), item
    assignment and deletion, append, extend, insert, pop and `+=`. A ModuleList has no forward of its own:
    the parent decides how to call its modules.
    """

    def __init__(self, modules=None):
        super().__init__()
        self.extend(() if modules is None else modules)

    def entries(self) -> list:
        """(name, module) for every module held, in order (a module held twice is listed twice)."""
        return [(name, value) for name, value in vars(self).items() if isinstance(value, Module)]

    def modules_in_order(self) -> list:
        return [module for _, module in self.entries()]

    def renumber(self, modules: list) -> None:
        """Hold exactly `modules`, as the attributes '0', '1', ... in this order."""
        for name, _ in self.entries():
            delattr(self, name)
        for index, module in enumerate(modules):
            setattr(self, str(index), module)

    def append(self, module: Module) -> ModuleList:
        check_modules(type(self).__name__, [module])
        setattr(self, str(len(self)), module)
        return self

    def extend(self, modules) -> ModuleList:
        for module in check_modules(type(self).__name__, modules):
            setattr(self, str(len(self)), module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Put `module` before the one at `index` (at the end for index >= len), as list.insert."""
        check_modules(type(self).__name__, [module])
        modules = self.modules_in_order()
        modules.insert(index, module)
        self.renumber(modules)

    def pop(self, index: int = -1) -> Module:
        modules = self.modules_in_order()
        module = modules.pop(position(self, index, len(modules)))
        self.renumber(modules)
        return module

    def __iadd__(self, modules) -> ModuleList:
        return self.extend(modules)

    def __len__(self) -> int:
        return len(self.entries())

    def __iter__(self):
        return iter(self.modules_in_order())

    def __getitem__(self, index):
        """One module for an int; a container of the same kind holding them for a slice."""
        modules = self.modules_in_order()
        if isinstance(index, slice):
            return type(self)(modules[index])
        return modules[position(self, index, len(modules))]

    def __setitem__(self, index: int, module: Module) -> None:
        check_modules(type(self).__name__, [module])
        name, _ = self.entries()[position(self, index, len(self))]
        setattr(self, name, module)

    def __delitem__(self, index) -> None:
        modules = self.modules_in_order()
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[position(self, index, len(modules))]
        self.renumber(modules)


class Sequential(ModuleList):
    """Sequential(m0, m1, ...)(x) = ... m1(m0(x)): a ModuleList whose forward chains its modules.

    The modules are attributes named '0', '1', ..., so their parameters get the keys PyTorch gives them
    (`features.0.weight`); Sequential(OrderedDict([("conv", ...), ("relu", ...)])) names them instead
    (`features.conv.weight`), as in PyTorch.
    """

    def __init__(self, *modules):
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            Module.__init__(self)
            for name, module in modules[0].items():
                self.add_module(name, check_modules("Sequential", [module])[0])
        else:
            super().__init__(modules)

    def __getitem__(self, index):
        """One module for an int; a Sequential of them, under their names, for a slice (`model.features[:3]`
        runs the first three layers)."""
        if isinstance(index, slice):
            return Sequential(OrderedDict(self.entries()[index]))
        return super().__getitem__(index)

    def forward(self, x):
        for module in self:
            x = module(x)
        return x


class ModuleDict(Module):
    """A dict of modules whose parameters belong to the parent, as `torch.nn.ModuleDict`.

    Keys are strings that can be attribute names of their own (not "train", "keys"... nor containing a
    dot), kept in insertion order. Supports len, iteration over the keys, `in`, indexing, item assignment
    and deletion, keys(), values(), items(), update(), pop() and clear().
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def items(self):
        return [(name, value) for name, value in vars(self).items() if isinstance(value, Module)]

    def keys(self):
        return [name for name, _ in self.items()]

    def values(self):
        return [module for _, module in self.items()]

    def __getitem__(self, key: str) -> Module:
        if key not in self:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, check_modules("ModuleDict", [module])[0])

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        delattr(self, key)

    def __len__(self) -> int:
        return len(self.items())

    def __iter__(self):
        return iter(self.keys())

    def __contains__(self, key) -> bool:
        return isinstance(key, str) and isinstance(vars(self).get(key), Module)

    def update(self, modules) -> None:
        """Add (or replace) the modules of a dict, or of an iterable of (key, module) pairs."""
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        for key in self.keys():
            del self[key]


class ParameterList(Module):
    """A list of parameters that belong to the module holding it, as `torch.nn.ParameterList`.

    The parameters are attributes named '0', '1', ... (state_dict keys `scales.0`, `scales.1`). A tensor
    that is not a Parameter becomes one (sharing its data), as in PyTorch. Supports len, iteration,
    indexing, item assignment, append and extend.
    """

    def __init__(self, values=None):
        super().__init__()
        self.extend(() if values is None else values)

    def parameters_in_order(self) -> list:
        return [value for value in vars(self).values() if isinstance(value, Parameter)]

    def append(self, value) -> ParameterList:
        setattr(self, str(len(self)), as_parameter(value))
        return self

    def extend(self, values) -> ParameterList:
        for value in values:
            self.append(value)
        return self

    def __len__(self) -> int:
        return len(self.parameters_in_order())

    def __iter__(self):
        return iter(self.parameters_in_order())

    def __getitem__(self, index):
        parameters = self.parameters_in_order()
        if isinstance(index, slice):
            return ParameterList(parameters[index])
        return parameters[position(self, index, len(parameters))]

    def __setitem__(self, index: int, value) -> None:
        setattr(self, str(position(self, index, len(self))), as_parameter(value))

    def extra_repr(self) -> str:
        return "\n".join(
            f"({index}): Parameter containing: [{p.dtype} of size {'x'.join(str(n) for n in p.shape)}]"
            for index, p in enumerate(self)
        )


def as_parameter(value) -> Parameter:
    """A Parameter as it is; another tensor as a Parameter sharing its data; anything else refused."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value.data)
    raise TypeError(f"ParameterList: items must be Parameters or tensors, got {type(value).__name__}")
