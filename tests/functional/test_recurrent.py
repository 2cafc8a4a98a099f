"""The fused RNN, LSTM and GRU steps (tinyconv/functional/recurrent.py); their modules are in
tests/nn/test_rnn.py.

Each fused step is checked three independent ways: against the same cell composed from primitive
tinyconv ops (matmul, split, sigmoid, tanh, * and +, each with its own tested backward), against
finite differences in float64, and (in tests/nn/test_rnn.py) against torch.nn's cells with the same
weights.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import random_array

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor
from tinyconv.gradcheck import gradcheck

GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


# ------------------------------------------------------------------------------ the composed reference cells


def composed_rnn_cell(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh"):
    a = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    return F.tanh(a) if nonlinearity == "tanh" else F.relu(a)


def composed_lstm_cell(x, state, w_ih, w_hh, b_ih, b_hh):
    h, c = state
    a = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    a_i, a_f, a_g, a_o = tinyconv.split(a, h.shape[1], axis=1)
    i, f, g, o = F.sigmoid(a_i), F.sigmoid(a_f), F.tanh(a_g), F.sigmoid(a_o)
    c_next = f * c + i * g
    return o * F.tanh(c_next), c_next


def composed_gru_cell(x, h, w_ih, w_hh, b_ih, b_hh):
    ih_r, ih_z, ih_n = tinyconv.split(x @ w_ih.T + b_ih, h.shape[1], axis=1)
    hh_r, hh_z, hh_n = tinyconv.split(h @ w_hh.T + b_hh, h.shape[1], axis=1)
    r = F.sigmoid(ih_r + hh_r)
    z = F.sigmoid(ih_z + hh_z)
    n = F.tanh(ih_n + r * hh_n)
    return (1 - z) * n + z * h


def fused(kind):
    """The tinyconv function for a cell kind, taking (x, state, w_ih, w_hh, b_ih, b_hh)."""
    if kind == "rnn_relu":
        return lambda *args: F.rnn_cell(*args, nonlinearity="relu")
    return {"rnn_tanh": F.rnn_cell, "lstm": F.lstm_cell, "gru": F.gru_cell}[kind]


def composed(kind):
    if kind == "rnn_relu":
        return lambda *args: composed_rnn_cell(*args, nonlinearity="relu")
    return {"rnn_tanh": composed_rnn_cell, "lstm": composed_lstm_cell, "gru": composed_gru_cell}[kind]


def cell_tensors(kind, batch=3, input_size=4, hidden=5, scale=1.0, bias=True, seed=0):
    """[x, h, (c), w_ih, w_hh, b_ih, b_hh] as float64 leaves; the weights are N(0, 1) * scale / sqrt(fan in),
    so scale ~ 1 keeps the gates in their middle range and scale ~ 10 drives most of them into saturation."""
    rows = GATES[kind] * hidden
    states = 2 if kind == "lstm" else 1

    def leaf(*shape, k, factor=1.0):
        return Tensor(random_array(*shape, seed=seed * 100 + k) * factor, requires_grad=True)

    tensors = [leaf(batch, input_size, k=0)]
    tensors += [leaf(batch, hidden, k=1 + s, factor=0.5) for s in range(states)]
    tensors.append(leaf(rows, input_size, k=3, factor=scale / math.sqrt(input_size)))
    tensors.append(leaf(rows, hidden, k=4, factor=scale / math.sqrt(hidden)))
    tensors += (
        [leaf(rows, k=5, factor=scale * 0.5), leaf(rows, k=6, factor=scale * 0.5)] if bias else [None, None]
    )
    return tensors


def call(function, kind, tensors):
    """Call a cell function with the flat tensor list, packing (h, c) for the LSTM."""
    if kind == "lstm":
        x, h, c, *rest = tensors
        return function(x, (h, c), *rest)
    return function(*tensors)


# ------------------------------------------------------------------------------ fused against composed


@pytest.mark.parametrize("kind", list(GATES))
def test_fused_cell_matches_composed_cell_in_output_and_gradients(kind):
    upstream_seed = 7
    results = []
    for function in (fused(kind), composed(kind)):
        tensors = cell_tensors(kind)
        outputs = call(function, kind, tensors)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        loss = sum(
            (y * Tensor(random_array(*y.shape, seed=upstream_seed + k))).sum() for k, y in enumerate(outputs)
        )
        loss.backward()
        results.append(([y.data for y in outputs], [t.grad for t in tensors if t is not None]))
    (fused_out, fused_grads), (composed_out, composed_grads) = results
    for ours, reference in zip(fused_out, composed_out):
        np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-12)
    assert len(fused_grads) == len(composed_grads)
    for index, (ours, reference) in enumerate(zip(fused_grads, composed_grads)):
        np.testing.assert_allclose(ours, reference, rtol=1e-10, atol=1e-12, err_msg=f"input {index}")


# ------------------------------------------------------------------------------ finite differences


GRADCHECK_CASES = {
    "gates in their middle range": {"scale": 1.0},
    "gates saturated": {"scale": 10.0},
    "batch 1, no bias": {"batch": 1, "bias": False},
    "more hidden units than inputs": {"batch": 2, "input_size": 2, "hidden": 6},
}


def gradcheck_case(kind: str, case: str) -> tuple:
    """(fn, inputs) for gradcheck: the fused cell as a function of every tensor it has (the biases of a
    cell built without them are left out). tests/backend/gpu_checks.py reruns these on the GPU."""
    tensors = cell_tensors(kind, **GRADCHECK_CASES[case])
    positions = [k for k, t in enumerate(tensors) if t is not None]

    def fn(*args):
        full = list(tensors)
        for k, value in zip(positions, args):
            full[k] = value
        return call(fused(kind), kind, full)

    return fn, [tensors[k] for k in positions]


@pytest.mark.parametrize("case", list(GRADCHECK_CASES))
@pytest.mark.parametrize("kind", list(GATES))
def test_fused_cell_passes_gradcheck(kind, case):
    fn, inputs = gradcheck_case(kind, case)
    assert gradcheck(fn, inputs) is True


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_the_saturated_case_really_saturates_most_gates(kind):
    x, h, *_, w_ih, w_hh, b_ih, b_hh = cell_tensors(kind, scale=10.0)
    pre_activations = x.data @ w_ih.data.T + b_ih.data + h.data @ w_hh.data.T + b_hh.data
    sigmoid = 1 / (1 + np.exp(-pre_activations))
    saturated = (sigmoid < 0.01) | (sigmoid > 0.99)
    assert saturated.mean() > 0.5


def test_lstm_gradcheck_when_only_the_cell_state_is_used():
    # h' unused: its upstream gradient is the zeros the engine fills in; only the dc' path remains.
    x, h, c, *weights = cell_tensors("lstm")
    assert gradcheck(lambda *t: F.lstm_cell(t[0], (t[1], t[2]), *t[3:])[1], [x, h, c, *weights]) is True


def test_lstm_gradcheck_when_only_the_hidden_state_is_used():
    x, h, c, *weights = cell_tensors("lstm")
    assert gradcheck(lambda *t: F.lstm_cell(t[0], (t[1], t[2]), *t[3:])[0], [x, h, c, *weights]) is True


def test_cell_state_reused_across_steps_passes_gradcheck():
    # The same h0 starts two steps (one per input) and the same weights serve both: every gradient is a
    # sum over two paths.
    x1, h0, c0, w_ih, w_hh, b_ih, b_hh = cell_tensors("lstm")
    x2 = Tensor(random_array(*x1.shape, seed=42), requires_grad=True)

    def two_steps(x1, x2, h0, c0, w_ih, w_hh, b_ih, b_hh):
        h1, c1 = F.lstm_cell(x1, (h0, c0), w_ih, w_hh, b_ih, b_hh)
        h2, c2 = F.lstm_cell(x2, (h1, c0), w_ih, w_hh, b_ih, b_hh)
        return h2 + h0, c2 * c1

    assert gradcheck(two_steps, [x1, x2, h0, c0, w_ih, w_hh, b_ih, b_hh]) is True


@pytest.mark.parametrize("kind", ["rnn_tanh", "rnn_relu", "gru"])
def test_single_state_cell_reused_across_steps_passes_gradcheck(kind):
    # As above for the cells whose state is one tensor: h0 starts both steps and is added to the output.
    x1, h0, w_ih, w_hh, b_ih, b_hh = cell_tensors(kind)
    x2 = Tensor(random_array(*x1.shape, seed=42), requires_grad=True)
    step = fused(kind)

    def two_steps(x1, x2, h0, w_ih, w_hh, b_ih, b_hh):
        h1 = step(x1, h0, w_ih, w_hh, b_ih, b_hh)
        return step(x2, h1, w_ih, w_hh, b_ih, b_hh) + h0

    assert gradcheck(two_steps, [x1, x2, h0, w_ih, w_hh, b_ih, b_hh]) is True


# ------------------------------------------------------------------------------ values worked out by hand


def test_rnn_cell_with_one_unit_computes_tanh_of_the_affine_map():
    x, h = Tensor(np.array([[0.5]])), Tensor(np.array([[-1.0]]))
    w_ih, w_hh = Tensor(np.array([[2.0]])), Tensor(np.array([[0.3]]))
    b_ih, b_hh = Tensor(np.array([0.1])), Tensor(np.array([-0.2]))
    expected = math.tanh(2.0 * 0.5 + 0.1 + 0.3 * -1.0 - 0.2)
    assert F.rnn_cell(x, h, w_ih, w_hh, b_ih, b_hh).item() == pytest.approx(expected, abs=1e-15)


def test_lstm_cell_with_open_forget_gate_and_closed_input_gate_passes_the_cell_gradient_unchanged():
    # One unit, no weights: the gates are sigmoid of their biases. f = sigmoid(50) = 1 and i = sigmoid(-50)
    # ~ 2e-22 in float64, so c' = c and dL/dc = dL/dc' exactly: the conveyor belt.
    x = Tensor(np.zeros((2, 1)))
    h = Tensor(np.zeros((2, 1)))
    c = Tensor(np.array([[0.7], [-1.3]]), requires_grad=True)
    w_ih, w_hh = Tensor(np.zeros((4, 1))), Tensor(np.zeros((4, 1)))
    bias = Tensor(np.array([-50.0, 50.0, 0.0, 0.0]))  # i, f, g, o
    _, c_next = F.lstm_cell(x, (h, c), w_ih, w_hh, bias, Tensor(np.zeros(4)))
    np.testing.assert_array_equal(c_next.data, c.data)
    upstream = np.array([[3.0], [-5.0]])
    c_next.backward(upstream)
    np.testing.assert_array_equal(c.grad, upstream)


def test_gru_cell_with_update_gate_closed_copies_the_state_and_its_gradient():
    # z = sigmoid(50) = 1: h' = (1 - z) n + z h = h, and dL/dh = dL/dh' (the direct path, times z = 1).
    x = Tensor(np.ones((2, 3)))
    h = Tensor(np.array([[0.2, -0.4], [0.9, 0.0]]), requires_grad=True)
    w_ih, w_hh = Tensor(np.zeros((6, 3))), Tensor(np.zeros((6, 2)))
    b_ih = Tensor(np.array([0.0, 0.0, 50.0, 50.0, 0.0, 0.0]))  # r, r, z, z, n, n
    h_next = F.gru_cell(x, h, w_ih, w_hh, b_ih, Tensor(np.zeros(6)))
    np.testing.assert_array_equal(h_next.data, h.data)
    upstream = np.array([[1.0, 2.0], [3.0, 4.0]])
    h_next.backward(upstream)
    np.testing.assert_array_equal(h.grad, upstream)


def test_gru_reset_gate_multiplies_the_hidden_bias_too():
    # PyTorch's GRU: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)). With W = 0, r = sigmoid(0) = 1/2,
    # z = 1/2, b_in = 0.3, b_hn = 0.8: n = tanh(0.3 + 0.4) and h' = n / 2 + h / 2.
    x, h = Tensor(np.zeros((1, 1))), Tensor(np.array([[0.6]]))
    w_ih, w_hh = Tensor(np.zeros((3, 1))), Tensor(np.zeros((3, 1)))
    b_ih, b_hh = Tensor(np.array([0.0, 0.0, 0.3])), Tensor(np.array([0.0, 0.0, 0.8]))
    expected = 0.5 * math.tanh(0.3 + 0.5 * 0.8) + 0.5 * 0.6
    assert F.gru_cell(x, h, w_ih, w_hh, b_ih, b_hh).item() == pytest.approx(expected, abs=1e-15)


# ------------------------------------------------------------------------------ bad input


def test_functional_cell_rejects_weights_with_the_wrong_number_of_gate_rows():
    x, h = Tensor(np.zeros((2, 4))), Tensor(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"weight_hh must have shape \(4 \* hidden_size, hidden_size\)"):
        F.lstm_cell(x, (h, h), Tensor(np.zeros((15, 4))), Tensor(np.zeros((15, 5))))
