"""demos/char_lstm.py runs in its --smoke mode and reports what it claims (the full runs' numbers are
in its docstring); its plot names the cell and reads bits per character on a log axis."""

from __future__ import annotations

import math
import os

import char_lstm
import numpy as np
import pytest

from .demo_testing import is_png


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
    assert is_png(tmp_path / char_lstm.plot_name("lstm"))


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


def test_char_lstm_smoke_keeps_the_flags_given(tmp_path):
    results = char_lstm.main(["--smoke", "--steps", "5", "--hidden", "12", "--out", str(tmp_path)])
    assert results["history"]["step"] == [1, 2, 3, 4, 5]  # 5 steps, not the smoke run's 40
    # hidden 12 as given, embedding 8 from the smoke settings: 4 gate blocks of 12 x (8 + 12 + 2)
    assert results["layer_parameters"]["lstm"] == 4 * 12 * (8 + 12 + 2)


def test_char_lstm_names_the_cell_in_the_plot_file(tmp_path):
    char_lstm.main(["--smoke", "--cell", "gru", "--steps", "3", "--out", str(tmp_path)])
    assert os.listdir(tmp_path) == ["char_gru_bpc.png"]
    assert char_lstm.plot_name("lstm") == "char_lstm_bpc.png"


def test_char_lstm_plot_names_the_cell_and_shows_bits_per_character_on_a_log_axis():
    history = {"step": [1, 2, 3], "train_bpc": [5.0, 0.5, 0.05], "eval_step": [3], "text_bpc": [0.01]}
    axes = char_lstm.plot_bpc(history, unigram_bits=4.5, cell="gru").axes[0]
    assert "GRU" in axes.get_title()
    assert axes.get_yscale() == "log"
