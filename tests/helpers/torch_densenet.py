"""torchvision's DenseNet written out with torch.nn, under its module names, without torchvision:
tinyconv.models.DenseNet's twin, for tests/models/test_densenet.py and benchmarks/bench_cpu.py.

torch is passed in (it is optional; the tests get it from the `torch` fixture, which skips without it).
"""

from __future__ import annotations

from collections import OrderedDict


def torch_densenet(
    torch, growth_rate, block_config, num_init_features, bn_size=4, num_classes=1000, in_channels=3
):
    """torchvision.models.DenseNet(growth_rate, block_config, num_init_features, bn_size, 0, num_classes)
    with conv0 taking `in_channels`: the same modules, names and forward (memory_efficient=False)."""
    nn = torch.nn
    width = bn_size * growth_rate

    class DenseLayer(nn.Module):
        def __init__(self, channels):
            super().__init__()
            self.norm1 = nn.BatchNorm2d(channels)
            self.relu1 = nn.ReLU()
            self.conv1 = nn.Conv2d(channels, width, 1, bias=False)
            self.norm2 = nn.BatchNorm2d(width)
            self.relu2 = nn.ReLU()
            self.conv2 = nn.Conv2d(width, growth_rate, 3, padding=1, bias=False)

        def forward(self, features):
            bottleneck = self.conv1(self.relu1(self.norm1(torch.cat(features, 1))))
            return self.conv2(self.relu2(self.norm2(bottleneck)))

    class DenseBlock(nn.ModuleDict):
        def __init__(self, num_layers, channels):
            super().__init__(
                {f"denselayer{i + 1}": DenseLayer(channels + i * growth_rate) for i in range(num_layers)}
            )

        def forward(self, x):
            features = [x]
            for layer in self.values():
                features.append(layer(features))
            return torch.cat(features, 1)

    def transition(channels):
        return nn.Sequential(
            OrderedDict(
                norm=nn.BatchNorm2d(channels),
                relu=nn.ReLU(),
                conv=nn.Conv2d(channels, channels // 2, 1, bias=False),
                pool=nn.AvgPool2d(2, stride=2),
            )
        )

    class DenseNet(nn.Module):
        def __init__(self):
            super().__init__()
            layers = OrderedDict(
                conv0=nn.Conv2d(in_channels, num_init_features, 7, stride=2, padding=3, bias=False),
                norm0=nn.BatchNorm2d(num_init_features),
                relu0=nn.ReLU(),
                pool0=nn.MaxPool2d(3, stride=2, padding=1),
            )
            channels = num_init_features
            for i, num_layers in enumerate(block_config):
                layers[f"denseblock{i + 1}"] = DenseBlock(num_layers, channels)
                channels += num_layers * growth_rate
                if i != len(block_config) - 1:
                    layers[f"transition{i + 1}"] = transition(channels)
                    channels //= 2
            layers["norm5"] = nn.BatchNorm2d(channels)
            self.features = nn.Sequential(layers)
            self.classifier = nn.Linear(channels, num_classes)

        def forward(self, x):
            out = torch.relu(self.features(x))
            return self.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(out, 1), 1))

    return DenseNet()
