"""One time step of a recurrent network: the RNN, LSTM and GRU cells, each fused into one Function.

A recurrent network reads a sequence x_1, x_2, ... one step at a time and carries a hidden state h
from each step to the next. The three cells differ in how they compute the new state:

    RNN    h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)          (Elman, 1990)
    LSTM   a cell state c beside h, changed only through gates   (Hochreiter & Schmidhuber, 1997;
           the forget gate: Gers, Schmidhuber & Cummins, 2000)
    GRU    h itself, interpolated by an update gate              (Cho et al., 2014)

Shapes, with N the batch, I the input size, H the hidden size and G the number of gate blocks
(1 for the RNN, 4 for the LSTM, 3 for the GRU), in PyTorch's layout:
    x      (N, I)          h, c   (N, H)
    w_ih   (G*H, I)        w_hh   (G*H, H)        b_ih, b_hh   (G*H,)
The G blocks of rows are the gates, in PyTorch's order: LSTM i, f, g, o; GRU r, z, n.

Every cell first computes the same two affine maps, the gate pre-activations

    a_ih = x W_ih^T + b_ih        a_hh = h W_hh^T + b_hh         both (N, G*H)

and their backward is that of two linear layers (functional/linear.py): with A_ih = dL/da_ih and
A_hh = dL/da_hh,

    dL/dx    = A_ih W_ih          dL/dW_ih = A_ih^T x           dL/db_ih = sum of A_ih over the batch
    dL/dh   += A_hh W_hh          dL/dW_hh = A_hh^T h           dL/db_hh = sum of A_hh over the batch

(`CellStep.projections` and `CellStep.projection_grads`). What each cell adds is the element-wise
part in between, whose derivatives are written out, one line per gate, in each class's docstring.
The derivatives used there: sigmoid' = s (1 - s) and tanh' = 1 - t^2, in terms of the outputs.

Why fused, one Function per step, rather than a chain of matmul, sigmoid, tanh and * ops? The
composition would give the same numbers (the tests check that it does), but the backward
of a cell is exactly what a learner comes to read, and here it sits on one screen, beside its
forward. It also keeps only the few arrays the step needs, so memory grows by a fixed amount per
time step: backpropagation through time over T steps costs O(T) memory.
"""

from __future__ import annotations

from tinyconv.autograd import Function
from tinyconv.backend import get_array_module, matmul
from tinyconv.checks import check_floating, check_ndim, check_same_dtype, check_tensor
from tinyconv.functional.activation import stable_sigmoid
from tinyconv.tensor import Tensor


class CellStep(Function):
    """What the three cells share: the two affine maps into the gates and their backward.

    A subclass lists its inputs in `input_names` (the order its `forward` takes them) and calls
    `projections` in forward and `projection_grads` in backward.
    """

    input_names = ("x", "h", "w_ih", "w_hh", "b_ih", "b_hh")

    def needs(self, name: str) -> bool:
        """Whether the input called `name` requires a gradient."""
        return self.needs_input_grad[self.input_names.index(name)]

    def projections(self, x, h, w_ih, w_hh, b_ih, b_hh):
        """a_ih = x W_ih^T + b_ih and a_hh = h W_hh^T + b_hh, each (N, G*H).

        Keeps x, h and the two weights: the backward of a matrix product needs the other factor.
        x is a slice of the input sequence and h the previous step's output, both alive anyway.
        """
        self.x, self.h, self.w_ih, self.w_hh = x, h, w_ih, w_hh
        a_ih = matmul(x, w_ih.T)
        a_hh = matmul(h, w_hh.T)
        if b_ih is not None:
            a_ih += b_ih
        if b_hh is not None:
            a_hh += b_hh
        return a_ih, a_hh

    def projection_grads(self, grad_ih, grad_hh) -> dict:
        """{input name: gradient} for x, h (the path through W_hh only), the weights and the biases,
        from A_ih = dL/da_ih and A_hh = dL/da_hh (see the module docstring); None where not needed."""
        grads = dict.fromkeys(self.input_names)
        if self.needs("x"):
            grads["x"] = matmul(grad_ih, self.w_ih)
        if self.needs("h"):
            grads["h"] = matmul(grad_hh, self.w_hh)
        if self.needs("w_ih"):
            grads["w_ih"] = matmul(grad_ih.T, self.x)
        if self.needs("w_hh"):
            grads["w_hh"] = matmul(grad_hh.T, self.h)
        if self.needs("b_ih"):
            grads["b_ih"] = grad_ih.sum(axis=0)
        if self.needs("b_hh"):
            grads["b_hh"] = grad_hh.sum(axis=0)
        return grads

    def in_input_order(self, grads: dict) -> tuple:
        """The gradients as the tuple backward returns: one per input, in forward's order."""
        return tuple(grads[name] for name in self.input_names)


class RNNCell(CellStep):
    """The Elman cell: one affine map of [x, h] and a nonlinearity.

    Forward, with phi = tanh (or relu):
        a  = x W_ih^T + b_ih + h W_hh^T + b_hh          (N, H)
        h' = phi(a)

    Backward, with dh' = dL/dh' arriving from the loss at this step and from the next step:
        da = dh' * phi'(a)          tanh: dh' * (1 - h'^2)        relu: dh' * [a > 0]
    and then A_ih = A_hh = da in the affine backward (the module docstring): dL/dh = da W_hh.

    That last line is the vanishing gradient in one formula: going back one step multiplies the
    gradient by diag(phi'(a)) W_hh. Over k steps that is k such factors, whose norm shrinks (or
    grows) geometrically unless W_hh and phi' keep it near 1 (Bengio, Simard & Frasconi, 1994).
    """

    def __init__(self, nonlinearity: str):
        self.nonlinearity = nonlinearity

    def forward(self, x, h, w_ih, w_hh, b_ih, b_hh):
        a_ih, a_hh = self.projections(x, h, w_ih, w_hh, b_ih, b_hh)
        a = a_ih + a_hh
        xp = get_array_module(a)
        if self.nonlinearity == "tanh":
            self.h_next = xp.tanh(a)
            return self.h_next
        self.positive = a > 0
        return xp.maximum(a, 0)

    def backward(self, grad_h_next):
        if self.nonlinearity == "tanh":
            grad_a = grad_h_next * (1 - self.h_next * self.h_next)
        else:
            grad_a = grad_h_next * self.positive
        return self.in_input_order(self.projection_grads(grad_a, grad_a))


class LSTMCell(CellStep):
    """The LSTM cell: a cell state c that gates write to, erase and read from.

    Forward, with the pre-activations a = a_ih + a_hh cut into four (N, H) blocks in PyTorch's order:
        i  = sigmoid(a_i)          input gate: how much of the candidate to write
        f  = sigmoid(a_f)          forget gate: how much of the old cell state to keep
        g  = tanh(a_g)             the candidate values
        o  = sigmoid(a_o)          output gate: how much of the cell to show as h
        c' = f * c + i * g
        h' = o * tanh(c')

    The cell state is a conveyor belt: from one step to the next, c is only multiplied by f and has
    something added; no weight matrix and no squashing function stand in its way. So is its gradient.

    Backward, with dh' and dc' arriving from the next step (at the last step, dc' is zero unless the
    loss uses the final c'):
        dc  = dc' + dh' * o * (1 - tanh(c')^2)     all that reaches c', along both of its paths
        do  = dh' * tanh(c')
        di  = dc * g        df = dc * c        dg = dc * i
        dL/dc = dc * f                             the belt backwards: only f stands in the way
        da_i = di * i (1 - i)    da_f = df * f (1 - f)    da_g = dg * (1 - g^2)    da_o = do * o (1 - o)
    and then A_ih = A_hh = [da_i, da_f, da_g, da_o] (N, 4H) in the affine backward, giving dL/dx,
    dL/dh and the weights' gradients. Over k steps dL/dc picks up the product of the k forget gates:
    when the network learns f close to 1, the gradient reaches far back undiminished.
    """

    input_names = ("x", "h", "c", "w_ih", "w_hh", "b_ih", "b_hh")

    def forward(self, x, h, c, w_ih, w_hh, b_ih, b_hh):
        a_ih, a_hh = self.projections(x, h, w_ih, w_hh, b_ih, b_hh)
        a = a_ih + a_hh
        hidden = h.shape[1]
        xp = get_array_module(a)
        self.i = stable_sigmoid(a[:, :hidden])
        self.f = stable_sigmoid(a[:, hidden : 2 * hidden])
        self.g = xp.tanh(a[:, 2 * hidden : 3 * hidden])
        self.o = stable_sigmoid(a[:, 3 * hidden :])
        self.c = c
        c_next = self.f * c + self.i * self.g
        self.tanh_c_next = xp.tanh(c_next)
        return self.o * self.tanh_c_next, c_next

    def backward(self, grad_h_next, grad_c_next):
        i, f, g, o = self.i, self.f, self.g, self.o
        grad_c = grad_c_next + grad_h_next * o * (1 - self.tanh_c_next * self.tanh_c_next)
        grad_a_i = grad_c * g * i * (1 - i)
        grad_a_f = grad_c * self.c * f * (1 - f)
        grad_a_g = grad_c * i * (1 - g * g)
        grad_a_o = grad_h_next * self.tanh_c_next * o * (1 - o)
        grad_a = get_array_module(grad_c).concatenate([grad_a_i, grad_a_f, grad_a_g, grad_a_o], axis=1)
        grads = self.projection_grads(grad_a, grad_a)
        if self.needs("c"):
            grads["c"] = grad_c * f
        return self.in_input_order(grads)


class GRUCell(CellStep):
    """The GRU cell: two gates and no separate cell state; h itself is carried, interpolated.

    Forward, with a_ih and a_hh each cut into three (N, H) blocks in PyTorch's order r, z, n:
        r  = sigmoid(a_ih_r + a_hh_r)           reset gate: how much of h the candidate may see
        z  = sigmoid(a_ih_z + a_hh_z)           update gate: how much of h to keep
        n  = tanh(a_ih_n + r * a_hh_n)          the candidate; r multiplies W_hn h + b_hn, bias included
        h' = (1 - z) * n + z * h

    The two maps stay apart (not summed as in the LSTM) because r multiplies only the h part of n.
    The update gate plays the forget gate's part: where z is close to 1, h' = h and the gradient
    passes straight back.

    Backward, with dh' arriving from the next step:
        dn    = dh' * (1 - z)        dz = dh' * (h - n)        dL/dh (direct path) = dh' * z
        da_n  = dn * (1 - n^2)                                 pre-activation of n
        dr    = da_n * a_hh_n
        da_r  = dr * r (1 - r)       da_z = dz * z (1 - z)
        A_ih  = [da_r, da_z, da_n]          A_hh = [da_r, da_z, da_n * r]
    and the affine backward adds A_hh W_hh to the direct dL/dh.
    """

    def forward(self, x, h, w_ih, w_hh, b_ih, b_hh):
        a_ih, a_hh = self.projections(x, h, w_ih, w_hh, b_ih, b_hh)
        hidden = h.shape[1]
        self.r = stable_sigmoid(a_ih[:, :hidden] + a_hh[:, :hidden])
        self.z = stable_sigmoid(a_ih[:, hidden : 2 * hidden] + a_hh[:, hidden : 2 * hidden])
        # A copy, not a view: a view would keep all of a_hh (N, 3H) alive until backward.
        self.a_hh_n = a_hh[:, 2 * hidden :].copy()
        self.n = get_array_module(x).tanh(a_ih[:, 2 * hidden :] + self.r * self.a_hh_n)
        return (1 - self.z) * self.n + self.z * h

    def backward(self, grad_h_next):
        r, z, n = self.r, self.z, self.n
        grad_a_n = grad_h_next * (1 - z) * (1 - n * n)
        grad_a_r = grad_a_n * self.a_hh_n * r * (1 - r)
        grad_a_z = grad_h_next * (self.h - n) * z * (1 - z)
        xp = get_array_module(grad_h_next)
        grad_ih = xp.concatenate([grad_a_r, grad_a_z, grad_a_n], axis=1)
        grad_hh = xp.concatenate([grad_a_r, grad_a_z, grad_a_n * r], axis=1)
        grads = self.projection_grads(grad_ih, grad_hh)
        if self.needs("h"):
            grads["h"] = grads["h"] + grad_h_next * z
        return self.in_input_order(grads)


# ---------------------------------------------------------------------------------- argument checks


def check_cell_arguments(op: str, gates: int, x, states: dict, w_ih, w_hh, b_ih, b_hh) -> None:
    """Check a cell's tensors against each other: shapes (N, I), (N, H), (G*H, I), (G*H, H), (G*H,),
    one floating dtype for all. `states` maps a name ('h', 'c') to a hidden-state tensor."""
    check_tensor(x, op)
    check_floating(x, op)
    check_ndim(x, 2, op, "(N, input_size)")
    for name, weight, columns in (("weight_ih", w_ih, "input_size"), ("weight_hh", w_hh, "hidden_size")):
        check_tensor(weight, op, name)
        check_ndim(weight, 2, op, f"({gates} * hidden_size, {columns})", name)
        check_same_dtype(x, weight, op, "input", name)
    hidden = w_hh.shape[1]
    if w_hh.shape[0] != gates * hidden:
        raise ValueError(
            f"{op}: weight_hh must have shape ({gates} * hidden_size, hidden_size), got {w_hh.shape}"
        )
    if w_ih.shape[0] != gates * hidden:
        raise ValueError(
            f"{op}: weight_ih has {w_ih.shape[0]} rows but weight_hh has {w_hh.shape[0]}; both must be "
            f"{gates} * hidden_size = {gates * hidden}"
        )
    if x.shape[1] != w_ih.shape[1]:
        raise ValueError(
            f"{op}: input has {x.shape[1]} features (shape {x.shape}) but weight_ih expects "
            f"{w_ih.shape[1]} (weight_ih shape {w_ih.shape})"
        )
    for name, state in states.items():
        check_tensor(state, op, f"hidden state {name}")
        check_same_dtype(x, state, op, "input", f"hidden state {name}")
        if state.shape != (x.shape[0], hidden):
            raise ValueError(
                f"{op}: hidden state {name} has shape {state.shape} but expected {(x.shape[0], hidden)} "
                f"(batch {x.shape[0]}, hidden_size {hidden})"
            )
    for name, bias in (("bias_ih", b_ih), ("bias_hh", b_hh)):
        if bias is None:
            continue
        check_tensor(bias, op, name)
        check_same_dtype(x, bias, op, "input", name)
        if bias.shape != (gates * hidden,):
            raise ValueError(f"{op}: {name} must have shape ({gates * hidden},), got {bias.shape}")


def rnn_cell(
    x: Tensor,
    h: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    nonlinearity: str = "tanh",
) -> Tensor:
    """One step of the Elman RNN: h' = phi(x W_ih^T + b_ih + h W_hh^T + b_hh), phi = tanh or relu.

    x (N, I), h (N, H), w_ih (H, I), w_hh (H, H), biases (H,) or None; returns h' (N, H).
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_cell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    check_cell_arguments("rnn_cell", 1, x, {"h": h}, w_ih, w_hh, b_ih, b_hh)
    return RNNCell(nonlinearity)(x, h, w_ih, w_hh, b_ih, b_hh)


def lstm_cell(
    x: Tensor,
    state: tuple,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> tuple:
    """One step of the LSTM: returns (h', c') from x and state = (h, c); see `LSTMCell` for the math.

    x (N, I), h and c (N, H), w_ih (4H, I), w_hh (4H, H), biases (4H,) or None; gates i, f, g, o.
    """
    if not isinstance(state, (tuple, list)) or len(state) != 2:
        raise TypeError(f"lstm_cell: the state must be a pair (h, c) of tensors, got {type(state).__name__}")
    h, c = state
    check_cell_arguments("lstm_cell", 4, x, {"h": h, "c": c}, w_ih, w_hh, b_ih, b_hh)
    return LSTMCell()(x, h, c, w_ih, w_hh, b_ih, b_hh)


def gru_cell(
    x: Tensor,
    h: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> Tensor:
    """One step of the GRU: returns h'; see `GRUCell` for the math.

    x (N, I), h (N, H), w_ih (3H, I), w_hh (3H, H), biases (3H,) or None; gates r, z, n.
    """
    check_cell_arguments("gru_cell", 3, x, {"h": h}, w_ih, w_hh, b_ih, b_hh)
    return GRUCell()(x, h, w_ih, w_hh, b_ih, b_hh)
