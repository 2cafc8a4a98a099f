"""tinyconv.models.dcgan's generator and discriminator written with torch.nn, under the same attribute names,
so that a tinyconv state_dict loads into them (for tests/models/test_dcgan.py and benchmarks/bench_cpu.py).
torch is passed in: it is optional."""

from __future__ import annotations


def torch_dcgan(torch, latent: int = 64, width: int = 64) -> tuple:
    """(generator, discriminator): torch.nn Modules with the layers of DCGANGenerator and
    DCGANDiscriminator."""
    nn = torch.nn

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.project = nn.Linear(latent, 2 * width * 7 * 7, bias=False)
            self.norm0 = nn.BatchNorm2d(2 * width)
            self.up1 = nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1, bias=False)
            self.norm1 = nn.BatchNorm2d(width)
            self.up2 = nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1)

        def forward(self, z):
            x = torch.relu(self.norm0(self.project(z).view(-1, 2 * width, 7, 7)))
            x = torch.relu(self.norm1(self.up1(x)))
            return torch.tanh(self.up2(x))

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.down1 = nn.Conv2d(1, width, 4, stride=2, padding=1)
            self.down2 = nn.Conv2d(width, 2 * width, 4, stride=2, padding=1)
            self.classify = nn.Linear(2 * width * 7 * 7, 1)

        def forward(self, x):
            x = nn.functional.leaky_relu(self.down1(x), 0.2)
            x = nn.functional.leaky_relu(self.down2(x), 0.2)
            return self.classify(torch.flatten(x, 1))

    return Generator(), Discriminator()
