"""demos/char_transformer.py runs in its --smoke mode and reports what it claims (the full run's numbers are
in its docstring); its model sees only the past, ties its output layer to the embedding when asked, and
its windows and validation read every character once."""

from __future__ import annotations

import math

import char_transformer
import numpy as np
import pytest

import tinyconv
from tinyconv import nn

from .demo_testing import is_png


def small_model(tie: bool = True) -> char_transformer.CharTransformer:
    tinyconv.manual_seed(0)
    return char_transformer.CharTransformer(
        vocabulary=11, context=8, width=16, layers=2, heads=2, dropout=0.0, tie=tie
    )


def test_a_position_sees_only_the_characters_before_it():
    model = small_model().eval()
    characters = np.random.default_rng(0).integers(0, 11, (2, 8))
    changed = characters.copy()
    changed[:, 5:] = (changed[:, 5:] + 1) % 11  # another future from position 5 on
    with tinyconv.no_grad():
        before, after = model(characters).data, model(changed).data
    np.testing.assert_allclose(before[:, :5], after[:, :5], rtol=1e-6, atol=1e-6)
    assert not np.allclose(before[:, 5:], after[:, 5:])


def test_tying_shares_one_matrix_and_saves_its_parameters():
    tied, untied = small_model(tie=True), small_model(tie=False)
    assert tied.head.weight is tied.token_embedding.weight
    assert char_transformer.count_parameters(untied) - char_transformer.count_parameters(tied) == 11 * 16
    assert "head.weight" not in tied.state_dict()  # saved once, under the embedding's name


def test_only_the_matrices_decay():
    model = small_model()
    decay, rest = char_transformer.parameter_groups(model, 0.1)
    assert decay["weight_decay"] == 0.1 and rest["weight_decay"] == 0.0
    names = {id(p): name for name, p in model.named_parameters()}
    assert all(p.ndim == 2 for p in decay["params"])
    assert "position_embedding.weight" in {names[id(p)] for p in rest["params"]}
    assert len(decay["params"]) + len(rest["params"]) == len(list(model.parameters()))


@pytest.mark.parametrize("length, size, offset", [(100, 9, 0), (100, 9, 5), (65, 17, 3), (17, 17, 0)])
def test_windows_make_every_character_after_the_offset_a_target_once(length, size, offset):
    pieces = char_transformer.windows(np.arange(length), size, offset)
    assert pieces.shape[1] == size
    targets = pieces[:, 1:].reshape(-1)
    covered = len(pieces) * (size - 1)
    assert list(targets) == list(range(offset + 1, offset + 1 + covered))
    assert length - (offset + 1 + covered) < size - 1  # what is left is shorter than one window's targets


class Uniform(nn.Module):
    """Scores of 0 for every character: each prediction costs exactly log2(V) bits."""

    def forward(self, characters):
        return tinyconv.Tensor(np.zeros((*characters.shape, 11), dtype=np.float32))


@pytest.mark.parametrize("length", [50, 41, 2])
def test_validation_bits_average_over_every_window_and_the_tail(length):
    codes = np.arange(length) % 11
    assert char_transformer.bits_per_character(Uniform(), codes, context=8, batch=2) == pytest.approx(
        math.log2(11)
    )


def test_a_sample_starts_with_the_prompt_and_reads_only_the_last_context_characters():
    corpus = char_transformer.Corpus()
    tinyconv.manual_seed(0)
    model = char_transformer.CharTransformer(len(corpus.alphabet), 4, 16, 1, 2, 0.0, True)
    text = char_transformer.sample(
        model, corpus, context=4, length=20, temperature=1.0, rng=np.random.default_rng(0)
    )
    assert text.startswith(char_transformer.PROMPT) and len(text) == len(char_transformer.PROMPT) + 20


def test_smoke_run_learns_below_the_character_frequencies_and_prints_the_comparison(tmp_path, capsys):
    results = char_transformer.main(["--smoke", "--out", str(tmp_path)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == f"validation bits per character: {results['validation_bpc']:.3f}"
    assert results["validation_bpc"] < results["unigram_bits"] - 0.2  # a trained model, not a guess
    this_run = next(line for line in lines if line.strip().startswith("Transformer (this run)"))
    parameters, characters, bpc = this_run.split()[3:6]
    assert int(parameters.replace(",", "")) == results["parameters"]
    assert int(characters.replace(",", "")) == 312 * 8 * 16  # 312 batches of 8 windows of 16 targets
    assert float(bpc) == round(results["validation_bpc"], 3)
    lstm = next(line for line in lines if line.strip().startswith("LSTM (python demos/char_lstm.py)"))
    assert lstm.split()[-1] == f"{char_transformer.LSTM_DEFAULT_RUN['validation_bpc']:.3f}"
    assert "the budget is the default run's" in lines[lines.index(lstm) + 2]  # smoke is another budget
    assert is_png(tmp_path / char_transformer.PLOT_NAME)


def test_the_comparison_notes_only_the_settings_that_change_the_training():
    args = char_transformer.parse_args(["--seed", "3", "--temperature", "0.5"])
    table = char_transformer.comparison(
        args, parameters=1000, characters=5000, validation_bpc=2.0, unigram=4.6
    )
    assert "budget is the default" not in table and "1,000" in table and "5,000" in table
    args = char_transformer.parse_args(["--layers", "3", "--epochs", "4"])
    table = char_transformer.comparison(
        args, parameters=1000, characters=5000, validation_bpc=2.0, unigram=4.6
    )
    assert "this run changed --layers, --epochs" in table


def test_smoke_keeps_the_flags_given(tmp_path):
    results = char_transformer.main(["--smoke", "--layers", "2", "--limit", "10000", "--out", str(tmp_path)])
    tinyconv.manual_seed(0)
    expected = char_transformer.CharTransformer(
        len(char_transformer.Corpus().alphabet), 16, 32, 2, 2, 0.0, True
    )
    assert results["parameters"] == char_transformer.count_parameters(expected)  # 2 layers, the smoke's width
    # --limit 10000: windows of 17 characters overlap by one, so each adds 16: 624 windows, 78 batches of 8
    assert len(results["history"]["train_bpc"]) == 78


def test_resume_goes_on_from_the_checkpoint_and_refuses_other_settings(tmp_path, capsys):
    out = ["--smoke", "--limit", "5000", "--out", str(tmp_path)]
    char_transformer.main(out)
    resumed = char_transformer.main([*out, "--epochs", "2", "--resume"])
    assert "resumed from" in capsys.readouterr().out
    assert len(resumed["history"]["validation_bpc"]) == 2
    with pytest.raises(SystemExit) as stop:
        char_transformer.main([*out, "--width", "16", "--resume"])
    assert "--width was 32, now 16" in str(stop.value)
