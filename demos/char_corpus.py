"""The text the two character-level demos learn (char_lstm.py, char_transformer.py), and what they share
around it: the split into training and validation text, the alphabet, the baseline, sampling, the plot.

The corpus is Python's own reference documentation in English: the pages `help("for")` or
`help("FORMATTING")` show, which every CPython installation carries in the standard library module
`pydoc_data.topics` (79 pages, about 465,000 characters in Python 3.11; other versions differ a little).
No download, and real language: sentences, grammar rules, code examples, tables.

Two things make it a fair test of a language model rather than of memory:
  - The pages repeat each other: "customization" is a section of "specialnames", "if" and "else" are
    the same page... A paragraph (text between blank lines) is kept only the first time it appears,
    which removes about a fifth of the text (Python 3.11: 376,000 characters remain). Without this, a
    held-out paragraph could sit word for word in the training text.
  - Every tenth of the remaining paragraphs is held out as the validation text, which the model never
    trains on: its bits per character there measure how well it predicts English it has not read. A
    split by paragraph rather than by page keeps the share at 10% whatever the pages' sizes, and the
    validation text is spread over every topic.

The alphabet is every character of the whole corpus, as char-rnn and nanoGPT build theirs: a character
that happens to occur in the validation text only must still have a code.
"""

from __future__ import annotations

import math
import re
import sys

import numpy as np
from matplotlib.figure import Figure

PROMPT = "The "  # the start of every sample: most pages' titles and many sentences begin this way


def documentation_pages() -> dict:
    """{topic: text} of pydoc_data.topics, or exit with a message if this Python lacks the module."""
    try:
        from pydoc_data.topics import topics
    except ImportError as error:
        sys.exit(
            f"the text of these demos is Python's documentation in pydoc_data.topics, which this Python "
            f"lacks ({error}). Some Linux distributions ship it in a separate package (Debian: "
            "libpython3-stdlib); a Python from python.org or from conda has it."
        )
    return topics


def unique_paragraphs(pages: dict) -> list:
    """The paragraphs (text between blank lines) of the pages, in the pages' alphabetical order, each
    kept only where it first appears."""
    seen, paragraphs = set(), []
    for topic in sorted(pages):
        for paragraph in re.split(r"\n\s*\n", pages[topic].strip("\n")):  # at blank lines, however many
            if paragraph.strip() and paragraph not in seen:
                seen.add(paragraph)
                paragraphs.append(paragraph)
    return paragraphs


class Corpus:
    """The deduplicated documentation, split: every `validation_every`-th paragraph is validation text.

    corpus = Corpus()
    corpus.train_text, corpus.validation_text     two strings, paragraphs joined by blank lines
    corpus.alphabet                               the sorted distinct characters; a code is an index
    corpus.encode("The ") -> array of codes       corpus.decode(codes) -> "The "
    """

    def __init__(self, validation_every: int = 10, pages: dict | None = None):
        paragraphs = unique_paragraphs(documentation_pages() if pages is None else pages)
        held_out = [index % validation_every == validation_every - 1 for index in range(len(paragraphs))]
        self.train_text = "\n\n".join(p for p, out in zip(paragraphs, held_out) if not out)
        self.validation_text = "\n\n".join(p for p, out in zip(paragraphs, held_out) if out)
        self.alphabet = sorted(set(self.train_text) | set(self.validation_text))
        self.codes = {character: code for code, character in enumerate(self.alphabet)}

    def encode(self, text: str) -> np.ndarray:
        """The codes (int64) of the characters of `text`."""
        return np.array([self.codes[character] for character in text], dtype=np.int64)

    def decode(self, codes) -> str:
        return "".join(self.alphabet[code] for code in codes)

    def unigram_bits(self) -> float:
        """The baseline any model must beat: bits per character on the validation text of a model that
        knows only how often each character occurs in the training text (counts + 1, so that a character
        absent from training costs a finite number of bits), and ignores the context."""
        counts = np.bincount(self.encode(self.train_text), minlength=len(self.alphabet)) + 1
        probabilities = counts / counts.sum()
        return float(-np.log2(probabilities[self.encode(self.validation_text)]).mean())

    def describe(self) -> str:
        """One line: the sizes of the two texts, the alphabet and the two baselines."""
        return (
            f"Python's documentation (pydoc_data.topics): {len(self.train_text):,} training and "
            f"{len(self.validation_text):,} validation characters, {len(self.alphabet)} distinct; uniform "
            f"guess {math.log2(len(self.alphabet)):.2f} bits per character, character frequencies alone "
            f"{self.unigram_bits():.2f}"
        )


def bits(nats: float) -> float:
    """A cross-entropy in nats (natural log, what F.cross_entropy returns) in bits: / ln 2."""
    return nats / math.log(2)


def draw_character(scores: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """One code drawn from softmax(scores / temperature): below 1, the likely characters become likelier
    (safer text); above 1, the distribution flattens (more surprises, more mistakes)."""
    scaled = scores.astype(np.float64) / temperature
    probabilities = np.exp(scaled - scaled.max())
    return int(rng.choice(len(scores), p=probabilities / probabilities.sum()))


def plot_bpc(history: dict, unigram_bits: float, title: str) -> Figure:
    """Bits per character against the epoch: the training batches' (a running mean, one point per step)
    and the validation text's (one point per epoch), with the character-frequency baseline.

    history: "train_epoch" (the fraction of epochs done at each step), "train_bpc", "validation_bpc".
    Training below validation is the part of the training text the model has learned by heart.
    """
    figure = Figure(figsize=(7, 4))
    axes = figure.add_subplot()
    axes.plot(history["train_epoch"], history["train_bpc"], label="training batches (running mean)")
    epochs = range(1, len(history["validation_bpc"]) + 1)
    axes.plot(epochs, history["validation_bpc"], "o-", label="validation text")
    axes.axhline(unigram_bits, color="gray", linestyle=":", label="character frequencies alone")
    axes.set(title=title, xlabel="epoch (passes over the training text)", ylabel="bits per character")
    axes.set_ylim(0, max(history["train_bpc"][:1] + [unigram_bits]) * 1.1)
    axes.legend()
    figure.tight_layout()
    return figure
