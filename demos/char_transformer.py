"""A GPT in miniature: a decoder-only causal Transformer that models Python's documentation one character
at a time, scored in bits per character on text it never trained on, beside the LSTM of char_lstm.py.

    python demos/char_transformer.py              # 2 blocks of width 128, 9 epochs (4 minutes, one core)
    python demos/char_transformer.py --no-tie     # a separate output layer instead of the embedding's
    python demos/char_transformer.py --resume     # continue from the checkpoint in --out
    python demos/char_transformer.py --smoke      # a few seconds

The text and its split are char_lstm.py's (demos/char_corpus.py: Python's reference documentation,
deduplicated, every tenth paragraph held out as validation text).

The model, as GPT-2 and nanoGPT build it:
    characters (N, T) -> token embedding + position embedding        (N, T, d)  what, and where
                      -> --layers blocks, each pre-norm:
                             x = x + self-attention(LayerNorm(x)), masked so that position t sees 0..t
                             x = x + MLP(LayerNorm(x)),            d -> 4d -> GELU -> d, per position
                      -> LayerNorm -> linear to the alphabet          (N, T, V)  the next character's scores
A block is exactly nn.TransformerEncoderLayer(norm_first=True) given a causal mask: "decoder-only" means
that every position is trained to predict the next character while seeing only the ones before it, not
that the block has a decoder's cross-attention (there is no encoder to attend to). The causal mask is
nn.Transformer.generate_square_subsequent_mask(T): -inf above the diagonal, added to the attention
scores, so that softmax gives the future a weight of exactly 0. One forward pass thus trains T
predictions at once, one per prefix; an RNN would need T sequential steps for the same.

With --tie (the default) the output layer reuses the token embedding's matrix (Press and Wolf 2017,
GPT-2): a character's row is both how it is read and what a prediction of it looks like, which saves
V x d parameters. Position embeddings are learned, one per position of the --context window; so the
model cannot read further back than --context characters, and a sample is written with the last
--context characters as its context.

Training reads the training text as windows of --context + 1 characters (each window predicts its last
--context characters from the ones before them), cut at an offset drawn anew every epoch and shuffled;
AdamW with weight decay on the matrices only (not on biases, LayerNorm gains or the position table), its
learning rate warmed up over the first tenth of the steps and then annealed along a cosine to 0
(common.warmup_cosine), and gradients clipped to norm 1. The validation text is read as consecutive windows of
--context characters: each character is predicted from the ones before it in its window, so on average
from half a context; the LSTM reads each of its strips in one piece, from all that came before.

After each epoch: the validation bits per character, a sample from "The ", a checkpoint and a plot in
--out (default runs/char_transformer). At the end, this run's validation bits per character and
parameters beside the LSTM's default run, quoted from char_lstm.py's docstring (LSTM_DEFAULT_RUN below).

MEASURED (seed 0, 2026-12-07, Python 3.11.7, NumPy 2.4, the project's 2-core x86_64, through its slot runner:
one core and one BLAS thread; user + system CPU time of the whole run):
    python demos/char_transformer.py         validation bits per character after each epoch
        3.172 2.488 2.211 2.058 1.959 1.881 1.822 1.791 1.786          418,176 parameters, 261 s CPU
    python demos/char_lstm.py                2.871 2.261 2.035 1.932 1.879 1.869
                                                                        737,447 parameters, 248 s CPU
At the same budget, about 4 minutes of one core, the Transformer ends at 1.786 bits on the validation
text against the LSTM's 1.869, with 57% of its parameters, having read 3.0 million characters to its 2.0
(1.53 on its own last batches: it is starting to learn its training text by heart). The default run took
284 s wall (235 s user, 26 s system), peak memory 161 MiB. Its last sample:
'A positional argument is inserted for set from generator types "from" and "(0.value)", but nore an
expressions should rules defparameters in order than the module same objects.'
The recipe was found by trying; validation bits per character after each epoch, CPU (user) time:
    --layers 4 --batch-size 32 --epochs 3    3.537 2.947 2.680                  814,720 parameters, 151 s
    --layers 4 --batch-size 16 --epochs 3    3.415 2.641 2.366                  814,720 parameters, 153 s
    --layers 2 --batch-size 8 --epochs 4     3.052 2.420 2.111 2.016            418,176 parameters, 122 s
    --layers 2 --batch-size 16 --epochs 5    3.139 2.471 2.150 1.987 1.946      418,176 parameters, 135 s
At this budget the model is short of optimizer steps, not of size: half the batch (twice the steps for
the same characters) helps most, and two blocks trained twice as often beat four. A PyTorch copy of the
first recipe (same model, data, order and schedule, one thread) scored 3.597 and 3.110 after two epochs
against tinyconv's 3.537 and 2.947, at 44 s of CPU an epoch against about 50: the slow start was the
recipe's, not the framework's.
"""

from __future__ import annotations

import argparse
import functools
import os

import numpy as np
from char_corpus import PROMPT, Corpus, bits, draw_character, plot_bpc  # beside this file
from common import (  # demos/common.py, beside this file: the plumbing every demo shares
    EpochStats,
    add_limit_flag,
    add_out_flag,
    add_resume_flag,
    add_seed_flag,
    add_smoke_flag,
    check_at_least_one,
    check_out_folder,
    check_positive,
    count_parameters,
    epoch_line,
    flag,
    parse_with_smoke,
    progress_bar,
    remove_stale_temporaries,
    restore,
    resume_checkpoint,
    save_checkpoint,
    save_figure,
    stop_if_not_finite,
    time_and_memory_line,
    warmup_cosine,
)

import tinyconv
import tinyconv.functional as F
from tinyconv import nn, optim
from tinyconv.nn.utils import clip_grad_norm_

CHECKPOINT_NAME = "char_transformer.ckpt"
PLOT_NAME = "char_transformer_bpc.png"
# Settings a resumed run must share with the checkpoint's run (--epochs may grow).
MODEL_FLAGS = ("width", "layers", "heads", "context", "tie", "dropout")
RESUME_MUST_MATCH = (*MODEL_FLAGS, "batch_size", "lr", "weight_decay", "seed", "limit")
# The settings that make the training another one (other than the seed, the samples and the files).
TRAINING_FLAGS = (*MODEL_FLAGS, "batch_size", "lr", "weight_decay", "limit", "epochs")
# char_lstm.py's default run, as its docstring records it: 6 epochs of 32 strips of 10,352 targets.
LSTM_DEFAULT_RUN = dict(parameters=737_447, characters=6 * 32 * 10_352, validation_bpc=1.869)
SMOKE = dict(width=32, layers=1, heads=2, context=16, batch_size=8, epochs=1, limit=40_000, lr=1e-2)
SMOKE["sample_length"] = 60


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="A character-level GPT on Python's documentation.")
    parser.add_argument("--width", type=int, default=128, help="d_model: the width of every position")
    parser.add_argument("--layers", type=int, default=2, help="Transformer blocks")
    parser.add_argument("--heads", type=int, default=4, help="attention heads per block (divide --width)")
    parser.add_argument("--context", type=int, default=64, help="characters the model sees at once")
    parser.add_argument(
        "--tie", action=argparse.BooleanOptionalAction, default=True, help="output layer = token embedding"
    )
    parser.add_argument("--dropout", type=float, default=0.0, help="dropout in every block")
    parser.add_argument("--batch-size", type=int, default=16, help="windows per step")
    parser.add_argument("--epochs", type=int, default=9, help="passes over the training text")
    parser.add_argument("--lr", type=float, default=3e-3, help="AdamW's largest learning rate")
    parser.add_argument("--weight-decay", type=float, default=0.1, help="AdamW's, on the matrices only")
    parser.add_argument("--sample-length", type=int, default=300, help="characters per sample")
    parser.add_argument("--temperature", type=float, default=0.8, help="below 1: more likely characters")
    add_limit_flag(parser, what="characters of the training text")
    add_seed_flag(parser)
    add_out_flag(parser, "char_transformer")
    add_resume_flag(parser)
    add_smoke_flag(parser, SMOKE)
    return parser


def parse_args(argv=None) -> argparse.Namespace:
    parser = build_parser()
    args = parse_with_smoke(parser, argv, SMOKE)
    check_at_least_one(
        parser, args, "width", "layers", "heads", "context", "batch_size", "epochs", "sample_length", "limit"
    )
    check_positive(parser, args, "lr", "temperature")
    if args.width % args.heads:
        parser.error(f"--heads {args.heads} must divide --width {args.width}: each head takes an equal share")
    if not 0 <= args.dropout < 1:
        parser.error(f"--dropout must be in [0, 1), got {args.dropout}")
    if args.weight_decay < 0:
        parser.error(f"--weight-decay must be at least 0, got {args.weight_decay}")
    if args.limit is not None and args.limit < args.batch_size * args.context + args.context:
        parser.error(f"--limit {args.limit} is too short for one batch of {args.batch_size} windows")
    return args


class CharTransformer(nn.Module):
    """characters (N, T) -> logits (N, T, V): at every position, scores for the character that follows."""

    def __init__(
        self, vocabulary: int, context: int, width: int, layers: int, heads: int, dropout: float, tie: bool
    ):
        super().__init__()
        self.token_embedding = nn.Embedding(vocabulary, width)
        self.position_embedding = nn.Embedding(context, width)
        block = nn.TransformerEncoderLayer(
            width, heads, dim_feedforward=4 * width, dropout=dropout, batch_first=True, norm_first=True,
            activation=functools.partial(F.gelu, approximate="tanh"),  # GPT-2: the tanh form of GELU
        )  # fmt: skip
        self.blocks = nn.TransformerEncoder(block, layers)  # --layers independent copies of the block
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocabulary, bias=False)
        for table in (self.token_embedding.weight, self.position_embedding.weight, self.head.weight):
            nn.init.normal_(table, std=0.02)  # GPT-2's: small, so the first predictions are nearly uniform
        if tie:
            self.head.weight = self.token_embedding.weight  # one Parameter, listed once by parameters()

    def forward(self, characters) -> tinyconv.Tensor:
        length = characters.shape[1]
        x = self.token_embedding(characters) + self.position_embedding(np.arange(length))
        causal = nn.Transformer.generate_square_subsequent_mask(length)  # (T, T): -inf above the diagonal
        x = self.blocks(x, mask=causal, is_causal=True)
        return self.head(self.norm(x))


def windows(codes: np.ndarray, length: int, offset: int) -> np.ndarray:
    """(count, length): consecutive windows of `length` characters from `offset` on, overlapping by one
    (a window's last character is the next one's first), so every character after `offset` is a target
    exactly once. The last, shorter piece is left out."""
    starts = np.arange(offset, len(codes) - length + 1, length - 1)
    return codes[starts[:, None] + np.arange(length)]


def parameter_groups(model: CharTransformer, weight_decay: float) -> list:
    """AdamW's two groups: the matrices of the linear layers and the token embedding decay, the rest
    (biases, LayerNorm gains and shifts, the position table) does not: shrinking a bias or a gain toward
    0 does not make the model simpler, only wrong."""
    decay = [p for name, p in model.named_parameters() if p.ndim == 2 and name != "position_embedding.weight"]
    chosen = {id(p) for p in decay}
    rest = [p for p in model.parameters() if id(p) not in chosen]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


def bits_per_character(model: CharTransformer, codes: np.ndarray, context: int, batch: int = 64) -> float:
    """Mean cross-entropy, in bits, of each character of `codes` after the first, predicted from the ones
    before it in its window of `context` (+1) characters; in eval mode and without a graph."""
    model.eval()
    full = windows(codes, context + 1, 0)
    tail = codes[len(full) * context :]  # what the full windows leave: one shorter window
    pieces = [full[k : k + batch] for k in range(0, len(full), batch)]
    if len(tail) > 1:
        pieces.append(tail[None])
    nats, count = 0.0, 0
    with tinyconv.no_grad():
        for piece in pieces:
            logits = model(piece[:, :-1])
            targets = tinyconv.Tensor(piece[:, 1:].reshape(-1))
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets, reduction="sum")
            nats, count = nats + loss.item(), count + targets.numel()
    return bits(nats / count)


def sample(model: CharTransformer, corpus: Corpus, context: int, length: int, temperature: float, rng) -> str:
    """PROMPT and then `length` characters, each drawn from the model's scores at the last position,
    given the last `context` characters (all the position table allows)."""
    model.eval()
    codes = list(corpus.encode(PROMPT))
    with tinyconv.no_grad():
        for _ in range(length):
            logits = model(np.array([codes[-context:]]))
            codes.append(draw_character(logits.data[0, -1], temperature, rng))
    return corpus.decode(codes)


def comparison(args: argparse.Namespace, parameters: int, characters: int, validation_bpc: float, unigram):
    """This run beside the LSTM's default run (LSTM_DEFAULT_RUN), as a small table; a note when this run is
    not the default one, to which the budget applies."""
    defaults = vars(build_parser().parse_args([]))
    changed = [
        flag(name) for name, value in vars(args).items() if name in TRAINING_FLAGS and value != defaults[name]
    ]
    lstm = LSTM_DEFAULT_RUN
    lines = [
        "\nat the same budget, about 4 minutes of training on one core (see the docstrings):",
        f"  {'model':34s} {'parameters':>10s} {'characters read':>16s} {'validation bpc':>15s}",
        f"  {'Transformer (this run)':34s} {parameters:10,d} {characters:16,d} {validation_bpc:15.3f}",
        f"  {'LSTM (python demos/char_lstm.py)':34s} {lstm['parameters']:10,d} {lstm['characters']:16,d} "
        f"{lstm['validation_bpc']:15.3f}",
        f"  {'character frequencies alone':34s} {'':10s} {'':16s} {unigram:15.3f}",
    ]
    if changed:
        lines.append(f"  (this run changed {', '.join(changed)}: the budget is the default run's)")
    return "\n".join(lines)


def main(argv=None) -> dict:
    args = parse_args(argv)
    check_out_folder(args.out)
    remove_stale_temporaries(args.out, [CHECKPOINT_NAME, PLOT_NAME])
    checkpoint_path, plot_path = os.path.join(args.out, CHECKPOINT_NAME), os.path.join(args.out, PLOT_NAME)
    checkpoint = resume_checkpoint(checkpoint_path, args, RESUME_MUST_MATCH) if args.resume else None
    corpus = Corpus()
    print(corpus.describe())
    train_codes = corpus.encode(corpus.train_text[: args.limit])
    validation_codes = corpus.encode(corpus.validation_text)
    # The windows of an epoch start at an offset below --context; at the largest one they are fewest.
    steps_per_epoch = len(windows(train_codes, args.context + 1, args.context - 1)) // args.batch_size

    tinyconv.manual_seed(args.seed)
    model = CharTransformer(
        len(corpus.alphabet), args.context, args.width, args.layers, args.heads, args.dropout, args.tie
    )
    optimizer = optim.AdamW(parameter_groups(model, args.weight_decay), lr=args.lr)
    history = {"train_epoch": [], "train_bpc": [], "validation_bpc": [], "seconds": []}
    start_epoch = 0
    if checkpoint is not None:
        history, start_epoch = restore(checkpoint, model, optimizer)
        print(f"resumed from {checkpoint_path} after epoch {start_epoch}")
    # Warm-up, then a cosine down to 0, one step() per batch; on --resume it picks up after the steps
    # done, stretched over this run's --epochs.
    scheduler = optim.lr_scheduler.LambdaLR(
        optimizer, warmup_cosine(args.epochs * steps_per_epoch), last_epoch=start_epoch * steps_per_epoch - 1
    )

    parameters = count_parameters(model)
    print(f"Transformer, {parameters:,} parameters, {steps_per_epoch} batches per epoch")
    for epoch in range(start_epoch, args.epochs):
        # This epoch's windows and their order depend only on (seed, epoch): --resume replays them exactly.
        rng = np.random.default_rng([args.seed, epoch])
        epoch_windows = rng.permutation(windows(train_codes, args.context + 1, rng.integers(args.context)))
        model.train()
        stats, recent = EpochStats(), []
        batches = progress_bar(range(steps_per_epoch), f"epoch {epoch + 1}/{args.epochs}")
        for step in batches:
            batch = epoch_windows[step * args.batch_size : (step + 1) * args.batch_size]
            logits = model(batch[:, :-1])  # (N, T, V): a prediction at every position at once
            targets = tinyconv.Tensor(batch[:, 1:].reshape(-1))  # each character's next one
            loss = F.cross_entropy(logits.reshape(-1, len(corpus.alphabet)), targets)
            stop_if_not_finite(loss, f"epoch {epoch + 1}, batch {step + 1}")
            optimizer.zero_grad()
            loss.backward()
            clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            scheduler.step()
            stats.add(loss.item(), targets.numel())
            recent = (recent + [bits(loss.item())])[-20:]
            history["train_epoch"].append(epoch + (step + 1) / steps_per_epoch)
            history["train_bpc"].append(float(np.mean(recent)))
            batches.set_postfix(bpc=f"{recent[-1]:.3f}")
        seconds = stats.seconds

        validation_bpc = bits_per_character(model, validation_codes, args.context)
        history["validation_bpc"].append(validation_bpc)
        history["seconds"].append(seconds)
        row = dict(train_bpc=bits(stats.loss), validation_bpc=validation_bpc, seconds=seconds)
        print(epoch_line(epoch + 1, args.epochs, row))
        drawing = np.random.default_rng(epoch)  # the same draws for the same model: samples compare
        print(sample(model, corpus, args.context, args.sample_length, args.temperature, drawing))
        save_checkpoint(checkpoint_path, model, optimizer, history, epoch + 1, args)
        save_figure(plot_bpc(history, corpus.unigram_bits(), "character-level Transformer"), plot_path)

    final = history["validation_bpc"][-1]
    characters = len(history["train_bpc"]) * args.batch_size * args.context  # the targets trained on
    print(comparison(args, parameters, characters, final, corpus.unigram_bits()))
    print(f"checkpoint: {checkpoint_path}\nplot: {plot_path}")
    print(time_and_memory_line(sum(history["seconds"])))
    print(f"validation bits per character: {final:.3f}")
    return dict(
        validation_bpc=final, unigram_bits=corpus.unigram_bits(), parameters=parameters, history=history
    )


if __name__ == "__main__":
    main()
