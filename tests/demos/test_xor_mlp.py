"""demos/xor_mlp.py: the perceptron cannot learn XOR and the 2-2-1 MLP can; the figure says which colour
is which class and draws the perceptron's boundary."""

from __future__ import annotations

import numpy as np
import pytest
import xor_mlp
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba

import tinyconv

from .demo_testing import is_png, legend_texts


def test_xor_perceptron_fails_and_mlp_gets_all_four_points(tmp_path):
    results = xor_mlp.main(["--out", str(tmp_path)])
    assert results["single-layer perceptron"] < 1.0
    assert results["2-2-1 MLP (tanh)"] == 1.0
    assert is_png(tmp_path / "xor_decision_boundaries.png")


@pytest.fixture(scope="module")
def trained():
    """The demo's two models after its default training (seed 0), and its figure of them."""
    tinyconv.manual_seed(0)
    models = {"single-layer perceptron": xor_mlp.perceptron(), "2-2-1 MLP (tanh)": xor_mlp.mlp()}
    for model in models.values():
        xor_mlp.train(model, 2000, lr=0.1)
    return models, xor_mlp.plot_boundaries(models)


def panels(figure) -> list:
    """The two models' panels (the figure's other axes are their colour bars)."""
    return [axes for axes in figure.axes if "correct" in axes.get_title()]


def point_colours(axes) -> dict:
    """{(x1, x2): RGBA} of the four points as drawn in `axes`."""
    colours = {}
    for collection in axes.collections:
        if not isinstance(collection, PathCollection):  # a scatter's points, not the contours
            continue
        offsets = collection.get_offsets()
        faces = np.broadcast_to(collection.get_facecolors(), (len(offsets), 4))  # one colour may serve all
        for point, colour in zip(offsets, faces):
            colours[tuple(float(v) for v in point)] = tuple(float(c) for c in colour)
    return colours


def test_xor_figure_legend_gives_each_class_the_colour_its_points_are_drawn_in(trained):
    _, figure = trained
    legend = figure.legends[0]
    handles = dict(zip(legend_texts(legend), legend.legend_handles))
    class_0 = to_rgba(handles["class 0: (0,0), (1,1)"].get_markerfacecolor())
    class_1 = to_rgba(handles["class 1: (0,1), (1,0)"].get_markerfacecolor())
    assert class_0 != class_1
    for axes in panels(figure):
        colours = point_colours(axes)
        assert colours[(0.0, 0.0)] == colours[(1.0, 1.0)] == class_0
        assert colours[(0.0, 1.0)] == colours[(1.0, 0.0)] == class_1


def test_xor_colour_bar_says_the_colour_is_the_probability_of_class_1(trained):
    _, figure = trained
    bars = [axes for axes in figure.axes if "probability of class 1" in axes.get_ylabel()]
    assert len(bars) == 2  # one per panel
    class_1 = to_rgba(
        dict(zip(legend_texts(figure.legends[0]), figure.legends[0].legend_handles))[
            "class 1: (0,1), (1,0)"
        ].get_markerfacecolor()
    )
    shading = panels(figure)[0].collections[0]  # the perceptron's filled contours
    assert shading.cmap(shading.norm(1.0)) == class_1  # output 1 is drawn in class 1's colour


def test_xor_figure_draws_the_perceptrons_line_from_its_weights(trained):
    models, figure = trained
    layer = models["single-layer perceptron"][0]
    w = layer.weight.numpy()[0].astype(np.float64)
    b = float(layer.bias.numpy()[0])
    (line,) = [line for line in panels(figure)[0].get_lines() if line.get_linestyle() == "--"]
    points = np.column_stack([line.get_xdata(), line.get_ydata()])
    # every point on it solves w . x + b = 0, measured relative to the size of w (about 1e-7 here)
    np.testing.assert_allclose((points @ w + b) / np.linalg.norm(w), 0, atol=1e-9)
    # and it passes through the square drawn, between its two end points
    low, high = xor_mlp.LOW, xor_mlp.HIGH
    t = np.linspace(0, 1, 1001)[:, None]
    along = points[0] + t * (points[1] - points[0])
    assert ((along >= low) & (along <= high)).all(axis=1).any()


def test_xor_line_in_square_finds_the_line_and_reports_none_without_one():
    # x1 + x2 - 1 = 0 crosses the square from (-0.5, 1.5) to (1.5, -0.5)
    np.testing.assert_allclose(xor_mlp.line_in_square(np.array([1.0, 1.0]), -1.0), [[-0.5, 1.5], [1.5, -0.5]])
    # x1 = 0.25: a vertical line, x1 as a function of x2
    np.testing.assert_allclose(
        xor_mlp.line_in_square(np.array([4.0, 0.0]), -1.0), [[0.25, -0.5], [0.25, 1.5]]
    )
    assert xor_mlp.line_in_square(np.array([0.0, 0.0]), 1.0) is None  # no line at all
    assert xor_mlp.line_in_square(np.array([1.0, 1.0]), -10.0) is None  # x1 + x2 = 10: outside the square
