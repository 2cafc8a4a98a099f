"""demos/char_corpus.py, the text of the two character-level demos: Python's documentation, deduplicated and
split by paragraph; the alphabet, the character-frequency baseline, sampling and the plot. In its order."""

from __future__ import annotations

import math
import sys

import char_corpus
import numpy as np
import pytest

PAGES = {  # a stand-in for pydoc_data.topics: "b" repeats one of "a"'s paragraphs
    "b": "beta\n\nalpha two\n\ngamma",
    "a": "alpha one\n\nalpha two\n\n\n\nalpha three",
}


def test_missing_pydoc_data_stops_the_demo_with_a_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydoc_data.topics", None)  # makes the import fail
    with pytest.raises(SystemExit) as stop:
        char_corpus.documentation_pages()
    assert "pydoc_data.topics" in str(stop.value) and "lacks" in str(stop.value)


def test_paragraphs_come_in_page_order_each_kept_where_it_first_appears():
    assert char_corpus.unique_paragraphs(PAGES) == ["alpha one", "alpha two", "alpha three", "beta", "gamma"]


def test_every_nth_paragraph_is_held_out():
    corpus = char_corpus.Corpus(validation_every=2, pages=PAGES)
    assert corpus.train_text == "alpha one\n\nalpha three\n\ngamma"
    assert corpus.validation_text == "alpha two\n\nbeta"


def test_the_alphabet_is_every_character_of_both_texts_and_codes_round_trip():
    corpus = char_corpus.Corpus(validation_every=2, pages=PAGES)
    assert corpus.alphabet == sorted(set("alpha one two three beta gamma\n"))
    codes = corpus.encode("the beta")
    assert codes.dtype == np.int64 and corpus.decode(codes) == "the beta"


def test_the_real_corpus_holds_out_a_tenth_and_no_held_out_paragraph_is_read_in_training():
    corpus = char_corpus.Corpus()
    total = len(corpus.train_text) + len(corpus.validation_text)
    assert total > 300_000  # several hundred kilobytes of English in every Python
    assert 0.08 < len(corpus.validation_text) / total < 0.12
    training = set(corpus.train_text.split("\n\n"))
    held_out = [p for p in corpus.validation_text.split("\n\n") if len(p) > 40]
    assert held_out and not [p for p in held_out if p in training]


def test_unigram_bits_is_the_validation_cross_entropy_of_training_frequencies_plus_one():
    corpus = char_corpus.Corpus(validation_every=2, pages={"p": "aab\n\nab\n\naaaa\n\nc"})
    # training "aab\n\naaaa": a 6, b 1, newline 2, c 0; plus one each: a 7, b 2, newline 3, c 1, of 13
    probabilities = {"a": 7 / 13, "b": 2 / 13, "\n": 3 / 13, "c": 1 / 13}
    validation = "ab\n\nc"
    expected = -np.mean([math.log2(probabilities[c]) for c in validation])
    assert corpus.unigram_bits() == pytest.approx(expected)


def test_describe_gives_the_sizes_and_both_baselines():
    corpus = char_corpus.Corpus(validation_every=2, pages=PAGES)
    line = corpus.describe()
    assert f"{len(corpus.train_text):,} training" in line and f"{len(corpus.alphabet)} distinct" in line
    assert f"{math.log2(len(corpus.alphabet)):.2f}" in line and f"{corpus.unigram_bits():.2f}" in line


def test_bits_divide_nats_by_ln_2():
    assert char_corpus.bits(math.log(2)) == pytest.approx(1.0)
    assert char_corpus.bits(math.log(103)) == pytest.approx(math.log2(103))


def test_draw_character_follows_the_softmax_and_a_low_temperature_sharpens_it():
    rng = np.random.default_rng(0)
    scores = np.log(np.array([0.7, 0.2, 0.1], dtype=np.float32))
    draws = np.bincount([char_corpus.draw_character(scores, 1.0, rng) for _ in range(4000)], minlength=3)
    assert np.allclose(draws / 4000, [0.7, 0.2, 0.1], atol=0.03)
    assert {char_corpus.draw_character(scores, 0.05, rng) for _ in range(50)} == {0}


def test_plot_shows_training_per_step_validation_per_epoch_and_the_baseline():
    history = {
        "train_epoch": [0.5, 1.0, 1.5, 2.0],
        "train_bpc": [6.0, 3.0, 2.5, 2.2],
        "validation_bpc": [2.9, 2.4],
    }
    axes = char_corpus.plot_bpc(history, unigram_bits=4.7, title="character-level GRU").axes[0]
    training, validation, baseline = axes.get_lines()
    assert list(training.get_xdata()) == history["train_epoch"]
    assert list(validation.get_xdata()) == [1, 2] and list(validation.get_ydata()) == [2.9, 2.4]
    assert list(baseline.get_ydata()) == [4.7, 4.7]
    assert axes.get_title() == "character-level GRU" and axes.get_ylabel() == "bits per character"
