"""The computational graph behind a tensor, drawn as the backprop lecture draws it.

cs231n's lecture on backpropagation draws f = (x + y) * z as a graph: the operations are nodes, and on
every arrow the value that flows forward is written in green above it and the gradient that flows back
in red below it. `draw_graph` draws the graph that tinyconv recorded in the same way:

    x, y, z = (tinyconv.tensor(v, requires_grad=True) for v in (-2.0, 5.0, -4.0))
    q = x + y
    f = q * z
    viz.retain_grads(f)                  # before backward: keep q's and f's gradients too
    f.backward(retain_graph=True)        # keep the graph: a plain backward() frees it
    viz.draw_graph(f, "qz.png", names={"x": x, "y": y, "z": z, "q": q, "f": f})

What is drawn:
    a box per tensor       its name (from `names`), its shape, and, on the arrow that leaves it, its
                           value in green above and its gradient (`.grad`) in red below; a tensor of
                           more than `max_elements` numbers shows "mean ± std" and "in [min, max]"
    a node per Function    its class name (Add, Mul, Conv2d...), shaded
    arrows                 forward: tensor -> the Function that uses it -> the tensor it made

What backward() frees, and so when to draw. tinyconv's backward() releases every Function as soon as
it has used it (autograd.py: Function.release forgets its inputs and saved arrays, to free the
activations at once), so after a plain `loss.backward()` the graph is gone and `draw_graph` refuses,
saying so. Draw before backward() (values only), or after `backward(retain_graph=True)`, which keeps
the graph, to draw values and gradients. Only leaves keep `.grad`; an intermediate tensor's gradient
is dropped once used unless `retain_grad()` was called on it before backward. `retain_grads(output)`
does that for every intermediate of the graph (the output included); a tensor without a gradient is
drawn without a red label. Nothing here computes a gradient: what is drawn is what backward() left.

The work is split in three, each readable and testable alone:
    extract_graph(output)  -> Graph: the nodes, the edges and the text of every label (no drawing)
    layout_graph(graph)    -> Layout: a rectangle per node and a path per arrow, in inches
    draw_graph(output)     -> the matplotlib Figure of the two, written as PNG or SVG by the suffix

The layout is the layered (Sugiyama) layout, in its simplest form, left to right:
    1. layers by depth: a node's layer is its longest path from the leaves; a leaf is then moved right
       to just before the first Function that uses it (a weight used deep inside the network sits
       beside its layer, not far off at the start);
    2. an arrow that spans several layers is cut by a waypoint in each layer it crosses, so that it
       is routed between the boxes, never through one;
    3. the order within each layer is the barycenter heuristic (each node goes to the mean position of
       its neighbours in the layer before, then after; the order with the fewest crossings is kept);
    4. heights: each node moves towards the mean height of its neighbours (of its computed inputs
       only, when it has some: the data path runs straight and the weights gather around it), as far
       as the boxes above and below it in its layer allow (least squares under non-overlap constraints);
    5. widths: each layer is a column as wide as its widest node; arrows run horizontally inside the
       columns and slope only in the gaps between them, so they never cross a box or a label.
Text is measured, not rendered, to size the boxes: the font is monospaced (DejaVu Sans Mono, which
comes with matplotlib), so a line of n characters is n times one advance wide. The figure's size
follows from the layout.

matplotlib is imported only when a figure is drawn, as in the rest of tinyconv.viz; no Graphviz or
other program is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy

from tinyconv.autograd import topological_order
from tinyconv.checks import check_int
from tinyconv.serialization import atomic_write
from tinyconv.tensor import Tensor

MAX_ELEMENTS = 8  # a tensor of more numbers than this is shown as "mean ± std" and "in [min, max]"

FONT = "DejaVu Sans Mono"  # monospaced, and shipped with matplotlib: text width is characters x advance
FONT_SIZE = 9.0  # points
CHAR_WIDTH = 0.62 * FONT_SIZE / 72  # inches; DejaVu Sans Mono's advance is 0.602 em, rounded up
LINE_HEIGHT = 1.25 * FONT_SIZE / 72  # inches; matplotlib spaces lines 1.2 em apart
PAD = 0.07  # inches between a box's text and its border
LABEL_GAP = 0.04  # inches between an arrow and the value above it or the gradient below it
MIN_LABEL_ZONE = 0.35  # inches: the shortest arrow leaving a tensor, where its value and gradient go
WAYPOINT_HEIGHT = 0.1  # inches kept free around an arrow that passes through a layer
COLUMN_GAP = 0.5  # inches between two layers: where the arrows slope
ROW_GAP = 0.22  # inches between two nodes of one layer
MARGIN = 0.2  # inches around the drawing
ORDER_SWEEPS = 8  # barycenter sweeps (each down then up) tried when ordering the layers
PLACE_SWEEPS = 6  # sweeps that move nodes towards their neighbours' heights
LEAF_WEIGHT = 0.01  # how much a leaf's wish for a height counts against a computed tensor's
DPI = 100

GREEN, RED = "#1a7f1a", "#c81e1e"  # the lecture's colours: forward values, gradients
FUNCTION_FILL, FUNCTION_EDGE = "#dde8f5", "#3a689c"

FREED = (
    "{owner}: the graph behind this tensor was freed by backward(), which releases each Function "
    "once it has used it. Draw before backward() (values only), or call backward(retain_graph=True) to "
    "keep the graph and draw after it (values and gradients); call viz.retain_grads(output) before "
    "backward to keep the intermediate tensors' gradients too"
)


# ----------------------------------------------------------------------------- the graph


@dataclass
class GraphNode:
    """One node of the drawn graph: a tensor or a Function, with the text of its labels.

    kind: "tensor" or "function". title: a tensor's name ("" without one), a Function's class name.
    shape: a tensor's shape (None for a Function); detail: the line under the title in a tensor's box
    (its shape, and its dtype when that is not float32). value, grad: the lines written above and below
    the arrow that leaves a tensor (empty when not shown, or when the tensor has no gradient).
    """

    kind: str
    title: str
    shape: tuple | None = None
    detail: str = ""
    value: list = field(default_factory=list)
    grad: list = field(default_factory=list)


@dataclass
class Graph:
    """The graph behind a tensor, as drawn: nodes in forward (topological) order, and edges (from, to)
    as positions in `nodes`, pointing forward. `output` is the position of the tensor it was made from."""

    nodes: list
    edges: list
    output: int


def extract_graph(
    output: Tensor,
    values: bool = True,
    grads: bool = True,
    max_elements: int = MAX_ELEMENTS,
    *,
    names: dict | None = None,
) -> Graph:
    """The tensors and Functions that `output` was computed from, with the text draw_graph writes.

    The graph is read from the tensors' `grad_fn` and the Functions' `inputs` and `outputs`
    (autograd.py); the nodes come in forward order (forward_order), each after everything it depends
    on. It must still be there: before backward(), or after backward(retain_graph=True) (see the
    module's docstring). A Function that takes one tensor twice (x * x) gets one edge from it.
    values, grads: write each tensor's value, and its `.grad` where it has one.
    max_elements: a tensor of at most this many numbers shows them all, one row of its last axis per
    line; a larger one shows "mean ± std" and "in [min, max]" (a batch of images cannot be read number
    by number).
    names: {name: tensor}, the names to write in the boxes, e.g. {"x": x, **dict(model.named_parameters())};
    the first name given to a tensor wins. Tensors have no names, in tinyconv as in PyTorch; they are
    given here rather than as a new Tensor attribute, so that Tensor stays PyTorch's, and a model's
    parameters come with theirs.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"draw_graph: expected the Tensor whose graph to draw, got {type(output).__name__}")
    max_elements = check_int("draw_graph", "max_elements", max_elements, minimum=0)
    name_of = tensor_names(names)
    functions = forward_order(output, "draw_graph")

    # The tensors drawn are the output and every input of a Function on the way to it; a Function's
    # other outputs (an LSTM gate split off and unused, say) did not reach `output` and are left out.
    reached = {id(output)}
    for function in functions:
        reached.update(id(t) for t in function.inputs if isinstance(t, Tensor))

    nodes, edges, position = [], [], {}

    def add_tensor(tensor: Tensor) -> int:
        if id(tensor) not in position:
            position[id(tensor)] = len(nodes)
            nodes.append(tensor_node(tensor, name_of.get(id(tensor), ""), values, grads, max_elements))
        return position[id(tensor)]

    for function in functions:
        inputs = [add_tensor(t) for t in function.inputs if isinstance(t, Tensor)]
        here = len(nodes)
        nodes.append(GraphNode("function", type(function).__name__))
        edges.extend((source, here) for source in dict.fromkeys(inputs))  # once per input tensor
        made = [ref() for ref in function.outputs]  # weak references: an unused output may be gone
        edges.extend((here, add_tensor(t)) for t in made if t is not None and id(t) in reached)
    return Graph(nodes, edges, add_tensor(output))


def forward_order(output: Tensor, owner: str) -> list:
    """The Functions behind `output`, each after every Function it depends on, or a RuntimeError that
    says the graph was freed (by backward(), here or in an earlier backward through a part of it).

    The engine's autograd.topological_order, asked to go through each Function's inputs in their own
    order (first_input_first), so that the picture reads like the formula: in (x + y) * z, x + y is
    drawn above z, and w0 * x0 above w1 * x1."""
    if output.grad_fn is None:
        return []
    try:
        return topological_order(output, first_input_first=True)
    except RuntimeError:  # the one error it raises, a freed graph, said in draw_graph's words
        raise RuntimeError(FREED.format(owner=owner)) from None


def tensor_names(names) -> dict:
    """{id(tensor): name} from the {name: tensor} that draw_graph takes (tensors hash by identity)."""
    if names is None:
        return {}
    if not isinstance(names, dict):
        raise TypeError(f"draw_graph: names must be a dict {{name: tensor}}, got {type(names).__name__}")
    name_of = {}
    for name, tensor in names.items():
        if not isinstance(tensor, Tensor):
            raise TypeError(f"draw_graph: names[{name!r}] must be a Tensor, got {type(tensor).__name__}")
        name_of.setdefault(id(tensor), str(name))
    return name_of


def tensor_node(tensor: Tensor, name: str, values: bool, grads: bool, max_elements: int) -> GraphNode:
    """A tensor's node: its name, its shape (and dtype unless float32), its value and gradient as text."""
    detail = "scalar" if tensor.ndim == 0 else str(tuple(tensor.shape))
    if tensor.dtype != numpy.float32:
        detail += f" {tensor.dtype}"
    value = array_text(tensor.numpy(), max_elements) if values else []
    grad = []
    if grads and tensor.grad is not None:
        grad = array_text(
            Tensor(tensor.grad).numpy(), max_elements
        )  # Tensor(): a CuPy grad comes to the host
    return GraphNode("tensor", name, tuple(tensor.shape), detail, value, grad)


def array_text(array: numpy.ndarray, max_elements: int) -> list:
    """The lines that show `array`: its numbers, one row of the last axis per line, when there are at
    most `max_elements`; else "mean ± std" and "in [min, max]" (computed in float64)."""
    if array.size <= max_elements:
        if array.ndim == 0:
            return [number_text(array.item())]
        rows = array.reshape(-1, array.shape[-1]) if array.size else array.reshape(1, 0)
        return ["[" + ", ".join(number_text(v) for v in row.tolist()) + "]" for row in rows]
    numbers = array.astype(numpy.float64)
    return [
        f"{number_text(numbers.mean())} ± {number_text(numbers.std())}",
        f"in [{number_text(numbers.min())}, {number_text(numbers.max())}]",
    ]


def number_text(value) -> str:
    """A number in at most 3 significant digits: -2, 0.731, -0.197, 1.5e+03 (bools as True/False)."""
    if isinstance(value, (bool, numpy.bool_)):
        return str(bool(value))
    if isinstance(value, (int, numpy.integer)):
        return str(int(value))
    return f"{float(value) + 0.0:.3g}"  # + 0.0 turns -0.0 into 0.0


def retain_grads(output: Tensor) -> None:
    """Call retain_grad() on `output` and on every intermediate tensor it was computed from, so that
    backward() leaves their gradients in `.grad` for draw_graph (leaves keep theirs anyway). Call it
    before backward(); as with retain_grad(), the gradients add up over several backward() calls."""
    if not isinstance(output, Tensor):
        raise TypeError(f"retain_grads: expected a Tensor, got {type(output).__name__}")
    functions = forward_order(output, "retain_grads")
    output.retain_grad()  # does nothing on a leaf
    for function in functions:
        for tensor in function.inputs:
            if isinstance(tensor, Tensor):
                tensor.retain_grad()  # does nothing on a leaf


# ----------------------------------------------------------------------------- the layout


@dataclass
class Layout:
    """Where everything goes, in inches, y pointing down (as on the page).

    layers: each node's layer (its column). boxes: each node's box (x, y, width, height), top-left
    corner first. footprints: each node's box with, for a tensor, the stretch of arrow to its right
    where its value and gradient are written: the rectangle no other node or arrow enters. paths: each
    edge's arrow, a list of (x, y) points, in the order of graph.edges. output_stub: the short arrow
    that leaves the output tensor (its value and gradient are written on it, as the lecture does).
    labels: for each tensor, the point (x, y) on its outgoing arrow where its labels are centred.
    header: the height of the legend at the top; width, height: the whole drawing's size.
    """

    layers: list
    boxes: list
    footprints: list
    paths: list
    output_stub: list
    labels: list
    header: float
    width: float
    height: float


def text_width(lines: list) -> float:
    """The width of `lines` in inches, in FONT at FONT_SIZE (monospaced: characters x advance)."""
    return max((len(line) for line in lines), default=0) * CHAR_WIDTH


def node_sizes(node: GraphNode) -> tuple:
    """(box width, box height, footprint width, footprint height) of one node, in inches."""
    lines = [line for line in (node.title, node.detail) if line]
    box_w = text_width(lines) + 2 * PAD
    box_h = max(len(lines), 1) * LINE_HEIGHT + 2 * PAD
    if node.kind != "tensor":
        return box_w, box_h, box_w, box_h
    zone_w = max(text_width(node.value + node.grad) + 2 * PAD, MIN_LABEL_ZONE)
    zone_h = 2 * (max(len(node.value), len(node.grad)) * LINE_HEIGHT + LABEL_GAP)
    return box_w, box_h, box_w + zone_w, max(box_h, zone_h)


def header_lines(graph: Graph) -> list:
    """The legend above the drawing: (text, colour) pairs, only for what the drawing shows."""
    tensors = [node for node in graph.nodes if node.kind == "tensor"]
    lines = []
    if any(node.value for node in tensors):
        lines.append(("green, above an arrow: the tensor's value (forward pass)", GREEN))
    if any(node.grad for node in tensors):
        lines.append(("red, below it: its gradient d output / d tensor (after backward)", RED))
    if any(line.startswith("in [") for node in tensors for line in node.value + node.grad):
        lines.append(("a tensor of many numbers: their mean ± std, and in [min, max]", "black"))
    return lines


def assign_layers(count: int, edges: list) -> list:
    """Each node's layer: its longest path from a leaf, then each leaf moved to just before the first
    node that uses it. `edges` point forward and the nodes are in topological order."""
    predecessors = [[] for _ in range(count)]
    successors = [[] for _ in range(count)]
    for source, target in edges:
        predecessors[target].append(source)
        successors[source].append(target)
    layers = [0] * count
    for node in range(count):  # topological order: every predecessor already has its layer
        layers[node] = 1 + max((layers[p] for p in predecessors[node]), default=-1)
    for node in range(count):
        if not predecessors[node] and successors[node]:
            layers[node] = min(layers[s] for s in successors[node]) - 1
    return layers


def crossings(order: list, links: list) -> int:
    """How many pairs of arrows cross between each layer and the next, for the order given.

    order: each layer's nodes, top to bottom; links: (source, target) between adjacent layers."""
    row = {node: index for layer in order for index, node in enumerate(layer)}
    by_layer = {}
    for source, target in links:
        by_layer.setdefault(source, []).append(target)
    total = 0
    for layer in order:
        pairs = [(row[s], row[t]) for s in layer for t in by_layer.get(s, [])]
        total += sum((a[0] - b[0]) * (a[1] - b[1]) < 0 for i, a in enumerate(pairs) for b in pairs[i + 1 :])
    return total


def order_layers(order: list, links: list) -> list:
    """The barycenter heuristic: sweep down (each layer sorted by the mean row of its predecessors)
    and up (by its successors) ORDER_SWEEPS times; return the order with the fewest crossings seen.
    Python's sort is stable and a node without neighbours on that side keeps its row, so the result
    is deterministic."""
    predecessors, successors = {}, {}
    for source, target in links:
        predecessors.setdefault(target, []).append(source)
        successors.setdefault(source, []).append(target)

    def sweep(order: list, layer_indices, neighbours: dict) -> list:
        order = [list(layer) for layer in order]
        for index in layer_indices:
            row = {node: r for layer in order for r, node in enumerate(layer)}
            keys = {}
            for r, node in enumerate(order[index]):
                around = [row[n] for n in neighbours.get(node, [])]
                keys[node] = sum(around) / len(around) if around else r
            order[index].sort(key=lambda node: keys[node])
        return order

    best, best_crossings = order, crossings(order, links)
    for _ in range(ORDER_SWEEPS):
        order = sweep(order, range(1, len(order)), predecessors)
        order = sweep(order, range(len(order) - 2, -1, -1), successors)
        count = crossings(order, links)
        if count < best_crossings:
            best, best_crossings = order, count
    return best


def closest_ordered(wanted: list, spacing: list, weights: list) -> list:
    """Centres c as close as possible to `wanted` (least squares, each term times its weight) that
    keep the order and leave at least spacing[i] between c[i] and c[i + 1]: no two boxes of a layer
    overlap.

    Subtracting the running sum of the spacings turns the constraints into "non-decreasing", which
    is isotonic regression: the pool-adjacent-violators algorithm merges neighbours that are out of
    order into one block, placed at their weighted mean."""
    offsets = [0.0]
    for gap in spacing:
        offsets.append(offsets[-1] + gap)
    blocks = []  # [weighted sum, total weight, count] of each block; their means non-decreasing
    for target, offset, weight in zip(wanted, offsets, weights):
        blocks.append([weight * (target - offset), weight, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, weight_sum, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += weight_sum
            blocks[-1][2] += count
    shifted = [total / weight_sum for total, weight_sum, count in blocks for _ in range(count)]
    return [value + offset for value, offset in zip(shifted, offsets)]


def place_rows(order: list, heights: dict, links: list, leaves: set) -> dict:
    """The centre height of every node: stacked in each layer, then PLACE_SWEEPS times moved towards
    the mean height of its neighbours in the layer before (sweeping right) and after (sweeping left).

    The data path through a network should run straight, with each layer's weight and bias gathered
    around the Function that uses them, rather than pulling the path down a step at every layer. So,
    sweeping right, a node follows only those of its predecessors that are not `leaves` (inputs and
    parameters, and the waypoints of their arrows) when it has any; and where nodes of one layer want
    the same height, the leaves give way (they weigh LEAF_WEIGHT in the least squares, the others 1)."""
    predecessors, successors = {}, {}
    for source, target in links:
        predecessors.setdefault(target, []).append(source)
        successors.setdefault(source, []).append(target)
    for node, sources in predecessors.items():
        computed = [source for source in sources if source not in leaves]
        predecessors[node] = computed or sources
    centre = {}
    for layer in order:
        top = 0.0
        for node in layer:
            centre[node] = top + heights[node] / 2
            top += heights[node] + ROW_GAP

    def settle(layer: list, neighbours: dict) -> None:
        wanted = []
        for node in layer:
            around = [centre[n] for n in neighbours.get(node, [])]
            wanted.append(sum(around) / len(around) if around else centre[node])
        spacing = [(heights[a] + heights[b]) / 2 + ROW_GAP for a, b in zip(layer, layer[1:])]
        weights = [LEAF_WEIGHT if node in leaves else 1.0 for node in layer]
        for node, value in zip(layer, closest_ordered(wanted, spacing, weights)):
            centre[node] = value

    for _ in range(PLACE_SWEEPS):
        for layer in order[1:]:
            settle(layer, predecessors)
        for layer in reversed(order[:-1]):
            settle(layer, successors)
    return centre


def layout_graph(graph: Graph) -> Layout:
    """Place the graph's nodes in layers, left to right, and route its arrows (see the module's
    docstring for the five steps). Deterministic: the same graph gives the same layout."""
    count = len(graph.nodes)
    sizes = [node_sizes(node) for node in graph.nodes]
    layers = assign_layers(count, graph.edges)

    # Waypoints: an edge across k layers becomes a chain through k - 1 waypoints (numbered after the
    # nodes), so every link joins two adjacent layers.
    layer_of = dict(enumerate(layers))
    heights = {node: sizes[node][3] for node in range(count)}
    widths = {node: sizes[node][2] for node in range(count)}
    leaves = set(range(count)) - {target for _, target in graph.edges}
    chains, links = [], []
    for source, target in graph.edges:
        chain = [source]
        for layer in range(layers[source] + 1, layers[target]):
            waypoint = len(layer_of)
            layer_of[waypoint], heights[waypoint], widths[waypoint] = layer, WAYPOINT_HEIGHT, 0.0
            chain.append(waypoint)
            if source in leaves:
                leaves.add(waypoint)
        chain.append(target)
        chains.append(chain)
        links.extend(zip(chain, chain[1:]))

    order = [[] for _ in range(max(layers, default=0) + 1)]
    for node in sorted(layer_of, key=lambda n: (layer_of[n], n)):  # first guess: the graph's own order
        order[layer_of[node]].append(node)
    order = order_layers(order, links)
    centre = place_rows(order, heights, links, leaves)

    header = len(header_lines(graph)) * LINE_HEIGHT
    top = min(centre[n] - heights[n] / 2 for n in centre)  # a graph has at least its output
    shift = MARGIN + header + (PAD if header else 0.0) - top
    left, column_left, column_right = MARGIN, [], []
    for layer in order:
        column_left.append(left)
        left += max((widths[n] for n in layer), default=0.0)
        column_right.append(left)
        left += COLUMN_GAP

    boxes, footprints, labels = [], [], []
    for node in range(count):
        box_w, box_h, foot_w, foot_h = sizes[node]
        column = layers[node]
        x = column_left[column] + (column_right[column] - column_left[column] - foot_w) / 2
        y = centre[node] + shift
        boxes.append((x, y - box_h / 2, box_w, box_h))
        footprints.append((x, y - foot_h / 2, foot_w, foot_h))
        labels.append((x + (box_w + foot_w) / 2, y) if graph.nodes[node].kind == "tensor" else None)

    def row(node: int) -> float:
        return centre[node] + shift

    # Arrows enter a Function at points spread over its left side, in the order of where they come
    # from (so they do not cross at the door), and leave every node at the middle of its right side.
    arriving = {}
    for index, chain in enumerate(chains):
        arriving.setdefault(chain[-1], []).append((row(chain[-2]), index))
    door = {}
    for target, comers in arriving.items():
        x, y, _, h = boxes[target]
        spread = len(comers) > 1 and graph.nodes[target].kind == "function"
        for rank, (_, index) in enumerate(sorted(comers)):
            door[index] = y + h * (rank + 1) / (len(comers) + 1) if spread else y + h / 2

    paths = []
    for index, chain in enumerate(chains):
        source, target = chain[0], chain[-1]
        x, _, w, _ = boxes[source]
        points = [(x + w, row(source)), (column_right[layers[source]], row(source))]
        for waypoint in chain[1:-1]:
            column = layer_of[waypoint]
            points += [(column_left[column], row(waypoint)), (column_right[column], row(waypoint))]
        points += [(column_left[layers[target]], door[index]), (boxes[target][0], door[index])]
        paths.append([p for i, p in enumerate(points) if i == 0 or p != points[i - 1]])

    x, _, w, _ = boxes[graph.output]
    fx, _, fw, _ = footprints[graph.output]
    stub = [(x + w, row(graph.output)), (fx + fw, row(graph.output))]
    width = max(left - COLUMN_GAP + MARGIN, text_width([t for t, _ in header_lines(graph)]) + 2 * MARGIN)
    bottom = max(f[1] + f[3] for f in footprints)
    return Layout(layers, boxes, footprints, paths, stub, labels, header, width, bottom + MARGIN)


# ----------------------------------------------------------------------------- the drawing


def draw_graph(
    output: Tensor,
    path=None,
    values: bool = True,
    grads: bool = True,
    max_elements: int = MAX_ELEMENTS,
    *,
    names: dict | None = None,
):
    """Draw the computational graph behind `output`; return the matplotlib Figure.

    One box per tensor (its name from `names`, its shape), one shaded node per Function (its class
    name), arrows forward; each tensor's value in green above the arrow that leaves it and its
    gradient in red below, as the backprop lecture writes them (cs231n: x = -2, y = 5, z = -4 gives
    q = 3, f = -12 and the gradients -4, -4, 3). The arguments are extract_graph's; see it, and the
    module's docstring for the layout.

    The graph must still exist: draw before backward() (values only) or after
    backward(retain_graph=True); a plain backward() frees it, and draw_graph then raises a
    RuntimeError that says so. Intermediate tensors show a gradient only if it was kept
    (viz.retain_grads(output), or retain_grad() on each, before backward).
    path: where to write the picture, as PNG or SVG by its suffix (.png, .svg); nothing is written
    without it. The figure's size follows from the layout (a deep network gives a wide picture).
    """
    if path is not None:
        image_format = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else ""
        if image_format not in ("png", "svg"):
            raise ValueError(f"draw_graph: path must end in .png or .svg, got {str(path)!r}")
    graph = extract_graph(output, values, grads, max_elements, names=names)
    figure = graph_figure(graph, layout_graph(graph))
    if path is not None:
        atomic_write(path, lambda file: figure.savefig(file, format=image_format, dpi=DPI))
    return figure


def graph_figure(graph: Graph, layout: Layout):
    """The Figure of a laid-out graph: the axes span the whole figure in inches, y down, so the
    layout's numbers are used as they are."""
    from matplotlib.figure import Figure  # here, not at the top: see tinyconv/viz/__init__.py
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle
    from matplotlib.path import Path

    figure = Figure(figsize=(layout.width, layout.height))
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, layout.width)
    axes.set_ylim(layout.height, 0)
    axes.set_axis_off()
    text = dict(fontfamily=FONT, fontsize=FONT_SIZE)

    for index, (line, colour) in enumerate(header_lines(graph)):
        axes.text(MARGIN, MARGIN + index * LINE_HEIGHT, line, color=colour, va="top", **text)

    arrow = dict(arrowstyle="-|>", mutation_scale=9, color="#444444", linewidth=0.9, shrinkA=0, shrinkB=0)
    for points in layout.paths:
        axes.add_patch(FancyArrowPatch(path=Path(points), **arrow))
    axes.add_patch(FancyArrowPatch(path=Path(layout.output_stub), **arrow))

    for node, (x, y, w, h), label_at in zip(graph.nodes, layout.boxes, layout.labels):
        if node.kind == "function":
            axes.add_patch(
                FancyBboxPatch(
                    (x, y),
                    w,
                    h,
                    boxstyle="round,pad=0,rounding_size=0.06",
                    facecolor=FUNCTION_FILL,
                    edgecolor=FUNCTION_EDGE,
                    linewidth=1.0,
                )
            )
            axes.text(x + w / 2, y + h / 2, node.title, ha="center", va="center", **text)
            continue
        axes.add_patch(Rectangle((x, y), w, h, facecolor="white", edgecolor="black", linewidth=1.0))
        lines = [
            (line, weight, colour)
            for line, weight, colour in ((node.title, "bold", "black"), (node.detail, "normal", "#555555"))
            if line
        ]
        first = y + h / 2 - (len(lines) - 1) * LINE_HEIGHT / 2
        for index, (line, weight, colour) in enumerate(lines):
            axes.text(
                x + w / 2,
                first + index * LINE_HEIGHT,
                line,
                ha="center",
                va="center",
                fontweight=weight,
                color=colour,
                **text,
            )
        # The block of lines is centred on the arrow; its lines start at one left edge, so that the
        # rows of a matrix stand under each other.
        label_x, label_y = label_at
        block = dict(ha="center", multialignment="left", linespacing=1.2, **text)
        if node.value:
            axes.text(label_x, label_y - LABEL_GAP, "\n".join(node.value), va="bottom", color=GREEN, **block)
        if node.grad:
            axes.text(label_x, label_y + LABEL_GAP, "\n".join(node.grad), va="top", color=RED, **block)
    return figure
