"""The computational graph, drawn as the backprop lecture draws it: values in green, gradients in red.

    python demos/backprop_graph.py [--out DIR] [--format png|svg] [--seed S]

Three graphs, each run forward and backward with tinyconv tensors, printed, and drawn by
tinyconv.viz.draw_graph into --out (default runs/backprop_graph/):

1. qz_graph: cs231n's f = (x + y) * z at x = -2, y = 5, z = -4. Forward, q = x + y = 3 and
   f = q * z = -12. Backward from df/df = 1: Mul's local gradients are the other input, so df/dq = z = -4
   and df/dz = q = 3; Add's are 1, so df/dx = df/dy = df/dq * 1 = -4.
2. sigmoid_neuron_graph: cs231n's neuron f(w, x) = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2))) at
   w = [2, -3, -3], x = [-1, -2]. The weighted sum is 2 * -1 + -3 * -2 - 3 = 1 and f = sigmoid(1) = 0.73;
   the sigmoid's gradient is f (1 - f) = 0.20, so df/dw = [x0, x1, 1] * 0.20 = [-0.20, -0.39, 0.20] and
   df/dx = [w0, w1] * 0.20 = [0.39, -0.59]. The sigmoid is written out (Neg, Exp, Add, Div), not called
   as F.sigmoid, so that every local gradient of the lecture has its node; each weight and input is a
   scalar tensor of its own, as in the lecture's picture.
3. two_layer_graph: a two-layer network, Linear(3, 4) -> ReLU -> Linear(4, 2), and the cross-entropy
   of its scores on a batch of 2 made-up samples. The gradient that reaches the scores is
   (softmax(scores) - one_hot(labels)) / 2, which is printed beside the one the graph shows. The first
   weight has 12 numbers, more than draw_graph writes out (max_elements 8), so it is drawn by their
   mean ± std and [min, max].

How the gradients get onto the picture: backward() frees the graph as it goes, and keeps `.grad` on the
leaves only. So each graph is drawn after viz.retain_grads(output) (before backward: keep every
intermediate tensor's gradient too) and output.backward(retain_graph=True) (keep the graph).

What it prints (seed 0; a few seconds, most of them matplotlib writing the pictures):
    q*z: q = x + y = 3, f = q * z = -12
      df/dx = -4, df/dy = -4, df/dz = 3, df/dq = -4
    sigmoid neuron: w = [2, -3, -3], x = [-1, -2]: w.x + b = 1, f = 0.73
      df/dw = [-0.20, -0.39, 0.20], df/dx = [0.39, -0.59]
    two-layer network: loss 0.5059 on 2 samples
      sample 0: d loss / d scores [-0.2518, 0.2518] from backward, [-0.2518, 0.2518] = (softmax(...
      sample 1: d loss / d scores [0.1338, -0.1338] from backward, [0.1338, -0.1338] = (softmax(...
docs/engine.md shows the first picture.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from common import add_out_flag, add_seed_flag, check_out_folder, remove_stale_temporaries

import tinyconv
import tinyconv.functional as F
from tinyconv import nn, viz

GRAPHS = ("qz_graph", "sigmoid_neuron_graph", "two_layer_graph")


def scalars(**values: float) -> dict:
    """{name: a 0-d float32 tensor that requires grad}: the leaves of a lecture example."""
    return {name: tinyconv.tensor(value, requires_grad=True) for name, value in values.items()}


def qz_example() -> tuple:
    """f = (x + y) * z at x = -2, y = 5, z = -4, after backward; returns (f, {name: tensor})."""
    leaves = scalars(x=-2.0, y=5.0, z=-4.0)
    q = leaves["x"] + leaves["y"]
    f = q * leaves["z"]
    viz.retain_grads(f)  # keep q's (and f's) gradient: only leaves keep theirs by default
    f.backward(retain_graph=True)  # keep the graph for draw_graph: a plain backward() frees it
    return f, {**leaves, "q": q, "f": f}


def sigmoid_neuron_example() -> tuple:
    """f = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2))) at w = [2, -3, -3], x = [-1, -2], after backward;
    returns (f, {name: tensor})."""
    leaves = scalars(w0=2.0, x0=-1.0, w1=-3.0, x1=-2.0, w2=-3.0)
    weighted_sum = leaves["w0"] * leaves["x0"] + leaves["w1"] * leaves["x1"] + leaves["w2"]
    f = 1 / (1 + (-weighted_sum).exp())
    viz.retain_grads(f)
    f.backward(retain_graph=True)
    return f, {**leaves, "w.x + b": weighted_sum, "f": f}


def two_layer_example() -> tuple:
    """A Linear(3, 4) -> ReLU -> Linear(4, 2) network's cross-entropy on two samples, after backward;
    returns (loss, {name: tensor})."""
    fc1, fc2 = nn.Linear(3, 4), nn.Linear(4, 2)
    x = tinyconv.tensor([[1.0, -2.0, 0.5], [0.3, 0.8, -1.0]])
    labels = tinyconv.tensor([0, 1])
    hidden = fc1(x)
    activated = F.relu(hidden)
    scores = fc2(activated)
    loss = F.cross_entropy(scores, labels)
    viz.retain_grads(loss)
    loss.backward(retain_graph=True)
    names = {"x": x, "fc1.weight": fc1.weight, "fc1.bias": fc1.bias, "hidden": hidden}
    names.update({"relu": activated, "fc2.weight": fc2.weight, "fc2.bias": fc2.bias})
    return loss, {**names, "scores": scores, "labels": labels, "loss": loss}


def numbers(values, decimals: int = 2) -> str:
    """'[-0.20, -0.39, 0.20]': values to two decimals, as the lecture writes them."""
    return "[" + ", ".join(f"{float(v):.{decimals}f}" for v in values) + "]"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description="The computational graphs of q*z, a sigmoid neuron and a two-layer network, with "
        "their values (green) and gradients (red), drawn by tinyconv.viz.draw_graph."
    )
    add_out_flag(parser, "backprop_graph")
    add_seed_flag(parser)
    parser.add_argument("--format", choices=("png", "svg"), default="png", help="picture format")
    args = parser.parse_args(argv)
    check_out_folder(args.out)
    files = [f"{name}.{args.format}" for name in GRAPHS]
    remove_stale_temporaries(args.out, files)
    paths = dict(zip(GRAPHS, (os.path.join(args.out, name) for name in files)))
    tinyconv.manual_seed(args.seed)  # the two-layer network's initial weights

    f, qz = qz_example()
    viz.draw_graph(f, paths["qz_graph"], names=qz)
    print(f"q*z: q = x + y = {qz['q'].item():g}, f = q * z = {f.item():g}")
    gradients = ", ".join(f"df/d{name} = {qz[name].grad.item():g}" for name in ("x", "y", "z", "q"))
    print(f"  {gradients}")
    print(f"  drawn: {paths['qz_graph']}")

    f, neuron = sigmoid_neuron_example()
    viz.draw_graph(f, paths["sigmoid_neuron_graph"], names=neuron)
    w_grad = [neuron[name].grad for name in ("w0", "w1", "w2")]
    x_grad = [neuron[name].grad for name in ("x0", "x1")]
    weighted_sum = neuron["w.x + b"].item()
    print(f"sigmoid neuron: w = [2, -3, -3], x = [-1, -2]: w.x + b = {weighted_sum:g}, f = {f.item():.2f}")
    print(f"  df/dw = {numbers(w_grad)}, df/dx = {numbers(x_grad)}")
    print(f"  drawn: {paths['sigmoid_neuron_graph']}")

    loss, network = two_layer_example()
    viz.draw_graph(loss, paths["two_layer_graph"], names=network)
    scores = network["scores"].numpy().astype(np.float64)
    probabilities = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    one_hot = np.eye(scores.shape[1])[network["labels"].numpy()]
    expected = (probabilities - one_hot) / len(scores)  # the mean's 1/N: a batch of 2
    print(f"two-layer network: loss {loss.item():.4f} on 2 samples")
    for row, (from_backward, from_formula) in enumerate(zip(network["scores"].grad, expected)):
        print(
            f"  sample {row}: d loss / d scores {numbers(from_backward, 4)} from backward, "
            f"{numbers(from_formula, 4)} = (softmax(scores) - one_hot(label)) / 2"
        )
    print(f"  drawn: {paths['two_layer_graph']}")
    return dict(qz=qz, sigmoid_neuron=neuron, two_layer=network, paths=paths, expected_score_grad=expected)


if __name__ == "__main__":
    main()
