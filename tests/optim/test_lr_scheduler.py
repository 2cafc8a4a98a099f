"""Learning-rate schedules (tinyconv/optim/lr_scheduler.py): formulas, saving, torch.optim.lr_scheduler."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinyconv import optim
from tinyconv.nn import Parameter
from tinyconv.optim.lr_scheduler import CosineAnnealingLR, StepLR


def two_group_sgd(lrs=(0.1, 0.02)) -> optim.SGD:
    """SGD over two one-weight groups with different learning rates."""
    groups = [{"params": [Parameter(np.ones(1))], "lr": lr} for lr in lrs]
    return optim.SGD(groups, lr=1.0)


def schedule(scheduler, epochs: int) -> list:
    """The learning rates of every group for epochs 0 .. epochs - 1 (one step() after each epoch)."""
    lrs = []
    for _ in range(epochs):
        lrs.append([group["lr"] for group in scheduler.optimizer.param_groups])
        scheduler.step()
    return lrs


def torch_schedule(torch, scheduler_class, lrs, epochs: int, **hyper) -> list:
    groups = [{"params": [torch.nn.Parameter(torch.ones(1))], "lr": lr} for lr in lrs]
    optimizer = torch.optim.SGD(groups, lr=1.0)
    scheduler = scheduler_class(optimizer, **hyper)
    result = []
    for _ in range(epochs):
        result.append([group["lr"] for group in optimizer.param_groups])
        optimizer.step()  # torch warns when a scheduler steps before its optimizer
        scheduler.step()
    return result


# ------------------------------------------------------------------------------ the formulas


def test_step_lr_multiplies_by_gamma_every_step_size_epochs():
    scheduler = StepLR(two_group_sgd(lrs=(0.1,)), step_size=2, gamma=0.1)
    expected = [0.1, 0.1, 0.01, 0.01, 0.001, 0.001, 0.0001]
    np.testing.assert_allclose(np.ravel(schedule(scheduler, 7)), expected, rtol=1e-12)


def test_cosine_lr_falls_from_base_to_eta_min_in_t_max_epochs_and_is_halfway_at_half():
    scheduler = CosineAnnealingLR(two_group_sgd(lrs=(1.0,)), T_max=4, eta_min=0.2)
    lrs = np.ravel(schedule(scheduler, 5))
    assert lrs[0] == 1.0
    assert lrs[2] == pytest.approx(0.6, rel=1e-12)  # (base + eta_min) / 2 at T_max / 2
    assert lrs[4] == pytest.approx(0.2, rel=1e-12)
    assert np.all(np.diff(lrs) < 0)


def test_cosine_lr_climbs_back_to_base_after_t_max_as_pytorch_does():
    scheduler = CosineAnnealingLR(two_group_sgd(lrs=(1.0,)), T_max=3)
    lrs = np.ravel(schedule(scheduler, 13))
    np.testing.assert_allclose(lrs[[0, 3, 6, 9, 12]], [1.0, 0.0, 1.0, 0.0, 1.0], atol=1e-15)
    np.testing.assert_allclose(lrs[4], 0.25, rtol=1e-12)  # (1 + cos(4 pi / 3)) / 2 on the way up


def test_cosine_lr_with_eta_min_zero_is_exactly_the_half_cosine_of_the_lenet_demo():
    # demos/lenet_mnist.py used base * 0.5 * (1 + cos(pi * epoch / epochs)) per epoch; its scheduler
    # must reproduce those numbers bit for bit, or a resumed run would drift from an old one.
    base, epochs = 2e-3, 15
    scheduler = CosineAnnealingLR(two_group_sgd(lrs=(base,)), T_max=epochs)
    lrs = np.ravel(schedule(scheduler, epochs)).tolist()
    assert lrs == [base * 0.5 * (1 + math.cos(math.pi * epoch / epochs)) for epoch in range(epochs)]


def test_every_group_follows_the_schedule_from_its_own_learning_rate():
    scheduler = StepLR(two_group_sgd(lrs=(0.1, 0.02)), step_size=1, gamma=0.5)
    lrs = np.array(schedule(scheduler, 4))
    np.testing.assert_allclose(lrs[:, 0], 0.1 * 0.5 ** np.arange(4), rtol=1e-12)
    np.testing.assert_allclose(lrs[:, 1], 0.02 * 0.5 ** np.arange(4), rtol=1e-12)


def test_optimizer_steps_use_the_scheduled_learning_rate():
    weight = Parameter(np.array([0.0]))
    optimizer = optim.SGD([weight], lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.1)
    for _ in range(3):
        weight.grad = np.array([-1.0])
        optimizer.step()
        scheduler.step()
    assert weight.data[0] == pytest.approx(1.0 + 0.1 + 0.01, rel=1e-12)


# ------------------------------------------------------------------------------ bookkeeping, as PyTorch


def test_scheduler_records_initial_lr_in_every_group_and_starts_at_epoch_zero():
    optimizer = two_group_sgd(lrs=(0.1, 0.02))
    scheduler = StepLR(optimizer, step_size=1)
    assert [group["initial_lr"] for group in optimizer.param_groups] == [0.1, 0.02]
    assert scheduler.base_lrs == [0.1, 0.02]
    assert scheduler.last_epoch == 0
    scheduler.step()
    assert scheduler.last_epoch == 1
    assert [group["initial_lr"] for group in optimizer.param_groups] == [0.1, 0.02]


def test_a_second_scheduler_starts_from_initial_lr_not_from_the_current_lr():
    optimizer = two_group_sgd(lrs=(0.1,))
    first = StepLR(optimizer, step_size=1, gamma=0.1)
    first.step()  # the group's lr is now 0.01
    second = CosineAnnealingLR(optimizer, T_max=10)
    assert second.base_lrs == [0.1]


def test_get_last_lr_returns_the_rates_the_last_step_set():
    optimizer = two_group_sgd(lrs=(0.1, 0.02))
    scheduler = StepLR(optimizer, step_size=1, gamma=0.5)
    scheduler.step()
    assert scheduler.get_last_lr() == [group["lr"] for group in optimizer.param_groups] == [0.05, 0.01]


def test_get_last_lr_returns_a_copy():
    scheduler = StepLR(two_group_sgd(), step_size=1)
    scheduler.get_last_lr().append(123.0)
    assert len(scheduler.get_last_lr()) == 2


def test_last_epoch_argument_resumes_the_schedule_from_initial_lr():
    optimizer = two_group_sgd(lrs=(1.0,))
    StepLR(optimizer, step_size=2, gamma=0.1)  # records initial_lr = 1.0
    resumed = CosineAnnealingLR(optimizer, T_max=4, last_epoch=1)
    assert resumed.last_epoch == 2
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.5, rel=1e-12)


def test_last_epoch_argument_without_initial_lr_says_what_is_missing():
    with pytest.raises(KeyError, match=r"needs 'initial_lr' in every param group.*\[0, 1\]"):
        StepLR(two_group_sgd(), step_size=1, last_epoch=3)


# ------------------------------------------------------------------------------ saving and resuming


@pytest.mark.parametrize(
    "make",
    [lambda o: StepLR(o, step_size=2, gamma=0.5), lambda o: CosineAnnealingLR(o, T_max=3, eta_min=0.001)],
    ids=["StepLR", "CosineAnnealingLR"],
)
def test_a_restored_scheduler_continues_exactly_like_the_original(make):
    optimizer = two_group_sgd()
    scheduler = make(optimizer)
    schedule(scheduler, 4)
    saved_optimizer, saved_scheduler = optimizer.state_dict(), scheduler.state_dict()
    rest = schedule(scheduler, 6)

    # A new process: make the scheduler, then restore the optimizer (its groups hold 'lr') and it.
    new_optimizer = two_group_sgd(lrs=(0.7, 0.7))
    new_scheduler = make(new_optimizer)
    new_optimizer.load_state_dict(saved_optimizer)
    new_scheduler.load_state_dict(saved_scheduler)
    assert new_scheduler.last_epoch == 4
    assert schedule(new_scheduler, 6) == rest


def test_state_dict_holds_the_settings_and_the_progress_as_pytorch():
    scheduler = CosineAnnealingLR(two_group_sgd(), T_max=5, eta_min=0.01)
    scheduler.step()
    state = scheduler.state_dict()
    assert state["T_max"] == 5 and state["eta_min"] == 0.01
    assert state["last_epoch"] == 1 and state["base_lrs"] == [0.1, 0.02]
    state["base_lrs"].append(9.0)  # a copy: changing it leaves the scheduler alone
    assert scheduler.base_lrs == [0.1, 0.02]


def test_resuming_with_a_longer_schedule_through_last_epoch_follows_the_new_one():
    # What the LeNet demo's --resume does when --epochs grows: 2 epochs of a 2-epoch cosine, then
    # on to 4 epochs. The rate of epoch 2 must be that of a 4-epoch cosine, not the 0 that ends the old.
    short_optimizer = two_group_sgd(lrs=(1.0,))
    short = CosineAnnealingLR(short_optimizer, T_max=2)
    schedule(short, 2)
    longer_optimizer = two_group_sgd(lrs=(1.0,))
    longer_optimizer.load_state_dict(short_optimizer.state_dict())  # restores 'initial_lr' = 1.0
    longer = CosineAnnealingLR(longer_optimizer, T_max=4, last_epoch=1)
    assert longer.last_epoch == 2
    assert longer_optimizer.param_groups[0]["lr"] == 0.5 * (1 + math.cos(math.pi * 2 / 4))
    assert np.ravel(schedule(longer, 2)).tolist() == [0.5 * (1 + math.cos(math.pi * e / 4)) for e in (2, 3)]


def test_load_state_dict_refuses_the_state_of_another_kind_of_scheduler():
    saved = StepLR(two_group_sgd(), step_size=3).state_dict()
    scheduler = CosineAnnealingLR(two_group_sgd(), T_max=5)
    with pytest.raises(ValueError, match="was it saved by another kind of scheduler"):
        scheduler.load_state_dict(saved)


def test_load_state_dict_refuses_a_different_number_of_groups():
    saved = StepLR(two_group_sgd(lrs=(0.1,)), step_size=3).state_dict()
    scheduler = StepLR(two_group_sgd(lrs=(0.1, 0.2)), step_size=3)
    with pytest.raises(ValueError, match="the state has 1 parameter groups, the optimizer has 2"):
        scheduler.load_state_dict(saved)


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda o: StepLR(o, step_size=0), ValueError, "StepLR: step_size must be a positive int, got 0"),
        (lambda o: StepLR(o, step_size=2.5), ValueError, "StepLR: step_size must be a positive int"),
        (lambda o: StepLR(o, step_size=2, gamma=0.0), ValueError, "StepLR: gamma must be positive"),
        (
            lambda o: CosineAnnealingLR(o, T_max=0),
            ValueError,
            "CosineAnnealingLR: T_max must be a positive int",
        ),
        (lambda o: CosineAnnealingLR(o, T_max=5, eta_min=-0.1), ValueError, "eta_min must be non-negative"),
        (lambda o: StepLR(o, step_size=1, last_epoch=-2), ValueError, "last_epoch must be an int >= -1"),
        (lambda o: StepLR(o.param_groups, step_size=1), TypeError, "StepLR: expected an Optimizer.*got list"),
    ],
)
def test_schedulers_refuse_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make(two_group_sgd())


# ------------------------------------------------------------------------------ against torch


def test_step_lr_matches_torch_over_several_periods(torch):
    ours = schedule(StepLR(two_group_sgd(), step_size=3, gamma=0.3), 13)
    theirs = torch_schedule(torch, torch.optim.lr_scheduler.StepLR, (0.1, 0.02), 13, step_size=3, gamma=0.3)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("eta_min", [0.0, 0.005])
@pytest.mark.parametrize("t_max", [1, 4, 7])
def test_cosine_lr_matches_torch_past_t_max(torch, t_max, eta_min):
    epochs = 5 * t_max + 2  # two and a half periods of 2 * T_max
    ours = schedule(CosineAnnealingLR(two_group_sgd(), T_max=t_max, eta_min=eta_min), epochs)
    theirs = torch_schedule(
        torch, torch.optim.lr_scheduler.CosineAnnealingLR, (0.1, 0.02), epochs, T_max=t_max, eta_min=eta_min
    )
    # PyTorch updates each rate from the previous one: equal to the formula up to rounding
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
