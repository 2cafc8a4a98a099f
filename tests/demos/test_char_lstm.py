"""demos/char_lstm.py runs in its --smoke mode and reports what it claims (the full runs' numbers are
in its docstring); its chunks read every character once, its plot names the cell, and --resume goes on
from its checkpoint with the same settings only."""

from __future__ import annotations

import os

import char_lstm
import numpy as np
import pytest

import tinyconv

from .demo_testing import is_png


def test_char_lstm_smoke_run_learns_below_the_character_frequencies_and_counts_the_gru_saving(
    tmp_path, capsys
):
    results = char_lstm.main(["--smoke", "--out", str(tmp_path)])
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert last_line == f"validation bits per character: {results['validation_bpc']:.3f}"
    assert results["validation_bpc"] < results["unigram_bits"] - 0.2  # a trained model, not a guess
    # Embedding 16, hidden 32: the LSTM layer has 4 gate blocks of 32 x (16 + 32 + 2) weights, the GRU 3.
    assert results["layer_parameters"] == {"lstm": 4 * 32 * 50, "gru": 3 * 32 * 50}
    assert results["parameters"]["lstm"] - results["parameters"]["gru"] == 32 * 50
    assert is_png(tmp_path / char_lstm.plot_name("lstm"))


def test_char_lstm_trains_a_gru_when_asked(tmp_path):
    results = char_lstm.main(["--smoke", "--cell", "gru", "--limit", "5000", "--out", str(tmp_path)])
    assert np.isfinite(results["validation_bpc"])


@pytest.mark.parametrize("length, seq_len", [(214, 50), (201, 50), (10, 3), (5, 10)])
def test_char_lstm_chunks_make_every_character_after_the_first_a_target_once_per_pass(length, seq_len):
    targets = []
    for start in char_lstm.chunk_starts(length, seq_len):
        rows = np.arange(length)[start : start + seq_len + 1]
        targets.extend(rows[1:])  # each chunk predicts its rows after the first
    assert targets == list(range(1, length))


def test_char_lstm_sample_starts_with_the_prompt_and_goes_on_for_the_length_asked():
    corpus = char_lstm.Corpus()
    tinyconv.manual_seed(0)
    model = char_lstm.CharModel(len(corpus.alphabet), 8, 16, "lstm")
    text = char_lstm.sample(model, corpus, length=30, temperature=1.0, rng=np.random.default_rng(0))
    assert text.startswith(char_lstm.PROMPT) and len(text) == len(char_lstm.PROMPT) + 30


def test_char_lstm_smoke_keeps_the_flags_given(tmp_path):
    results = char_lstm.main(["--smoke", "--limit", "5000", "--hidden", "12", "--out", str(tmp_path)])
    # --limit 5000: 16 strips of 312 characters, read in chunks of 32 (the smoke's): 10 steps, not 156
    assert len(results["history"]["train_bpc"]) == 10
    # hidden 12 as given, embedding 16 from the smoke settings: 4 gate blocks of 12 x (16 + 12 + 2)
    assert results["layer_parameters"]["lstm"] == 4 * 12 * (16 + 12 + 2)


def test_char_lstm_names_the_cell_in_the_plot_file(tmp_path):
    char_lstm.main(["--smoke", "--cell", "gru", "--limit", "3000", "--out", str(tmp_path)])
    assert sorted(os.listdir(tmp_path)) == ["char_gru_bpc.png", "char_lstm.ckpt"]
    assert char_lstm.plot_name("lstm") == "char_lstm_bpc.png"


def test_char_lstm_resume_goes_on_from_the_checkpoint_and_refuses_other_settings(tmp_path, capsys):
    out = ["--smoke", "--limit", "3000", "--out", str(tmp_path)]
    char_lstm.main(out)
    resumed = char_lstm.main([*out, "--epochs", "2", "--resume"])
    assert "resumed from" in capsys.readouterr().out
    assert len(resumed["history"]["validation_bpc"]) == 2
    with pytest.raises(SystemExit) as stop:
        char_lstm.main([*out, "--cell", "gru", "--resume"])
    assert "--cell was 'lstm', now 'gru'" in str(stop.value)
