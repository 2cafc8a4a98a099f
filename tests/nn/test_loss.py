"""The loss modules (tinyconv/nn/loss.py): each calls its function with the options it was built with,
takes PyTorch's arguments with PyTorch's defaults, keeps weight and pos_weight as buffers under PyTorch's
state_dict keys, checks its options when built, and matches torch.nn's module.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import random_array, random_tensor, uniform_tensor
from helpers.torch_checks import compare_with_torch

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor, nn

TARGETS = np.array([0, 2, 1, 2])
WEIGHT = np.array([1.0, 0.5, 2.0])


def test_cross_entropy_loss_calls_cross_entropy_with_its_options():
    x = random_tensor(4, 3, seed=1)
    criterion = nn.CrossEntropyLoss(Tensor(WEIGHT), ignore_index=1, reduction="sum", label_smoothing=0.2)
    expected = F.cross_entropy(
        x, TARGETS, Tensor(WEIGHT), ignore_index=1, reduction="sum", label_smoothing=0.2
    )
    assert criterion(x, TARGETS).item() == expected.item()


def test_nll_loss_module_calls_nll_loss_with_its_options():
    z = F.log_softmax(random_tensor(4, 3, seed=2), dim=1)
    criterion = nn.NLLLoss(Tensor(WEIGHT), ignore_index=2, reduction="none")
    expected = F.nll_loss(z, TARGETS, Tensor(WEIGHT), ignore_index=2, reduction="none")
    np.testing.assert_array_equal(criterion(z, TARGETS).data, expected.data)


def test_multi_margin_loss_module_calls_multi_margin_loss_with_its_options():
    x = random_tensor(4, 3, seed=6)
    criterion = nn.MultiMarginLoss(2, 0.5, Tensor(WEIGHT), reduction="none")
    expected = F.multi_margin_loss(x, TARGETS, 2, 0.5, Tensor(WEIGHT), reduction="none")
    np.testing.assert_array_equal(criterion(x, TARGETS).data, expected.data)


def test_regression_and_binary_modules_call_their_functions():
    x, y = random_tensor(3, 4, seed=3), uniform_tensor(3, 4, low=0.0, high=1.0, seed=4)
    p = F.sigmoid(x)
    pos_weight = Tensor(np.array([1.0, 2.0, 3.0, 4.0]))
    pairs = [
        (nn.MSELoss(reduction="sum")(x, y), F.mse_loss(x, y, reduction="sum")),
        (nn.L1Loss()(x, y), F.l1_loss(x, y)),
        (nn.SmoothL1Loss(beta=0.3)(x, y), F.smooth_l1_loss(x, y, beta=0.3)),
        (nn.HuberLoss("sum", 0.3)(x, y), F.huber_loss(x, y, "sum", 0.3)),
        (nn.BCELoss(Tensor(np.ones(4) * 2))(p, y), F.binary_cross_entropy(p, y, Tensor(np.ones(4) * 2))),
        (
            nn.BCEWithLogitsLoss(pos_weight=pos_weight)(x, y),
            F.binary_cross_entropy_with_logits(x, y, pos_weight=pos_weight),
        ),
    ]
    for ours, expected in pairs:
        assert ours.item() == expected.item()


def test_a_loss_module_passes_the_gradient_back_to_the_input():
    x = random_tensor(4, 3, seed=5)
    nn.CrossEntropyLoss()(x, TARGETS).backward()
    p = np.exp(x.data) / np.exp(x.data).sum(axis=1, keepdims=True)
    p[np.arange(4), TARGETS] -= 1
    np.testing.assert_allclose(x.grad, p / 4, rtol=1e-12)


# ------------------------------------------------------------------------------ PyTorch's arguments


# tinyconv's module and torch's, built with no arguments; the settings compared
DEFAULTS = {
    "CrossEntropyLoss": ("reduction", "ignore_index", "label_smoothing"),
    "NLLLoss": ("reduction", "ignore_index"),
    "MultiMarginLoss": ("reduction", "p", "margin"),
    "MSELoss": ("reduction",),
    "L1Loss": ("reduction",),
    "BCELoss": ("reduction",),
    "BCEWithLogitsLoss": ("reduction",),
    "SmoothL1Loss": ("reduction", "beta"),
    "HuberLoss": ("reduction", "delta"),
}


@pytest.mark.parametrize("name", list(DEFAULTS))
def test_defaults_are_pytorchs(torch, name):
    ours, theirs = getattr(nn, name)(), getattr(torch.nn, name)()
    for setting in DEFAULTS[name]:
        assert getattr(ours, setting) == getattr(theirs, setting), setting
    assert repr(ours) == repr(theirs)


def test_options_after_weight_are_keyword_only_as_their_pytorch_positions_differ():
    # torch.nn.CrossEntropyLoss(weight, size_average, ignore_index, ...): a second positional is size_average
    with pytest.raises(TypeError, match="positional"):
        nn.CrossEntropyLoss(None, -1)


def test_huber_loss_takes_reduction_and_delta_positionally_as_pytorch():
    criterion = nn.HuberLoss("sum", 2.0)
    assert (criterion.reduction, criterion.delta) == ("sum", 2.0)


# ------------------------------------------------------------------------------ weights are buffers


def test_weight_and_pos_weight_are_buffers_in_the_state_dict_under_pytorchs_keys(torch):
    weighted = nn.CrossEntropyLoss(tinyconv.ones(3))
    both = nn.BCEWithLogitsLoss(tinyconv.ones(4), pos_weight=tinyconv.ones(4))
    assert list(weighted.state_dict()) == list(torch.nn.CrossEntropyLoss(torch.ones(3)).state_dict())
    assert list(both.state_dict()) == ["weight", "pos_weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    assert weighted.weight is not None and isinstance(weighted.weight, nn.Buffer)


def test_a_weighted_loss_follows_its_model_to_float64():
    model = nn.Module()
    model.linear = nn.Linear(2, 3)
    model.criterion = nn.CrossEntropyLoss(Tensor(WEIGHT.astype(np.float32)))
    model.double()
    assert model.criterion.weight.dtype == np.float64
    loss = model.criterion(model.linear(random_tensor(2, 2)), np.array([0, 2]))
    assert loss.dtype == np.float64


# ------------------------------------------------------------------------------ options checked when built


@pytest.mark.parametrize(
    "build, error, message",
    [
        (
            lambda: nn.CrossEntropyLoss(reduction="avg"),
            ValueError,
            "CrossEntropyLoss: reduction must be one of",
        ),
        (lambda: nn.MSELoss(reduction="elementwise_mean"), ValueError, "MSELoss: reduction must be one of"),
        (
            lambda: nn.CrossEntropyLoss(label_smoothing=1.5),
            ValueError,
            r"label_smoothing must be in \[0, 1\]",
        ),
        (lambda: nn.NLLLoss(ignore_index=0.5), TypeError, "NLLLoss: ignore_index must be an int, got 0.5"),
        (lambda: nn.SmoothL1Loss(beta=-1.0), ValueError, "SmoothL1Loss: beta must be non-negative, got -1.0"),
        (lambda: nn.HuberLoss(delta=math.nan), ValueError, "HuberLoss: delta must be positive, got nan"),
        (lambda: nn.BCELoss(np.ones(3)), TypeError, "cannot assign ndarray object to buffer 'weight'"),
        (lambda: nn.MultiMarginLoss(p=3), ValueError, r"MultiMarginLoss: p must be 1 or 2 \(as in PyTorch\)"),
        (lambda: nn.MultiMarginLoss(margin="1"), TypeError, "MultiMarginLoss: margin must be a real number"),
    ],
)
def test_loss_modules_refuse_bad_options_when_built(build, error, message):
    with pytest.raises(error, match=message):
        build()


# ------------------------------------------------------------------------------ against torch.nn


# tinyconv's module, torch's (a function of the torch module), the input shapes, and what makes the target
TORCH_MODULES = {
    "CrossEntropyLoss, weight, ignore_index, smoothing, (N, C, L)": (
        lambda: nn.CrossEntropyLoss(Tensor(WEIGHT.astype(np.float32)), ignore_index=1, label_smoothing=0.1),
        lambda torch: torch.nn.CrossEntropyLoss(
            torch.tensor(WEIGHT, dtype=torch.float32), ignore_index=1, label_smoothing=0.1
        ),  # fmt: skip
        (4, 3, 2),
        lambda: np.array([[0, 2], [1, 2], [2, 0], [1, 1]]),
    ),
    "NLLLoss, weight, none": (
        lambda: nn.NLLLoss(Tensor(WEIGHT.astype(np.float32)), reduction="none"),
        lambda torch: torch.nn.NLLLoss(torch.tensor(WEIGHT, dtype=torch.float32), reduction="none"),
        (4, 3),
        lambda: TARGETS,
    ),
    "MultiMarginLoss, p 2, margin 0.5, weight": (
        lambda: nn.MultiMarginLoss(2, 0.5, Tensor(WEIGHT.astype(np.float32))),
        lambda torch: torch.nn.MultiMarginLoss(2, 0.5, torch.tensor(WEIGHT, dtype=torch.float32)),
        (4, 3),
        lambda: TARGETS,
    ),
    "BCEWithLogitsLoss, pos_weight": (
        lambda: nn.BCEWithLogitsLoss(pos_weight=Tensor(np.array([2.0, 0.5, 1.0], dtype=np.float32))),
        lambda torch: torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0, 0.5, 1.0])),
        (4, 3),
        lambda: np.random.default_rng(1).uniform(0, 1, size=(4, 3)).astype(np.float32),
    ),
    "SmoothL1Loss, beta 0.5, sum": (
        lambda: nn.SmoothL1Loss(reduction="sum", beta=0.5),
        lambda torch: torch.nn.SmoothL1Loss(reduction="sum", beta=0.5),
        (4, 3),
        lambda: random_array(4, 3, seed=2, dtype=np.float32),
    ),
    "HuberLoss, delta 0.5": (
        lambda: nn.HuberLoss(delta=0.5),
        lambda torch: torch.nn.HuberLoss(delta=0.5),
        (4, 3),
        lambda: random_array(4, 3, seed=3, dtype=np.float32),
    ),
}


@pytest.mark.parametrize("name", list(TORCH_MODULES))
def test_loss_module_matches_torch(torch, name):
    make_ours, make_theirs, shape, make_target = TORCH_MODULES[name]
    target = make_target()
    ours, theirs = make_ours(), make_theirs(torch)
    their_target = torch.tensor(target)
    our_target = Tensor(target) if target.dtype.kind == "f" else target
    compare_with_torch(
        torch,
        lambda x: ours(x, our_target),
        lambda x: theirs(x, their_target),
        [random_array(*shape, seed=4)],
    )
