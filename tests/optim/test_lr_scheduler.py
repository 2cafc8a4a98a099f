"""Learning-rate schedules (tinyconv/optim/lr_scheduler.py): each schedule's formula by hand, the
bookkeeping PyTorch's schedulers share (initial_lr, last_epoch, get_last_lr), saving and resuming (a restored
scheduler continues exactly like the original), bad arguments, and every schedule's sequence of rates (and
OneCycleLR's momentum) against torch.optim.lr_scheduler over several periods.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinyconv import optim
from tinyconv.nn import Parameter
from tinyconv.optim import lr_scheduler
from tinyconv.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
)


def two_group_sgd(lrs=(0.1, 0.02), momentum: float = 0.0) -> optim.SGD:
    """SGD over two one-weight groups with different learning rates."""
    groups = [{"params": [Parameter(np.ones(1))], "lr": lr} for lr in lrs]
    return optim.SGD(groups, lr=1.0, momentum=momentum)


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


def rates_and_momenta(optimizer, make_scheduler, steps: int, torch=None) -> list:
    """[lr and momentum (or beta1) of every group] at each of `steps` steps of the scheduler that
    make_scheduler(optimizer, module) builds from `module`: tinyconv's lr_scheduler, or torch's."""
    module = lr_scheduler if torch is None else torch.optim.lr_scheduler
    scheduler = make_scheduler(optimizer, module)
    result = []
    for _ in range(steps):
        groups = optimizer.param_groups
        result.append(
            [g["lr"] for g in groups] + [g["betas"][0] if "betas" in g else g["momentum"] for g in groups]
        )
        if torch is not None:
            optimizer.step()
        scheduler.step()
    return result


def torch_sgd(torch, lrs=(0.1, 0.02), momentum: float = 0.0, kind: str = "SGD"):
    groups = [{"params": [torch.nn.Parameter(torch.ones(1))], "lr": lr} for lr in lrs]
    return getattr(torch.optim, kind)(groups, lr=1.0, **({"momentum": momentum} if kind == "SGD" else {}))


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


def test_multi_step_lr_multiplies_by_gamma_at_each_milestone_and_twice_at_a_repeated_one():
    scheduler = MultiStepLR(two_group_sgd(lrs=(1.0,)), milestones=[4, 2, 4], gamma=0.5)
    expected = [1.0, 1.0, 0.5, 0.5, 0.125, 0.125]  # sorted: 2, then 4 twice
    np.testing.assert_allclose(np.ravel(schedule(scheduler, 6)), expected, rtol=1e-15)


def test_exponential_lr_multiplies_by_gamma_every_epoch():
    scheduler = ExponentialLR(two_group_sgd(lrs=(2.0,)), gamma=0.5)
    np.testing.assert_allclose(np.ravel(schedule(scheduler, 4)), [2.0, 1.0, 0.5, 0.25], rtol=1e-15)


def test_linear_lr_goes_in_a_straight_line_from_start_factor_to_end_factor_and_stays():
    scheduler = LinearLR(two_group_sgd(lrs=(1.0,)), start_factor=0.2, end_factor=1.0, total_iters=4)
    np.testing.assert_allclose(
        np.ravel(schedule(scheduler, 7)), [0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0], rtol=1e-12
    )


def test_lambda_lr_multiplies_the_starting_rate_by_the_function_of_each_group():
    optimizer = two_group_sgd(lrs=(1.0, 0.5))
    scheduler = LambdaLR(optimizer, [lambda epoch: 1 / (epoch + 1), lambda epoch: epoch])
    np.testing.assert_allclose(schedule(scheduler, 3), [[1.0, 0.0], [0.5, 0.5], [1 / 3, 1.0]], rtol=1e-15)


def test_one_cycle_lr_rises_to_max_lr_then_falls_to_its_minimum_and_momentum_goes_the_other_way():
    optimizer = two_group_sgd(lrs=(1.0,), momentum=0.9)
    scheduler = OneCycleLR(optimizer, max_lr=2.0, total_steps=11, pct_start=0.5, anneal_strategy="linear")
    lrs, momenta = [], []
    for _ in range(11):
        lrs.append(optimizer.param_groups[0]["lr"])
        momenta.append(optimizer.param_groups[0]["momentum"])
        scheduler.step()
    start, low = 2.0 / 25, 2.0 / 25 / 1e4
    # phase 1 ends at step 0.5 * 11 - 1 = 4.5: steps 0..4 climb, step 5 is past the peak
    np.testing.assert_allclose(lrs[0], start, rtol=1e-12)
    np.testing.assert_allclose(lrs[4], start + (2.0 - start) * 4 / 4.5, rtol=1e-12)
    np.testing.assert_allclose(lrs[10], low, rtol=1e-9)
    assert max(lrs) == lrs[5] and np.all(np.diff(lrs[:5]) > 0) and np.all(np.diff(lrs[5:]) < 0)
    np.testing.assert_allclose([momenta[0], momenta[10]], [0.95, 0.95], rtol=1e-12)
    assert min(momenta) == momenta[5]


def test_one_cycle_lr_cycles_adams_beta1():
    optimizer = optim.Adam([Parameter(np.ones(1))], lr=1.0)
    OneCycleLR(optimizer, max_lr=0.1, total_steps=10, base_momentum=0.8, max_momentum=0.9)
    assert optimizer.param_groups[0]["betas"] == (0.9, 0.999)


def test_one_cycle_lr_refuses_a_step_past_total_steps_as_pytorch():
    scheduler = OneCycleLR(two_group_sgd(), max_lr=1.0, total_steps=3)
    schedule(scheduler, 3)
    with pytest.raises(
        ValueError, match="OneCycleLR: tried to step 4 times; the specified number of total steps is 3"
    ):
        scheduler.step()


def test_sequential_lr_warms_up_then_decays_each_from_its_own_epoch_0():
    optimizer = two_group_sgd(lrs=(1.0,))
    warmup = LinearLR(optimizer, start_factor=0.25, total_iters=3)
    decay = ExponentialLR(optimizer, gamma=0.5)
    scheduler = SequentialLR(optimizer, [warmup, decay], milestones=[3])
    np.testing.assert_allclose(
        np.ravel(schedule(scheduler, 6)), [0.25, 0.5, 0.75, 1.0, 0.5, 0.25], rtol=1e-12
    )
    assert scheduler.get_last_lr() == [0.125]


def test_reduce_lr_on_plateau_waits_patience_epochs_then_multiplies_by_factor():
    optimizer = two_group_sgd(lrs=(1.0,))
    scheduler = ReduceLROnPlateau(optimizer, factor=0.5, patience=2)
    rates = []
    for loss in [5.0, 4.0, 4.0, 4.0, 4.0, 3.0, 3.0]:
        scheduler.step(loss)
        rates.append(optimizer.param_groups[0]["lr"])
    # epochs 3 and 4 do not improve on 4.0: the third bad epoch in a row (the 5th) halves the rate
    assert rates == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5]
    assert scheduler.get_last_lr() == [0.5]


def test_reduce_lr_on_plateau_never_goes_below_min_lr_and_counts_a_nan_as_no_improvement():
    optimizer = two_group_sgd(lrs=(1.0, 1.0))
    scheduler = ReduceLROnPlateau(optimizer, factor=0.1, patience=0, min_lr=[0.05, 0.0])
    for metric in [1.0, math.nan, math.nan, math.nan]:
        scheduler.step(metric)
    assert [group["lr"] for group in optimizer.param_groups] == pytest.approx([0.05, 0.001])


def test_two_schedulers_on_one_optimizer_are_refused_instead_of_one_silently_undoing_the_other():
    # PyTorch chains them (each multiplies the rate the other left); a closed form would overwrite it
    optimizer = two_group_sgd()
    decay = ExponentialLR(optimizer, gamma=0.5)
    plateau = ReduceLROnPlateau(optimizer, factor=0.1, patience=0)
    plateau.step(1.0)
    plateau.step(2.0)  # no improvement: the rates are divided by 10
    with pytest.raises(RuntimeError, match=r"ExponentialLR.step: the learning rate of param_groups\[0\] is"):
        decay.step()


def test_a_rate_changed_by_hand_is_not_silently_overwritten():
    optimizer = two_group_sgd()
    scheduler = StepLR(optimizer, step_size=2)
    optimizer.param_groups[1]["lr"] = 0.5
    with pytest.raises(RuntimeError, match=r"param_groups\[1\] is 0.5, but this scheduler set it to 0.02"):
        scheduler.step()


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


class Halving:
    """A callable object as lr_lambda: its settings (here `rate`) go into LambdaLR's state_dict."""

    def __init__(self, rate: float):
        self.rate = rate

    def __call__(self, epoch: int) -> float:
        return self.rate**epoch


def step_on_a_metric(scheduler, epochs: int) -> list:
    """ReduceLROnPlateau's schedule for a metric that improves, stalls, then improves again."""
    metrics = [5.0, 4.0, 4.0, 4.0, 4.5, 3.0, 3.0, 3.0, 3.0, 2.0, 2.0, 2.0]
    lrs = []
    for _ in range(epochs):
        lrs.append([group["lr"] for group in scheduler.optimizer.param_groups])
        scheduler.step(metrics[scheduler.last_epoch % len(metrics)])
    return lrs


# name -> (make the scheduler for an optimizer, how to run it for some epochs)
RESUMABLE = {
    "StepLR": (lambda o: StepLR(o, step_size=2, gamma=0.5), schedule),
    "CosineAnnealingLR": (lambda o: CosineAnnealingLR(o, T_max=3, eta_min=0.001), schedule),
    "MultiStepLR": (lambda o: MultiStepLR(o, milestones=[2, 5, 7], gamma=0.5), schedule),
    "ExponentialLR": (lambda o: ExponentialLR(o, gamma=0.8), schedule),
    "LinearLR": (lambda o: LinearLR(o, start_factor=0.1, total_iters=6), schedule),
    "LambdaLR with a callable object": (lambda o: LambdaLR(o, Halving(0.5)), schedule),
    "OneCycleLR": (lambda o: OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=10), schedule),
    "SequentialLR": (
        lambda o: SequentialLR(o, [LinearLR(o, 0.5, total_iters=3), ExponentialLR(o, 0.7)], milestones=[3]),
        schedule,
    ),
    "ReduceLROnPlateau": (
        lambda o: ReduceLROnPlateau(o, factor=0.5, patience=1, cooldown=1),
        step_on_a_metric,
    ),
}


@pytest.mark.parametrize("name", list(RESUMABLE))
def test_a_restored_scheduler_continues_exactly_like_the_original(name):
    make, run = RESUMABLE[name]
    optimizer = two_group_sgd(momentum=0.9)
    scheduler = make(optimizer)
    run(scheduler, 4)
    saved_optimizer, saved_scheduler = optimizer.state_dict(), scheduler.state_dict()
    last_lrs = scheduler.get_last_lr()
    rest = run(scheduler, 6)

    # A new process: make the scheduler, then restore the optimizer (its groups hold 'lr') and it.
    new_optimizer = two_group_sgd(lrs=(0.7, 0.7), momentum=0.9)
    new_scheduler = make(new_optimizer)
    new_optimizer.load_state_dict(saved_optimizer)
    new_scheduler.load_state_dict(saved_scheduler)
    assert new_scheduler.last_epoch == 4
    assert new_scheduler.get_last_lr() == last_lrs
    assert run(new_scheduler, 6) == rest


def test_lambda_lr_saves_a_callable_objects_settings_and_not_a_function():
    scheduler = LambdaLR(two_group_sgd(), [Halving(0.5), lambda epoch: 1.0])
    assert scheduler.state_dict()["lr_lambdas"] == [{"rate": 0.5}, None]
    restored = LambdaLR(two_group_sgd(), [Halving(0.9), lambda epoch: 1.0])
    restored.load_state_dict(scheduler.state_dict())
    assert restored.lr_lambdas[0].rate == 0.5


@pytest.mark.parametrize(
    "make",
    [
        lambda o, k: MultiStepLR(o, milestones=[2, 4], gamma=0.5, last_epoch=k),
        lambda o, k: ExponentialLR(o, gamma=0.8, last_epoch=k),
        lambda o, k: LinearLR(o, start_factor=0.1, total_iters=5, last_epoch=k),
        lambda o, k: LambdaLR(o, lambda epoch: 0.9**epoch, last_epoch=k),
    ],
    ids=["MultiStepLR", "ExponentialLR", "LinearLR", "LambdaLR"],
)
def test_last_epoch_continues_the_schedule_at_the_next_epoch(make):
    optimizer = two_group_sgd()
    whole = schedule(make(optimizer, -1), 8)
    resumed = make(optimizer, 2)  # the groups hold 'initial_lr' from the first scheduler
    assert resumed.last_epoch == 3
    assert schedule(resumed, 5) == whole[3:]


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
        (
            lambda o: StepLR(o, step_size=1, gamma=math.nan),
            ValueError,
            "StepLR: gamma must be positive, got nan",
        ),
        (lambda o: MultiStepLR(o, milestones=[2, 1.5]), ValueError, "MultiStepLR: each milestone must be"),
        (lambda o: ExponentialLR(o, gamma="0.9"), TypeError, "ExponentialLR: gamma must be a real number"),
        (lambda o: LinearLR(o, start_factor=0.0), ValueError, r"LinearLR: start_factor must be in \(0, 1\]"),
        (lambda o: LinearLR(o, end_factor=1.5), ValueError, r"LinearLR: end_factor must be in \[0, 1\]"),
        (lambda o: LinearLR(o, total_iters=0), ValueError, "LinearLR: total_iters must be a positive int"),
        (
            lambda o: LambdaLR(o, 0.5),
            TypeError,
            "LambdaLR: lr_lambda must be a function of the epoch, got 0.5",
        ),
        (lambda o: LambdaLR(o, [lambda e: 1.0]), ValueError, "LambdaLR: expected 2 lr_lambdas, one per"),
        (
            lambda o: OneCycleLR(o, max_lr=1.0),
            ValueError,
            "OneCycleLR: give either total_steps, or epochs and",
        ),
        (
            lambda o: OneCycleLR(o, 1.0, total_steps=0),
            ValueError,
            "OneCycleLR: total_steps must be a positive",
        ),
        (
            lambda o: OneCycleLR(o, [1.0], total_steps=5),
            ValueError,
            "OneCycleLR: expected 2 values for max_lr",
        ),
        (lambda o: OneCycleLR(o, 1.0, 5, pct_start=1.5), ValueError, r"pct_start must be in \[0, 1\]"),
        (
            lambda o: OneCycleLR(o, 1.0, 5, anneal_strategy="cosine"),
            ValueError,
            "anneal_strategy must be 'cos' or",
        ),
        (
            lambda o: OneCycleLR(optim.Adagrad(o.param_groups[0]["params"]), 1.0, 5),
            ValueError,
            "OneCycleLR: cycle_momentum needs an optimizer with a momentum",
        ),
        (
            lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(o, 3)], milestones=[]),
            ValueError,
            "SequentialLR: expects one milestone fewer than schedulers, got 2 schedulers and 0 milestones",
        ),
        (
            lambda o: SequentialLR(o, [StepLR(o, 2), ReduceLROnPlateau(o)], milestones=[3]),
            TypeError,
            r"SequentialLR: schedulers\[1\] must be a scheduler such as StepLR",
        ),
        (
            lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(two_group_sgd(), 2)], milestones=[3]),
            ValueError,
            r"SequentialLR: schedulers\[1\] belongs to another optimizer",
        ),
        (
            lambda o: ReduceLROnPlateau(o, mode="minimum"),
            ValueError,
            "ReduceLROnPlateau: mode must be 'min' or",
        ),
        (
            lambda o: ReduceLROnPlateau(o, factor=1.0),
            ValueError,
            r"ReduceLROnPlateau: factor must be in \[0, 1\)",
        ),
        (lambda o: ReduceLROnPlateau(o, patience=-1), ValueError, "patience must be a non-negative int"),
        (
            lambda o: ReduceLROnPlateau(o, threshold_mode="relative"),
            ValueError,
            "threshold_mode must be 'rel'",
        ),
        (lambda o: ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "expected 2 values for min_lr"),
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


# name -> a function of (optimizer, module) making the scheduler from tinyconv's lr_scheduler or torch's, and
# the number of steps compared (several periods, past every milestone)
TORCH_SCHEDULES = {
    "MultiStepLR": (lambda o, m: m.MultiStepLR(o, milestones=[3, 7, 7, 12], gamma=0.5), 16),
    "ExponentialLR": (lambda o, m: m.ExponentialLR(o, gamma=0.9), 15),
    "LinearLR": (lambda o, m: m.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=6), 12),
    "LinearLR decaying": (lambda o, m: m.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=4), 8),
    "LambdaLR": (lambda o, m: m.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.5 + e % 3]), 10),
    "OneCycleLR cos": (lambda o, m: m.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=20), 20),
    "OneCycleLR linear, three phases": (
        lambda o, m: m.OneCycleLR(
            o, 1.0, epochs=4, steps_per_epoch=5, three_phase=True, anneal_strategy="linear"
        ),
        20,
    ),
    "OneCycleLR without momentum": (
        lambda o, m: m.OneCycleLR(o, 0.3, total_steps=9, cycle_momentum=False),
        9,
    ),
    "SequentialLR": (
        lambda o, m: m.SequentialLR(
            o,
            [
                m.LinearLR(o, 0.1, total_iters=4),
                m.CosineAnnealingLR(o, T_max=6, eta_min=0.001),
                m.ExponentialLR(o, 0.8),
            ],
            milestones=[4, 12],
        ),
        18,
    ),
}


@pytest.mark.parametrize("name", list(TORCH_SCHEDULES))
def test_schedule_matches_torch(torch, name):
    make, steps = TORCH_SCHEDULES[name]
    ours = rates_and_momenta(two_group_sgd(momentum=0.9), make, steps)
    theirs = rates_and_momenta(torch_sgd(torch, momentum=0.9), make, steps, torch=torch)
    # PyTorch updates most rates from the previous one: equal to the formula up to rounding
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_one_cycle_lr_with_adam_matches_torch(torch):
    make = TORCH_SCHEDULES["OneCycleLR cos"][0]
    groups = [{"params": [Parameter(np.ones(1))], "lr": lr} for lr in (0.1, 0.02)]
    ours = rates_and_momenta(optim.Adam(groups), make, 20)
    theirs = rates_and_momenta(torch_sgd(torch, kind="Adam"), make, 20, torch=torch)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("threshold_mode, threshold", [("rel", 0.05), ("abs", 0.3)])
def test_reduce_lr_on_plateau_matches_torch(torch, mode, threshold_mode, threshold):
    metrics = [5.0, 4.9, 4.8, 4.8, 3.0, 3.1, 3.05, 3.0, 2.0, 2.9, 2.95, 2.99, 3.5, 1.0, 1.0, 1.0, 1.0, 0.5]
    settings = {"mode": mode, "factor": 0.5, "patience": 1, "threshold": threshold, "cooldown": 1}
    settings |= {"threshold_mode": threshold_mode, "min_lr": [0.01, 0.0]}
    our_optimizer, their_optimizer = two_group_sgd(), torch_sgd(torch)
    ours = ReduceLROnPlateau(our_optimizer, **settings)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(their_optimizer, **settings)
    for metric in metrics:
        ours.step(metric)
        their_optimizer.step()
        theirs.step(metric)
        assert ours.get_last_lr() == theirs.get_last_lr()
        assert (ours.best, ours.num_bad_epochs) == (theirs.best, theirs.num_bad_epochs)
