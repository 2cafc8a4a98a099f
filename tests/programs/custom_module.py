"""A custom module the way PyTorch code writes one: a registered buffer (a running count, saved), a
non-persistent buffer (a cache, not saved), a ModuleList of layers, weights initialized with apply(),
the state_dict saved with torch.save and loaded with torch.load(path, map_location="cpu") into a fresh
copy, which must give the same outputs.

Changed from PyTorch: the import lines.
"""

import sys
import tempfile
from pathlib import Path

import tinyconv as torch
import tinyconv.nn as nn
import tinyconv.nn.functional as F


class ResidualMLP(nn.Module):
    def __init__(self, width, depth):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, 3)
        self.register_buffer("calls", torch.zeros((), dtype=torch.long))
        self.register_buffer("scale", torch.full((width,), 0.5), persistent=False)

    def forward(self, x):
        self.calls += 1
        for layer in self.layers:
            x = x + self.scale * F.relu(layer(x))
        return self.head(self.norm(x))


def init_weights(module):
    if isinstance(module, nn.Linear):
        nn.init.xavier_uniform_(module.weight)
        nn.init.constant_(module.bias, 0.01)


torch.manual_seed(0)
model = ResidualMLP(8, depth=3)
model.apply(init_weights)
x = torch.randn(4, 8)
with torch.no_grad():
    before = model(x)

folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
path = folder / "model.pt"
torch.save(model.state_dict(), path)

fresh = ResidualMLP(8, depth=3)
state = torch.load(path, map_location="cpu")
print("keys", ",".join(state))
missing, unexpected = fresh.load_state_dict(state)
with torch.no_grad():
    after = fresh(x)

print("same outputs", torch.equal(before, after))
print("calls", int(model.calls), int(fresh.calls))
print("buffers", [name for name, _ in fresh.named_buffers()])
print("bias", fresh.layers[1].bias[0].item())
