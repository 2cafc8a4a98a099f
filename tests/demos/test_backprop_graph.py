"""demos/backprop_graph.py draws the q * z graph, the sigmoid neuron and a two-layer network with their
values and gradients, and prints the lecture's numbers; the numbers are computed here from the formulas."""

from __future__ import annotations

import contextlib
import io

import backprop_graph
import numpy as np
import pytest

from .demo_testing import is_png


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """(what main returns, what it prints) for a run into a fresh folder."""
    out = tmp_path_factory.mktemp("backprop_graph")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        results = backprop_graph.main(["--out", str(out)])
    return results, printed.getvalue(), out


def test_backprop_graph_writes_the_three_pictures(demo_run):
    results, printed, out = demo_run
    assert sorted(p.name for p in out.iterdir()) == [
        "qz_graph.png",
        "sigmoid_neuron_graph.png",
        "two_layer_graph.png",
    ]
    for path in results["paths"].values():
        assert is_png(path)
        assert f"drawn: {path}" in printed


def test_backprop_graph_prints_the_lectures_qz_numbers(demo_run):
    results, printed, _ = demo_run
    x, y, z = -2.0, 5.0, -4.0
    q = x + y
    assert f"q = x + y = {q:g}, f = q * z = {q * z:g}" in printed
    assert f"df/dx = {z:g}, df/dy = {z:g}, df/dz = {q:g}, df/dq = {z:g}" in printed
    assert (
        "q = x + y = 3, f = q * z = -12" in printed
        and "df/dx = -4, df/dy = -4, df/dz = 3, df/dq = -4" in printed
    )
    assert results["qz"]["q"].grad == z  # kept by retain_grads


def test_backprop_graph_prints_the_sigmoid_neurons_numbers(demo_run):
    results, printed, _ = demo_run
    w, x = np.array([2.0, -3.0, -3.0]), np.array([-1.0, -2.0])
    out = 1 / (1 + np.exp(-(w[:2] @ x + w[2])))
    grad_w = np.array([x[0], x[1], 1.0]) * out * (1 - out)
    grad_x = w[:2] * out * (1 - out)
    assert f"f = {out:.2f}" in printed and "f = 0.73" in printed
    listed = ", ".join(f"{v:.2f}" for v in grad_w)
    assert f"df/dw = [{listed}]" in printed and "df/dw = [-0.20, -0.39, 0.20]" in printed
    assert "df/dx = [0.39, -0.59]" in printed
    neuron = results["sigmoid_neuron"]
    got = [neuron[name].grad.item() for name in ("w0", "w1", "w2", "x0", "x1")]
    np.testing.assert_allclose(got, [*grad_w, *grad_x], rtol=1e-6)


def test_backprop_graph_two_layer_scores_gradient_is_softmax_minus_one_hot_over_n(demo_run):
    results, printed, _ = demo_run
    network = results["two_layer"]
    scores = network["scores"].numpy().astype(np.float64)
    probabilities = np.exp(scores - scores.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    expected = (probabilities - np.eye(2)[[0, 1]]) / 2
    np.testing.assert_allclose(network["scores"].grad, expected, atol=1e-6)
    loss = -np.log(probabilities[[0, 1], [0, 1]]).mean()
    assert f"loss {loss:.4f} on 2 samples" in printed


def test_backprop_graph_writes_svg_with_format_svg(tmp_path, capsys):
    backprop_graph.main(["--out", str(tmp_path), "--format", "svg"])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["qz_graph.svg", "sigmoid_neuron_graph.svg", "two_layer_graph.svg"]
    assert "<svg" in (tmp_path / "qz_graph.svg").read_text(encoding="utf-8")


def test_backprop_graph_help_lists_its_flags(capsys):
    with pytest.raises(SystemExit) as stop:
        backprop_graph.main(["--help"])
    assert stop.value.code == 0
    help_text = capsys.readouterr().out
    assert all(flag in help_text for flag in ("--out", "--format", "--seed"))
