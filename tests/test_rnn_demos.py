"""The sequence demos run end to end in their --smoke mode and report what they claim (the full runs'
numbers are in the demos' docstrings)."""

from __future__ import annotations

import math
import os
import re
import sys

import numpy as np
import pytest

import tinyconv

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "demos"))
import char_lstm  # noqa: E402
import long_dependency  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def is_png(path) -> bool:
    with open(path, "rb") as file:
        return file.read(8) == PNG_SIGNATURE


def test_recall_task_puts_the_answer_first_noise_between_and_the_query_last():
    tokens, targets = long_dependency.make_batch(np.random.default_rng(0), batch=5, delay=7)
    assert tokens.shape == (9, 5)
    np.testing.assert_array_equal(tokens[0], targets)
    noise = tokens[1:-1]
    assert ((noise >= long_dependency.SYMBOLS) & (noise < long_dependency.QUERY)).all()
    assert (tokens[-1] == long_dependency.QUERY).all()


def test_long_dependency_smoke_run_prints_the_table_and_writes_the_plot(tmp_path, capsys):
    results = long_dependency.main(["--smoke", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "test accuracy against delay" in out and "||dL/dh_0|| / ||dL/dh_T||" in out
    for delay in (2, 6):  # the table's rows are the accuracies returned, RNN, LSTM, GRU
        row = " ".join(f"{results['accuracy'][cell][delay]:5.3f}" for cell in long_dependency.CELLS)
        assert re.search(rf"^ +{delay}  " + row.replace(" ", " +") + "$", out, flags=re.M)
    for cell in long_dependency.CELLS:
        assert set(results["accuracy"][cell]) == {2, 6}
        assert all(0 <= a <= 1 for a in results["accuracy"][cell].values())
        norms = results["gradient_norms"][cell]["initial"]
        assert len(norms) == 6 + 2 and np.isfinite(norms).all()
    assert is_png(tmp_path / long_dependency.PLOT_NAME)


def ratio_first_to_last(norms) -> float:
    return norms[0] / norms[-1]


def test_at_initialization_the_gated_cells_pass_back_more_gradient_than_the_rnn():
    # Already before training, over 20 noise steps, the LSTM's cell state (forget bias 3: f = 0.95) keeps
    # far more of the gradient than the RNN's repeated diag(tanh') W_hh, which is why it can learn at all.
    ratios = {}
    for cell in ("RNN", "LSTM"):
        tinyconv.manual_seed(0)
        model = long_dependency.Recaller(cell, embedding=8, hidden=16, forget_bias=3.0)
        tokens, targets = long_dependency.make_batch(np.random.default_rng(0), batch=32, delay=20)
        ratios[cell] = ratio_first_to_last(long_dependency.hidden_gradient_norms(model, tokens, targets))
    assert ratios["LSTM"] > 1e-2  # measured 0.05
    assert ratios["LSTM"] > 1e3 * ratios["RNN"]  # measured 1.4e-6 for the RNN


def test_untrained_rnn_gradient_shrinks_with_each_step_back():
    # The vanishing gradient at PyTorch's initialization: every step back multiplies by diag(tanh') W_hh.
    tinyconv.manual_seed(0)
    model = long_dependency.Recaller("RNN", embedding=8, hidden=16, forget_bias=0.0)
    tokens, targets = long_dependency.make_batch(np.random.default_rng(0), batch=32, delay=20)
    norms = long_dependency.hidden_gradient_norms(model, tokens, targets)
    assert norms[0] < 1e-3 * norms[-1]


def test_zen_of_python_is_decoded_from_the_this_module():
    text = char_lstm.zen_of_python()
    assert text.startswith("The Zen of Python, by Tim Peters")
    assert "Beautiful is better than ugly." in text


def test_char_lstm_smoke_run_learns_below_the_uniform_guess_and_counts_the_gru_saving(tmp_path, capsys):
    results = char_lstm.main(["--smoke", "--out", str(tmp_path)])
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert last_line == f"bits per character: {results['bits_per_character']:.3f}"
    assert results["bits_per_character"] < math.log2(45)  # 40 small steps already beat a uniform guess
    # Embedding 8, hidden 16: the LSTM layer has 4 * 16 * (8 + 16 + 2) weights, the GRU 3 * 16 * (8 + 16 + 2).
    assert results["layer_parameters"] == {"lstm": 4 * 16 * 26, "gru": 3 * 16 * 26}
    assert results["parameters"]["lstm"] - results["parameters"]["gru"] == 16 * 26
    assert is_png(tmp_path / char_lstm.PLOT_NAME)


def test_char_lstm_trains_a_gru_when_asked(tmp_path):
    results = char_lstm.main(["--smoke", "--cell", "gru", "--steps", "5", "--out", str(tmp_path)])
    assert np.isfinite(results["bits_per_character"])


@pytest.mark.parametrize("length, seq_len", [(214, 50), (201, 50), (10, 3), (5, 10)])
def test_char_lstm_chunks_make_every_character_after_the_first_a_target_once_per_pass(length, seq_len):
    targets = []
    for start in char_lstm.chunk_starts(length, seq_len):
        rows = np.arange(length)[start : start + seq_len + 1]
        targets.extend(rows[1:])  # each chunk predicts its rows after the first
    assert targets == list(range(1, length))


def test_char_lstm_samples_at_doubling_steps_and_at_the_end():
    assert char_lstm.sample_steps(25, 1000) == {25, 50, 100, 200, 400, 800, 1000}
    assert char_lstm.sample_steps(25, 20) == {20}
