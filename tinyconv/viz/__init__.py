"""Look inside a network: its filters, the feature maps of any layer, and a Vision Transformer's
attention, drawn as images; and the computational graph behind a tensor.

Zeiler, Fergus, "Visualizing and understanding convolutional networks", ECCV 2014 (arXiv 1311.2901)
looked at what each layer of AlexNet had learned and found it wanting (dead filters, aliasing); what
they saw gave ZFNet. These two pictures are the simplest form of that idea:

    tinyconv.viz.filters(model.features[0], path="filters.png")
        one image per filter of a convolution: weight (C_out, C_in, kH, kW) -> C_out small images.
        A first layer's filters are what it looks for in the pixels (edges, strokes, blobs).
    tinyconv.viz.feature_maps(model, "features.3", image, path="maps.png")
        runs `model` on one image and draws what the layer put out: (1, C, H, W) -> C images, one map
        per channel, bright where that channel's filter found its pattern.

    tinyconv.viz.attention(vit, image, path="attention.png")
        where a Vision Transformer's class token looks: the image, the class token's attention of each
        head of one block laid over the patches, and the attention rollout across all blocks
        (attention_rollout, Abnar & Zuidema 2020).

    tinyconv.viz.draw_graph(loss, path="graph.png")
        the computational graph behind a tensor: a box per tensor with its value and gradient, a node
        per Function, as the backprop lecture draws it (viz/graph.py, where the layout is explained).

All four return the matplotlib Figure (a notebook shows it) and, given `path`, also write it as a PNG
(draw_graph: PNG or SVG, by the path's suffix), atomically (tinyconv.serialization.atomic_write: an
interrupted run never leaves half a file).

matplotlib is imported inside the functions, not at the top: `import tinyconv` stays fast, and the
core of tinyconv never needs it. The figures are built with matplotlib's object API (`Figure`), not
pyplot, so nothing depends on a display or on a global list of open figures.
"""

from __future__ import annotations

import math

import numpy

from tinyconv.autograd import no_grad
from tinyconv.checks import check_int
from tinyconv.nn.module import Module
from tinyconv.serialization import atomic_write
from tinyconv.tensor import Tensor
from tinyconv.viz.graph import draw_graph, extract_graph, layout_graph, retain_grads

__all__ = ["filters", "feature_maps", "attention", "attention_rollout"]
__all__ += ["draw_graph", "extract_graph", "layout_graph", "retain_grads"]  # viz/graph.py

TILE_INCHES = 1.1  # the side of one small image in the grid
LAYERS_LISTED = 20  # an unknown layer name gets an error that lists this many of the valid names


def filters(conv_layer: Module, path=None, *, max_images: int = 64):
    """Draw the filters of a convolution, one small image per output channel; return the Figure.

    conv_layer: a layer with a 4-D `weight` (C_out, C_in, kH, kW), such as nn.Conv2d.
    Each filter is drawn with its own contrast, rescaled to [0, 1]: (w - min) / (max - min), so its
    pattern shows whatever its size. With C_in = 3 the filter is drawn in colour (its three input
    channels as red, green and blue: a first layer on RGB images); otherwise the mean over its input
    channels is drawn in grey (C_in = 1, a first layer on MNIST, is the filter itself).
    path: where to write the PNG (nothing is written without it).
    max_images: draw the first this many filters only (a layer may have hundreds).
    """
    weight = getattr(conv_layer, "weight", None)
    if not isinstance(weight, Tensor) or weight.ndim != 4:
        shape = None if weight is None else getattr(weight, "shape", None)
        raise TypeError(
            "viz.filters: expected a convolution layer with a 4-D weight (C_out, C_in, kH, kW), "
            f"got {type(conv_layer).__name__} with weight shape {shape}"
        )
    max_images = check_int("viz.filters", "max_images", max_images, minimum=1)
    kernels = weight.numpy().astype(numpy.float64)  # (C_out, C_in, kH, kW)
    out_channels, in_channels, k_h, k_w = kernels.shape
    if in_channels == 3:
        images = [rescale(kernel).transpose(1, 2, 0) for kernel in kernels[:max_images]]  # (kH, kW, RGB)
        how = "RGB"
    else:
        images = [rescale(kernel.mean(axis=0)) for kernel in kernels[:max_images]]  # (kH, kW)
        how = "grey" if in_channels == 1 else f"mean of {in_channels} input channels"
    title = f"{out_channels} filters {k_h}x{k_w} of {type(conv_layer).__name__} ({how})"
    if out_channels > max_images:
        title += f", the first {max_images}"
    figure = image_grid(images, title, cmap="gray", vmin=0.0, vmax=1.0)
    if path is not None:
        save_png(figure, path)
    return figure


def feature_maps(model: Module, layer, image, path=None, *, max_images: int = 64):
    """Run `model` on one image and draw the maps `layer` puts out, one per channel; return the Figure.

    model: any Module; layer: one of its sub-modules, or its dotted name ("features.3", as in state_dict
    keys). image: one image (C, H, W) or a batch of one (1, C, H, W), a NumPy array or a Tensor (a
    dataset item `test_set[0][0]` is one). A forward hook on `layer` (Module.register_forward_hook)
    records its output (1, C_out, OH, OW) as the model runs; the hook is removed afterwards. The pass
    runs in eval mode (dropout off, batch norm on its running statistics) without recording a graph,
    and every module gets back its own train/eval flag.
    All maps share one colour scale (the colour bar), so a map that looks bright is one with large
    values, and a dead channel (all zero after a ReLU) looks dark.
    path: where to write the PNG; max_images: draw the first this many channels only.
    """
    if not isinstance(model, Module):
        raise TypeError(f"viz.feature_maps: model must be a tinyconv.nn.Module, got {type(model).__name__}")
    name, layer = find_layer(model, layer)
    max_images = check_int("viz.feature_maps", "max_images", max_images, minimum=1)
    batch = image_batch(model, image)

    captured = []
    handle = layer.register_forward_hook(lambda module, inputs, output: captured.append(output))
    modes = [(module, module.training) for module in model.modules()]
    try:
        model.eval()
        with no_grad():
            model(batch)
    finally:
        handle.remove()
        for module, training in modes:
            module.training = training

    if not captured:
        raise ValueError(f"viz.feature_maps: layer '{name}' did not run during the model's forward pass")
    output = captured[0]
    if not isinstance(output, Tensor) or output.ndim != 4:
        shape = output.shape if isinstance(output, Tensor) else type(output).__name__
        raise ValueError(
            f"viz.feature_maps: layer '{name}' gave an output of shape {shape}; feature maps need "
            "(N, C, H, W) (pick a convolution, activation or pooling layer)"
        )
    maps = output.numpy()[0].astype(numpy.float64)  # (C, OH, OW)
    channels, out_h, out_w = maps.shape
    title = f"{channels} feature maps {out_h}x{out_w} of '{name}' ({type(layer).__name__})"
    if channels > max_images:
        title += f", the first {max_images}"
    figure = image_grid(
        list(maps[:max_images]), title, cmap="viridis", vmin=float(maps.min()), vmax=float(maps.max())
    )
    figure.colorbar(figure.axes[0].images[0], ax=figure.axes, shrink=0.8)
    if path is not None:
        save_png(figure, path)
    return figure


def attention_rollout(attention_maps: list) -> numpy.ndarray:
    """How much each token at the output draws on each input token, through every block: the attention
    rollout of Abnar & Zuidema, "Quantifying Attention Flow in Transformers" (ACL 2020).

    One block mixes its tokens by its attention A (averaged over the heads) and adds its input back
    (the residual connection), so a token's new value draws on the others as 0.5 (A + I), rows
    renormalized to sum to 1. Chained through the blocks:
        R = norm(A_L + I) @ ... @ norm(A_1 + I)
    attention_maps: one (N, heads, S, S) tensor or array per block, as VisionTransformer.attention_maps
    returns them. Returns R, (N, S, S); row 0 is the class token's.
    """
    rollout = None
    for weights in attention_maps:
        average = (weights.numpy() if isinstance(weights, Tensor) else numpy.asarray(weights)).mean(axis=1)
        mixing = average + numpy.eye(average.shape[-1])
        mixing /= mixing.sum(axis=-1, keepdims=True)
        rollout = mixing if rollout is None else mixing @ rollout
    if rollout is None:
        raise ValueError("viz.attention_rollout: needs the attention maps of at least one block")
    return rollout


def attention(model: Module, image, path=None, *, block: int = -1):
    """Draw where a Vision Transformer's class token looks, for one image; return the Figure.

    model: a VisionTransformer (anything with attention_maps(images) and patch_size); image: one image
    (C, H, W) or (1, C, H, W). Panels: the image; the class token's attention over the patches for each
    head of `block` (-1: the last), as a grid of H/P x W/P laid over the image; and the attention
    rollout through all blocks. Runs in eval mode without recording a graph, like feature_maps.
    """
    if not hasattr(model, "attention_maps") or not hasattr(model, "patch_size"):
        raise TypeError(f"viz.attention: model must be a VisionTransformer, got {type(model).__name__}")
    batch = image_batch(model, image)
    modes = [(module, module.training) for module in model.modules()]
    try:
        model.eval()
        with no_grad():
            maps = model.attention_maps(batch)
    finally:
        for module, training in modes:
            module.training = training
    grid = (batch.shape[2] // model.patch_size, batch.shape[3] // model.patch_size)
    chosen = maps[block].numpy()[0]  # (heads, S, S)
    heads = [chosen[head, 0, 1:].reshape(grid) for head in range(chosen.shape[0])]
    rollout = attention_rollout(maps)[0, 0, 1:].reshape(grid)
    picture = batch.numpy()[0].astype(numpy.float64)
    picture = picture[0] if picture.shape[0] == 1 else rescale(picture.transpose(1, 2, 0))
    return attention_figure(picture, heads, rollout, block % len(maps), path)


def attention_figure(picture, heads: list, rollout, block: int, path):
    """The panels of `attention`: the image, one heat map per head, the rollout, each over the image."""
    from matplotlib.figure import Figure  # here, not at the top: see the module docstring

    panels = [("image", None)] + [(f"head {h}", m) for h, m in enumerate(heads)] + [("rollout", rollout)]
    columns = min(len(panels), 6)
    rows = math.ceil(len(panels) / columns)
    figure = Figure(figsize=(1.9 * columns, 2.0 * rows + 0.5))
    extent = (0, picture.shape[1], picture.shape[0], 0)  # the heat map stretched over the whole image
    for index, (title, heat) in enumerate(panels):
        axes = figure.add_subplot(rows, columns, index + 1)
        axes.imshow(picture, cmap="gray", extent=extent)
        if heat is not None:
            axes.imshow(heat, cmap="inferno", alpha=0.6, extent=extent, interpolation="nearest")
        axes.set_title(title, fontsize=8)
        axes.set_axis_off()
    figure.suptitle(
        f"class token attention: block {block}'s heads, and the rollout through all blocks", fontsize=9
    )
    if path is not None:
        save_png(figure, path)
    return figure


# ----------------------------------------------------------------------------- helpers


def rescale(array: numpy.ndarray) -> numpy.ndarray:
    """`array` mapped linearly onto [0, 1] (min -> 0, max -> 1); a constant array becomes 0.5."""
    low, high = array.min(), array.max()
    if high == low:
        return numpy.full_like(array, 0.5)
    return (array - low) / (high - low)


def find_layer(model: Module, layer) -> tuple:
    """(dotted name, module) of `layer`, given as a sub-module of `model` or as its name."""
    names = dict(model.named_modules())  # "" is the model itself
    if isinstance(layer, str):
        if layer not in names:
            layers = list(names)[1:]
            known = ", ".join(repr(name) for name in layers[:LAYERS_LISTED])
            if len(layers) > LAYERS_LISTED:
                known += f" and {len(layers) - LAYERS_LISTED} more"
            raise ValueError(
                f"viz.feature_maps: the model has no layer named {layer!r}; its layers: {known or 'none'}"
            )
        return layer, names[layer]
    if not isinstance(layer, Module):
        raise TypeError(
            "viz.feature_maps: layer must be a sub-module of the model or its dotted name, "
            f"got {type(layer).__name__}"
        )
    for name, module in names.items():
        if module is layer:
            return name or "(model)", module
    raise ValueError(f"viz.feature_maps: {type(layer).__name__} layer is not part of the model")


def image_batch(model: Module, image) -> Tensor:
    """One image (C, H, W) or (1, C, H, W) as a (1, C, H, W) Tensor with the model's dtype and device."""
    data = image.numpy() if isinstance(image, Tensor) else numpy.asarray(image)
    if data.ndim == 3:
        data = data[None]
    if data.ndim != 4 or data.shape[0] != 1:
        raise ValueError(
            f"viz.feature_maps: image must be one image (C, H, W) or a batch of one (1, C, H, W), "
            f"got shape {data.shape}"
        )
    parameter = next(model.parameters(), None)
    if parameter is None:
        return Tensor(data.astype(numpy.float32))
    return Tensor(data.astype(parameter.dtype)).to(parameter.device)


def image_grid(images: list, title: str, cmap: str, vmin: float, vmax: float):
    """A Figure with `images` in a near-square grid, each titled with its channel number."""
    from matplotlib.figure import Figure  # here, not at the top: see the module docstring

    columns = math.ceil(math.sqrt(len(images)))
    rows = math.ceil(len(images) / columns)
    figure = Figure(figsize=(max(TILE_INCHES * columns + 1.0, 4.0), TILE_INCHES * rows + 0.8))
    for index, picture in enumerate(images):
        axes = figure.add_subplot(rows, columns, index + 1)
        axes.imshow(picture, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        axes.set_title(str(index), fontsize=7, pad=2)
        axes.set_axis_off()
    figure.suptitle(title, fontsize=9)
    return figure


def save_png(figure, path) -> None:
    """Write `figure` to `path` as a PNG, atomically."""
    atomic_write(path, lambda file: figure.savefig(file, format="png", dpi=100))
