"""`Sequential`: a chain of modules, each feeding the next."""

from __future__ import annotations

from tinyconv.nn.module import Module


class Sequential(Module):
    """Sequential(m0, m1, ...)(x) = ... m1(m0(x)). The modules are attributes named '0', '1', ...

    so their parameters get the keys PyTorch gives them (`features.0.weight`).
    """

    def __init__(self, *modules: Module):
        super().__init__()
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: argument {index} must be a Module, got {type(module).__name__}")
            setattr(self, str(index), module)

    def __len__(self) -> int:
        return len(list(self.children()))

    def __getitem__(self, index: int) -> Module:
        return list(self.children())[index]

    def __iter__(self):
        return self.children()

    def forward(self, x):
        for module in self.children():
            x = module(x)
        return x
