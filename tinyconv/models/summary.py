"""`summary(model, input_shape)`: each layer of a model, its output shape and parameter count.

The table is what a learner checks a network against a paper's figure with: run one batch through
the model and, for every layer, write down the shape that came out and how many numbers it learns.

How it works: a forward hook (`Module.register_forward_hook`) on every layer records its output's
shape as the layer runs, and a forward pass of a batch of zeros triggers them all. The pass runs
under `no_grad()` (no graph is built) and in eval mode (dropout draws no random numbers, batch norm
does not touch its running statistics); afterwards the hooks are removed and every module gets back
its own train/eval flag, so the model leaves `summary` exactly as it came in.

Parameter counts: a Conv2d with C_in inputs, C_out filters of kH x kW and groups G learns
C_out * (C_in / G * kH * kW + 1) numbers; a Linear(in, out) learns out * (in + 1). Buffers (batch
norm's running statistics, fixed prototypes) are state, not parameters, and are not counted, as in
PyTorch.
"""

from __future__ import annotations

import sys
from typing import NamedTuple

import numpy

from tinyconv.autograd import no_grad
from tinyconv.checks import check_int
from tinyconv.nn.module import Module
from tinyconv.nn.parameter import Parameter
from tinyconv.tensor import Tensor


class SummaryRow(NamedTuple):
    """One line of the table: one call of one layer during the forward pass."""

    name: str  # dotted name, as in state_dict keys: "features.0", "layer1.0.conv1"
    type: str  # the layer's class name: "Conv2d"
    output_shape: tuple  # the shape of its output; a tuple of shapes for a layer with several outputs
    params: int  # the number of values in its own parameters (0 for a second call of the same layer)


def own_parameter_count(module: Module) -> int:
    """The number of parameter values held by `module` itself, not by its sub-modules."""
    return sum(value.numel() for value in vars(module).values() if isinstance(value, Parameter))


def output_shape_of(output) -> tuple:
    """The shape of a layer's output; for a tuple or list of tensors, the tuple of their shapes."""
    if isinstance(output, Tensor):
        return tuple(output.shape)
    if isinstance(output, (tuple, list)):
        return tuple(output_shape_of(item) for item in output)
    return ()


def is_reported(module: Module) -> bool:
    """A row for each leaf layer (no sub-modules), and for a container that owns parameters directly."""
    return not any(True for _ in module.children()) or own_parameter_count(module) > 0


def summary(model: Module, input_shape, batch_size: int = 1, file=None) -> list:
    """Print a table of `model`'s layers for an input of one sample's `input_shape`; return its rows.

    model:        any Module
    input_shape:  the shape of one sample, without the batch axis: (1, 28, 28) for MNIST, as torchsummary's
                  input_size. (torchinfo's input_size includes the batch: summary(model, (64, 1, 28, 28))
                  there is summary(model, (1, 28, 28), batch_size=64) here. A model that refuses the
                  batch gets an error saying so.)
    batch_size:   how many samples the batch of zeros holds (output shapes start with it)
    file:         where to print (default sys.stdout); the rows are returned either way

    Returns a list of SummaryRow(name, type, output_shape, params), one per layer call, in the order
    the layers ran. A layer called twice (a ReLU module reused in a block) gets a row per call, and
    its parameters are counted on the first one only, so the rows add up to the total. Layers that
    did not run (GoogLeNet's auxiliary classifiers in eval mode) have no row but are in the totals.
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: model must be a tinyconv.nn.Module, got {type(model).__name__}")
    if not isinstance(input_shape, (tuple, list)) or not input_shape:
        raise TypeError(
            f"summary: input_shape must be a non-empty tuple such as (1, 28, 28), got {input_shape!r}"
        )
    input_shape = tuple(check_int("summary", "input_shape entry", size, minimum=1) for size in input_shape)
    batch_size = check_int("summary", "batch_size", batch_size, minimum=1)

    names = {id(module): name for name, module in model.named_modules()}
    rows, counted = [], set()

    def record(module, inputs, output):
        first_call = id(module) not in counted
        counted.add(id(module))
        params = own_parameter_count(module) if first_call else 0
        rows.append(
            SummaryRow(names[id(module)] or "(model)", type(module).__name__, output_shape_of(output), params)
        )

    handles = [module.register_forward_hook(record) for module in model.modules() if is_reported(module)]
    modes = [(module, module.training) for module in model.modules()]
    # The batch lives where the parameters live (NumPy or CuPy) and has their dtype (float32 or 64).
    like = next(model.parameters(), Tensor(numpy.zeros(0, dtype=numpy.float32)))
    batch = like.xp.zeros((batch_size,) + input_shape, dtype=like.dtype)
    try:
        model.eval()
        with no_grad():
            model(Tensor(batch))
    except (ValueError, TypeError, IndexError, RuntimeError) as error:
        raise ValueError(refused_batch_message(model, input_shape, batch_size, error)) from error
    finally:
        for handle in handles:
            handle.remove()
        for module, training in modes:
            module.training = training

    print_table(model, rows, file if file is not None else sys.stdout)
    return rows


def refused_batch_message(model: Module, input_shape: tuple, batch_size: int, error: Exception) -> str:
    """What to say when the model refuses the batch of zeros: most often, input_shape held the batch too."""
    message = (
        f"summary: {type(model).__name__} refused a batch of shape {(batch_size,) + input_shape}, that is "
        f"batch_size={batch_size} samples of input_shape {input_shape}. input_shape is the shape of one "
        "sample, without the batch dimension, as (1, 28, 28) for an MNIST image."
    )
    if len(input_shape) > 1:
        message += (
            f" If {input_shape} already starts with the batch, call "
            f"summary(model, {input_shape[1:]}, batch_size={input_shape[0]})."
        )
    return f"{message} The model said: {error}"


def print_table(model: Module, rows: list, file) -> None:
    """Write the rows and the totals as an aligned text table."""
    header = ("Layer", "Type", "Output shape", "Params")
    lines = [(row.name, row.type, str(row.output_shape), f"{row.params:,}") for row in rows]
    widths = [max(len(line[i]) for line in [header] + lines) for i in range(4)]

    def format_line(cells) -> str:
        left = "  ".join(cell.ljust(width) for cell, width in zip(cells[:3], widths))
        return f"{left}  {cells[3].rjust(widths[3])}"

    rule = "-" * len(format_line(header))
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(format_line(header), file=file)
    print(rule, file=file)
    for line in lines:
        print(format_line(line), file=file)
    print(rule, file=file)
    print(f"Total params: {total:,}", file=file)
    print(f"Trainable params: {trainable:,}", file=file)
    print(f"Non-trainable params: {total - trainable:,}", file=file)
