"""A variational autoencoder on binarized MNIST, and the same network as a plain autoencoder beside it.

    python demos/vae_mnist.py                  # the default run (see MEASURED below)
    python demos/vae_mnist.py --latent 2       # a 2-D latent space, drawn: the test set and a decoded grid
    python demos/vae_mnist.py --smoke          # a few seconds: tiny settings, see --help

The model (tinyconv/models/vae.py, Kingma and Welling 2014): an encoder gives q(z | x) = N(mu, sigma^2) for
each image, z = mu + sigma * eps is drawn with the reparameterization trick (F.reparameterize), and a
decoder gives p(x | z), a Bernoulli probability for each pixel. Training maximizes the evidence lower bound
of each image, in nats, written out in the loop below as its two terms:

    ELBO(x) = E_q[log p(x | z)]        (reconstruction: F.bernoulli_log_prob, one sample of z)
              - KL(q(z | x) || N(0, I)) (how far the code is from the prior: F.kl_to_standard_normal)
            <= log p(x)

On the test set the demo reports the negative ELBO and a tighter estimate of -log p(x) by importance
sampling: with k samples z_k ~ q(z | x) and weights w_k = p(x | z_k) p(z_k) / q(z_k | x),
    log p(x) ~ log (1/k) sum_k w_k = logsumexp_k(log w_k) - log k        (k = --importance-samples)
which is below log p(x) on average but approaches it as k grows (Burda, Grosse, Salakhutdinov 2016).

"An autoencoder is not a generative model" (the study notes), made concrete: the same network is trained
again with z = mu (no noise, no KL term), which reconstructs as well or better, and then both decoders are
fed z ~ N(0, I). The VAE's KL term kept its codes where the prior puts its mass, so its decoder turns prior
samples into digits; nothing told the autoencoder's codes where to be, so its decoder turns them into
blots. The judge (demos/judge.py: LeNet-5's inception score, class fractions and Frechet distance on
10,000 samples of each) puts numbers on the difference.

Both networks train with Adam, its rate falling from --lr to 0 along a cosine, on training images
binarized anew at every read (--binarization dynamic; the test images are one fixed draw). Each epoch
prints its terms and time; at the end, PNGs of test digits with their reconstructions, of prior
samples from both decoders, the curves, the time and peak memory, and the last line
`test negative ELBO: XX.XX nats`.
MEASURED (the defaults: 784-400-20, the VAE 40 epochs and the autoencoder 10, Adam from 2e-3 along a
cosine, batch 100, dynamic binarization, k = 100, seed 0; 2026-12-07, 2-core x86_64 AMD EPYC, one
thread: OPENBLAS_NUM_THREADS=1 through the machine's slot runner, `/usr/bin/time`):
    test negative ELBO after epoch 1, 10, 20, 30, 40: 114.99, 102.89, 100.24, 98.21, 97.52 (one z each)
    at the end, k = 100:  E_q[log p(x|z)] -70.08, KL 27.41 nats  ->  `test negative ELBO: 97.49 nats`
    importance-sampled NLL, k = 100: 93.46 nats (4.0 nats tighter than the ELBO)
    the judge, 10,000 decoded z ~ N(0, I) each:   VAE          inception score 5.73, Frechet distance 111
                                                  autoencoder  inception score 3.63, Frechet distance 253
                                                  real test digits         9.71                    1.40
Target met: 97.49 <= 100 nats. Epochs took 5.6 to 9.3 s; training 349 s, the whole run 6 min 39 s of
wall time (399 s) for 345 s of CPU, 470 MiB peak. The autoencoder reconstructs better (training
E[log p(x|z)] -61.3 against the VAE's -70.0: it has no KL to pay and no noise in z), but its decoder
turns prior samples into tangles of strokes, 1.6% of which the judge calls 0s and 1.9% 6s; the VAE's
are blurry (pixel means) but mostly digits, 4.8% to 13.8% in every class.
With --latent 2 (the same settings, 5 min 40 s of wall time, 329 s of CPU): test negative ELBO 146.78
nats (KL 6.23), NLL 144.12 with k = 100; one cluster of codes per digit in the scatter plot, and a
decoded grid that morphs from 1 through 8 and 5 into 9 and 7 along its top row and from 0 into 6 along
its bottom row (docs/generative.md).
"""

from __future__ import annotations

import argparse
import math
import os

import numpy as np
from common import (  # demos/common.py, beside this file: the plumbing every demo shares
    EpochStats,
    add_data_flags,
    add_limit_flag,
    add_out_flag,
    add_seed_flag,
    add_smoke_flag,
    add_test_limit_flag,
    check_at_least_one,
    check_out_folder,
    check_positive,
    count_parameters,
    curves_figure,
    epoch_line,
    image_grid,
    open_dataset,
    parse_with_smoke,
    progress_bar,
    remove_stale_temporaries,
    save_checkpoint,
    save_figure,
    stop_if_not_finite,
    take_first,
    time_and_memory_line,
)
from judge import add_judge_flag, load_judge, real_test_reference
from matplotlib.figure import Figure

import tinyconv
import tinyconv.functional as F
from tinyconv import optim
from tinyconv.data import DataLoader
from tinyconv.models import VAE

KINDS = ("vae", "ae")  # the variational autoencoder, and the same network trained as a plain autoencoder
NAMES = {"vae": "VAE", "ae": "autoencoder"}
PICTURES = {
    "reconstructions": "vae_mnist_reconstructions.png",
    "vae_samples": "vae_mnist_samples.png",
    "ae_samples": "vae_mnist_autoencoder_samples.png",
    "curves": "vae_mnist_curves.png",
    "latent_scatter": "vae_mnist_latent_scatter.png",
    "latent_grid": "vae_mnist_latent_grid.png",
}
CHECKPOINTS = {kind: f"vae_mnist_{kind}.ckpt" for kind in KINDS}
SMOKE = {"epochs": 1, "ae_epochs": 1, "limit": 2000, "batch_size": 50, "lr": 3e-3, "test_limit": 200}
SMOKE.update(hidden=64, importance_samples=8, judge_samples=200)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A VAE and a plain autoencoder on binarized MNIST.")
    parser.add_argument("--epochs", type=int, default=40, help="passes over the training set for the VAE")
    parser.add_argument("--ae-epochs", type=int, default=10, help="passes for the plain autoencoder")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument(
        "--lr", type=float, default=2e-3, help="Adam's learning rate at the start of the cosine"
    )
    parser.add_argument("--hidden", type=int, default=400, help="width of the encoder's and decoder's layer")
    parser.add_argument(
        "--latent", type=int, default=20, help="size of the code z (2: draw the latent space)"
    )
    parser.add_argument("--importance-samples", type=int, default=100, help="k, for the test log-likelihood")
    parser.add_argument("--judge-samples", type=int, default=10_000, help="prior samples scored by the judge")
    parser.add_argument(
        "--binarization",
        choices=["dynamic", "static"],
        default="dynamic",
        help="of the training images: a new draw every epoch, or one fixed draw (the test set: static)",
    )
    add_seed_flag(parser)
    add_data_flags(parser)
    add_limit_flag(parser)
    add_test_limit_flag(parser)
    add_out_flag(parser, "vae_mnist")
    add_judge_flag(parser)
    add_smoke_flag(parser, SMOKE)
    args = parse_with_smoke(parser, argv, SMOKE)
    check_at_least_one(parser, args, "epochs", "ae_epochs", "batch_size", "hidden", "latent")
    check_at_least_one(parser, args, "importance_samples", "judge_samples", "limit", "test_limit")
    check_positive(parser, args, "lr")
    return args


def train(
    kind: str, model: VAE, epochs: int, train_set, test_set, args: argparse.Namespace, path: str
) -> dict:
    """Train `model` as a VAE (kind 'vae': maximize the ELBO) or as a plain autoencoder ('ae': z = mu, no
    KL), a checkpoint at `path` after every epoch. Returns the history of the terms, one value per epoch."""
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    history = {}
    print(f"training the {NAMES[kind]} ({count_parameters(model):,} parameters) for {epochs} epochs")
    for epoch in range(epochs):
        tinyconv.manual_seed(args.seed * 1000 + epoch)  # batch order and noise depend only on (seed, epoch)
        model.train()
        stats, terms = EpochStats(), {"reconstruction": 0.0, "kl": 0.0}
        batches = progress_bar(DataLoader(train_set, args.batch_size, shuffle=True), f"{kind} {epoch + 1}")
        for images, _ in batches:
            x = images.flatten(1)  # (B, 784) binary pixels
            if kind == "vae":
                logits, mu, logvar = model(x)  # z = mu + sigma * eps, eps ~ N(0, I), inside
                reconstruction = F.bernoulli_log_prob(logits, x).mean()  # E_q[log p(x | z)], one z
                kl = F.kl_to_standard_normal(mu, logvar, reduction="mean")  # KL(q(z | x) || p(z))
            else:
                mu, _ = model.encode(x)
                logits = model.decode(mu)  # z = mu: no noise, and nothing pulls the codes to N(0, I)
                reconstruction = F.bernoulli_log_prob(logits, x).mean()
                kl = tinyconv.zeros(())
            loss = kl - reconstruction  # the negative ELBO (for 'ae', the reconstruction error), nats
            stop_if_not_finite(loss, f"{kind} epoch {epoch + 1}")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            stats.add(loss.item(), len(x))
            terms["reconstruction"] += reconstruction.item() * len(x)
            terms["kl"] += kl.item() * len(x)
            batches.set_postfix(stats.postfix())
        scheduler.step()
        seconds = stats.seconds
        row = {"reconstruction": terms["reconstruction"] / stats.seen}
        if kind == "vae":
            row.update(kl=terms["kl"] / stats.seen, negative_elbo=stats.loss)
            row["test_negative_elbo"] = -evaluate(model, test_set, importance_samples=1)["elbo"]
        row["seconds"] = seconds
        for key, value in row.items():
            history.setdefault(key, []).append(value)
        print(f"{NAMES[kind]} " + epoch_line(epoch + 1, epochs, row))
        save_checkpoint(path, model, optimizer, history, epoch + 1, args)
    return history


@tinyconv.no_grad()
def evaluate(model: VAE, test_set, importance_samples: int, batch_size: int = 100) -> dict:
    """The test set's mean ELBO terms and its importance-sampled log-likelihood, in nats per image.

    For each image, k = importance_samples codes z_k ~ q(z | x) and their log-weights
        log w_k = log p(x | z_k) + log p(z_k) - log q(z_k | x)
    give the ELBO (the mean of the log w_k: its expectation is the ELBO) and
        log p(x) ~ logsumexp_k(log w_k) - log k.
    Returns {'reconstruction', 'kl', 'elbo', 'log_likelihood'}, each averaged over the test images.
    """
    model.eval()
    k = importance_samples
    totals = dict(reconstruction=0.0, kl=0.0, elbo=0.0, log_likelihood=0.0)
    for images, _ in DataLoader(test_set, batch_size=batch_size):
        x = images.flatten(1)
        mu, logvar = model.encode(x)
        shape = (k, *mu.shape)  # k codes for every image of the batch
        z = F.reparameterize(mu.expand(*shape), logvar.expand(*shape))
        log_p_x_given_z = F.bernoulli_log_prob(model.decode(z), x.expand(k, *x.shape))  # (k, B)
        log_w = log_p_x_given_z + F.gaussian_log_prob(z) - F.gaussian_log_prob(z, mu, logvar)
        totals["reconstruction"] += log_p_x_given_z.mean(dim=0).sum().item()
        totals["kl"] += F.kl_to_standard_normal(mu, logvar).item()  # in closed form
        totals["elbo"] += log_w.mean(dim=0).sum().item()
        totals["log_likelihood"] += (tinyconv.logsumexp(log_w, dim=0) - math.log(k)).sum().item()
    return {name: total / len(test_set) for name, total in totals.items()}


@tinyconv.no_grad()
def decode_prior_samples(model: VAE, count: int) -> np.ndarray:
    """The decoder's pixel means sigmoid(decode(z)) for `count` codes z ~ N(0, I): (count, 784) in [0, 1]."""
    model.eval()
    return F.sigmoid(model.decode(tinyconv.randn(count, model.latent))).numpy()


@tinyconv.no_grad()
def reconstructions(model: VAE, images: np.ndarray) -> np.ndarray:
    """The decoder's pixel means for the codes mu(x) of `images` (N, 784)."""
    model.eval()
    return F.sigmoid(model.decode(model.encode(tinyconv.Tensor(images))[0])).numpy()


def latent_figures(model: VAE, test_set) -> tuple:
    """For a 2-D latent space: the test set's codes mu(x) coloured by digit, and the decoder's images on a
    15 x 15 grid of z spanning the middle 90% of the prior in each coordinate."""
    images, labels = test_set[np.arange(len(test_set))]
    with tinyconv.no_grad():
        codes = model.eval().encode(tinyconv.Tensor(images.reshape(len(images), -1)))[0].numpy()
    scatter = Figure(figsize=(6, 5))
    axes = scatter.add_subplot(1, 1, 1)
    points = axes.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", s=2, vmin=-0.5, vmax=9.5)
    scatter.colorbar(points, ticks=range(10), label="digit")
    axes.set(title="codes mu(x) of the test images", xlabel="z1", ylabel="z2")
    steps = np.linspace(-1.645, 1.645, 15)  # the 5% and 95% quantiles of N(0, 1)
    grid = np.array([[z1, z2] for z2 in steps[::-1] for z1 in steps], dtype=np.float32)
    with tinyconv.no_grad():
        decoded = F.sigmoid(model.decode(tinyconv.Tensor(grid))).numpy()
    return scatter, image_grid(decoded, 15, "decoded z over the latent plane (z1 across, z2 up)")


def main(argv=None) -> float:
    args = parse_args(argv)
    check_out_folder(args.out)
    remove_stale_temporaries(args.out, [*PICTURES.values(), *CHECKPOINTS.values()])
    judge = load_judge(args.judge, args.data_dir)
    dynamic = args.binarization == "dynamic"
    train_set = open_dataset("binarized-mnist", args.data_dir, train=True, dynamic=dynamic)
    train_set = take_first(train_set, args.limit)
    test_set = take_first(open_dataset("binarized-mnist", args.data_dir, train=False), args.test_limit)
    print(
        f"binarized MNIST: {len(train_set):,} training images ({args.binarization} binarization), "
        f"{len(test_set):,} test images (static)"
    )

    models, histories = {}, {}
    epochs = {"vae": args.epochs, "ae": args.ae_epochs}
    for kind in KINDS:
        tinyconv.manual_seed(args.seed)  # the same initial weights for both
        models[kind] = VAE(784, args.hidden, args.latent)
        path = os.path.join(args.out, CHECKPOINTS[kind])
        histories[kind] = train(kind, models[kind], epochs[kind], train_set, test_set, args, path)
    vae, autoencoder = models["vae"], models["ae"]

    tinyconv.manual_seed(args.seed)
    test = evaluate(vae, test_set, args.importance_samples)
    print(
        f"VAE on the test set: E_q[log p(x|z)] {test['reconstruction']:.2f}, KL {test['kl']:.2f}, "
        f"ELBO {test['elbo']:.2f} nats (from k = {args.importance_samples} samples per image)"
    )
    print(
        f"VAE test log-likelihood by importance sampling, k = {args.importance_samples}: "
        f"{test['log_likelihood']:.2f} nats (NLL {-test['log_likelihood']:.2f}; the ELBO is below it)"
    )

    real_features, ceiling = real_test_reference(judge, args.data_dir, args.test_limit)
    print(ceiling.line("real test images (the judge's ceiling)"))
    tinyconv.manual_seed(args.seed)
    for kind in KINDS:  # the same codes z ~ N(0, I) for both decoders
        samples = decode_prior_samples(models[kind], args.judge_samples)
        print(judge.score(samples, real_features).line(f"{NAMES[kind]} decoder on z ~ N(0, I)"))
        title = f"{NAMES[kind]}: the decoder fed z ~ N(0, I) (pixel means)"
        save_figure(image_grid(samples[:100], 10, title), os.path.join(args.out, PICTURES[f"{kind}_samples"]))

    originals = test_set[np.arange(min(10, len(test_set)))][0].reshape(-1, 784)
    rows = np.concatenate(
        [originals, reconstructions(vae, originals), reconstructions(autoencoder, originals)]
    )
    title = "test digits (top), the VAE's reconstructions, the autoencoder's (pixel means of z = mu)"
    save_figure(image_grid(rows, len(originals), title), os.path.join(args.out, PICTURES["reconstructions"]))
    panels = {
        "E[log p(x|z)] (train, nats)": {NAMES[kind]: histories[kind]["reconstruction"] for kind in KINDS},
        "KL(q(z|x) || p(z)) (train, nats)": {"VAE": histories["vae"]["kl"]},
        "negative ELBO (test, nats)": {"VAE": histories["vae"]["test_negative_elbo"]},
    }
    figure = curves_figure(panels, "VAE and autoencoder on binarized MNIST")
    save_figure(figure, os.path.join(args.out, PICTURES["curves"]))
    if args.latent == 2:
        scatter, grid = latent_figures(vae, test_set)
        save_figure(scatter, os.path.join(args.out, PICTURES["latent_scatter"]))
        save_figure(grid, os.path.join(args.out, PICTURES["latent_grid"]))
    print(f"pictures and checkpoints in {args.out}")
    print(time_and_memory_line(sum(sum(history["seconds"]) for history in histories.values())))
    print(f"test negative ELBO: {-test['elbo']:.2f} nats")
    return -test["elbo"]


if __name__ == "__main__":
    main()
