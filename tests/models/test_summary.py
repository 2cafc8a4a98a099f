"""tinyconv.summary (tinyconv/models/summary.py): one row per layer call with its dotted name, output
shape and parameter count."""

from __future__ import annotations

import io

import numpy as np
import pytest

import tinyconv
from tinyconv import nn
from tinyconv.models import LeNet5
from tinyconv.models.summary import SummaryRow, summary


def quiet_summary(model, input_shape, **kwargs):
    """summary() with its table captured: returns (rows, printed text)."""
    out = io.StringIO()
    rows = summary(model, input_shape, file=out, **kwargs)
    return rows, out.getvalue()


class TwoBranches(nn.Module):
    """Returns two tensors: the summary shows both shapes."""

    def __init__(self):
        super().__init__()
        self.left = nn.Linear(3, 2)
        self.right = nn.Linear(3, 5)

    def forward(self, x):
        return self.left(x), self.right(x)


class SharedLayer(nn.Module):
    """Calls the same Linear twice (weight sharing)."""

    def __init__(self):
        super().__init__()
        self.shared = nn.Linear(4, 4)

    def forward(self, x):
        return self.shared(self.shared(x))


class ScaleThenLinear(nn.Module):
    """A container that owns a Parameter of its own beside its sub-module."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(3, dtype=np.float32))
        self.linear = nn.Linear(3, 2)

    def forward(self, x):
        return self.linear(x * self.scale)


class GradRecorder(nn.Module):
    """Remembers whether gradients were being recorded when it ran."""

    def forward(self, x):
        self.grad_enabled = tinyconv.is_grad_enabled()
        return x


def small_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * 3 * 3, 4)
    )


def test_summary_lists_each_leaf_layer_with_its_name_output_shape_and_parameter_count():
    rows, _ = quiet_summary(small_cnn(), (1, 8, 8))
    assert rows == [
        SummaryRow("0", "Conv2d", (1, 2, 6, 6), 2 * (1 * 3 * 3) + 2),
        SummaryRow("1", "ReLU", (1, 2, 6, 6), 0),
        SummaryRow("2", "MaxPool2d", (1, 2, 3, 3), 0),
        SummaryRow("3", "Flatten", (1, 18), 0),
        SummaryRow("4", "Linear", (1, 4), 18 * 4 + 4),
    ]


def test_summary_names_nested_layers_by_their_state_dict_prefix():
    rows, _ = quiet_summary(LeNet5(), (1, 28, 28))
    names = [row.name for row in rows if row.params]
    keys = list(LeNet5().state_dict())
    assert [name + ".weight" for name in names] == keys[::2]


def test_summary_of_lenet5_matches_its_docstring_table():
    rows, _ = quiet_summary(LeNet5(), (1, 28, 28))
    counts = [row.params for row in rows if row.params]
    assert counts == [6 * 26, 16 * (6 * 25 + 1), 120 * 401, 84 * 121, 10 * 85]
    assert counts == [156, 2416, 48120, 10164, 850]


def test_summary_output_shapes_start_with_the_batch_size():
    rows, _ = quiet_summary(small_cnn(), (1, 8, 8), batch_size=3)
    assert all(row.output_shape[0] == 3 for row in rows)


def test_summary_prints_a_row_per_layer_and_the_totals():
    model = small_cnn()
    model[4].bias.requires_grad = False  # 4 values that are parameters but not trained
    _, text = quiet_summary(model, (1, 8, 8))
    lines = text.splitlines()
    assert lines[0].split() == ["Layer", "Type", "Output", "shape", "Params"]
    assert lines[2].split()[:2] == ["0", "Conv2d"] and lines[2].split()[-1] == "20"
    assert "Total params: 96" in text
    assert "Trainable params: 92" in text
    assert "Non-trainable params: 4" in text


def test_summary_writes_thousands_separators():
    _, text = quiet_summary(LeNet5(), (1, 28, 28))
    assert "Total params: 61,706" in text
    assert "48,120" in text


def test_summary_prints_to_stdout_by_default(capsys):
    summary(small_cnn(), (1, 8, 8))
    assert "Total params: 96" in capsys.readouterr().out


def test_summary_totals_include_layers_that_did_not_run():
    class Unused(nn.Module):
        def __init__(self):
            super().__init__()
            self.used = nn.Linear(2, 2)
            self.unused = nn.Linear(2, 100)

        def forward(self, x):
            return self.used(x)

    rows, text = quiet_summary(Unused(), (2,))
    assert [row.name for row in rows] == ["used"]
    assert f"Total params: {6 + 300}" in text


def test_summary_gives_every_output_shape_of_a_layer_with_several_outputs():
    rows, _ = quiet_summary(TwoBranches(), (3,), batch_size=2)
    assert [row.output_shape for row in rows] == [(2, 2), (2, 5)]


def test_summary_counts_a_reused_layer_once_and_lists_each_call():
    rows, text = quiet_summary(SharedLayer(), (4,))
    assert [(row.name, row.params) for row in rows] == [("shared", 20), ("shared", 0)]
    assert "Total params: 20" in text


def test_summary_reports_a_container_that_owns_parameters():
    rows, _ = quiet_summary(ScaleThenLinear(), (3,))
    assert {row.name: row.params for row in rows} == {"linear": 8, "(model)": 3}


def test_summary_runs_without_recording_the_graph():
    recorder = GradRecorder()
    quiet_summary(nn.Sequential(nn.Linear(2, 2), recorder), (2,))
    assert recorder.grad_enabled is False
    assert tinyconv.is_grad_enabled()


def test_summary_removes_its_hooks():
    model = small_cnn()
    quiet_summary(model, (1, 8, 8))
    assert all(module.forward_hooks == [] for module in model.modules())


def test_summary_removes_its_hooks_when_the_forward_pass_fails():
    model = small_cnn()
    with pytest.raises(ValueError):
        quiet_summary(model, (3, 8, 8))  # the conv expects 1 channel
    assert all(module.forward_hooks == [] for module in model.modules())


def test_an_input_shape_with_the_batch_dimension_is_refused_saying_which_call_to_make():
    with pytest.raises(ValueError) as refused:
        quiet_summary(LeNet5(), (64, 1, 28, 28))  # torchinfo's input_size, batch included
    message = str(refused.value)
    assert "LeNet5 refused a batch of shape (1, 64, 1, 28, 28)" in message
    assert "without the batch dimension" in message
    assert "call summary(model, (1, 28, 28), batch_size=64)" in message
    assert "The model said: conv2d: expected a 4-D input" in message
    assert isinstance(refused.value.__cause__, ValueError)  # the model's own error, chained


def test_the_call_the_refusal_suggests_works():
    rows, _ = quiet_summary(LeNet5(), (1, 28, 28), batch_size=64)
    assert rows[-1].output_shape == (64, 10)


def test_summary_restores_each_modules_train_or_eval_mode():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.BatchNorm1d(2))
    model.train()
    model[2].eval()
    quiet_summary(model, (2,), batch_size=2)
    assert [module.training for module in model.modules()] == [True, True, True, False]


def test_summary_leaves_batch_norm_running_statistics_untouched():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    before = {name: value.copy() for name, value in model.state_dict().items()}
    model[0].bias.data[...] = 5.0  # a training-mode pass would move the running mean towards 5
    quiet_summary(model, (1, 5, 5), batch_size=2)
    for name, value in model.state_dict().items():
        if "running" in name or "num_batches" in name:
            np.testing.assert_array_equal(value, before[name], err_msg=name)


def test_summary_feeds_the_models_dtype():
    model = small_cnn().double()  # conv2d refuses a float32 input for float64 weights
    rows, _ = quiet_summary(model, (1, 8, 8))
    assert rows[-1].output_shape == (1, 4)


def test_summary_is_exported_as_tinyconv_summary():
    assert tinyconv.summary is summary


def test_summary_rejects_something_that_is_not_a_module():
    with pytest.raises(TypeError, match="summary: model must be a tinyconv.nn.Module, got function"):
        summary(lambda x: x, (1, 8, 8))


@pytest.mark.parametrize("bad_shape", [28, (), "1x28x28"])
def test_summary_rejects_an_input_shape_that_is_not_a_tuple(bad_shape):
    with pytest.raises(TypeError, match="summary: input_shape must be a non-empty tuple"):
        summary(small_cnn(), bad_shape)


def test_summary_rejects_a_zero_size():
    with pytest.raises(ValueError, match="summary: input_shape entry must be a positive int, got 0"):
        summary(small_cnn(), (1, 0, 8))
