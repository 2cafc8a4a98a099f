"""Autoregressive models of binary images: FVSBN and MADE, each p(x) = prod_i p(x_i | x_1 .. x_{i-1}).

The chain rule of probability writes any distribution over D binary pixels (in raster order) as

    p(x_1, ..., x_D) = p(x_1) p(x_2 | x_1) p(x_3 | x_1, x_2) ... p(x_D | x_1, ..., x_{D-1})

with no assumption at all. A table of the full joint would need 2^D - 1 numbers (for MNIST's D = 784 a
number with 237 digits); an autoregressive model instead gives each conditional a small network,
p(x_i = 1 | x_<i) = sigmoid(logit_i(x_<i)), and computes all D logits in one forward pass whose output i
is wired to see only the inputs before i. Then log p(x) = sum_i log Bernoulli(x_i; sigmoid(logit_i)) is
exact, and the model trains by maximum likelihood. Sampling goes pixel by pixel: D passes.

    FVSBN   Fully Visible Sigmoid Belief Network (Neal 1992; Frey 1998): logit_i = b_i + sum_{j<i} W_ij x_j,
            one MaskedLinear with a strictly lower-triangular mask: D(D - 1)/2 + D parameters
            (307,720 for D = 784). Each conditional is a logistic regression on the pixels before it.
    MADE    Masked Autoencoder for Distribution Estimation (Germain, Gregor, Murray, Larochelle, ICML 2015):
            an MLP D -> H -> ... -> D whose masks come from the degree rule below, so that hidden units
            are shared between the conditionals.

The degree rule (MADE's section 4): give input d the degree m(d) = d (1..D), and every hidden unit k of
layer l a degree m^l(k) drawn uniformly from {min degree of layer l-1, ..., D - 1}: the largest index of
an input it may depend on. A hidden unit may see a unit of the layer below when its degree is at least
that unit's; output d may see a last hidden unit only when d is strictly greater than its degree:

    hidden mask   M^l[k, k'] = 1  if  m^l(k) >= m^{l-1}(k')
    output mask   M^out[d, k] = 1 if  d > m^L(k)

By induction, a hidden unit of degree m depends on inputs 1..m only, so output d depends on inputs
1..d-1 only: the autoregressive property, which the tests check on the Jacobian of the logits.
No unit gets degree D (it could feed no output), and the lowest degree is 1 (degree 0 would see nothing).
"""

from __future__ import annotations

import numpy

from tinyconv import random
from tinyconv.autograd import no_grad
from tinyconv.checks import check_int
from tinyconv.functional.activation import relu, sigmoid
from tinyconv.nn import Module, ModuleList
from tinyconv.nn.masked_linear import MaskedLinear
from tinyconv.tensor import Tensor


class FVSBN(Module):
    """p(x_i = 1 | x_<i) = sigmoid(b_i + sum_{j<i} W_ij x_j): a logistic regression per pixel.

    forward(x): x (N, D) binary -> logits (N, D); logit i depends on x_1 .. x_{i-1} only.
    """

    def __init__(self, num_inputs: int = 784):
        super().__init__()
        self.num_inputs = check_int("FVSBN", "num_inputs", num_inputs, minimum=1)
        strictly_lower = numpy.tril(numpy.ones((num_inputs, num_inputs)), k=-1)  # W_ij for j < i only
        self.linear = MaskedLinear(num_inputs, num_inputs, mask=strictly_lower)

    def forward(self, x):
        return self.linear(x)


def made_degrees(num_inputs: int, hidden_sizes: list, generator: numpy.random.Generator) -> list:
    """The degree of every unit, layer by layer: [inputs 1..D, hidden layer 1, ..., hidden layer L].

    Hidden degrees are drawn uniformly from {lowest degree of the layer below, ..., D - 1}, as in MADE.
    """
    degrees = [numpy.arange(1, num_inputs + 1)]
    for size in hidden_sizes:
        low = min(int(degrees[-1].min()), num_inputs - 1)
        degrees.append(generator.integers(low, num_inputs, size=size))  # low .. D - 1 inclusive
    return degrees


def made_masks(degrees: list) -> list:
    """The mask of every layer from the degrees (made_degrees), each in the weight's layout (out, in):
    M^l[k, k'] = m^l(k) >= m^{l-1}(k') for the hidden layers, M^out[d, k] = d > m^L(k) for the output."""
    inputs = degrees[0]
    masks = [below[None, :] <= above[:, None] for below, above in zip(degrees[:-1], degrees[1:])]
    masks.append(inputs[:, None] > degrees[-1][None, :])
    return [mask.astype(numpy.float32) for mask in masks]


class MADE(Module):
    """An MLP D -> hidden_sizes -> D with ReLU, its weights masked so that logit d sees only x_1 .. x_{d-1}.

    hidden_sizes: the widths of the masked hidden layers ([500] is the paper's one-layer model).
    direct: also connect the inputs straight to the outputs through a strictly lower-triangular mask (an
        FVSBN added to the logits), as the paper's experiments do (its code's direct_input_connect="Output").
        Without it, output d sees x_{d-1}, its most telling neighbour, only through hidden units of degree
        exactly d - 1, and 500 degrees drawn from 783 values leave many d without one.
    The degrees are drawn from tinyconv's seeded generator (tinyconv.manual_seed makes them repeatable);
    the masks are Buffers, saved in the state_dict with the weights.
    forward(x): x (N, D) binary -> logits (N, D).
    """

    def __init__(self, num_inputs: int = 784, hidden_sizes: list = (500,), direct: bool = True):
        super().__init__()
        self.num_inputs = check_int("MADE", "num_inputs", num_inputs, minimum=2)
        self.hidden_sizes = [check_int("MADE", "hidden size", size, minimum=1) for size in hidden_sizes]
        if not self.hidden_sizes:
            raise ValueError("MADE: give at least one hidden layer (with none, it is FVSBN)")
        masks = made_masks(made_degrees(num_inputs, self.hidden_sizes, random.generator()))
        sizes = [num_inputs, *self.hidden_sizes, num_inputs]
        self.layers = ModuleList(
            MaskedLinear(sizes[index], sizes[index + 1], mask) for index, mask in enumerate(masks)
        )
        self.direct = None
        if direct:
            strictly_lower = numpy.tril(numpy.ones((num_inputs, num_inputs)), k=-1)
            self.direct = MaskedLinear(num_inputs, num_inputs, strictly_lower, bias=False)

    def forward(self, x):
        h = x
        for layer in self.layers[:-1]:
            h = relu(layer(h))
        logits = self.layers[-1](h)
        return logits if self.direct is None else logits + self.direct(x)


@no_grad()
def sample(model: Module, num_samples: int, num_inputs: int) -> numpy.ndarray:
    """Draw `num_samples` binary vectors from an autoregressive model, one pixel at a time.

    Pixel i is drawn from Bernoulli(sigmoid(logit_i)) after pixels 1..i-1 are set; logit i does not
    look at pixels i..D, so the zeros there are never read. D forward passes. Returns (num_samples, D)
    float32 of 0.0 and 1.0, drawn with tinyconv's seeded generator.
    """
    parameter = next(model.parameters())
    x = numpy.zeros((num_samples, num_inputs), dtype=parameter.dtype)
    for i in range(num_inputs):
        probability = sigmoid(model(Tensor(x))[:, i]).numpy()
        x[:, i] = random.generator().random(num_samples) < probability
    return x
