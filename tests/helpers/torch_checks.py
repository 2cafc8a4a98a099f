"""tinyconv against PyTorch: the same computation on both sides, outputs and gradients compared.

torch is optional, so it is passed in (a test gets it from the `torch` fixture of tests/conftest.py,
which skips the test, saying so, where PyTorch is not installed); nothing here imports it.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

import tinyconv.functional as F
from helpers.tensors import random_array
from tinyconv import Tensor

# float32 against float32: both sides round differently, in different orders
RTOL, ATOL = 1e-4, 1e-5

# float64 against float64, for whole networks: agreement to rounding, far below any real difference
NETWORK_RTOL, NETWORK_ATOL = 1e-9, 1e-12


def compare_with_torch(torch, ours, theirs, arrays: list, seed: int = 0) -> None:
    """Run `ours` and `theirs` on the same float32 arrays and compare outputs and every input's gradient
    under the same random upstream gradient."""
    arrays = [a.astype(np.float32) for a in arrays]
    tiny_inputs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    torch_inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    tiny_out = ours(*tiny_inputs)
    torch_out = theirs(*torch_inputs)
    assert tiny_out.shape == tuple(torch_out.shape)
    np.testing.assert_allclose(
        tiny_out.data, torch_out.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg="output"
    )

    upstream = random_array(*tiny_out.shape, seed=seed + 100, dtype=np.float32)
    tiny_out.backward(upstream)
    torch_out.backward(torch.tensor(upstream))
    for index, (mine, reference) in enumerate(zip(tiny_inputs, torch_inputs)):
        np.testing.assert_allclose(
            mine.grad, reference.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=f"gradient of input {index}"
        )


def torch_lenet5(torch):
    """The same LeNet-5 as tinyconv.models.LeNet5, written with torch.nn (torch passed in: it is optional)."""
    nn = torch.nn

    class TorchLeNet5(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 6, kernel_size=5, padding=2),
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Conv2d(6, 16, kernel_size=5),
                nn.ReLU(),
                nn.MaxPool2d(2),
            )
            self.classifier = nn.Sequential(
                nn.Linear(16 * 5 * 5, 120),
                nn.ReLU(),
                nn.Linear(120, 84),
                nn.ReLU(),
                nn.Linear(84, 10),
            )

        def forward(self, x):
            return self.classifier(torch.flatten(self.features(x), 1))

    return TorchLeNet5()


def torch_vit(
    torch, image_size, patch_size, num_layers, num_heads, hidden_dim, mlp_dim, num_classes, in_channels=3
):
    """torchvision's VisionTransformer written out with torch.nn, under its names (no torchvision needed):
    tinyconv.models.VisionTransformer's twin (tests/models/test_vit.py, benchmarks/bench_cpu.py)."""
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(hidden_dim, eps=1e-6)
            self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads, batch_first=True)
            self.dropout = nn.Dropout(0.0)
            self.ln_2 = nn.LayerNorm(hidden_dim, eps=1e-6)
            self.mlp = nn.Sequential(
                nn.Linear(hidden_dim, mlp_dim),
                nn.GELU(),
                nn.Dropout(0.0),
                nn.Linear(mlp_dim, hidden_dim),
                nn.Dropout(0.0),
            )

        def forward(self, x):
            y = self.ln_1(x)
            x = x + self.dropout(self.self_attention(y, y, y, need_weights=False)[0])
            return x + self.mlp(self.ln_2(x))

    class Encoder(nn.Module):
        def __init__(self, seq_length):
            super().__init__()
            self.pos_embedding = nn.Parameter(torch.zeros(1, seq_length, hidden_dim))
            self.layers = nn.Sequential(
                OrderedDict((f"encoder_layer_{i}", Block()) for i in range(num_layers))
            )
            self.ln = nn.LayerNorm(hidden_dim, eps=1e-6)

        def forward(self, x):
            return self.ln(self.layers(x + self.pos_embedding))

    class ViT(nn.Module):
        def __init__(self):
            super().__init__()
            self.class_token = nn.Parameter(torch.zeros(1, 1, hidden_dim))
            self.conv_proj = nn.Conv2d(in_channels, hidden_dim, kernel_size=patch_size, stride=patch_size)
            self.encoder = Encoder((image_size // patch_size) ** 2 + 1)
            self.heads = nn.Sequential(OrderedDict(head=nn.Linear(hidden_dim, num_classes)))

        def forward(self, images):
            x = self.conv_proj(images).flatten(2).transpose(1, 2)
            x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)
            return self.heads(self.encoder(x)[:, 0])

    return ViT()


# ------------------------------------------------------------------------------ whole networks, in float64
# The model tests write each network a second time with torch.nn, from its paper, and compare the two
# with the same weights in. Both sides run in float64. Dropout draws from each library's own generator, so
# the comparison runs in eval() mode, where dropout passes its input on; the loss is cross-entropy on fixed
# labels.


def with_random_biases(model):
    """The model in float64 with biases drawn too (they start at 0, where a missing bias would not show)."""
    model = model.double()
    rng = np.random.default_rng(1)
    for name, parameter in model.named_parameters():
        if name.endswith("bias"):
            parameter.data[...] = 0.1 * rng.standard_normal(parameter.shape)
    return model


def torch_copy(torch, model, reference):
    """`reference` in float64 with the tinyconv model's weights (their state_dict keys must match)."""
    reference = reference.double()
    reference.load_state_dict({name: torch.from_numpy(value) for name, value in model.state_dict().items()})
    return reference


def assert_same_forward_and_backward(torch, model, reference, images: np.ndarray) -> None:
    """Logits, the gradient of the loss for the images, and every parameter's gradient agree."""
    model.eval()
    reference.eval()
    labels = np.arange(len(images)) % 10
    x = Tensor(images.copy(), requires_grad=True)
    torch_x = torch.tensor(images, requires_grad=True)
    logits, torch_logits = model(x), reference(torch_x)
    np.testing.assert_allclose(
        logits.numpy(), torch_logits.detach().numpy(), rtol=NETWORK_RTOL, atol=NETWORK_ATOL
    )

    F.cross_entropy(logits, labels).backward()
    torch.nn.functional.cross_entropy(torch_logits, torch.tensor(labels)).backward()
    np.testing.assert_allclose(
        x.grad, torch_x.grad.numpy(), rtol=NETWORK_RTOL, atol=NETWORK_ATOL, err_msg="input"
    )
    assert [name for name, _ in reference.named_parameters()] == [
        name for name, _ in model.named_parameters()
    ]
    assert_same_parameter_gradients(model, reference)


def assert_same_parameter_gradients(model, reference, rtol=NETWORK_RTOL, atol=NETWORK_ATOL) -> None:
    """Every parameter's gradient in the tinyconv model equals that of the same name in the torch one."""
    torch_parameters = dict(reference.named_parameters())
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(
            parameter.grad, torch_parameters[name].grad.numpy(), rtol=rtol, atol=atol, err_msg=name
        )


def assert_module_matches_torch(torch, ours, theirs, inputs: list, masks: list, call, seed: int = 0) -> None:
    """A tinyconv module against its torch.nn twin with the same weights (torch's, copied in), in float64:
    the output, the gradient of every input and of every parameter, under one random upstream gradient.

    `inputs` are float arrays, differentiated; `masks` are arrays passed as constants (bool or float);
    call(module, *inputs, *masks) runs a module and returns its output, or a tuple whose first element
    is it.
    """
    theirs = theirs.double()
    ours.load_state_dict({name: value.detach().numpy() for name, value in theirs.state_dict().items()})
    ours.double()
    mine = [Tensor(a.copy(), requires_grad=True) for a in inputs]
    reference = [torch.tensor(a, requires_grad=True) for a in inputs]
    out = call(ours, *mine, *(Tensor(m.copy()) for m in masks))
    torch_out = call(theirs, *reference, *(torch.tensor(m) for m in masks))
    out = out[0] if isinstance(out, tuple) else out
    torch_out = torch_out[0] if isinstance(torch_out, tuple) else torch_out
    np.testing.assert_allclose(out.data, torch_out.detach().numpy(), rtol=NETWORK_RTOL, atol=NETWORK_ATOL)
    upstream = random_array(*out.shape, seed=seed + 100)
    out.backward(upstream)
    torch_out.backward(torch.tensor(upstream))
    for index, (x, torch_x) in enumerate(zip(mine, reference)):
        np.testing.assert_allclose(
            x.grad, torch_x.grad.numpy(), rtol=NETWORK_RTOL, atol=NETWORK_ATOL, err_msg=f"input {index}"
        )
    assert_same_parameter_gradients(ours, theirs)
