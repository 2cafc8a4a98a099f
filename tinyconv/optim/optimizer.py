"""`Optimizer`: what SGD and Adam share: parameter groups, zero_grad, and saving their state.

As in PyTorch, parameters come in `param_groups`: a list of dicts, each with its own 'params' and
hyper-parameters ('lr', 'momentum', ...). Passing a plain list of parameters makes one group.
Per-parameter state (momentum buffers, Adam's moments) lives in `self.state[parameter]`.
"""

from __future__ import annotations

import copy

import numpy

from tinyconv.backend import device_of, is_array
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

    def zero_grad(self) -> None:
        """Forget every parameter's gradient before the next backward (they would add up)."""
        for group in self.param_groups:
            for parameter in group["params"]:
                parameter.grad = None

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
        for name, value in self.state.get(parameter, {}).items():
            where = device_of(value) if is_array(value) else parameter.device
            if where != parameter.device:
                raise RuntimeError(
                    f"{type(self).__name__}.step: the state '{name}' of a parameter is on {where} but the "
                    f"parameter is on {parameter.device}; the model was moved after the optimizer's first "
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
        """Restore hyper-parameters and per-parameter state saved by `state_dict()`."""
        saved_kind = state_dict.get("optimizer")
        if saved_kind != type(self).__name__:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: the state was saved by {saved_kind}; "
                f"it can only be loaded into a {saved_kind}"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups) or any(
            len(saved["params"]) != len(group["params"])
            for saved, group in zip(saved_groups, self.param_groups)
        ):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: the saved state has groups of sizes "
                f"{[len(g['params']) for g in saved_groups]} but this optimizer has "
                f"{[len(g['params']) for g in self.param_groups]}"
            )
        parameter_at = {}
        for saved, group in zip(saved_groups, self.param_groups):
            for index, parameter in zip(saved["params"], group["params"]):
                parameter_at[index] = parameter
        new_state = {}
        for index, values in state_dict["state"].items():
            parameter = parameter_at[int(index)]
            new_state[parameter] = {}
            for key, value in values.items():
                if isinstance(value, numpy.ndarray):
                    if value.shape != parameter.shape:
                        raise ValueError(
                            f"{type(self).__name__}.load_state_dict: state '{key}' of parameter "
                            f"{index} has shape {value.shape}, the parameter has {parameter.shape}"
                        )
                    value = parameter.xp.asarray(value, dtype=parameter.dtype).copy()
                new_state[parameter][key] = value
        for saved, group in zip(saved_groups, self.param_groups):
            for key, value in saved.items():
                if key != "params":
                    group[key] = copy.deepcopy(value)
        self.state = new_state


def to_host(value):
    """A NumPy copy of an array (CuPy arrays come back from the GPU); other values (step counts) unchanged."""
    return array_to_host(value) if is_array(value) else value
