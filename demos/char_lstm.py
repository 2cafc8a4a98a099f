"""A character-level LSTM language model of Python's documentation, trained with truncated backprop through
time and scored in bits per character on text it never trained on.

    python demos/char_lstm.py                 # LSTM, hidden 384, 6 epochs (about 4 minutes on one core)
    python demos/char_lstm.py --cell gru      # the same with a GRU
    python demos/char_lstm.py --resume        # continue from the checkpoint in --out
    python demos/char_lstm.py --smoke         # a few seconds

The text is the English of Python's reference documentation, which ships with every Python
(demos/char_corpus.py: the pages deduplicated, every tenth paragraph held out as validation text). The
model reads one character at a time, embedding -> LSTM -> linear, and predicts the next one; its loss is
the cross-entropy in bits per character (bpc = nats / ln 2). The number that counts is the bpc on the
validation text; two references put it in context: log2 of the alphabet (a uniform guess, 6.69 bits)
and the characters' frequencies alone (a model that ignores the context, 4.65 bits).

Training is truncated backpropagation through time, as in char-rnn: the training text is cut into
--batch-size strips that are read in parallel, --seq-len characters at a time. The state at the end of
one chunk starts the next chunk *detached*: the network keeps its memory of everything before, but each
backward stays within one chunk (and its memory within one chunk's activations). One epoch is one pass
over the strips; Adam's learning rate warms up over the first tenth of the steps and then follows a
cosine down to 0 (common.warmup_cosine), stepped after every chunk; gradients are clipped to norm 5.
The validation text is read the same way, in VALIDATION_STRIPS strips, each in one piece.

After every epoch the model writes a sample (one character at a time, each drawn from its predicted
distribution, temperature --temperature) starting from "The ", and the run saves a checkpoint (--resume
continues from it) and a plot of the bits per character into --out (default runs/char_lstm), as
char_lstm_bpc.png, or char_gru_bpc.png for a GRU. At the end it compares the parameter counts of an LSTM
and a GRU of the same size: the GRU has 3 gate blocks to the LSTM's 4, so its recurrent layer is a quarter
smaller. demos/char_transformer.py quotes this demo's default run beside its own, at the same budget.

MEASURED (seed 0, 2026-12-07, Python 3.11.7, NumPy 2.4, the project's 2-core x86_64, one thread):
validation bits per character after each epoch, and the CPU time of the whole run:
    python demos/char_lstm.py                        2.871 2.261 2.035 1.932 1.879 1.869    247 s
    python demos/char_lstm.py --hidden 512 --epochs 3  2.621 2.184 2.101                    207 s
The default, hidden 384 (737,447 parameters; the recurrent layer 691,200, a GRU's 518,400, 25.0% fewer),
reads the training text 6 times (2.0 million characters) and ends at 1.869 bits on the validation text
(1.68 on its training batches); peak memory 236 MiB. A larger LSTM for fewer passes in about the same time
does worse: at this budget the model is short of passes, not of size. After 6 epochs its samples are
documentation-shaped English with invented words: 'The string **x* is requal the currect classes and of
the setaction object is provided by the three flool.' The default run went through the project's slot
runner (one core and one BLAS thread; other jobs on the other core, load average 3 to 5): 474 s wall,
247 s user and 1 s system CPU time. Run again on the quiet machine (OPENBLAS_NUM_THREADS=1, nothing
else running, 2026-12-07 15:10 UTC): the same 1.869 bits, 3 min 14 s wall (194 s, 181.5 s of training).
Before this corpus the demo learned the Zen of Python (856 characters) by heart, to 0.005 bits after
1,000 steps: a measure of memory, not of language modelling.
"""

from __future__ import annotations

import argparse
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

CHECKPOINT_NAME = "char_lstm.ckpt"
# Settings a resumed run must share with the checkpoint's run (--epochs may grow).
RESUME_MUST_MATCH = ("cell", "hidden", "embedding", "seq_len", "batch_size", "lr", "seed", "limit")
VALIDATION_STRIPS = 32  # the validation text is read in 32 strips of about 1,200 characters
SMOKE = dict(hidden=32, embedding=16, seq_len=32, batch_size=16, epochs=1, limit=40_000, lr=2e-2)
SMOKE["sample_length"] = 60


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Character-level LSTM on Python's documentation.")
    parser.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    parser.add_argument("--hidden", type=int, default=384)
    parser.add_argument("--embedding", type=int, default=64)
    parser.add_argument("--seq-len", type=int, default=100, help="characters per BPTT chunk")
    parser.add_argument("--batch-size", type=int, default=32, help="strips of the text read in parallel")
    parser.add_argument("--epochs", type=int, default=6, help="passes over the training text")
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam's largest learning rate")
    parser.add_argument("--sample-length", type=int, default=300, help="characters per sample")
    parser.add_argument("--temperature", type=float, default=0.8, help="below 1: more likely characters")
    add_limit_flag(parser, what="characters of the training text")
    add_seed_flag(parser)
    add_out_flag(parser, "char_lstm")
    add_resume_flag(parser)
    add_smoke_flag(parser, SMOKE)
    args = parse_with_smoke(parser, argv, SMOKE)
    check_at_least_one(
        parser, args, "hidden", "embedding", "seq_len", "batch_size", "epochs", "sample_length", "limit"
    )
    check_positive(parser, args, "lr", "temperature")
    if args.limit is not None and args.limit < 2 * args.batch_size:
        parser.error(f"--limit {args.limit} is too short for {args.batch_size} strips of 2 characters each")
    return args


def plot_name(cell: str) -> str:
    """The plot's file name, which names the cell: char_lstm_bpc.png, char_gru_bpc.png."""
    return f"char_{cell}_bpc.png"


class CharModel(nn.Module):
    """characters (T, N) -> embedding (T, N, E) -> LSTM or GRU -> logits (T, N, V) for the next character."""

    def __init__(self, vocabulary: int, embedding: int, hidden: int, cell: str):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, embedding)
        self.rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(embedding, hidden)
        self.head = nn.Linear(hidden, vocabulary)

    def forward(self, characters, state=None):
        output, state = self.rnn(self.embedding(characters), state)
        return self.head(output), state


def detach(state):
    """The state's values without its history: where truncated BPTT cuts the graph."""
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def strips(codes: np.ndarray, batch: int) -> np.ndarray:
    """The text cut into `batch` equal strips, one per column (length, batch), read top to bottom."""
    length = len(codes) // batch
    return codes[: length * batch].reshape(batch, length).T


def chunk_starts(length: int, seq_len: int) -> list:
    """The first row of each BPTT chunk in one pass over strips of `length` characters.

    A chunk of rows [start, start + seq_len] predicts rows start+1 .. start+seq_len from the rows
    before them, and the next chunk starts where this one's targets end. The last chunk may be
    shorter, so that every character after the first is a target exactly once per pass.
    """
    return list(range(0, length - 1, seq_len))


def bits_per_character(model: CharModel, columns: np.ndarray) -> float:
    """Mean cross-entropy, in bits, of predicting each character of the strips (length, batch) from all
    those before it in its strip, each strip read in one piece, in eval mode and without a graph."""
    model.eval()
    with tinyconv.no_grad():
        logits, _ = model(columns[:-1])
        targets = tinyconv.Tensor(columns[1:].reshape(-1))
        return bits(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets).item())


def sample(model: CharModel, corpus: Corpus, length: int, temperature: float, rng) -> str:
    """PROMPT and then `length` characters, each drawn from the model's distribution given all before:
    the prompt is read once, and each new character goes in with the state the last one left."""
    model.eval()
    text = PROMPT
    with tinyconv.no_grad():
        logits, state = model(corpus.encode(PROMPT)[:, None])  # (T, 1): the prompt, one sequence
        for _ in range(length):
            code = draw_character(logits.data[-1, 0], temperature, rng)
            text += corpus.alphabet[code]
            logits, state = model(np.array([[code]]), state)
    return text


def compare_parameter_counts(vocabulary: int, embedding: int, hidden: int) -> dict:
    """Print and return the parameter counts of the LSTM and GRU layer, and of the whole model with each."""
    layers = {"lstm": nn.LSTM(embedding, hidden), "gru": nn.GRU(embedding, hidden)}
    models = {kind: CharModel(vocabulary, embedding, hidden, kind) for kind in layers}
    counts = {
        "layer": {kind: count_parameters(layer) for kind, layer in layers.items()},
        "model": {kind: count_parameters(model) for kind, model in models.items()},
    }
    print(f"\nparameters, embedding {embedding}, hidden {hidden}:")
    for part, note in (
        ("layer", "3 gate blocks instead of 4"),
        ("model", "the embedding and the output layer are the same"),
    ):
        lstm, gru = counts[part]["lstm"], counts[part]["gru"]
        name = "recurrent layer" if part == "layer" else "whole model"
        print(f"  {name:15s}  LSTM {lstm:9,d}  GRU {gru:9,d}  (the GRU saves {1 - gru / lstm:.1%}: {note})")
    return counts


def main(argv=None) -> dict:
    args = parse_args(argv)
    check_out_folder(args.out)
    remove_stale_temporaries(args.out, [CHECKPOINT_NAME, plot_name(args.cell)])
    checkpoint_path = os.path.join(args.out, CHECKPOINT_NAME)
    plot_path = os.path.join(args.out, plot_name(args.cell))
    checkpoint = resume_checkpoint(checkpoint_path, args, RESUME_MUST_MATCH) if args.resume else None
    corpus = Corpus()
    print(corpus.describe())
    columns = strips(corpus.encode(corpus.train_text[: args.limit]), args.batch_size)  # (length, batch)
    validation_columns = strips(corpus.encode(corpus.validation_text), VALIDATION_STRIPS)
    starts = chunk_starts(len(columns), args.seq_len)

    tinyconv.manual_seed(args.seed)
    model = CharModel(len(corpus.alphabet), args.embedding, args.hidden, args.cell)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    history = {"train_epoch": [], "train_bpc": [], "validation_bpc": [], "seconds": []}
    start_epoch = 0
    if checkpoint is not None:
        history, start_epoch = restore(checkpoint, model, optimizer)
        print(f"resumed from {checkpoint_path} after epoch {start_epoch}")
    # Warm-up, then a cosine down to 0, one step() per chunk; on --resume it picks up after the steps
    # done, stretched over this run's --epochs.
    scheduler = optim.lr_scheduler.LambdaLR(
        optimizer, warmup_cosine(args.epochs * len(starts)), last_epoch=start_epoch * len(starts) - 1
    )

    title = args.cell.upper()
    print(f"{title}, {count_parameters(model):,} parameters, {len(starts)} chunks per epoch")
    for epoch in range(start_epoch, args.epochs):
        model.train()
        stats, state, recent = EpochStats(), None, []  # each pass starts from a blank memory
        batches = progress_bar(starts, f"epoch {epoch + 1}/{args.epochs}")
        for step, first_row in enumerate(batches, 1):
            chunk = columns[first_row : first_row + args.seq_len + 1]
            logits, state = model(chunk[:-1], state)
            state = detach(state)  # the next chunk starts from these values, but no gradient flows back
            targets = tinyconv.Tensor(chunk[1:].reshape(-1))  # each character's next one
            loss = F.cross_entropy(logits.reshape(-1, len(corpus.alphabet)), targets)
            stop_if_not_finite(loss, f"epoch {epoch + 1}, chunk {step}")
            optimizer.zero_grad()
            loss.backward()
            clip_grad_norm_(model.parameters(), max_norm=5.0)
            optimizer.step()
            scheduler.step()
            stats.add(loss.item(), targets.numel())
            recent = (recent + [bits(loss.item())])[-20:]
            history["train_epoch"].append(epoch + step / len(starts))
            history["train_bpc"].append(float(np.mean(recent)))
            batches.set_postfix(bpc=f"{recent[-1]:.3f}")
        seconds = stats.seconds

        validation_bpc = bits_per_character(model, validation_columns)
        history["validation_bpc"].append(validation_bpc)
        history["seconds"].append(seconds)
        row = dict(train_bpc=bits(stats.loss), validation_bpc=validation_bpc, seconds=seconds)
        print(epoch_line(epoch + 1, args.epochs, row))
        print(sample(model, corpus, args.sample_length, args.temperature, np.random.default_rng(epoch)))
        save_checkpoint(checkpoint_path, model, optimizer, history, epoch + 1, args)
        save_figure(plot_bpc(history, corpus.unigram_bits(), f"character-level {title}"), plot_path)

    counts = compare_parameter_counts(len(corpus.alphabet), args.embedding, args.hidden)
    print(f"checkpoint: {checkpoint_path}\nplot: {plot_path}")
    print(time_and_memory_line(sum(history["seconds"])))
    print(f"validation bits per character: {history['validation_bpc'][-1]:.3f}")
    return {
        "validation_bpc": history["validation_bpc"][-1],
        "unigram_bits": corpus.unigram_bits(),
        "parameters": counts["model"],
        "layer_parameters": counts["layer"],
        "history": history,
    }


if __name__ == "__main__":
    main()
