"""demos/init_activations.py: the layers' outputs are what the stack computes (checked in NumPy), their
spread follows fan_in * Var(W) layer after layer, and from equal weights the hidden neurons stay
copies of one another while from random ones they do not."""

from __future__ import annotations

import re

import init_activations
import numpy as np
import pytest

import tinyconv
import tinyconv.functional as F
from tinyconv import nn
from tinyconv.data import TensorDataset

from .demo_testing import is_png, needs_mnist


def test_layer_outputs_are_the_stack_computed_in_numpy():
    tinyconv.manual_seed(1)
    model = init_activations.stack("tanh", "Xavier", 3)
    x = np.random.default_rng(2).standard_normal((50, 100)).astype(np.float32)
    h, expected = x.astype(np.float64), []
    for layer in [module for module in model if isinstance(module, nn.Linear)]:
        h = np.tanh(h @ layer.weight.numpy().T.astype(np.float64))
        expected.append(h)
    for got, want in zip(init_activations.layer_outputs(model, x), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


@pytest.fixture(scope="module")
def printed_stds():
    """The table of standard deviations the demo prints for 5 layers: {row name: [std of layers 1-5]}."""
    table = init_activations.std_table(init_activations.all_layer_outputs(5, seed=0))
    rows = {}
    for line in table.splitlines()[1:]:
        name, values = re.fullmatch(r"((?:tanh|relu), .+?)\s{2,}([-\d.e+ ]+)", line).groups()
        rows[name] = [float(value) for value in values.split()]
    assert len(rows) == 2 * len(init_activations.INITS)
    return rows


def test_small_weights_divide_the_spread_by_ten_at_every_layer(printed_stds):
    rows = printed_stds
    # fan_in * Var(W) = 100 * 0.01^2 = 0.01: the standard deviation shrinks by sqrt(0.01) = 0.1 per layer
    # (tanh is the identity near 0, and the inputs have std 1)
    np.testing.assert_allclose(rows["tanh, N(0, 0.01²)"], 0.1 ** np.arange(1, 6), rtol=0.05)


def test_unit_weights_saturate_tanh_and_blow_up_relu(printed_stds):
    rows = printed_stds
    # tanh of N(0, 100): almost all outputs at -1 or +1, whose standard deviation is 1
    assert all(0.9 < value <= 1.0 for value in rows["tanh, N(0, 1)"])
    # ReLU keeps half the variance: each layer multiplies the std by about sqrt(100 / 2) = 7.07
    growth = np.array(rows["relu, N(0, 1)"][1:]) / np.array(rows["relu, N(0, 1)"][:-1])
    np.testing.assert_allclose(growth, np.sqrt(50), rtol=0.15)


def test_he_keeps_relus_spread_and_zeros_give_nothing(printed_stds):
    rows = printed_stds
    he = np.array(rows["relu, He"])
    # Var(W) = 2 / 100 makes fan_in * Var(W) * 1/2 = 1: each layer keeps the previous one's second moment
    assert he.max() / he.min() < 1.4
    assert rows["relu, Xavier"][-1] < 0.5 * rows["relu, Xavier"][0]  # Xavier loses half each layer for ReLU
    assert rows["tanh, zeros"] == [0.0] * 5 and rows["relu, zeros"] == [0.0] * 5


def test_part_1_prints_the_table_and_draws_a_histogram_grid_per_activation(tmp_path, capsys):
    # --no-training needs no MNIST: a data folder that does not exist is never opened
    flags = ["--no-training", "--layers", "2", "--out", str(tmp_path), "--data-dir", str(tmp_path / "none")]
    outputs = init_activations.main(flags)["outputs"]
    printed = capsys.readouterr().out
    row = next(line for line in printed.splitlines() if line.startswith("relu, He"))
    stds = [value.std() for value in outputs[("relu", "He")]]
    np.testing.assert_allclose([float(v) for v in row.split()[-2:]], stds, rtol=5e-3)  # printed to 3 digits
    for name in init_activations.HISTOGRAM_PLOTS.values():
        assert is_png(tmp_path / name)
    figure = init_activations.plot_histograms(outputs, "relu")
    assert len(figure.axes) == len(init_activations.INITS) * 2
    assert [axes.get_ylabel() for axes in figure.axes[::2]] == list(init_activations.INITS)
    assert figure.axes[0].texts[0].get_text() == "100% are 0"  # zeros: every ReLU output is 0


def test_zero_weights_pass_no_gradient_to_any_hidden_weight():
    tinyconv.manual_seed(0)
    model = init_activations.tanh_mlp(2, "zeros")
    images = tinyconv.Tensor(np.random.default_rng(0).standard_normal((8, 1, 28, 28)).astype(np.float32))
    F.cross_entropy(model(images), np.arange(8)).backward()
    linears = [module for module in model if isinstance(module, nn.Linear)]
    for layer in linears:
        assert not layer.weight.grad.any()  # each is an input (tanh(0) = 0) times a gradient through 0s
    assert not linears[0].bias.grad.any() and not linears[1].bias.grad.any()
    assert linears[-1].bias.grad.any()  # only the output bias learns: softmax(0) - one-hot


def random_digits(count: int) -> TensorDataset:
    """Images of noise with labels 0-9, a stand-in for MNIST: symmetry does not depend on the data."""
    rng = np.random.default_rng(3)
    images = rng.standard_normal((count, 1, 28, 28)).astype(np.float32)
    return TensorDataset(images, np.arange(count) % 10)


def test_equal_weights_move_but_the_neurons_of_a_layer_stay_copies():
    results = init_activations.symmetry_experiment(random_digits(200), layers=3, steps=6, seed=0)
    for before, after in zip(results["zeros"]["before"], results["zeros"]["after"]):
        assert not before.any() and not after.any()  # nothing moved at all
    for before, after in zip(results["constant 0.01"]["before"], results["constant 0.01"]["after"]):
        moved = np.abs(after - before).max()
        spread = np.abs(after - after[0]).max()  # every row (neuron) against neuron 0
        assert moved > 1e-6  # they learned something
        assert spread < 1e-6 * np.abs(after).max()  # but only float32 rounding tells the neurons apart
        assert spread < 0.01 * moved
    for after in results["He"]["after"]:
        assert np.abs(after - after[0]).max() > 0.1  # random rows: different neurons


@needs_mnist
def test_init_demo_prints_the_symmetry_table_and_draws_the_first_layers_neurons(tmp_path, capsys):
    flags = ["--layers", "2", "--steps", "4", "--limit", "200", "--out", str(tmp_path)]
    result = init_activations.main(flags)
    printed = capsys.readouterr().out
    block = printed[printed.index("zeros (last loss") :].splitlines()
    assert block[1].split()[-2:] == ["0", "0"] and block[2].split()[-2:] == ["0", "0"]
    for init, values in result["symmetry"].items():
        spread = [np.abs(weight - weight[0]).max() for weight in values["after"]]
        line = printed[printed.index(f"{init} (last loss") :].splitlines()[2]
        np.testing.assert_allclose([float(v) for v in line.split()[-2:]], spread, rtol=0.05, atol=1e-30)
    assert is_png(tmp_path / init_activations.SYMMETRY_PLOT)
