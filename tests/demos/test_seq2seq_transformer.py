"""demos/seq2seq_transformer.py: dates in words, by hand; the model's two masks; teacher forcing and greedy
decoding agreeing (a model trained on a few dates writes them back exactly); the cross-attention map; a
--smoke run with its PNGs, and --resume."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
import seq2seq_transformer as s2s

import tinyconv
import tinyconv.functional as F
from tinyconv import optim

from .demo_testing import is_png


# -------------------------------------------------------------------------------------- the task
@pytest.mark.parametrize(
    "n, text", [(0, "zero"), (7, "seven"), (19, "nineteen"), (40, "forty"), (94, "ninety-four")]
)
def test_numbers_in_words(n, text):
    assert s2s.number_in_words(n) == text


ORDINALS = [
    (1, "first"),
    (12, "twelfth"),
    (20, "twentieth"),
    (21, "twenty-first"),
    (30, "thirtieth"),
    (31, "thirty-first"),
]


@pytest.mark.parametrize("n, text", ORDINALS)
def test_ordinals_in_words(n, text):
    assert s2s.ordinal_in_words(n) == text


@pytest.mark.parametrize(
    "year, formal, casual",
    [
        (1994, "nineteen ninety-four", "nineteen ninety-four"),
        (1905, "nineteen oh five", "nineteen oh five"),
        (1900, "nineteen hundred", "nineteen hundred"),
        (2000, "two thousand", "two thousand"),
        (2005, "two thousand and five", "two thousand and five"),
        (2012, "two thousand and twelve", "twenty twelve"),
    ],
)
def test_years_in_words_both_ways_where_english_has_two(year, formal, casual):
    assert s2s.year_in_words(year, formal=True) == formal and s2s.year_in_words(year, formal=False) == casual


def test_a_date_is_worded_in_three_orders():
    march_7 = datetime.date(1994, 3, 7)
    assert [s2s.date_in_words(march_7, order, formal=True) for order in range(3)] == [
        "the seventh of march nineteen ninety-four",
        "march the seventh, nineteen ninety-four",
        "seventh march nineteen ninety-four",
    ]


def test_every_date_fits_the_source_length_in_known_words_and_reads_back_as_one_date():
    dates = s2s.all_dates()
    assert (dates[0], dates[-1], len(dates)) == (
        datetime.date(1900, 1, 1),
        datetime.date(2099, 12, 31),
        73_049,
    )
    texts, source, target = s2s.encode(dates, np.random.default_rng(0))
    assert source.shape == (len(dates), s2s.SOURCE_LENGTH) and (source[:, 0] != s2s.PAD).all()
    assert len(set(texts)) == len(dates)  # no wording names two dates
    assert "".join(s2s.TARGET_CHARACTERS[c] for c in target[-1]) == "2099-12-31"


def test_teacher_forcing_reads_the_target_shifted_right_after_start():
    target = np.array([[1, 9, 9, 4, 10, 0, 3, 10, 0, 7]])
    assert s2s.shifted_right(target).tolist() == [[s2s.START, 1, 9, 9, 4, 10, 0, 3, 10, 0]]


def test_the_sinusoids_start_at_sin_0_and_cos_0_and_fall_in_frequency_along_the_width():
    table = s2s.sinusoids(10, 8)
    assert table[0].tolist() == [0, 1, 0, 1, 0, 1, 0, 1]
    assert table[3, 0] == pytest.approx(np.sin(3)) and table[3, 3] == pytest.approx(
        np.cos(3 / 10000 ** (2 / 8))
    )


# ------------------------------------------------------------------------------------- the model
def small_model() -> s2s.DateTransformer:
    tinyconv.manual_seed(0)
    return s2s.DateTransformer(width=32, heads=2, layers=1, feedforward=64)


def test_the_padding_changes_nothing_and_the_decoder_sees_no_future():
    model = small_model().eval()
    _, source, target = s2s.encode(s2s.all_dates()[:4], np.random.default_rng(0))
    assert (source == s2s.PAD).any()
    with tinyconv.no_grad():
        logits = model(source, s2s.shifted_right(target)).data
        model.source_embedding.weight[s2s.PAD] = (
            100.0  # what the padding holds: masked, so it does not matter
        )
        assert np.allclose(model(source, s2s.shifted_right(target)).data, logits, atol=1e-5)
        other_future = s2s.shifted_right(target)
        other_future[:, 6:] = 5
        assert np.allclose(model(source, other_future).data[:, :6], logits[:, :6], atol=1e-6)


def test_greedy_decoding_writes_what_teacher_forcing_predicts_at_each_step():
    model = small_model()
    _, source, _ = s2s.encode(s2s.all_dates()[:6], np.random.default_rng(0))
    decoded = s2s.greedy_decode(model, source)
    with tinyconv.no_grad():
        logits = model(source, s2s.shifted_right(decoded)).data
    assert (logits.argmax(axis=-1) == decoded).all()


def test_a_model_trained_on_a_few_dates_with_teacher_forcing_decodes_them_exactly():
    model = small_model()
    dates = s2s.all_dates()[::9000]  # 9 dates, all centuries and months apart
    _, source, target = s2s.encode(dates, np.random.default_rng(0))
    optimizer = optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(150):
        logits = model.train()(source, s2s.shifted_right(target))
        loss = F.cross_entropy(
            logits.reshape(-1, len(s2s.TARGET_CHARACTERS)), tinyconv.Tensor(target.reshape(-1))
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert s2s.exact_accuracy(model, source, target) == 1.0


def test_the_cross_attention_map_spreads_each_output_over_the_words_and_none_over_the_padding():
    model = small_model()
    _, source, target = s2s.encode([datetime.date(2005, 3, 21)], np.random.default_rng(0))
    weights = s2s.cross_attention(model, source, target)
    words = int((source[0] != s2s.PAD).sum())
    assert weights.shape == (10, s2s.SOURCE_LENGTH) and 0 < words < s2s.SOURCE_LENGTH
    np.testing.assert_allclose(weights.sum(axis=1), 1, rtol=1e-5)
    assert (weights[:, words:] == 0).all()
    assert not model.transformer.decoder.layers[-1].multihead_attn.forward_hooks  # the hook is gone


# -------------------------------------------------------------------------------------- the demo
def test_smoke_run_prints_its_accuracy_last_and_draws_its_pictures(tmp_path, capsys):
    accuracy = s2s.main(["--smoke", "--out", str(tmp_path)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == f"test accuracy: {accuracy:.4f}" and 0 <= accuracy <= 1
    right = int(lines[-2].split(": ")[1].split()[0].replace(",", ""))
    assert lines[-2].endswith("of 200 held-out dates right") and right == round(accuracy * 200)
    examples = [line for line in lines if " -> " in line and (line.endswith("right") or "WRONG (is " in line)]
    assert 5 <= len(examples) <= 10  # the first five, and up to five more mistakes
    for name in (s2s.CURVES_NAME, s2s.ATTENTION_NAME):
        assert is_png(tmp_path / name)


def test_resume_goes_on_from_the_checkpoint_and_refuses_other_settings(tmp_path, capsys):
    out = ["--smoke", "--limit", "640", "--out", str(tmp_path)]
    s2s.main(out)
    s2s.main([*out, "--epochs", "2", "--resume"])
    assert "resumed from" in capsys.readouterr().out
    checkpoint = tinyconv.load(str(tmp_path / s2s.CHECKPOINT_NAME))
    assert checkpoint["epoch"] == 2 and len(checkpoint["history"]["test_accuracy"]) == 2
    with pytest.raises(SystemExit) as stop:
        s2s.main([*out, "--layers", "2", "--resume"])
    assert "--layers was 1, now 2" in str(stop.value)
