"""The recurrent modules (tinyconv/nn/rnn.py), in the module's order: the cells nn.RNNCell, nn.LSTMCell
and nn.GRUCell, then the sequence layers nn.RNN, nn.LSTM and nn.GRU.

PyTorch's parameter names, shapes, counts and initialization; zero initial states; clear errors for bad
input; backpropagation through time and truncated BPTT; dropout between layers; memory linear in the
sequence length; and the same outputs, states and gradients as torch.nn's modules with the same weights.
"""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from functional.test_recurrent import GATES
from helpers import random_array

import tinyconv
from tinyconv import Tensor, nn
from tinyconv.gradcheck import gradcheck

# ------------------------------------------------------------------------------ the cells


@pytest.mark.parametrize(
    "cell_class, gates", [(nn.RNNCell, 1), (nn.LSTMCell, 4), (nn.GRUCell, 3)], ids=["rnn", "lstm", "gru"]
)
def test_cell_module_has_pytorch_parameter_names_and_shapes(cell_class, gates):
    cell = cell_class(3, 5)
    shapes = {name: p.shape for name, p in cell.named_parameters()}
    assert list(shapes) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert shapes == {
        "weight_ih": (gates * 5, 3),
        "weight_hh": (gates * 5, 5),
        "bias_ih": (gates * 5,),
        "bias_hh": (gates * 5,),
    }


@pytest.mark.parametrize("cell_class", [nn.RNNCell, nn.LSTMCell, nn.GRUCell], ids=["rnn", "lstm", "gru"])
def test_cell_module_without_bias_has_only_the_two_weights(cell_class):
    assert [name for name, _ in cell_class(3, 5, bias=False).named_parameters()] == ["weight_ih", "weight_hh"]


@pytest.mark.parametrize("cell_class", [nn.RNNCell, nn.LSTMCell, nn.GRUCell], ids=["rnn", "lstm", "gru"])
def test_cell_module_init_is_uniform_within_one_over_square_root_of_hidden_size(cell_class):
    tinyconv.manual_seed(0)
    values = np.concatenate([p.data.ravel() for p in cell_class(10, 16).parameters()])
    bound = 1 / math.sqrt(16)
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.95 * bound  # spread over the whole interval, not a narrow band
    assert abs(values.mean()) < 0.02 and values.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)


def test_cell_module_init_is_repeatable_with_manual_seed():
    tinyconv.manual_seed(3)
    first = nn.LSTMCell(4, 6).state_dict()
    tinyconv.manual_seed(3)
    second = nn.LSTMCell(4, 6).state_dict()
    for name in first:
        np.testing.assert_array_equal(first[name], second[name])


@pytest.mark.parametrize("cell_class", [nn.RNNCell, nn.GRUCell], ids=["rnn", "gru"])
def test_cell_module_without_a_state_starts_from_zeros(cell_class):
    cell = cell_class(3, 4)
    x = Tensor(random_array(2, 3, dtype=np.float32))
    np.testing.assert_array_equal(cell(x).data, cell(x, Tensor(np.zeros((2, 4), dtype=np.float32))).data)


def test_lstm_cell_module_without_a_state_starts_from_zeros():
    cell = nn.LSTMCell(3, 4)
    x = Tensor(random_array(2, 3, dtype=np.float32))
    zeros = Tensor(np.zeros((2, 4), dtype=np.float32))
    for ours, explicit in zip(cell(x), cell(x, (zeros, zeros))):
        np.testing.assert_array_equal(ours.data, explicit.data)


def test_relu_rnn_cell_module_outputs_are_non_negative():
    cell = nn.RNNCell(3, 8, nonlinearity="relu")
    assert (cell(Tensor(random_array(5, 3, dtype=np.float32))).data >= 0).all()


def test_cell_module_repr_shows_its_sizes():
    assert repr(nn.LSTMCell(3, 5)) == "LSTMCell(3, 5)"
    assert (
        repr(nn.RNNCell(3, 5, bias=False, nonlinearity="relu"))
        == "RNNCell(3, 5, bias=False, nonlinearity='relu')"
    )


# ------------------------------------------------------------------------------ the cells: bad input


def test_cell_rejects_input_of_the_wrong_size():
    cell = nn.GRUCell(4, 5)
    with pytest.raises(ValueError, match=r"input has 3 features .* weight_ih expects 4"):
        cell(Tensor(np.zeros((2, 3), dtype=np.float32)))


def test_cell_rejects_a_hidden_state_of_the_wrong_shape():
    cell = nn.RNNCell(4, 5)
    x = Tensor(np.zeros((2, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=r"hidden state h has shape \(2, 6\) but expected \(2, 5\)"):
        cell(x, Tensor(np.zeros((2, 6), dtype=np.float32)))


def test_lstm_cell_rejects_a_cell_state_of_the_wrong_batch_size():
    cell = nn.LSTMCell(4, 5)
    x = Tensor(np.zeros((2, 4), dtype=np.float32))
    h, c = Tensor(np.zeros((2, 5), dtype=np.float32)), Tensor(np.zeros((3, 5), dtype=np.float32))
    with pytest.raises(ValueError, match=r"hidden state c has shape \(3, 5\) but expected \(2, 5\)"):
        cell(x, (h, c))


def test_lstm_cell_rejects_a_state_that_is_not_a_pair():
    cell = nn.LSTMCell(4, 5)
    x = Tensor(np.zeros((2, 4), dtype=np.float32))
    with pytest.raises(TypeError, match=r"pair \(h, c\)"):
        cell(x, Tensor(np.zeros((2, 5), dtype=np.float32)))


def test_cell_refuses_an_unbatched_input_and_says_how_to_add_the_batch_axis():
    # PyTorch reads (input_size,) as one vector without a batch axis; tinyconv takes batches only.
    with pytest.raises(ValueError, match=r"got shape \(4,\) .* unbatched .* input.reshape\(1, 4\)"):
        nn.LSTMCell(4, 5)(Tensor(np.zeros(4, dtype=np.float32)))


def test_cell_rejects_a_state_of_another_dtype():
    x = Tensor(np.zeros((2, 4), dtype=np.float32))
    with pytest.raises(TypeError, match="hidden state h has dtype float64"):
        nn.RNNCell(4, 5)(x, Tensor(np.zeros((2, 5))))


def test_rnn_cell_rejects_an_unknown_nonlinearity():
    with pytest.raises(ValueError, match="'tanh' or 'relu', got 'sigmoid'"):
        nn.RNNCell(4, 5, nonlinearity="sigmoid")


# ------------------------------------------------------------------------------ the cells: PyTorch


def torch_cell(torch, kind, input_size, hidden):
    if kind == "lstm":
        return torch.nn.LSTMCell(input_size, hidden)
    if kind == "gru":
        return torch.nn.GRUCell(input_size, hidden)
    return torch.nn.RNNCell(input_size, hidden, nonlinearity=kind.split("_")[1])


def tiny_cell(kind, input_size, hidden):
    if kind == "lstm":
        return nn.LSTMCell(input_size, hidden)
    if kind == "gru":
        return nn.GRUCell(input_size, hidden)
    return nn.RNNCell(input_size, hidden, nonlinearity=kind.split("_")[1])


@pytest.mark.parametrize("kind", list(GATES))
def test_cell_module_matches_torch_with_copied_weights(torch, kind):
    ours = tiny_cell(kind, 4, 6).double()
    theirs = torch_cell(torch, kind, 4, 6).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    arrays = [random_array(3, 4, seed=1), random_array(3, 6, seed=2), random_array(3, 6, seed=3)]
    tiny_in = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    torch_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    if kind == "lstm":
        tiny_out = ours(tiny_in[0], (tiny_in[1], tiny_in[2]))
        torch_out = theirs(torch_in[0], (torch_in[1], torch_in[2]))
    else:
        tiny_in, torch_in = tiny_in[:2], torch_in[:2]
        tiny_out, torch_out = (ours(*tiny_in),), (theirs(*torch_in),)
    tiny_loss = sum((y * Tensor(random_array(*y.shape, seed=10 + k))).sum() for k, y in enumerate(tiny_out))
    torch_loss = sum(
        (y * torch.from_numpy(random_array(*y.shape, seed=10 + k))).sum() for k, y in enumerate(torch_out)
    )
    tiny_loss.backward()
    torch_loss.backward()
    for a, b in zip(tiny_out, torch_out):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-12)
    for k, (a, b) in enumerate(zip(tiny_in, torch_in)):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"input {k}")
    for (name, a), b in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("kind", list(GATES))
@pytest.mark.parametrize("bias", [True, False])
def test_cell_module_parameter_count_equals_torch(torch, kind, bias):
    ours = tiny_cell(kind, 7, 11) if bias else type(tiny_cell(kind, 7, 11))(7, 11, bias=False)
    theirs = (
        torch_cell(torch, kind, 7, 11) if bias else type(torch_cell(torch, kind, 7, 11))(7, 11, bias=False)
    )
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())


# ------------------------------------------------------------------------------ the layers


LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def sequence(steps, batch, features, seed=0, dtype=np.float64, requires_grad=True) -> Tensor:
    return Tensor(random_array(steps, batch, features, seed=seed, dtype=dtype), requires_grad=requires_grad)


def initial_state(kind, layers, batch, hidden, seed=10):
    """A random initial state (float64 leaves): a tensor, or (h_0, c_0) for the LSTM."""
    h0 = Tensor(random_array(layers, batch, hidden, seed=seed) * 0.5, requires_grad=True)
    if kind != "lstm":
        return h0
    return h0, Tensor(random_array(layers, batch, hidden, seed=seed + 1) * 0.5, requires_grad=True)


def flat(state) -> list:
    return list(state) if isinstance(state, tuple) else [state]


def torch_layer(torch, kind, *args, **kwargs):
    return {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](*args, **kwargs)


# -------------------------------------------------------------------------- the layers: names, shapes, counts


def test_two_layer_lstm_has_pytorch_parameter_names_in_pytorch_order():
    assert list(nn.LSTM(3, 5, num_layers=2).state_dict()) == [
        "weight_ih_l0",
        "weight_hh_l0",
        "bias_ih_l0",
        "bias_hh_l0",
        "weight_ih_l1",
        "weight_hh_l1",
        "bias_ih_l1",
        "bias_hh_l1",
    ]


@pytest.mark.parametrize("kind, gates", [("rnn", 1), ("lstm", 4), ("gru", 3)])
def test_layer_parameter_shapes_read_from_input_below_and_hidden_state(kind, gates):
    shapes = {name: p.shape for name, p in LAYERS[kind](3, 5, num_layers=2).named_parameters()}
    assert shapes["weight_ih_l0"] == (gates * 5, 3)
    assert shapes["weight_ih_l1"] == (gates * 5, 5)  # layer 1 reads layer 0's hidden states
    assert shapes["weight_hh_l1"] == (gates * 5, 5)
    assert shapes["bias_hh_l1"] == (gates * 5,)


@pytest.mark.parametrize("kind, gates", [("rnn", 1), ("lstm", 4), ("gru", 3)])
def test_layer_parameter_count_follows_the_formula(kind, gates):
    # Layer 0: G*H*(I + H) weights + 2*G*H biases; each layer above: G*H*(H + H) + 2*G*H.
    inputs, hidden, layers = 7, 11, 3
    expected = gates * hidden * (inputs + hidden + 2) + (layers - 1) * gates * hidden * (2 * hidden + 2)
    assert sum(p.numel() for p in LAYERS[kind](inputs, hidden, num_layers=layers).parameters()) == expected


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", list(LAYERS))
def test_layer_parameter_count_equals_torch(torch, kind, bias):
    ours = LAYERS[kind](7, 11, num_layers=3, bias=bias)
    theirs = torch_layer(torch, kind, 7, 11, num_layers=3, bias=bias)
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())
    assert list(ours.state_dict()) == list(theirs.state_dict())


@pytest.mark.parametrize("kind", list(LAYERS))
def test_layer_output_and_final_state_shapes(kind):
    output, state = LAYERS[kind](3, 5, num_layers=2)(sequence(6, 4, 3, dtype=np.float32))
    assert output.shape == (6, 4, 5)
    assert [s.shape for s in flat(state)] == [(2, 4, 5)] * (2 if kind == "lstm" else 1)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_final_hidden_state_of_the_last_layer_is_the_last_output(kind):
    output, state = LAYERS[kind](3, 5, num_layers=2)(sequence(6, 4, 3, dtype=np.float32))
    h_n = flat(state)[0]
    np.testing.assert_array_equal(h_n.data[-1], output.data[-1])


def test_batch_first_layer_gives_the_transposed_result_of_the_time_first_layer():
    tinyconv.manual_seed(0)
    time_first = nn.GRU(3, 5, num_layers=2)
    batch_first = nn.GRU(3, 5, num_layers=2, batch_first=True)
    batch_first.load_state_dict(time_first.state_dict())
    x = random_array(6, 4, 3, dtype=np.float32)
    output, h_n = time_first(Tensor(x))
    output_bf, h_n_bf = batch_first(Tensor(x.transpose(1, 0, 2).copy()))
    assert output_bf.shape == (4, 6, 5)
    np.testing.assert_allclose(output_bf.data, output.data.transpose(1, 0, 2), rtol=1e-6)
    np.testing.assert_allclose(h_n_bf.data, h_n.data, rtol=1e-6)  # h_n stays (num_layers, N, H)


def test_layer_is_its_cell_unrolled_over_time_and_stacked():
    layer = nn.LSTM(3, 4, num_layers=2).double()
    cells = [nn.LSTMCell(3, 4).double(), nn.LSTMCell(4, 4).double()]
    for k, cell in enumerate(cells):
        cell.load_state_dict({name: layer.state_dict()[f"{name}_l{k}"] for name in cell.state_dict()})
    x = sequence(5, 2, 3, requires_grad=False)
    output, (h_n, c_n) = layer(x)
    inputs = [x[t] for t in range(5)]
    for k, cell in enumerate(cells):
        state, outputs = None, []
        for x_t in inputs:
            state = cell(x_t, state)
            outputs.append(state[0])
        inputs = outputs
        np.testing.assert_allclose(h_n.data[k], state[0].data, rtol=1e-12)
        np.testing.assert_allclose(c_n.data[k], state[1].data, rtol=1e-12)
    np.testing.assert_allclose(output.data, np.stack([h.data for h in inputs]), rtol=1e-12)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_layer_without_initial_state_starts_from_zeros(kind):
    layer = LAYERS[kind](3, 5, num_layers=2)
    x = sequence(4, 2, 3, dtype=np.float32, requires_grad=False)
    zeros = Tensor(np.zeros((2, 2, 5), dtype=np.float32))
    explicit = layer(x, (zeros, zeros) if kind == "lstm" else zeros)[0]
    np.testing.assert_array_equal(layer(x)[0].data, explicit.data)


def test_layer_repr_shows_its_arguments():
    assert repr(nn.LSTM(3, 5, num_layers=2, batch_first=True)) == "LSTM(3, 5, num_layers=2, batch_first=True)"
    assert repr(nn.RNN(3, 5, nonlinearity="relu")) == "RNN(3, 5, nonlinearity='relu')"


# ------------------------------------------------------------------- the layers: backpropagation through time


@pytest.mark.parametrize("kind", list(LAYERS))
def test_two_layer_unrolled_sequence_passes_gradcheck(kind):
    tinyconv.manual_seed(1)
    layer = LAYERS[kind](3, 4, num_layers=2).double()
    x = sequence(4, 2, 3)
    state = initial_state(kind, 2, 2, 4)
    parameters = list(layer.parameters())
    states = flat(state)

    def unrolled(x, *rest):  # gradcheck nudges the parameters in place; they reach the layer itself
        initial = tuple(rest[: len(states)]) if kind == "lstm" else rest[0]
        output, final = layer(x, initial)
        return (output, *flat(final))

    assert gradcheck(unrolled, [x, *states, *parameters]) is True


def test_relu_rnn_with_batch_first_and_no_bias_passes_gradcheck():
    layer = nn.RNN(2, 3, num_layers=2, nonlinearity="relu", bias=False, batch_first=True).double()
    x = Tensor(random_array(2, 5, 2, seed=4), requires_grad=True)  # (N, T, I)
    assert gradcheck(lambda x, *p: layer(x)[0], [x, *layer.parameters()]) is True


@pytest.mark.parametrize("kind", list(LAYERS))
def test_state_reused_across_two_sequences_passes_gradcheck(kind):
    # One initial state starts two sequences, and the first sequence's final state starts a third:
    # the gradient of h_0 sums three paths, and the weights' gradients sum over every step of all three.
    layer = LAYERS[kind](2, 3).double()
    a, b, c = sequence(3, 2, 2, seed=1), sequence(2, 2, 2, seed=2), sequence(2, 2, 2, seed=3)
    state = initial_state(kind, 1, 2, 3)

    def three_sequences(a, b, c, *state_and_parameters):
        h0 = tuple(state_and_parameters[:2]) if kind == "lstm" else state_and_parameters[0]
        out_a, state_a = layer(a, h0)
        out_b, _ = layer(b, h0)
        out_c, _ = layer(c, state_a)
        return out_a, out_b, out_c

    assert gradcheck(three_sequences, [a, b, c, *flat(state), *layer.parameters()]) is True


def test_gradient_reaches_every_time_step_of_the_input():
    layer = nn.LSTM(3, 4)
    x = sequence(6, 2, 3, dtype=np.float32)
    output, _ = layer(x)
    output[-1].sum().backward()  # a loss on the last step only
    assert all(np.abs(x.grad[t]).sum() > 0 for t in range(6))


# ------------------------------------------------------------------------------ the layers: truncated BPTT


@pytest.mark.parametrize("kind", list(LAYERS))
def test_chunks_with_a_detached_state_compute_the_same_outputs_as_the_whole_sequence(kind):
    layer = LAYERS[kind](3, 4, num_layers=2).double()
    x = random_array(8, 2, 3)
    whole, _ = layer(Tensor(x))
    state, chunks = None, []
    for start in (0, 3, 6):
        output, state = layer(Tensor(x[start : start + 3]), state)
        state = tuple(s.detach() for s in state) if kind == "lstm" else state.detach()
        chunks.append(output.data)
    np.testing.assert_allclose(np.concatenate(chunks), whole.data, rtol=1e-12)


def test_gradient_stops_at_the_detached_state():
    layer = nn.LSTM(3, 4).double()
    first, second = sequence(4, 2, 3, seed=1), sequence(4, 2, 3, seed=2)
    _, (h, c) = layer(first)
    output, _ = layer(second, (h.detach(), c.detach()))
    output.sum().backward()
    assert first.grad is None  # nothing flowed into the first chunk
    assert second.grad is not None


def test_after_detach_the_weight_gradient_is_that_of_the_second_chunk_alone():
    # Independent reference: the same second chunk, started from a constant copy of the carried state.
    layer = nn.GRU(3, 4).double()
    first, second = sequence(4, 2, 3, seed=1), sequence(4, 2, 3, seed=2)
    _, h = layer(first)
    output, _ = layer(second, h.detach())
    output.sum().backward()
    chunked = {name: p.grad.copy() for name, p in layer.named_parameters()}

    layer.zero_grad()
    constant_state = Tensor(h.data.copy())
    output, _ = layer(Tensor(second.data), constant_state)
    output.sum().backward()
    for name, parameter in layer.named_parameters():
        np.testing.assert_allclose(chunked[name], parameter.grad, rtol=1e-12, err_msg=name)


# ------------------------------------------------------------------------- the layers: dropout between layers


def test_dropout_between_layers_is_active_in_training_and_off_in_eval():
    tinyconv.manual_seed(0)
    with_dropout = nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    without = nn.LSTM(3, 8, num_layers=2)
    without.load_state_dict(with_dropout.state_dict())
    x = sequence(5, 4, 3, dtype=np.float32, requires_grad=False)
    np.testing.assert_array_equal(with_dropout.eval()(x)[0].data, without(x)[0].data)
    assert not np.allclose(with_dropout.train()(x)[0].data, without(x)[0].data)


def test_dropout_applies_between_layers_and_not_to_the_last_layer_output():
    # Dropout comes after layer 0's outputs are recorded in h_n[0], so h_n[0] is the same in training and
    # in eval; and the last layer's outputs are never dropped, so none is exactly 0 (p = 0.5 would zero half).
    tinyconv.manual_seed(0)
    layer = nn.GRU(3, 8, num_layers=2, dropout=0.5)
    x = sequence(5, 4, 3, dtype=np.float32, requires_grad=False)
    output, h_n = layer.train()(x)
    _, h_n_eval = layer.eval()(x)
    np.testing.assert_array_equal(h_n.data[0], h_n_eval.data[0])
    assert not np.array_equal(h_n.data[1], h_n_eval.data[1])
    assert (output.data != 0).all()


def test_dropout_does_not_touch_the_input_of_the_first_layer():
    # One layer: dropout applies between layers only, so there is none (and a warning says so).
    with pytest.warns(UserWarning, match="no effect with num_layers=1"):
        layer = nn.GRU(3, 4, dropout=0.5)
    x = sequence(5, 2, 3, dtype=np.float32, requires_grad=False)
    np.testing.assert_array_equal(layer.train()(x)[0].data, layer.eval()(x)[0].data)


def test_dropout_must_be_a_probability():
    with pytest.raises(ValueError, match=r"LSTM: dropout is the probability .* must be in \[0, 1\), got 1.5"):
        nn.LSTM(3, 4, num_layers=2, dropout=1.5)


# ------------------------------------------------------------------------- the layers: long sequences, memory


def test_thousand_step_lstm_with_hidden_128_and_batch_32_runs_forward_and_backward():
    tinyconv.manual_seed(0)
    layer = nn.LSTM(8, 128)
    x = sequence(1000, 32, 8, dtype=np.float32)
    output, (h_n, c_n) = layer(x)
    output[-1].sum().backward()
    assert all(np.isfinite(p.grad).all() for p in layer.parameters())
    # The last input's gradient does not depend on the 999 steps before it: the same step run alone,
    # from the state those steps left, gives the same gradient.
    with tinyconv.no_grad():
        _, state = layer(Tensor(x.data[:-1]))
    last = Tensor(x.data[-1:].copy(), requires_grad=True)
    layer(last, state)[0].sum().backward()
    np.testing.assert_allclose(x.grad[-1], last.grad[0], rtol=1e-5, atol=1e-7)


def test_stack_backward_hands_each_step_a_view_of_the_gradient_not_a_copy():
    # The layers stack their T outputs; the gradient that comes back is often not contiguous (broadcast
    # by output.sum(), transposed by batch_first). A copy of it for each of the T steps would make
    # backpropagation through time quadratic in T: each step must get a view.
    from tinyconv.ops.join import Stack

    grad = np.broadcast_to(np.arange(3.0)[:, None, None], (3, 4, 2))  # what .sum() sends back
    pieces = Stack(axis=1).backward(grad)
    assert len(pieces) == 4
    assert all(np.shares_memory(piece, grad) for piece in pieces)
    np.testing.assert_array_equal(pieces[2], grad[:, 2])
    transposed = np.arange(24.0).reshape(4, 3, 2).transpose(1, 0, 2)  # what batch_first sends back
    pieces = Stack(axis=0).backward(transposed)
    assert all(np.shares_memory(piece, transposed) for piece in pieces)
    np.testing.assert_array_equal(pieces[1], transposed[1])


def peak_bytes_of_forward_and_backward(steps: int) -> int:
    layer = nn.LSTM(4, 32)
    x = sequence(steps, 8, 4, dtype=np.float32)
    tracemalloc.start()
    try:
        output, _ = layer(x)
        output.sum().backward()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_grows_linearly_with_sequence_length():
    # Twice the steps: about twice the peak memory (a quadratic cost would give four times).
    short, long = peak_bytes_of_forward_and_backward(100), peak_bytes_of_forward_and_backward(200)
    assert 1.5 < long / short < 2.5


# ------------------------------------------------------------------------------ the layers: bad input


def test_layer_rejects_a_sequence_of_length_zero():
    with pytest.raises(ValueError, match="the input sequence has length 0"):
        nn.LSTM(3, 4)(Tensor(np.zeros((0, 2, 3), dtype=np.float32)))


def test_batch_first_layer_rejects_a_sequence_of_length_zero():
    with pytest.raises(ValueError, match=r"length 0 \(shape \(2, 0, 3\), layout \(N, T, input_size\)\)"):
        nn.GRU(3, 4, batch_first=True)(Tensor(np.zeros((2, 0, 3), dtype=np.float32)))


def test_layer_rejects_input_of_the_wrong_size():
    with pytest.raises(ValueError, match="input has 2 features .* expects input_size=3"):
        nn.RNN(3, 4)(Tensor(np.zeros((5, 2, 2), dtype=np.float32)))


@pytest.mark.parametrize("batch_first, batch_of_one", [(False, r"\(5, 1, 3\)"), (True, r"\(1, 5, 3\)")])
def test_layer_refuses_an_unbatched_sequence_and_says_how_to_add_the_batch_axis(batch_first, batch_of_one):
    # PyTorch reads (T, input_size) as one sequence without a batch axis; tinyconv takes batches only.
    with pytest.raises(
        ValueError, match=r"expected a 3-D input .* unbatched sequence .* input.reshape" + batch_of_one
    ):
        nn.LSTM(3, 4, batch_first=batch_first)(Tensor(np.zeros((5, 3), dtype=np.float32)))


def test_layer_rejects_an_input_with_four_axes():
    with pytest.raises(
        ValueError, match=r"expected a 3-D input \(T, N, input_size\), got shape \(5, 2, 1, 3\)"
    ):
        nn.RNN(3, 4)(Tensor(np.zeros((5, 2, 1, 3), dtype=np.float32)))


def test_layer_rejects_an_initial_state_of_the_wrong_shape():
    x = Tensor(np.zeros((5, 2, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"h_0 has shape \(1, 2, 4\) but expected \(2, 2, 4\)"):
        nn.GRU(3, 4, num_layers=2)(x, Tensor(np.zeros((1, 2, 4), dtype=np.float32)))


def test_lstm_layer_rejects_a_cell_state_of_the_wrong_shape():
    x = Tensor(np.zeros((5, 2, 3), dtype=np.float32))
    h0, c0 = Tensor(np.zeros((1, 2, 4), dtype=np.float32)), Tensor(np.zeros((1, 3, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=r"c_0 has shape \(1, 3, 4\) but expected \(1, 2, 4\)"):
        nn.LSTM(3, 4)(x, (h0, c0))


def test_layer_rejects_an_initial_state_of_another_dtype():
    x = Tensor(np.zeros((5, 2, 3), dtype=np.float32))
    h0, c0 = Tensor(np.zeros((1, 2, 4), dtype=np.float32)), Tensor(np.zeros((1, 2, 4)))
    with pytest.raises(TypeError, match="LSTM: input has dtype float32 but c_0 has dtype float64"):
        nn.LSTM(3, 4)(x, (h0, c0))


def test_lstm_layer_rejects_an_initial_state_that_is_not_a_pair():
    x = Tensor(np.zeros((5, 2, 3), dtype=np.float32))
    with pytest.raises(TypeError, match=r"pair \(h_0, c_0\)"):
        nn.LSTM(3, 4)(x, Tensor(np.zeros((1, 2, 4), dtype=np.float32)))


def test_layer_rejects_zero_layers():
    with pytest.raises(ValueError, match="num_layers must be a positive int, got 0"):
        nn.LSTM(3, 4, num_layers=0)


# ------------------------------------------------------------------------------ the layers: PyTorch


@pytest.mark.parametrize(
    "kind, options",
    [
        ("rnn", {"nonlinearity": "tanh"}),
        ("rnn", {"nonlinearity": "relu"}),
        ("lstm", {}),
        ("gru", {}),
        ("lstm", {"batch_first": True}),
        ("gru", {"bias": False}),
    ],
    ids=["rnn-tanh", "rnn-relu", "lstm", "gru", "lstm-batch-first", "gru-no-bias"],
)
def test_layer_matches_torch_in_outputs_states_and_gradients(torch, kind, options):
    ours = LAYERS[kind](3, 5, num_layers=2, **options).double()
    theirs = torch_layer(torch, kind, 3, 5, num_layers=2, **options).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = random_array(4, 6, 3, seed=1)  # (T, N, I), or (N, T, I) with batch_first
    batch = 4 if options.get("batch_first") else 6
    states = [random_array(2, batch, 5, seed=2 + k) * 0.5 for k in range(2 if kind == "lstm" else 1)]
    tiny_in = [Tensor(a.copy(), requires_grad=True) for a in [x, *states]]
    torch_in = [torch.tensor(a, requires_grad=True) for a in [x, *states]]
    pack = tuple if kind == "lstm" else (lambda s: s[0])
    tiny_out, tiny_state = ours(tiny_in[0], pack(tiny_in[1:]))
    torch_out, torch_state = theirs(torch_in[0], pack(torch_in[1:]))
    tiny_all, torch_all = [tiny_out, *flat(tiny_state)], [torch_out, *flat(torch_state)]
    for k, (a, b) in enumerate(zip(tiny_all, torch_all)):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-12, err_msg=f"output {k}")
    upstream = [random_array(*a.shape, seed=20 + k) for k, a in enumerate(tiny_all)]
    sum((a * Tensor(g)).sum() for a, g in zip(tiny_all, upstream)).backward()
    sum((b * torch.from_numpy(g)).sum() for b, g in zip(torch_all, upstream)).backward()
    for k, (a, b) in enumerate(zip(tiny_in, torch_in)):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"input {k}")
    for (name, a), b in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
