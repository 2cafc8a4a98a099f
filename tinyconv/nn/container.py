"""Containers: `Sequential` (a chain of modules) and `ModuleList` (a list of modules)."""

from __future__ import annotations

from tinyconv.nn.module import Module


def check_modules(container: str, modules) -> list:
    """The modules as a list, or a TypeError naming the first item that is not a Module."""
    modules = list(modules)
    for index, module in enumerate(modules):
        if not isinstance(module, Module):
            raise TypeError(f"{container}: item {index} must be a Module, got {type(module).__name__}")
    return modules


class ModuleList(Module):
    """A list of modules whose parameters belong to the parent, as `torch.nn.ModuleList`.

    The modules are attributes named '0', '1', ... (keys like `layers.0.weight`). A ModuleList has no
    forward of its own: the parent decides how to call its modules.
    """

    def __init__(self, modules=()):
        super().__init__()
        for module in check_modules(type(self).__name__, modules):
            setattr(self, str(len(self)), module)

    def append(self, module: Module) -> ModuleList:
        check_modules(type(self).__name__, [module])
        setattr(self, str(len(self)), module)
        return self

    def __len__(self) -> int:
        return len(list(self.children()))

    def __getitem__(self, index):
        """One module for an int; a ModuleList of them for a slice."""
        children = list(self.children())
        return ModuleList(children[index]) if isinstance(index, slice) else children[index]

    def __iter__(self):
        return self.children()


class Sequential(ModuleList):
    """Sequential(m0, m1, ...)(x) = ... m1(m0(x)): a ModuleList whose forward chains its modules.

    The modules are attributes named '0', '1', ..., so their parameters get the keys PyTorch gives
    them (`features.0.weight`).
    """

    def __init__(self, *modules: Module):
        super().__init__(modules)

    def __getitem__(self, index):
        """One module for an int; a Sequential of them for a slice (`model.features[:3]` runs the
        first three layers)."""
        item = super().__getitem__(index)
        return Sequential(*item) if isinstance(index, slice) else item

    def forward(self, x):
        for module in self.children():
            x = module(x)
        return x
