"""`Optimizer`: what SGD and Adam share: parameter groups, checked hyper-parameters, zero_grad, and saving
their state.

As in PyTorch, parameters come in `param_groups`: a list of dicts, each with its own 'params' and
hyper-parameters ('lr', 'momentum', ...). Passing a plain list of parameters makes one group.
Per-parameter state (momentum buffers, Adam's moments) lives in `self.state[parameter]`.

Every group's hyper-parameters (the optimizer's defaults with the group's own settings over them) are
checked when the optimizer is made and when a saved state is loaded, by the optimizer's `check_group`
with the helpers at the end of this file: a NaN, a string or a pair of the wrong length is refused with a
message naming the argument, before any step could use it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import numpy

from tinyconv.backend import device_of, is_array
from tinyconv.checks import check_real
from tinyconv.cuda import to_host as array_to_host
from tinyconv.tensor import Tensor


class Optimizer:
    """Base class: subclasses define `step()`, which updates every parameter from its `.grad`."""

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self.state = {}  # Parameter -> dict of arrays and counters (keyed by the object itself)
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of tensors (model.parameters() or "
                "a list), got a single Tensor; wrap it in a list: [tensor]"
            )
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups = []
        seen = set()
        for group in groups:
            group = {**defaults, **group, "params": list(group["params"])}
            self.check_group(group)
            for parameter in group["params"]:
                if not isinstance(parameter, Tensor) or not parameter.requires_grad:
                    raise TypeError(
                        f"{type(self).__name__}: can only optimize tensors with requires_grad=True, "
                        f"got {type(parameter).__name__}"
                    )
                if not parameter.is_leaf:
                    raise ValueError(
                        f"{type(self).__name__}: can't optimize a non-leaf tensor (one computed by an "
                        "operation): its .grad is never kept; pass the parameters themselves"
                    )
                if id(parameter) in seen:
                    raise ValueError(f"{type(self).__name__}: a parameter appears more than once")
                seen.add(id(parameter))
            self.param_groups.append(group)

    def check_group(self, group: dict) -> None:
        """Refuse a parameter group whose hyper-parameters this optimizer cannot use (each optimizer checks
        its own, with the helpers below; this base class checks nothing)."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient before the next backward (they would add up): set it to None
        (PyTorch's default), or to zeros in place."""
        for group in self.param_groups:
            for parameter in group["params"]:
                if set_to_none or parameter.grad is None:
                    parameter.grad = None
                else:
                    parameter.grad[...] = 0

    def step(self) -> None:
        raise NotImplementedError

    def parameters_with_grad(self):
        """(group, parameter) for every parameter that received a gradient."""
        for group in self.param_groups:
            for parameter in group["params"]:
                if parameter.grad is not None:
                    self.check_state_device(parameter)
                    yield group, parameter

    def check_state_device(self, parameter) -> None:
        """The state of `parameter` must live where it does: a model moved with .to() after a step
        leaves its momentum or moments behind, and mixing them would fail deep inside the update."""
        # Compared as 'cpu'/'cuda' strings: this runs for every parameter at every step, and building
        # tinyconv.device objects for it measurably slowed a LeNet-5 step.
        parameter_device = device_of(parameter.data)
        for name, value in self.state.get(parameter, {}).items():
            where = device_of(value) if is_array(value) else parameter_device
            if where != parameter_device:
                raise RuntimeError(
                    f"{type(self).__name__}.step: the state '{name}' of a parameter is on {where} but the "
                    f"parameter is on {parameter_device}; the model was moved after the optimizer's first "
                    "step. Move the model before building the optimizer, or build a new one after the move"
                )

    # ------------------------------------------------------------------------ saving and resuming
    def state_dict(self) -> dict:
        """{'state': {index: {...}}, 'param_groups': [...]} with parameters replaced by their index.

        The indices count parameters across groups in order, as PyTorch does; arrays are NumPy copies.
        The optimizer's class name is saved too, so that state cannot be loaded into another kind.
        """
        index_of = {}
        groups = []
        for group in self.param_groups:
            saved = {key: value for key, value in group.items() if key != "params"}
            saved["params"] = []
            for parameter in group["params"]:
                index_of[id(parameter)] = len(index_of)
                saved["params"].append(index_of[id(parameter)])
            groups.append(saved)
        state = {}
        for group in self.param_groups:
            for parameter in group["params"]:
                if parameter in self.state:
                    state[index_of[id(parameter)]] = {
                        key: to_host(value) for key, value in self.state[parameter].items()
                    }
        return {"optimizer": type(self).__name__, "state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyper-parameters and per-parameter state saved by `state_dict()`.

        Everything is checked first, so a refused state leaves the optimizer as it was: the entries of the
        dict, the kind of optimizer that saved it, the sizes of its groups, each group's hyper-parameters
        and the shape of each saved array.
        """
        name = type(self).__name__
        check_saved_layout(name, state_dict)
        saved_kind = state_dict["optimizer"]
        if saved_kind != name:
            raise ValueError(
                f"{name}.load_state_dict: the state was saved by {saved_kind}; "
                f"it can only be loaded into a {saved_kind}"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups) or any(
            len(saved["params"]) != len(group["params"])
            for saved, group in zip(saved_groups, self.param_groups)
        ):
            raise ValueError(
                f"{name}.load_state_dict: the saved state has groups of sizes "
                f"{[len(g['params']) for g in saved_groups]} but this optimizer has "
                f"{[len(g['params']) for g in self.param_groups]}"
            )
        parameter_at = {}
        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            for index, parameter in zip(saved["params"], group["params"]):
                parameter_at[index] = parameter
            settings = {key: copy.deepcopy(value) for key, value in saved.items() if key != "params"}
            new_group = {**group, **settings, "params": group["params"]}
            self.check_group(new_group)
            new_groups.append(new_group)
        new_state = {}
        for saved_index, values in state_dict["state"].items():
            index = int(saved_index)
            if index not in parameter_at:
                raise ValueError(
                    f"{name}.load_state_dict: the state holds an entry for parameter {index}, but the saved "
                    f"groups list the parameters {sorted(parameter_at)}"
                )
            parameter = parameter_at[index]
            new_state[parameter] = {}
            for key, value in values.items():
                if isinstance(value, numpy.ndarray):
                    if value.shape != parameter.shape:
                        raise ValueError(
                            f"{name}.load_state_dict: state '{key}' of parameter "
                            f"{index} has shape {value.shape}, the parameter has {parameter.shape}"
                        )
                    value = parameter.xp.asarray(value, dtype=parameter.dtype).copy()
                new_state[parameter][key] = value
        for group, new_group in zip(self.param_groups, new_groups):
            group.update(new_group)
        self.state = new_state


def check_saved_layout(name: str, state_dict) -> None:
    """The entries every saved optimizer state has, or an error saying which are missing."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f"{name}.load_state_dict: expected the dict that optimizer.state_dict() returns, got "
            f"{type(state_dict).__name__}"
        )
    missing = [key for key in ("optimizer", "state", "param_groups") if key not in state_dict]
    if missing:
        torch_like = "state" in state_dict and "param_groups" in state_dict
        present = sorted(map(str, state_dict))
        raise ValueError(
            f"{name}.load_state_dict: the dict has no {missing} entry (it has {present}); tinyconv's "
            "optimizer.state_dict() saves 'optimizer' (the class that saved it), 'state' and 'param_groups'"
            + ("; a torch.optim state dict cannot be loaded" if torch_like else "")
        )
    for position, group in enumerate(state_dict["param_groups"]):
        if not isinstance(group, Mapping) or "params" not in group:
            raise ValueError(
                f"{name}.load_state_dict: param_groups[{position}] has no 'params' (the indices of its "
                "parameters)"
            )


def to_host(value):
    """A NumPy copy of an array (CuPy arrays come back from the GPU); other values (step counts) unchanged."""
    return array_to_host(value) if is_array(value) else value


# ------------------------------------------------------------------------------ checking hyper-parameters
# Each comparison is written so that NaN fails it (`not value > 0`, never `value <= 0`).


def check_non_negative(owner: str, name: str, value) -> None:
    if not check_real(owner, name, value) >= 0:
        raise ValueError(f"{owner}: {name} must be non-negative, got {value!r}")


def check_fraction(owner: str, name: str, value, include_one: bool = False) -> None:
    """A number in [0, 1), or in [0, 1] with include_one."""
    value = check_real(owner, name, value)
    if not (0 <= value < 1 or include_one and value == 1):
        raise ValueError(f"{owner}: {name} must be in [0, {'1]' if include_one else '1)'}, got {value!r}")


def check_betas(owner: str, betas) -> None:
    """Adam's (beta1, beta2): a pair of numbers in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"{owner}: betas must be a pair (beta1, beta2) of numbers in [0, 1), got {betas!r}")
    for position, beta in enumerate(betas):
        check_fraction(owner, f"betas[{position}]", beta)


def check_flag(owner: str, name: str, value) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
