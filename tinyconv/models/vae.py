"""The variational autoencoder of Kingma and Welling ("Auto-Encoding Variational Bayes", ICLR 2014): an MLP
encoder q(z | x) = N(mu(x), diag sigma^2(x)) and an MLP decoder p(x | z) of independent Bernoulli pixels.

    encoder   x (N, 784) -> Linear 784 -> 400, ReLU -> two heads: mu (N, 20) and logvar = log sigma^2 (N, 20)
    sample    z = mu + sigma * eps, eps ~ N(0, I)                    (F.reparameterize)
    decoder   z (N, 20) -> Linear 20 -> 400, ReLU -> Linear 400 -> 784: the logits of p(x_i = 1 | z)
    prior     p(z) = N(0, I)
    parameters (784-400-20): 784*400+400 + 2*(400*20+20) + 20*400+400 + 400*784+784 = 652,824

Training maximizes the evidence lower bound of each image, in nats,

    ELBO(x) = E_q[log p(x | z)] - KL(q(z | x) || p(z))  <=  log p(x)

(the first term with one sample of z: F.bernoulli_log_prob; the second in closed form:
F.kl_to_standard_normal). demos/vae_mnist.py writes the two terms out; docs/generative.md derives them.
"""

from __future__ import annotations

from tinyconv.checks import check_int
from tinyconv.functional.activation import relu
from tinyconv.functional.variational import reparameterize
from tinyconv.nn import Linear, Module


class VAE(Module):
    """Encoder, reparameterized sample and decoder; forward(x) returns (logits, mu, logvar).

    num_pixels: D, the length of a flattened image; hidden: the width of both MLPs; latent: L >= 1.
        encode(x)  x (N, D) in [0, 1] -> mu, logvar, each (N, L)
        decode(z)  z (N, L)           -> logits (N, D) of the Bernoulli pixels (sigmoid gives their means)
        forward(x) -> decode(reparameterize(mu, logvar)), mu, logvar
    """

    def __init__(self, num_pixels: int = 784, hidden: int = 400, latent: int = 20):
        super().__init__()
        self.num_pixels = check_int("VAE", "num_pixels", num_pixels, minimum=1)
        self.hidden = check_int("VAE", "hidden", hidden, minimum=1)
        self.latent = check_int("VAE", "latent (the size of z)", latent, minimum=1)
        self.encoder_hidden = Linear(num_pixels, hidden)
        self.encoder_mu = Linear(hidden, latent)
        self.encoder_logvar = Linear(hidden, latent)
        self.decoder_hidden = Linear(latent, hidden)
        self.decoder_out = Linear(hidden, num_pixels)

    def encode(self, x):
        h = relu(self.encoder_hidden(x))
        return self.encoder_mu(h), self.encoder_logvar(h)

    def decode(self, z):
        return self.decoder_out(relu(self.decoder_hidden(z)))

    def forward(self, x):
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar)), mu, logvar

    def extra_repr(self) -> str:
        return f"{self.num_pixels} -> {self.hidden} -> z: {self.latent} -> {self.hidden} -> {self.num_pixels}"
