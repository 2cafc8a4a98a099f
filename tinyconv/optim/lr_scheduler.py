"""Learning-rate schedules, as `torch.optim.lr_scheduler`: change each group's 'lr' as training goes on.

    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    for epoch in range(epochs):
        train_one_epoch(...)    # optimizer.step() for every batch, at this epoch's learning rate
        scheduler.step()        # then set the next epoch's

Large steps early cross the loss surface quickly; small steps late settle into a minimum instead of
bouncing around it ("annealing the learning rate", cs231n).

As in PyTorch, a scheduler records each group's starting rate as `group['initial_lr']` (its
`base_lrs`) and counts epochs in `last_epoch`: 0 once it is made, one more after each `step()`.
tinyconv computes every rate from that count and the formula (PyTorch's "closed form"). PyTorch's
`step()` multiplies the previous rate by a ratio instead (its "chainable" form, which lets two
schedulers act on one optimizer): the same numbers, up to float rounding.

`state_dict()` saves, as PyTorch's, everything but the optimizer: the settings (T_max, gamma...) and
the progress (last_epoch, base_lrs). To continue a run with a *different* schedule (more epochs, say),
do as in PyTorch: restore the optimizer's state (its groups keep 'initial_lr'), then make the new
scheduler with `last_epoch` set to the last finished epoch (demos/lenet_mnist.py does this).
"""

from __future__ import annotations

import math

from tinyconv.checks import check_int
from tinyconv.optim.optimizer import Optimizer


class LRScheduler:
    """Base class: subclasses define `get_lr()`, the rate of every group at epoch `last_epoch`.

    Making a scheduler sets the optimizer's learning rates to those of epoch `last_epoch + 1`
    (epoch 0 with the default -1). To resume from a checkpoint: make the scheduler, restore the
    optimizer's state, then the scheduler's. Or, without a saved scheduler state, pass last_epoch=k
    to continue at epoch k + 1; the optimizer's groups must then hold 'initial_lr' (from its state).
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{name}: expected an Optimizer (optim.SGD, optim.Adam...), got {type(optimizer).__name__}"
            )
        last_epoch = check_int(name, "last_epoch", last_epoch, minimum=-1)
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            groups = optimizer.param_groups
            missing = [index for index, group in enumerate(groups) if "initial_lr" not in group]
            if missing:
                raise KeyError(
                    f"{name}: resuming at last_epoch={last_epoch} needs 'initial_lr' in every param group, "
                    f"but param_groups {missing} have none; load the optimizer's saved state first"
                )
        self.optimizer = optimizer
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def get_lr(self) -> list[float]:
        """The learning rate of every parameter group at epoch `self.last_epoch`."""
        raise NotImplementedError

    def step(self) -> None:
        """Move to the next epoch and set every group's 'lr' to the schedule's value there."""
        self.last_epoch += 1
        self.set_learning_rates()

    def set_learning_rates(self) -> None:
        """Write the rates of epoch `last_epoch` into the optimizer's groups (and remember them)."""
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self.last_lrs = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates set last, one per parameter group."""
        return list(self.last_lrs)

    # ------------------------------------------------------------------------ saving and resuming
    def state_dict(self) -> dict:
        """Everything but the optimizer, as PyTorch: the settings (T_max, gamma...) and the progress."""
        return {key: list(value) if isinstance(value, list) else value
                for key, value in vars(self).items() if key != "optimizer"}  # fmt: skip

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a state saved by `state_dict()` of the same kind of scheduler (and the same number of
        parameter groups). Restore the optimizer's state too: it holds the current learning rates."""
        name = type(self).__name__
        own = self.state_dict()
        if set(state_dict) != set(own):
            raise ValueError(
                f"{name}.load_state_dict: the state has the entries {sorted(state_dict)}, a {name} has "
                f"{sorted(own)}; was it saved by another kind of scheduler?"
            )
        groups = len(self.optimizer.param_groups)
        if len(state_dict["base_lrs"]) != groups:
            raise ValueError(
                f"{name}.load_state_dict: the state has {len(state_dict['base_lrs'])} parameter groups, "
                f"the optimizer has {groups}"
            )
        for key, value in state_dict.items():
            setattr(self, key, list(value) if isinstance(value, list) else value)


class StepLR(LRScheduler):
    """lr = base_lr * gamma^(last_epoch // step_size): multiply by gamma every step_size epochs.

    With lr 0.1, step_size 30 and gamma 0.1: 0.1 for epochs 0-29, 0.01 for 30-59, 0.001 from 60 on: the
    "step decay" of cs231n, and of AlexNet and ResNet, whose authors divided the rate by 10 by hand
    whenever the validation error stopped improving.
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        self.step_size = check_int("StepLR", "step_size", step_size, minimum=1)
        if not gamma > 0:
            raise ValueError(f"StepLR: gamma must be positive, got {gamma}")
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * last_epoch / T_max)) / 2.

    Half a cosine, from base_lr at epoch 0 down to eta_min at epoch T_max: flat at both ends and
    steepest in the middle (Loshchilov & Hutter, 2017, "SGDR: Stochastic Gradient Descent with Warm
    Restarts"). Past T_max the formula goes on, as in PyTorch: the rate climbs back to base_lr at
    2 * T_max and falls again, a period of 2 * T_max (SGDR's restarts jump back to base_lr instead).
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        self.T_max = check_int("CosineAnnealingLR", "T_max", T_max, minimum=1)
        if not eta_min >= 0:
            raise ValueError(f"CosineAnnealingLR: eta_min must be non-negative, got {eta_min}")
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        cosine = math.cos(math.pi * self.last_epoch / self.T_max)
        return [self.eta_min + (base_lr - self.eta_min) * (1 + cosine) / 2 for base_lr in self.base_lrs]
