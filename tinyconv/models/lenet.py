"""LeNet-5 in its common modern form (ReLU and max pooling instead of the 1998 paper's scaled tanh,
trainable subsampling and RBF output), and `LeNet5Classic`, the 1998 network itself (further down).

LeCun, Bottou, Bengio, Haffner, "Gradient-based learning applied to document recognition", 1998.

    input     (N, 1, 28, 28)     MNIST digits; padding 2 gives the paper's 32x32 input
    C1  conv 5x5, 6 maps,  pad 2 -> (N, 6, 28, 28)     6 * (1*5*5 + 1)   =    156 parameters
    S2  max pool 2x2             -> (N, 6, 14, 14)
    C3  conv 5x5, 16 maps        -> (N, 16, 10, 10)    16 * (6*5*5 + 1)  =  2,416 (all maps connected)
    S4  max pool 2x2             -> (N, 16, 5, 5)
    flatten                      -> (N, 400)
    F5  linear 400 -> 120                                120 * (400 + 1) = 48,120
    F6  linear 120 -> 84                                  84 * (120 + 1) = 10,164
    out linear 84 -> 10                                   10 * (84 + 1)  =    850
                                                                   total = 61,706
"""

from __future__ import annotations

import numpy

from tinyconv import init
from tinyconv.checks import check_int, pair
from tinyconv.functional.activation import tanh
from tinyconv.functional.conv import conv2d
from tinyconv.functional.flatten import flatten
from tinyconv.functional.pooling import avg_pool2d
from tinyconv.nn import Buffer, Conv2d, Linear, MaxPool2d, Module, Parameter, ReLU, Sequential
from tinyconv.ops.join import cat
from tinyconv.tensor import Tensor


class LeNet5(Module):
    """The modern LeNet-5; state_dict keys are `features.0.weight` ... `classifier.4.bias`."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.features = Sequential(
            Conv2d(1, 6, kernel_size=5, padding=2),
            ReLU(),
            MaxPool2d(2),
            Conv2d(6, 16, kernel_size=5),
            ReLU(),
            MaxPool2d(2),
        )
        self.classifier = Sequential(
            Linear(16 * 5 * 5, 120),
            ReLU(),
            Linear(120, 84),
            ReLU(),
            Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(flatten(self.features(x), start_dim=1))


# ----------------------------------------------------------------------------- the 1998 network


def lecun_uniform_(weight: Parameter, fan_in) -> None:
    """Fill with U(-sqrt(3 / fan_in), sqrt(3 / fan_in)): variance 1 / fan_in, so a sum of fan_in
    inputs of variance v starts with variance about v, where tanh is neither flat nor saturated
    (LeCun, Bottou, Orr, Mueller, "Efficient BackProp", 1998). fan_in may be an array that broadcasts
    against the weight (one fan-in per C3 map)."""
    init.uniform_(weight, -1.0, 1.0)
    weight.data *= numpy.sqrt(3.0 / numpy.asarray(fan_in, dtype=numpy.float64)).astype(weight.dtype)


class ScaledTanh(Module):
    """f(a) = A tanh(S a) with A = 1.7159, S = 2/3: the 1998 paper's squashing function (its Appendix A).

    The constants make f(1) = 1 and f(-1) = -1, so targets of +-1 sit where the second derivative of f
    is largest rather than on the flat asymptotes, and the gain near 0 is about 1 (A * S = 1.14).
    df/da = A S (1 - tanh(S a)^2); autograd composes it from tanh's backward and the two products.
    """

    amplitude = 1.7159
    slope = 2.0 / 3.0

    def forward(self, x):
        return tanh(x * self.slope) * self.amplitude


class Subsampling(Module):
    """LeNet-5's trainable subsampling (S2, S4): each map is pooled, scaled and shifted with its own
    coefficient and bias.

        y[n, c, i, j] = coefficient[c] * (x[n, c, 2i, 2j] + x[n, c, 2i, 2j+1] + x[n, c, 2i+1, 2j]
                                          + x[n, c, 2i+1, 2j+1]) + bias[c]

    The window sum is 4 times a 2x2 average pool, so the layer is composed of existing ops and autograd
    puts its gradients together: with s the window sums and g = dL/dy,
        dL/dcoefficient[c] = sum over n, i, j of g * s      dL/dbias[c] = sum over n, i, j of g
        dL/dx = coefficient[c] * g, copied to the four pixels of each window.
    Shapes: (N, C, H, W) -> (N, C, H // 2, W // 2); parameters: 2 per map (6 maps: 12, 16 maps: 32).
    The squashing function follows as a separate module.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.channels = check_int("Subsampling", "channels", channels, minimum=1)
        self.coefficient = Parameter(numpy.empty(self.channels, dtype=numpy.float32))
        lecun_uniform_(self.coefficient, fan_in=4)  # each unit sums 4 pixels
        self.bias = Parameter(numpy.zeros(self.channels, dtype=numpy.float32))

    def forward(self, x):
        window_sums = avg_pool2d(x, 2) * 4.0
        per_map = (1, self.channels, 1, 1)
        return window_sums * self.coefficient.reshape(per_map) + self.bias.reshape(per_map)

    def extra_repr(self) -> str:
        return f"{self.channels}"


class TableConv2d(Module):
    """A convolution in which output map o sees only the input maps `connections[o]` (LeNet-5's C3).

        y[n, o] = bias[o] + sum over c in connections[o] of (kernel of the pair (o, c)) * x[n, c]

    Only the real connections have kernels: `weight` holds one kH x kW kernel per (o, c) pair, in the
    order the table lists them, shape (number of connections, kH, kW). The forward pass scatters them
    into a full (C_out, C_in, kH, kW) filter bank whose missing pairs are zero kernels, then runs an
    ordinary conv2d. That scatter is an integer-array index into [zero kernel, kernel 0, kernel 1, ...],
    so its backward (a scatter-add, ops/shape.py GetItem) hands each kernel exactly the gradient of its
    slot in the full bank, and the parameter count is that of the paper: connections * kH * kW + C_out.
    """

    def __init__(self, in_channels: int, connections, kernel_size):
        super().__init__()
        self.in_channels = check_int("TableConv2d", "in_channels", in_channels, minimum=1)
        self.connections = tuple(tuple(inputs) for inputs in connections)
        self.out_channels = len(self.connections)
        self.kernel_size = pair(kernel_size, "TableConv2d: kernel_size")
        for o, inputs in enumerate(self.connections):
            if not inputs or len(set(inputs)) != len(inputs) or not all(0 <= c < in_channels for c in inputs):
                raise ValueError(
                    f"TableConv2d: output map {o} must list distinct input maps in [0, {in_channels}), "
                    f"got {inputs}"
                )
        # slot[o, c] = 1 + the index of the kernel of the pair (o, c); 0 (the zero kernel) if not connected.
        self.slot = numpy.zeros((self.out_channels, self.in_channels), dtype=numpy.int64)
        fan_ins = []
        for o, inputs in enumerate(self.connections):
            for c in inputs:
                fan_ins.append(len(inputs) * self.kernel_size[0] * self.kernel_size[1])
                self.slot[o, c] = len(fan_ins)
        self.weight = Parameter(numpy.empty((len(fan_ins),) + self.kernel_size, dtype=numpy.float32))
        lecun_uniform_(self.weight, fan_in=numpy.array(fan_ins)[:, None, None])  # each map's own fan-in
        self.bias = Parameter(numpy.zeros(self.out_channels, dtype=numpy.float32))

    def full_weight(self) -> Tensor:
        """The (C_out, C_in, kH, kW) filter bank: each connected pair's kernel, zeros elsewhere."""
        xp = self.weight.xp  # the bank and its index live where the weight lives (NumPy or CuPy)
        zero_kernel = Tensor(xp.zeros((1,) + self.kernel_size, dtype=self.weight.dtype))
        return cat([zero_kernel, self.weight], axis=0)[xp.asarray(self.slot)]

    def forward(self, x):
        return conv2d(x, self.full_weight(), self.bias)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"connections={self.weight.shape[0]}"
        )


class EuclideanRBF(Module):
    """LeNet-5's output layer: one Euclidean radial basis function unit per class.

        y[n, i] = sum over j of (x[n, j] - prototypes[i, j])^2       (N, in_features) -> (N, classes)

    y_i is the squared distance from the input to class i's prototype: the *smaller*, the more likely
    class i (so -y plays the role of logits). The prototypes are fixed, not learned: a Buffer, saved
    in the state dict but not returned by parameters(). Gradient (autograd composes it):
        dL/dx[n, j] = sum over i of 2 g[n, i] (x[n, j] - prototypes[i, j]).
    """

    def __init__(self, prototypes):
        super().__init__()
        prototypes = numpy.asarray(prototypes, dtype=numpy.float32)
        if prototypes.ndim != 2:
            raise ValueError(
                "EuclideanRBF: prototypes must be a (classes, in_features) array, "
                f"got shape {prototypes.shape}"
            )
        self.prototypes = Buffer(prototypes)

    def forward(self, x):
        classes, features = self.prototypes.shape
        if x.ndim != 2 or x.shape[1] != features:
            raise ValueError(f"EuclideanRBF: expected input (N, {features}), got shape {x.shape}")
        difference = x.reshape(x.shape[0], 1, features) - self.prototypes.reshape(1, classes, features)
        return (difference * difference).sum(axis=2)

    def extra_repr(self) -> str:
        return f"in_features={self.prototypes.shape[1]}, classes={self.prototypes.shape[0]}"


# Table I of the paper: the S2 maps (0-5) each C3 map (0-15) is connected to. Maps 0-5 see three
# neighbouring maps, 6-11 four neighbouring maps, 12-14 four maps in two pairs, 15 all six. Leaving
# connections out kept the count down and, in the paper's words, "breaks the symmetry": different C3
# maps are forced to extract different features because they get different inputs.
C3_CONNECTIONS = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)  # fmt: skip

# The RBF prototypes: a 7x12 bitmap of each digit, "#" = +1, "." = -1, read row by row into 84 values.
# The paper used stylized 7x12 images of the characters (its Fig. 3); these glyphs were drawn for
# tinyconv in that style and are not a pixel copy of the paper's. Their closest pair (6 and 8)
# differs in 10 of the 84 pixels, a squared distance of 40; the mean over all pairs is 25 pixels.
DIGIT_BITMAPS = (
    ".......  .......  .......  .......  .......  .......  .......  .......  .......  .......",
    "..###..  ...#...  ..###..  #######  ....#..  #######  ...##..  #######  ..###..  ..###..",
    ".#...#.  ..##...  .#...#.  .....#.  ...##..  #......  ..#....  ......#  .#...#.  .#...#.",
    "#.....#  .#.#...  #.....#  ....#..  ..#.#..  #......  .#.....  .....#.  .#...#.  #.....#",
    "#.....#  ...#...  ......#  ...#...  .#..#..  #####..  #......  ....#..  .#...#.  #.....#",
    "#.....#  ...#...  .....#.  ..###..  #...#..  .....#.  #.###..  ....#..  ..###..  .#...##",
    "#.....#  ...#...  ....#..  .....#.  #######  ......#  ##...#.  ...#...  .#...#.  ..###.#",
    "#.....#  ...#...  ...#...  ......#  ....#..  ......#  #.....#  ...#...  #.....#  ......#",
    "#.....#  ...#...  ..#....  ......#  ....#..  ......#  #.....#  ..#....  #.....#  .....#.",
    ".#...#.  ...#...  .#.....  #....#.  ....#..  #....#.  .#...#.  ..#....  .#...#.  ....#..",
    "..###..  .#####.  #######  .####..  ....#..  .####..  ..###..  ..#....  ..###..  .##....",
    ".......  .......  .......  .......  .......  .......  .......  .......  .......  .......",
)


def digit_prototypes() -> numpy.ndarray:
    """The (10, 84) +-1 prototype of each digit, from DIGIT_BITMAPS (row by row, 7 pixels a row)."""
    rows = [line.split() for line in DIGIT_BITMAPS]  # 12 rows, each split into the 10 digits' pixels
    bitmaps = [
        [[1.0 if pixel == "#" else -1.0 for pixel in row[digit]] for row in rows] for digit in range(10)
    ]
    return numpy.array(bitmaps, dtype=numpy.float32).reshape(10, 84)


class LeNet5Classic(Module):
    """LeNet-5 as published in 1998, layer for layer.

    LeCun, Bottou, Bengio, Haffner, "Gradient-based learning applied to document recognition",
    Proc. IEEE 86(11), 1998, Section II.B and Appendix A.

    Every layer up to F6 computes a weighted sum plus a bias and passes it through the squashing
    function f(a) = 1.7159 tanh(2a/3) (ScaledTanh). Parameter counts as in the paper's text:

        input                           (N, 1, 32, 32)   MNIST digits padded by 2 on each side
        C1  conv 5x5, 6 maps        ->  (N, 6, 28, 28)    6 * (25 + 1)              =    156
        S2  subsampling 2x2         ->  (N, 6, 14, 14)    6 * 2 (coefficient, bias) =     12
        C3  conv 5x5, 16 maps,      ->  (N, 16, 10, 10)   60 connections * 25 + 16  =  1,516
            Table I connections
        S4  subsampling 2x2         ->  (N, 16, 5, 5)     16 * 2                    =     32
        C5  conv 5x5, 120 maps      ->  (N, 120, 1, 1)    120 * (16 * 25 + 1)       = 48,120
        F6  linear 120 -> 84        ->  (N, 84)           84 * (120 + 1)            = 10,164
        output  Euclidean RBF       ->  (N, 10)           fixed 10 x 84 prototypes (a Buffer)
                                                                            total   = 60,000

    C5 is a convolution, not a linear layer: on a 32x32 input its maps are 1x1, but a larger input
    would give larger maps (the paper's point about replicating the network over a wider field).
    The output is y_i = ||x - prototype_i||^2 with x the 84 outputs of F6; the prototypes are 7x12
    bitmaps of the digits (+1 ink, -1 paper; see DIGIT_BITMAPS: drawn for tinyconv in the style of the
    paper's Fig. 3, not copied from it). State dict keys: c1.weight, s2.coefficient, c3.weight (one
    5x5 kernel per Table I connection, (60, 5, 5)), c5.weight, f6.weight, output.prototypes, ...

    Input: the paper scaled pixels so that the background is -0.1 and the ink 1.175 (mean about 0,
    variance about 1); for MNIST pixels p in [0, 1] that is 1.275 * p - 0.1, padded with -0.1 to 32x32.

    Initialization: weights uniform in (-sqrt(3 / F), sqrt(3 / F)), F the fan-in of the unit (variance
    1 / F, from "Efficient BackProp", the same authors' 1998 advice), biases 0. The paper itself drew
    them from (-2.4 / F, 2.4 / F), narrower for every F above 2: measured on MNIST, the standard
    deviation of the activations then falls from 0.12 after C1 to 0.0004 after F6, and training
    crawls (91.6% test accuracy after one epoch, 91.8% after two, in the run below).

    Training: the output is a distance, small for the right class, so -y are the logits:
        loss = F.cross_entropy(-model(x), labels)  =  y_D + log(sum over i of exp(-y_i))
    which is the paper's MAP criterion (its eq. 9), E = y_D + log(exp(-j) + sum_i exp(-y_i)), without
    the constant j of its "rubbish" class; predict with the argmin of y. The paper trained with
    stochastic diagonal Levenberg-Marquardt. Measured here with Adam (lr 1e-3, batch 32, no
    augmentation, seed 0): 95.5% test accuracy after one epoch, 97.8% after five (about 15 s an epoch
    on 2 cores); the modern LeNet5 above is faster to train, and demos/lenet_mnist.py trains that one.
    """

    def __init__(self):
        super().__init__()
        self.c1 = Conv2d(1, 6, kernel_size=5)
        self.s2 = Subsampling(6)
        self.c3 = TableConv2d(6, C3_CONNECTIONS, kernel_size=5)
        self.s4 = Subsampling(16)
        self.c5 = Conv2d(16, 120, kernel_size=5)
        self.f6 = Linear(120, 84)
        self.output = EuclideanRBF(digit_prototypes())
        self.squash = ScaledTanh()
        for layer, fan_in in ((self.c1, 25), (self.c5, 16 * 25), (self.f6, 120)):
            lecun_uniform_(layer.weight, fan_in)

    def forward(self, x):
        if x.ndim != 4 or x.shape[1:] != (1, 32, 32):
            raise ValueError(
                f"LeNet5Classic: expected images (N, 1, 32, 32) (MNIST padded by 2), got shape {x.shape}"
            )
        x = self.squash(self.s2(self.squash(self.c1(x))))
        x = self.squash(self.s4(self.squash(self.c3(x))))
        x = self.squash(self.c5(x))
        x = self.squash(self.f6(flatten(x, start_dim=1)))
        return self.output(x)
