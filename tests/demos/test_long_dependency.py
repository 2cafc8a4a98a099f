"""demos/long_dependency.py runs in its --smoke mode and reports what it claims (the full run's numbers
are in its docstring); the gated cells keep the gradient the RNN loses; every cell shows in the plot."""

from __future__ import annotations

import re

import long_dependency
import numpy as np

import tinyconv

from .demo_testing import is_png, rendered


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


def test_long_dependency_smoke_keeps_the_flags_given():
    args = long_dependency.parse_args(["--smoke", "--delays", "3", "--steps", "9"])
    assert (args.delays, args.steps) == ([3], 9)  # given: kept
    assert (args.hidden, args.embedding, args.test_size) == (8, 8, 200)  # not given: the smoke settings


def dominated_by(pixels: np.ndarray, channel: int) -> int:
    """How many pixels have `channel` (0 red, 1 green, 2 blue) clearly above the other two: a line of
    that colour, even a pale one, but not white, grey, or a mix of the others."""
    pixels = pixels.astype(int)
    others = [pixels[..., k] for k in range(3) if k != channel]
    return int(((pixels[..., channel] > others[0] + 15) & (pixels[..., channel] > others[1] + 15)).sum())


def test_the_lstm_shows_where_the_gru_has_the_same_accuracy():
    # The full run's accuracies: the LSTM and the GRU both at 1.000 at every delay. Drawn with the same
    # marker and line in different colours, the GRU (drawn last) covered the LSTM entirely (0 pixels).
    delays = [5, 10, 20, 40]
    accuracy = {"RNN": dict(zip(delays, [1.0, 0.25, 0.13, 0.11])), "LSTM": dict.fromkeys(delays, 1.0)}
    accuracy["GRU"] = dict.fromkeys(delays, 1.0)
    norms = {"initial": np.geomspace(1e-3, 1, 42), "trained": np.geomspace(1e-1, 1, 42)}
    results = {"accuracy": accuracy, "gradient_norms": dict.fromkeys(long_dependency.CELLS, norms)}
    figure = long_dependency.plot_results(results, list(long_dependency.CELLS), delays)
    accuracy_axes = figure.axes[0]
    accuracy_axes.get_legend().remove()  # count the lines' pixels, not the legend's
    pixels = rendered(figure)
    height = pixels.shape[0]
    box = accuracy_axes.get_window_extent()  # in pixels, from the bottom left
    inside = pixels[int(height - box.y1) : int(height - box.y0), int(box.x0) : int(box.x1)]
    assert dominated_by(inside, 2) > 500  # the LSTM's blue: measured 3,300
    assert dominated_by(inside, 1) > 200  # the GRU's green: measured 700
    assert dominated_by(inside, 0) > 200  # the RNN's red
