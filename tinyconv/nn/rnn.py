"""Recurrent layers: one step (`RNNCell`, `LSTMCell`, `GRUCell`) and whole sequences (`RNN`, `LSTM`, `GRU`).

The cells hold the weights of one step and call the fused step functions of
functional/recurrent.py, where the forward and backward equations are. The sequence layers unroll
a cell over time: step t reads x_t and the state left by step t-1,

    h_t = cell(x_t, h_{t-1})          t = 1 .. T, from the initial state h_0 (zeros by default)

and stack several layers, layer l reading the outputs h_t of layer l - 1. Calling backward() on
a loss of the outputs then runs backpropagation through time: the engine walks the unrolled graph
from the last step to the first, and each step's backward passes dL/dh_{t-1} to the step before.

Truncated backpropagation through time: for a long sequence, cut it into chunks and carry the
state from one chunk to the next *detached* (`h.detach()`, or `(h.detach(), c.detach())` for the
LSTM). The state keeps its values, so the network still sees the whole past, but the gradient
stops at the chunk's start, and the memory of one backward is that of one chunk.

Names, shapes and initialization follow PyTorch, so a state_dict loads into torch.nn.LSTM and back:
    weight_ih_l{k}  (G*H, I) for layer 0, (G*H, H) above     weight_hh_l{k}  (G*H, H)
    bias_ih_l{k}, bias_hh_l{k}  (G*H,)                       G = 1 (RNN), 4 (LSTM), 3 (GRU)
    every parameter ~ U(-1/sqrt(H), 1/sqrt(H))
Two of PyTorch's options are left out: `bidirectional`, and unbatched input (a sequence (T, I)
without its batch axis, or one vector (I,) for a cell), which is refused with an error that says
how to add the batch axis of 1.
"""

from __future__ import annotations

import math
import warnings

import numpy

import tinyconv.functional as F
from tinyconv import init
from tinyconv.checks import (
    check_dropout_probability,
    check_floating,
    check_int,
    check_ndim,
    check_same_dtype,
    check_tensor,
)
from tinyconv.functional.recurrent import gru_cell, lstm_cell, rnn_cell
from tinyconv.nn.module import Module
from tinyconv.nn.parameter import Parameter
from tinyconv.ops.join import split, stack
from tinyconv.tensor import Tensor

GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


def new_parameter(*shape: int) -> Parameter:
    """A float32 Parameter of the given shape, to be filled by `reset_parameters`."""
    return Parameter(numpy.empty(shape, dtype=numpy.float32))


def reset_uniform(module: Module, hidden_size: int) -> None:
    """PyTorch's initialization of recurrent weights: every parameter ~ U(-1/sqrt(H), 1/sqrt(H))."""
    bound = 1.0 / math.sqrt(hidden_size)
    for parameter in module.parameters():
        init.uniform_(parameter, -bound, bound)


def check_nonlinearity(owner: str, nonlinearity: str) -> str:
    """Raise ValueError unless `nonlinearity` is one the Elman cell offers; return it."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{owner}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return nonlinearity


def zero_state(like: Tensor, batch: int, hidden_size: int) -> Tensor:
    """A zero hidden state (batch, hidden_size) with the dtype and array module of `like`."""
    return Tensor(like.xp.zeros((batch, hidden_size), dtype=like.dtype))


def unbind(tensor: Tensor) -> list:
    """The slices tensor[0], tensor[1], ... along the first axis, as a list of tensors.

    One `split` (a single Function whose backward joins the gradients back together) rather than T
    indexing ops: the backward of each x[t] would build a zero array the size of the whole sequence.
    """
    return [piece.reshape(piece.shape[1:]) for piece in split(tensor, 1, axis=0)]


# ------------------------------------------------------------------------------------------ cells


class RNNCellBase(Module):
    """The parameters of one step: weight_ih (G*H, I), weight_hh (G*H, H), bias_ih and bias_hh (G*H,)."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        name = type(self).__name__
        self.input_size = check_int(name, "input_size", input_size, minimum=1)
        self.hidden_size = check_int(name, "hidden_size", hidden_size, minimum=1)
        rows = self.gates * self.hidden_size
        self.weight_ih = new_parameter(rows, self.input_size)
        self.weight_hh = new_parameter(rows, self.hidden_size)
        self.bias_ih = new_parameter(rows) if bias else None
        self.bias_hh = new_parameter(rows) if bias else None
        reset_uniform(self, self.hidden_size)

    def input_batch(self, x) -> Tensor:
        """Check that x is a batch (N, input_size) of floating-point vectors; return it."""
        name = type(self).__name__
        check_tensor(x, name)
        check_floating(x, name)
        if x.ndim == 1:  # PyTorch's unbatched form: refused, so that forward has one path, for batches
            raise ValueError(
                f"{name}: expected a 2-D input (N, input_size), got shape {x.shape} (1-D). PyTorch reads "
                "a 1-D input as one unbatched vector; tinyconv takes batches only: pass "
                f"input.reshape(1, {x.shape[0]}), and a state of shape (1, hidden_size) if you give one"
            )
        check_ndim(x, 2, name, "(N, input_size)")
        return x

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        return text if self.bias_ih is not None else text + ", bias=False"


class RNNCell(RNNCellBase):
    """One step of the Elman RNN, h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh), as torch.nn.RNNCell.

    forward(input, hx=None): input (N, input_size), hx (N, hidden_size), zeros when left out; returns h'.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh"):
        super().__init__(input_size, hidden_size, bias)
        self.nonlinearity = check_nonlinearity("RNNCell", nonlinearity)

    def forward(self, input, hx=None):
        x = self.input_batch(input)
        h = zero_state(x, len(x), self.hidden_size) if hx is None else hx
        return rnn_cell(
            x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, nonlinearity=self.nonlinearity
        )

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else text + f", nonlinearity={self.nonlinearity!r}"


class LSTMCell(RNNCellBase):
    """One LSTM step, as torch.nn.LSTMCell: gates i, f, g, o in the rows of the weights.

    forward(input, hx=None): input (N, input_size), hx = (h, c), each (N, hidden_size), zeros when left
    out; returns (h', c').
    """

    gates = 4

    def forward(self, input, hx=None):
        x = self.input_batch(input)
        if hx is None:
            hx = (zero_state(x, len(x), self.hidden_size), zero_state(x, len(x), self.hidden_size))
        return lstm_cell(x, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class GRUCell(RNNCellBase):
    """One GRU step, as torch.nn.GRUCell: gates r, z, n in the rows of the weights.

    forward(input, hx=None): input (N, input_size), hx (N, hidden_size), zeros when left out; returns h'.
    """

    gates = 3

    def forward(self, input, hx=None):
        x = self.input_batch(input)
        h = zero_state(x, len(x), self.hidden_size) if hx is None else hx
        return gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


# ---------------------------------------------------------------------------------------- layers


class RNNBase(Module):
    """A stack of `num_layers` recurrent layers unrolled over a sequence; see RNN, LSTM and GRU.

    forward(input, hx=None):
        input   (T, N, input_size), or (N, T, input_size) with batch_first=True; T >= 1
        hx      the initial state: (num_layers, N, hidden_size), or for the LSTM a pair (h_0, c_0) of
                such tensors; zeros when left out
    returns (output, h_n), or (output, (h_n, c_n)) for the LSTM:
        output  (T, N, hidden_size) (batch_first: (N, T, hidden_size)), h_t of the last layer
        h_n     (num_layers, N, hidden_size), each layer's state after the last step
    With dropout > 0, the outputs of every layer but the last go through dropout, in training mode.
    """

    mode = "RNN"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
    ):
        super().__init__()
        name = type(self).__name__
        self.input_size = check_int(name, "input_size", input_size, minimum=1)
        self.hidden_size = check_int(name, "hidden_size", hidden_size, minimum=1)
        self.num_layers = check_int(name, "num_layers", num_layers, minimum=1)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = check_dropout_probability(name, dropout, name="dropout")
        if self.dropout > 0 and self.num_layers == 1:
            warnings.warn(
                f"{name}: dropout={dropout} has no effect with num_layers=1 "
                "(it applies between layers, to the outputs of every layer but the last)",
                stacklevel=2,
            )
        rows = GATES[self.mode] * self.hidden_size
        for layer in range(self.num_layers):  # PyTorch's order, which is also the state_dict's
            layer_input = self.input_size if layer == 0 else self.hidden_size
            setattr(self, f"weight_ih_l{layer}", new_parameter(rows, layer_input))
            setattr(self, f"weight_hh_l{layer}", new_parameter(rows, self.hidden_size))
            if self.bias:
                setattr(self, f"bias_ih_l{layer}", new_parameter(rows))
                setattr(self, f"bias_hh_l{layer}", new_parameter(rows))
        reset_uniform(self, self.hidden_size)

    def layer_weights(self, layer: int) -> tuple:
        """(weight_ih, weight_hh, bias_ih, bias_hh) of one layer; the biases are None with bias=False."""
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        return tuple(getattr(self, f"{name}_l{layer}", None) for name in names)

    def step(self, x, state, weights: tuple):
        """One time step of one layer: the new state from input x (N, I) and the previous state."""
        raise NotImplementedError

    def forward(self, input, hx=None):
        sequence = self.check_input(input)
        if self.batch_first:
            sequence = sequence.transpose(0, 1)  # time first: step t is sequence[t]
        states = self.initial_states(hx, sequence)
        steps = unbind(sequence)
        final_states = []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                steps = [F.dropout(x, self.dropout, training=True) for x in steps]
            weights = self.layer_weights(layer)
            state = states[layer]
            outputs = []
            for x in steps:
                state = self.step(x, state, weights)
                outputs.append(state[0] if self.mode == "LSTM" else state)
            steps = outputs
            final_states.append(state)
        output = stack(steps, axis=0)
        if self.batch_first:
            output = output.transpose(0, 1)
        if self.mode == "LSTM":
            return output, (stack([h for h, _ in final_states]), stack([c for _, c in final_states]))
        return output, stack(final_states)

    # ----------------------------------------------------------------------- checks and states
    def check_input(self, input) -> Tensor:
        """Check the input sequence: a floating-point (T, N, I) tensor (batch_first: (N, T, I)), T >= 1."""
        name = type(self).__name__
        layout = "(N, T, input_size)" if self.batch_first else "(T, N, input_size)"
        check_tensor(input, name)
        check_floating(input, name)
        if input.ndim == 2:  # PyTorch's unbatched form: refused, so that forward has one path, for batches
            batch_of_one = (1, *input.shape) if self.batch_first else (input.shape[0], 1, input.shape[1])
            raise ValueError(
                f"{name}: expected a 3-D input {layout}, got shape {input.shape} (2-D). PyTorch reads a 2-D "
                "input as one unbatched sequence (T, input_size); tinyconv takes batches only: pass "
                f"input.reshape{batch_of_one}, and an initial state of shape (num_layers, 1, hidden_size) "
                "if you give one"
            )
        check_ndim(input, 3, name, layout)
        time_axis = 1 if self.batch_first else 0
        if input.shape[time_axis] == 0:
            raise ValueError(
                f"{name}: the input sequence has length 0 (shape {input.shape}, layout {layout}); "
                "there is no step to run"
            )
        if input.shape[2] != self.input_size:
            raise ValueError(
                f"{name}: input has {input.shape[2]} features (shape {input.shape}) "
                f"but the layer expects input_size={self.input_size}"
            )
        return input

    def initial_states(self, hx, sequence: Tensor) -> list:
        """One initial state per layer: a tensor (N, H), or for the LSTM a pair (h, c)."""
        name = type(self).__name__
        batch = sequence.shape[1]
        if hx is None:
            zeros = [zero_state(sequence, batch, self.hidden_size) for _ in range(self.num_layers)]
            if self.mode == "LSTM":
                return [(h, zero_state(sequence, batch, self.hidden_size)) for h in zeros]
            return zeros
        if self.mode == "LSTM":
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(
                    f"{name}: the initial state must be a pair (h_0, c_0), got {type(hx).__name__}"
                )
            pairs = zip(("h_0", "c_0"), hx)
        else:
            pairs = [("h_0", hx)]
        per_layer = []
        expected = (self.num_layers, batch, self.hidden_size)
        for state_name, state in pairs:
            check_tensor(state, name, state_name)
            check_same_dtype(sequence, state, name, "input", state_name)
            if state.shape != expected:
                raise ValueError(
                    f"{name}: {state_name} has shape {state.shape} but expected {expected} "
                    f"(num_layers {self.num_layers}, batch {batch}, hidden_size {self.hidden_size})"
                )
            per_layer.append(unbind(state))
        return list(zip(*per_layer)) if self.mode == "LSTM" else per_layer[0]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        return text


class RNN(RNNBase):
    """A multi-layer Elman RNN, as torch.nn.RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh).

    Arguments as RNNBase, plus nonlinearity='tanh' or 'relu'. Returns (output, h_n).
    """

    mode = "RNN"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
    ):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout)
        self.nonlinearity = check_nonlinearity("RNN", nonlinearity)

    def step(self, x, state, weights: tuple):
        return rnn_cell(x, state, *weights, nonlinearity=self.nonlinearity)

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else text + f", nonlinearity={self.nonlinearity!r}"


class LSTM(RNNBase):
    """A multi-layer LSTM, as torch.nn.LSTM; returns (output, (h_n, c_n)). Gates i, f, g, o."""

    mode = "LSTM"

    def step(self, x, state, weights: tuple):
        return lstm_cell(x, state, *weights)


class GRU(RNNBase):
    """A multi-layer GRU, as torch.nn.GRU; returns (output, h_n). Gates r, z, n."""

    mode = "GRU"

    def step(self, x, state, weights: tuple):
        return gru_cell(x, state, *weights)
