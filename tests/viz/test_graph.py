"""tinyconv/viz/graph.py: the graph behind a tensor, extracted (nodes, edges, the text of every label),
laid out in layers without overlap, and drawn as PNG or SVG.

The expected values and gradients are computed here in float64 from the formulas (the lecture's
q * z, the sigmoid neuron's f (1 - f)), never read off tinyconv, and written with the 3 significant
digits of the labels.
"""

from __future__ import annotations

import itertools
import math

import matplotlib.image
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb

import tinyconv
import tinyconv.functional as F
from tinyconv import viz
from tinyconv.models import LeNet5
from tinyconv.viz import graph as graph_module
from tinyconv.viz.graph import (
    DPI,
    GREEN,
    LINE_HEIGHT,
    RED,
    closest_ordered,
    extract_graph,
    layout_graph,
    text_width,
)


def text(value: float) -> str:
    """A number as the labels write it: 3 significant digits."""
    return f"{value:.3g}"


def scalars(**values: float) -> dict:
    return {name: tinyconv.tensor(value, requires_grad=True) for name, value in values.items()}


def qz(backward: bool = True, retain: bool = True) -> tuple:
    """The lecture's f = (x + y) * z at x = -2, y = 5, z = -4: (f, {name: tensor})."""
    t = scalars(x=-2.0, y=5.0, z=-4.0)
    t["q"] = t["x"] + t["y"]
    t["f"] = t["q"] * t["z"]
    if retain:
        viz.retain_grads(t["f"])
    if backward:
        t["f"].backward(retain_graph=True)
    return t["f"], t


def sigmoid_neuron() -> tuple:
    """cs231n's f = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2))), w = [2, -3, -3], x = [-1, -2]."""
    t = scalars(w0=2.0, x0=-1.0, w1=-3.0, x1=-2.0, w2=-3.0)
    f = 1 / (1 + (-(t["w0"] * t["x0"] + t["w1"] * t["x1"] + t["w2"])).exp())
    viz.retain_grads(f)
    f.backward(retain_graph=True)
    return f, {**t, "f": f}


def by_title(graph) -> dict:
    return {node.title: node for node in graph.nodes if node.title}


def named_edges(graph) -> list:
    return [(graph.nodes[a].title, graph.nodes[b].title) for a, b in graph.edges]


# ----------------------------------------------------------------------------- extract_graph


def test_qz_graph_has_the_lectures_nodes_and_edges_in_forward_order():
    f, t = qz()
    graph = extract_graph(f, names=t)
    kinds_and_titles = [(node.kind, node.title) for node in graph.nodes]
    assert kinds_and_titles == [
        ("tensor", "x"),
        ("tensor", "y"),
        ("function", "Add"),
        ("tensor", "q"),
        ("tensor", "z"),
        ("function", "Mul"),
        ("tensor", "f"),
    ]
    assert named_edges(graph) == [
        ("x", "Add"),
        ("y", "Add"),
        ("Add", "q"),
        ("q", "Mul"),
        ("z", "Mul"),
        ("Mul", "f"),
    ]
    assert graph.nodes[graph.output].title == "f"


def test_qz_labels_are_the_lectures_values_and_gradients():
    f, t = qz()
    nodes = by_title(extract_graph(f, names=t))
    x, y, z = -2.0, 5.0, -4.0
    q = x + y
    expected = {  # name: (value, d f / d name); df/dq = z, df/dz = q, df/dx = df/dy = df/dq * 1
        "x": (x, z),
        "y": (y, z),
        "z": (z, q),
        "q": (q, z),
        "f": (q * z, 1.0),
    }
    for name, (value, grad) in expected.items():
        assert nodes[name].value == [text(value)], name
        assert nodes[name].grad == [text(grad)], name
        assert nodes[name].shape == () and nodes[name].detail == "scalar"
    assert [nodes[n].value[0] for n in "xyzqf"] == ["-2", "5", "-4", "3", "-12"]
    assert [nodes[n].grad[0] for n in "xyzqf"] == ["-4", "-4", "3", "-4", "1"]


def test_sigmoid_neuron_labels_are_its_values_and_gradients():
    f, t = sigmoid_neuron()
    graph = extract_graph(f, names=t)
    nodes = by_title(graph)
    w, x = np.array([2.0, -3.0, -3.0]), np.array([-1.0, -2.0])
    out = 1 / (1 + np.exp(-(w[:2] @ x + w[2])))
    local = out * (1 - out)  # the sigmoid's derivative
    grad_w = np.array([x[0], x[1], 1.0]) * local
    grad_x = w[:2] * local
    assert nodes["f"].value == [text(out)] and nodes["f"].grad == ["1"]
    for index in range(3):
        assert nodes[f"w{index}"].value == [text(w[index])]
        assert nodes[f"w{index}"].grad == [text(grad_w[index])]
    for index in range(2):
        assert nodes[f"x{index}"].value == [text(x[index])]
        assert nodes[f"x{index}"].grad == [text(grad_x[index])]
    assert [text(v) for v in (out, *grad_w, *grad_x)] == [
        "0.731",
        "-0.197",
        "-0.393",
        "0.197",
        "0.393",
        "-0.59",
    ]
    functions = [node.title for node in graph.nodes if node.kind == "function"]
    assert functions == ["Mul", "Mul", "Add", "Add", "Neg", "Exp", "Add", "Div"]
    # the Python numbers 1 in 1 + exp(.) and 1 / (.) are constant tensors: values, no gradient
    made = {target for _, target in graph.edges}
    leaves = [node for index, node in enumerate(graph.nodes) if node.kind == "tensor" and index not in made]
    constants = [node for node in leaves if not node.title]
    assert [node.value for node in constants] == [["1"], ["1"]] and all(node.grad == [] for node in constants)


def test_values_false_and_grads_false_leave_those_labels_out():
    f, t = qz()
    assert all(node.value == [] for node in extract_graph(f, values=False).nodes)
    assert all(node.grad == [] for node in extract_graph(f, grads=False).nodes)


def test_before_backward_there_are_values_and_no_gradients():
    f, t = qz(backward=False)
    nodes = by_title(extract_graph(f, names=t))
    assert nodes["f"].value == ["-12"]
    assert all(node.grad == [] for node in nodes.values())


def test_intermediate_gradients_are_drawn_only_when_retained():
    f, t = qz(retain=False)
    nodes = by_title(extract_graph(f, names=t))
    assert nodes["x"].grad == ["-4"] and nodes["z"].grad == ["3"]  # leaves keep .grad anyway
    assert nodes["q"].grad == [] and nodes["f"].grad == []  # backward dropped them


def test_retain_grads_keeps_every_intermediate_gradient_and_not_more():
    f, t = qz(backward=False)
    viz.retain_grads(f)
    assert t["q"].retains_grad and t["f"].retains_grad
    assert not t["x"].retains_grad  # a leaf keeps its gradient without it
    f.backward()
    assert t["q"].grad == -4.0 and t["f"].grad == 1.0


def test_a_tensor_of_more_than_max_elements_numbers_is_summarised():
    values = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = tinyconv.tensor(values, requires_grad=True)
    y = x * 2.0
    summary = [f"{text(values.mean())} ± {text(values.std())}", "in [0, 11]"]
    (node,) = [node for node in extract_graph(y, names={"x": x}).nodes if node.title == "x"]
    assert node.value == summary == ["5.5 ± 3.45", "in [0, 11]"]
    assert node.detail == "(3, 4)"
    (node,) = [node for node in extract_graph(y, max_elements=12, names={"x": x}).nodes if node.title == "x"]
    assert node.value == ["[0, 1, 2, 3]", "[4, 5, 6, 7]", "[8, 9, 10, 11]"]  # one row per line


def test_max_elements_zero_summarises_even_a_scalar():
    f, t = qz()
    nodes = by_title(extract_graph(f, max_elements=0, names=t))
    assert nodes["f"].value == ["-12 ± 0", "in [-12, -12]"]


def test_detail_names_a_dtype_other_than_float32():
    x = tinyconv.tensor([1.0, 2.0], dtype=tinyconv.float64, requires_grad=True)
    (node,) = extract_graph(x).nodes
    assert node.detail == "(2,) float64" and node.value == ["[1, 2]"]


def test_number_text_writes_three_significant_digits():
    number_text = graph_module.number_text
    assert [number_text(v) for v in (-2.0, 0.7310586, 1234.5, -0.0, 3, np.int64(7), True)] == [
        "-2",
        "0.731",
        "1.23e+03",
        "0",
        "3",
        "7",
        "True",
    ]


def test_a_function_that_takes_one_tensor_twice_gets_one_edge_from_it():
    x = tinyconv.tensor(3.0, requires_grad=True)
    graph = extract_graph(x * x, names={"x": x})
    assert named_edges(graph) == [("x", "Mul"), ("Mul", "")]


def test_a_leaf_output_is_one_node():
    x = tinyconv.tensor([1.0, 2.0])
    graph = extract_graph(x, names={"x": x})
    assert [(node.kind, node.title) for node in graph.nodes] == [("tensor", "x")]
    assert graph.edges == [] and graph.output == 0
    layout = layout_graph(graph)
    assert layout.paths == [] and len(layout.output_stub) == 2  # its value is written on a short arrow
    assert [t.get_text() for t in viz.draw_graph(x, names={"x": x}).axes[0].texts][-1] == "[1, 2]"


def test_the_first_name_given_to_a_tensor_wins():
    f, t = qz()
    nodes = by_title(extract_graph(f, names={"first": t["x"], "second": t["x"]}))
    assert "first" in nodes and "second" not in nodes


@pytest.mark.parametrize(
    "names, message",
    [(["x"], "names must be a dict"), ({"x": 1.0}, r"names\['x'\] must be a Tensor")],
)
def test_bad_names_are_refused(names, message):
    f, _ = qz()
    with pytest.raises(TypeError, match=message):
        extract_graph(f, names=names)


def test_bad_output_and_max_elements_are_refused():
    f, _ = qz()
    with pytest.raises(TypeError, match="expected the Tensor whose graph to draw, got ndarray"):
        extract_graph(np.zeros(2))
    with pytest.raises(ValueError, match="max_elements must be a non-negative int, got -1"):
        extract_graph(f, max_elements=-1)


# ----------------------------------------------------------------------------- a freed graph


def test_a_graph_freed_by_backward_is_refused_with_what_to_do():
    f, _ = qz(backward=False, retain=False)
    f.backward()  # no retain_graph: every Function is released
    with pytest.raises(RuntimeError, match=r"freed by backward\(\).*backward\(retain_graph=True\)"):
        viz.draw_graph(f)
    with pytest.raises(RuntimeError, match="retain_grads: the graph behind this tensor was freed"):
        viz.retain_grads(f)


def test_a_graph_partly_freed_by_an_earlier_backward_is_refused():
    x = tinyconv.tensor(2.0, requires_grad=True)
    h = x * 3.0
    h.backward()  # frees the Mul behind h
    with pytest.raises(RuntimeError, match="freed by backward"):
        extract_graph(h + 1.0)


# ----------------------------------------------------------------------------- the layout


def overlap(a: tuple, b: tuple) -> bool:
    """Whether two rectangles (x, y, width, height) share more than an edge."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def inside(point: tuple, rectangle: tuple, margin: float = 1e-6) -> bool:
    x, y, w, h = rectangle
    return x + margin < point[0] < x + w - margin and y + margin < point[1] < y + h - margin


def check_layout(graph, layout) -> None:
    """No two nodes' footprints overlap, each box is in its footprint and the drawing, and no arrow
    passes through a footprint other than those of the two nodes it joins."""
    for a, b in itertools.combinations(range(len(graph.nodes)), 2):
        assert not overlap(layout.footprints[a], layout.footprints[b]), (a, b)
    for box, (x, y, w, h) in zip(layout.boxes, layout.footprints):
        assert x <= box[0] and y <= box[1] and box[0] + box[2] <= x + w and box[1] + box[3] <= y + h + 1e-9
        assert 0 < x and x + w < layout.width and layout.header < y and y + h < layout.height
    for (source, target), path in zip(graph.edges, layout.paths):
        others = [f for n, f in enumerate(layout.footprints) if n not in (source, target)]
        for start, end in zip(path, path[1:]):
            for t in np.linspace(0, 1, 25):
                point = (start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1]))
                assert not any(inside(point, footprint) for footprint in others), (source, target, point)


def test_qz_layout_puts_each_node_in_its_layer_and_nothing_overlaps():
    f, t = qz()
    graph = extract_graph(f, names=t)
    layout = layout_graph(graph)
    # x, y | Add | q, z | Mul | f: z, a leaf, sits just before the Mul that uses it, beside q
    assert layout.layers == [0, 0, 1, 2, 2, 3, 4]
    check_layout(graph, layout)
    x_box, y_box = layout.boxes[0], layout.boxes[1]
    assert x_box[1] < y_box[1]  # the formula's order, top to bottom
    assert layout.paths[0][0] == pytest.approx((x_box[0] + x_box[2], x_box[1] + x_box[3] / 2))  # x's right
    assert layout.paths[0][-1][0] == layout.boxes[2][0]  # into Add's left side


def test_labels_sit_on_the_arrow_that_leaves_the_tensor_inside_its_footprint():
    f, t = qz()
    graph = extract_graph(f, names=t)
    layout = layout_graph(graph)
    for node, box, footprint, label in zip(graph.nodes, layout.boxes, layout.footprints, layout.labels):
        if node.kind != "tensor":
            assert label is None
            continue
        assert label[1] == pytest.approx(box[1] + box[3] / 2)  # on the arrow's height
        above = (label[0] - text_width(node.value) / 2, label[1] - len(node.value) * LINE_HEIGHT)
        below = (label[0] + text_width(node.grad) / 2, label[1] + len(node.grad) * LINE_HEIGHT)
        assert box[0] + box[2] <= above[0] and below[0] <= footprint[0] + footprint[2]
        assert footprint[1] <= above[1] and below[1] <= footprint[1] + footprint[3]


def test_an_arrow_across_several_layers_is_routed_around_the_boxes_between():
    x = tinyconv.tensor(0.5, requires_grad=True)
    y = (x * 2.0).exp().exp() + x  # x feeds the first Mul and the last Add, five layers apart
    graph = extract_graph(y, names={"x": x})
    layout = layout_graph(graph)
    check_layout(graph, layout)
    (long_path,) = [
        p for (a, b), p in zip(graph.edges, layout.paths) if a == 0 and graph.nodes[b].title == "Add"
    ]
    assert len(long_path) > 4  # through waypoints, not one straight line


def test_lenet5_forward_backward_graph_lays_out_without_overlap():
    tinyconv.manual_seed(0)
    model = LeNet5()
    images = tinyconv.randn(1, 1, 28, 28)
    loss = F.cross_entropy(model(images), tinyconv.tensor([3]))
    viz.retain_grads(loss)
    loss.backward(retain_graph=True)
    graph = extract_graph(loss, names={"images": images, **dict(model.named_parameters()), "loss": loss})
    functions = [node.title for node in graph.nodes if node.kind == "function"]
    assert (
        functions.count("Conv2d") == 2 and functions.count("Linear") == 3 and functions[-1] == "CrossEntropy"
    )
    assert (
        sum(node.kind == "tensor" and node.title.endswith(("weight", "bias")) for node in graph.nodes) == 10
    )
    layout = layout_graph(graph)
    check_layout(graph, layout)
    assert layout_graph(graph) == layout  # deterministic
    # the data path runs straight: every ReLU and pooling sits at the height of the tensor before it
    rows = [box[1] + box[3] / 2 for box in layout.boxes]
    for index, node in enumerate(graph.nodes):
        if node.title in ("ReLU", "MaxPool2d"):
            assert rows[index] == pytest.approx(rows[index - 1])


def test_closest_ordered_keeps_the_order_and_the_spacing_and_stays_close():
    # three nodes that all want height 0, 1 apart: they spread symmetrically around 0
    assert closest_ordered([0.0, 0.0, 0.0], [1.0, 1.0], [1.0, 1.0, 1.0]) == pytest.approx([-1.0, 0.0, 1.0])
    # nodes already far enough apart stay where they want to be
    assert closest_ordered([0.0, 5.0], [1.0], [1.0, 1.0]) == pytest.approx([0.0, 5.0])
    # a light node (a leaf) gives way to a heavy one
    placed = closest_ordered([0.0, 0.0], [1.0], [1.0, 0.0001])
    assert placed[0] == pytest.approx(0.0, abs=1e-3) and placed[1] - placed[0] == pytest.approx(1.0)


# ----------------------------------------------------------------------------- the drawing


def rendered_text_boxes(figure) -> list:
    """The pixel rectangles of every piece of text in the figure, as matplotlib lays it out."""
    renderer = FigureCanvasAgg(figure).get_renderer()
    return [(t.get_text(), t.get_window_extent(renderer)) for t in figure.axes[0].texts if t.get_text()]


def linear_layer() -> tuple:
    """A Linear layer's sum on a batch of 2: a weight of 12 numbers (summarised) and rows of values."""
    tinyconv.manual_seed(0)
    t = {"x": tinyconv.randn(2, 3), "weight": tinyconv.randn(4, 3, requires_grad=True)}
    t["bias"] = tinyconv.zeros(4, requires_grad=True)
    t["out"] = F.linear(t["x"], t["weight"], t["bias"]).sum()
    t["out"].backward(retain_graph=True)
    return t["out"], t


@pytest.mark.parametrize("example", [qz, sigmoid_neuron, linear_layer])
def test_rendered_text_stays_inside_its_node_and_no_two_pieces_overlap(example):
    f, t = example()
    figure = viz.draw_graph(f, names=t)
    graph = extract_graph(f, names=t)
    layout = layout_graph(graph)
    boxes = rendered_text_boxes(figure)
    for (text_a, a), (text_b, b) in itertools.combinations(boxes, 2):
        shared = a.intersection(a, b)
        assert shared is None or shared.width * shared.height < 1, (text_a, text_b)  # < 1 pixel
    # in inches, y down, as the layout: every label and name lies in a node's footprint (the text was
    # measured right), and the legend above them all
    to_inches = figure.axes[0].transData.inverted()
    for text, box in boxes:
        (x0, y1), (x1, y0) = to_inches.transform([(box.x0, box.y0), (box.x1, box.y1)])
        if y1 <= layout.header + graph_module.MARGIN:
            continue  # a line of the legend
        assert any(
            fx - 0.01 <= x0 and x1 <= fx + fw + 0.01 and fy - 0.01 <= y0 and y1 <= fy + fh + 0.01
            for fx, fy, fw, fh in layout.footprints
        ), text


def colour_mask(image: np.ndarray, colour: str) -> np.ndarray:
    """The pixels of `image` (H, W, 3 or 4 floats) close to `colour` (anti-aliasing blurs the rest)."""
    return np.abs(image[..., :3] - np.array(to_rgb(colour))).max(axis=-1) < 0.12


def test_draw_graph_writes_a_readable_png_with_values_above_and_gradients_below(tmp_path):
    f, t = qz()
    path = tmp_path / "qz.png"
    figure = viz.draw_graph(f, path, names=t)
    image = matplotlib.image.imread(path)
    layout = layout_graph(extract_graph(f, names=t))
    assert image.shape[:2] == (round(layout.height * DPI), round(layout.width * DPI))
    assert tuple(figure.get_size_inches()) == pytest.approx((layout.width, layout.height))
    assert (image[..., :3] > 0.95).all(axis=-1).mean() > 0.7  # a white page...
    assert (image[..., :3] < 0.3).all(axis=-1).sum() > 500  # ...with black boxes, arrows and names
    green, red = colour_mask(image, GREEN), colour_mask(image, RED)
    # x's label: "-2" in green above the arrow that leaves x, "-4" in red below it
    label_x, label_y = layout.labels[0]
    _, top, _, height = layout.footprints[0]
    rows = slice(math.floor(top * DPI), math.ceil((top + height) * DPI))  # x's own band
    columns = slice(math.floor((label_x - 0.15) * DPI), math.ceil((label_x + 0.15) * DPI))
    rows_green = top * DPI + np.nonzero(green[rows, columns].any(axis=1))[0]
    rows_red = top * DPI + np.nonzero(red[rows, columns].any(axis=1))[0]
    arrow_row = label_y * DPI
    assert len(rows_green) and len(rows_red)
    assert rows_green.max() < arrow_row < rows_red.min()


def test_draw_graph_writes_svg_for_a_svg_path(tmp_path):
    f, t = qz()
    viz.draw_graph(f, tmp_path / "qz.svg", names=t)
    content = (tmp_path / "qz.svg").read_text(encoding="utf-8")
    assert "<svg" in content and content.rstrip().endswith("</svg>")


def test_draw_graph_refuses_other_suffixes_before_any_work(tmp_path):
    f, t = qz(backward=False, retain=False)
    f.backward()  # freed: the suffix is checked first, and nothing is written
    with pytest.raises(ValueError, match=r"must end in \.png or \.svg, got '.*qz\.jpg'"):
        viz.draw_graph(f, tmp_path / "qz.jpg")
    assert list(tmp_path.iterdir()) == []


def test_draw_graph_without_path_returns_the_figure_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f, t = qz()
    figure = viz.draw_graph(f, names=t)
    assert {"x", "Add", "Mul", "-12"} <= {text.get_text() for text in figure.axes[0].texts}
    assert list(tmp_path.iterdir()) == []
