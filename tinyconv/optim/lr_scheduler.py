"""Learning-rate schedules, as `torch.optim.lr_scheduler`: change each group's 'lr' as training goes on.

    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    for epoch in range(epochs):
        train_one_epoch(...)    # optimizer.step() for every batch, at this epoch's learning rate
        scheduler.step()        # then set the next epoch's

Large steps early cross the loss surface quickly; small steps late settle into a minimum instead of
bouncing around it ("annealing the learning rate", cs231n).

    StepLR, MultiStepLR, ExponentialLR   multiply by gamma: every step_size epochs, at milestones, every epoch
    CosineAnnealingLR                    half a cosine from the starting rate down to eta_min
    LinearLR                             a straight line between two factors (a warm-up)
    LambdaLR                             the starting rate times a function of the epoch you write
    OneCycleLR                           up to max_lr and down again, stepped every batch (and momentum
                                         the other way)
    SequentialLR                         one scheduler after another, switching at milestones
    ReduceLROnPlateau                    divide by 1 / factor when a metric stops improving:
                                         scheduler.step(validation_loss)

As in PyTorch, a scheduler records each group's starting rate as `group['initial_lr']` (its
`base_lrs`) and counts epochs in `last_epoch`: 0 once it is made, one more after each `step()`.
tinyconv computes every rate from that count and the formula (PyTorch's "closed form"). PyTorch's
`step()` multiplies the previous rate by a ratio instead (its "chainable" form): the same numbers, up to
float rounding, except when something else changes the rate between two steps (a second scheduler on the
same optimizer, or a hand-written `group['lr'] = ...`): PyTorch goes on from the changed rate, a closed
form would silently undo the change. So `step()` refuses to go on when a group's rate is not the one the
scheduler set last; to chain schedules, use SequentialLR, or one LambdaLR whose function combines them.

`state_dict()` saves, as PyTorch's, everything but the optimizer: the settings (T_max, gamma...) and
the progress (last_epoch, base_lrs). To continue a run with a *different* schedule (more epochs, say),
do as in PyTorch: restore the optimizer's state (its groups keep 'initial_lr'), then make the new
scheduler with `last_epoch` set to the last finished epoch (demos/lenet_mnist.py does this).
"""

from __future__ import annotations

import bisect
import math
import types

from tinyconv.checks import check_int, check_real
from tinyconv.optim.optimizer import Optimizer, check_flag


class LRScheduler:
    """Base class: subclasses define `get_lr()`, the rate of every group at epoch `last_epoch`.

    Making a scheduler sets the optimizer's learning rates to those of epoch `last_epoch + 1`
    (epoch 0 with the default -1). To resume from a checkpoint: make the scheduler, restore the
    optimizer's state, then the scheduler's. Or, without a saved scheduler state, pass last_epoch=k
    to continue at epoch k + 1; the optimizer's groups must then hold 'initial_lr' (from its state).
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        name = type(self).__name__
        check_optimizer(name, optimizer)
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
        self.last_lrs = [group["lr"] for group in optimizer.param_groups]
        self.step()

    def get_lr(self) -> list[float]:
        """The learning rate of every parameter group at epoch `self.last_epoch`."""
        raise NotImplementedError

    def step(self) -> None:
        """Move to the next epoch and set every group's 'lr' to the schedule's value there."""
        self.check_rates_unchanged()
        self.last_epoch += 1
        self.set_learning_rates()

    def check_rates_unchanged(self) -> None:
        """Refuse to overwrite a rate that something else changed since this scheduler set it (see above)."""
        for position, (group, lr) in enumerate(zip(self.optimizer.param_groups, self.last_lrs)):
            if group["lr"] != lr:
                raise RuntimeError(
                    f"{type(self).__name__}.step: the learning rate of param_groups[{position}] is "
                    f"{group['lr']}, but this scheduler set it to {lr}: something else changed it "
                    "(another scheduler, or group['lr'] = ...). tinyconv's schedulers compute each rate "
                    "from the epoch, so they cannot be chained as PyTorch's: use SequentialLR, or one "
                    "LambdaLR whose function combines the schedules"
                )

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
        check_same_entries(self, state_dict, "base_lrs")
        for key, value in state_dict.items():
            setattr(self, key, list(value) if isinstance(value, list) else value)


def check_same_entries(scheduler, state_dict: dict, per_group: str) -> None:
    """A saved state must have the entries of this kind of scheduler, and `per_group` (a list with one
    value per parameter group) as long as the optimizer has groups."""
    name = type(scheduler).__name__
    own = scheduler.state_dict()
    if set(state_dict) != set(own):
        raise ValueError(
            f"{name}.load_state_dict: the state has the entries {sorted(state_dict)}, a {name} has "
            f"{sorted(own)}; was it saved by another kind of scheduler?"
        )
    groups = len(scheduler.optimizer.param_groups)
    if len(state_dict[per_group]) != groups:
        raise ValueError(
            f"{name}.load_state_dict: the state has {len(state_dict[per_group])} parameter groups, "
            f"the optimizer has {groups}"
        )


class StepLR(LRScheduler):
    """lr = base_lr * gamma^(last_epoch // step_size): multiply by gamma every step_size epochs.

    With lr 0.1, step_size 30 and gamma 0.1: 0.1 for epochs 0-29, 0.01 for 30-59, 0.001 from 60 on: the
    "step decay" of cs231n, and of AlexNet and ResNet, whose authors divided the rate by 10 by hand
    whenever the validation error stopped improving.
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        self.step_size = check_int("StepLR", "step_size", step_size, minimum=1)
        self.gamma = check_positive("StepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma^(number of milestones <= last_epoch): multiply by gamma at each milestone.

    MultiStepLR(optimizer, milestones=[30, 80], gamma=0.1): 0.1 until epoch 29, 0.01 from 30, 0.001 from 80.
    A milestone listed twice multiplies twice, as in PyTorch.
    """

    def __init__(self, optimizer: Optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1):
        self.milestones = sorted(check_int("MultiStepLR", "each milestone", m, minimum=0) for m in milestones)
        self.gamma = check_positive("MultiStepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        passed = bisect.bisect_right(self.milestones, self.last_epoch)
        return [base_lr * self.gamma**passed for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma^last_epoch: multiply by gamma every epoch (gamma 0.95: 60% less in 18 epochs)."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = check_positive("ExponentialLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * last_epoch / T_max)) / 2.

    Half a cosine, from base_lr at epoch 0 down to eta_min at epoch T_max: flat at both ends and
    steepest in the middle (Loshchilov & Hutter, 2017, "SGDR: Stochastic Gradient Descent with Warm
    Restarts"). Past T_max the formula goes on, as in PyTorch: the rate climbs back to base_lr at
    2 * T_max and falls again, a period of 2 * T_max (SGDR's restarts jump back to base_lr instead).
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        self.T_max = check_int("CosineAnnealingLR", "T_max", T_max, minimum=1)
        if not check_real("CosineAnnealingLR", "eta_min", eta_min) >= 0:
            raise ValueError(f"CosineAnnealingLR: eta_min must be non-negative, got {eta_min}")
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        cosine = math.cos(math.pi * self.last_epoch / self.T_max)
        return [self.eta_min + (base_lr - self.eta_min) * (1 + cosine) / 2 for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """lr = base_lr * factor, the factor going in a straight line from start_factor (epoch 0) to end_factor
    (epoch total_iters) and staying there:

        factor = start_factor + (end_factor - start_factor) * min(last_epoch, total_iters) / total_iters

    The usual warm-up: LinearLR(optimizer, start_factor=0.1, total_iters=5) starts at a tenth of the rate and
    reaches it after 5 epochs, so that the first, large and noisy gradients do not throw the weights far.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ):
        name = "LinearLR"
        if not 0 < check_real(name, "start_factor", start_factor) <= 1:
            raise ValueError(
                f"{name}: start_factor must be in (0, 1] (the rate cannot start at 0), got {start_factor}"
            )
        if not 0 <= check_real(name, "end_factor", end_factor) <= 1:
            raise ValueError(f"{name}: end_factor must be in [0, 1], got {end_factor}")
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = check_int(name, "total_iters", total_iters, minimum=1)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        progress = min(self.last_epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [base_lr * factor for base_lr in self.base_lrs]


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(last_epoch), with a function of the epoch you write (one per group, or one
    for all): LambdaLR(optimizer, lambda epoch: 0.95 ** epoch) is ExponentialLR(optimizer, 0.95).

    As in PyTorch, state_dict() saves a function's settings only when it is a callable object (its
    attributes); a plain function or lambda is saved as None, and the restored scheduler keeps its own.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda, last_epoch: int = -1):
        check_optimizer("LambdaLR", optimizer)
        groups = len(optimizer.param_groups)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
        if isinstance(lr_lambda, (list, tuple)) and len(lambdas) != groups:
            raise ValueError(
                f"LambdaLR: expected {groups} lr_lambdas, one per parameter group, got {len(lambdas)}"
            )
        for fn in lambdas:
            if not callable(fn):
                raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch, got {fn!r}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base_lr * fn(self.last_epoch) for base_lr, fn in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self) -> dict:
        state = super().state_dict()
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else dict(vars(fn)) for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        check_same_entries(self, state_dict, "base_lrs")
        for key, value in state_dict.items():
            if key != "lr_lambdas":
                setattr(self, key, list(value) if isinstance(value, list) else value)
        for fn, settings in zip(self.lr_lambdas, state_dict["lr_lambdas"]):
            if settings is not None:
                vars(fn).update(settings)


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith and Topin, 2018, "Super-Convergence"), as PyTorch: stepped after every
    batch, for total_steps = epochs * steps_per_epoch steps in all.

        phase 1, the first pct_start of the steps:  from max_lr / div_factor up to max_lr
        phase 2, the rest:                          from max_lr down to max_lr / div_factor / final_div_factor
    Each phase anneals along half a cosine ('cos') or a straight line ('linear'). With three_phase=True the
    rate comes back down to its start in a second phase as long as the first, and a third phase goes on to
    the minimum. With cycle_momentum (the default), the momentum (SGD's, or Adam's beta1) goes the other
    way, from max_momentum to base_momentum and back: a large step with little momentum, and the reverse.
    Stepping past total_steps is an error, as in PyTorch.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr,
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ):
        name = "OneCycleLR"
        check_optimizer(name, optimizer)
        if total_steps is not None:
            self.total_steps = check_int(name, "total_steps", total_steps, minimum=1)
        elif epochs is not None and steps_per_epoch is not None:
            epochs = check_int(name, "epochs", epochs, minimum=1)
            self.total_steps = epochs * check_int(name, "steps_per_epoch", steps_per_epoch, minimum=1)
        else:
            raise ValueError(f"{name}: give either total_steps, or epochs and steps_per_epoch")
        if not 0 <= check_real(name, "pct_start", pct_start) <= 1:
            raise ValueError(f"{name}: pct_start must be in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{name}: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        check_flag(name, "cycle_momentum", cycle_momentum)
        check_flag(name, "three_phase", three_phase)
        self.anneal_strategy, self.cycle_momentum = anneal_strategy, cycle_momentum
        self.phases = one_cycle_phases(self.total_steps, pct_start, three_phase)
        max_lrs = per_group(name, "max_lr", max_lr, optimizer)
        div_factor = check_positive(name, "div_factor", div_factor)
        final_div_factor = check_positive(name, "final_div_factor", final_div_factor)
        self.use_beta1 = "betas" in optimizer.defaults
        if cycle_momentum and "momentum" not in optimizer.defaults and not self.use_beta1:
            raise ValueError(
                f"{name}: cycle_momentum needs an optimizer with a momentum (SGD, RMSprop) or betas (Adam); "
                f"{type(optimizer).__name__} has neither: pass cycle_momentum=False"
            )
        if last_epoch == -1:
            base_momentums = per_group(name, "base_momentum", base_momentum, optimizer)
            max_momentums = per_group(name, "max_momentum", max_momentum, optimizer)
            for group, lr, low, high in zip(optimizer.param_groups, max_lrs, base_momentums, max_momentums):
                group["initial_lr"] = lr / div_factor
                group["max_lr"] = lr
                group["min_lr"] = group["initial_lr"] / final_div_factor
                if cycle_momentum:
                    group["base_momentum"], group["max_momentum"] = low, high
        super().__init__(optimizer, last_epoch)

    def anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {step} times; the specified number of total steps is "
                f"{self.total_steps}"
            )
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for position, phase in enumerate(self.phases):
                end_step = phase["end_step"]
                if step <= end_step or position == len(self.phases) - 1:
                    pct = (step - start_step) / (end_step - start_step)
                    lrs.append(self.anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
                    if self.cycle_momentum:
                        momentum = self.anneal(
                            group[phase["start_momentum"]], group[phase["end_momentum"]], pct
                        )
                        set_momentum(group, momentum, self.use_beta1)
                    break
                start_step = end_step
        return lrs


def one_cycle_phases(total_steps: int, pct_start: float, three_phase: bool) -> list:
    """OneCycleLR's phases, as PyTorch's: where each ends, and the group entries it goes from and to."""
    rise = {
        "end_step": float(pct_start * total_steps) - 1,
        "start_lr": "initial_lr",
        "end_lr": "max_lr",
        "start_momentum": "max_momentum",
        "end_momentum": "base_momentum",
    }
    if not three_phase:
        fall = {"end_step": total_steps - 1, "start_lr": "max_lr", "end_lr": "min_lr"}
        return [rise, {**fall, "start_momentum": "base_momentum", "end_momentum": "max_momentum"}]
    back = {"end_step": float(2 * pct_start * total_steps) - 2, "start_lr": "max_lr", "end_lr": "initial_lr"}
    last = {"end_step": total_steps - 1, "start_lr": "initial_lr", "end_lr": "min_lr"}
    return [
        rise,
        {**back, "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
        {**last, "start_momentum": "max_momentum", "end_momentum": "max_momentum"},
    ]


def set_momentum(group: dict, momentum: float, use_beta1: bool) -> None:
    """Set a group's momentum: Adam's beta1, or SGD's and RMSprop's momentum."""
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


class SequentialLR(LRScheduler):
    """Several schedulers one after another: schedulers[0] until milestones[0], then schedulers[1] from its
    own epoch 0, and so on. The usual: a warm-up, then a decay,

        warmup = LinearLR(optimizer, start_factor=0.1, total_iters=5)
        decay = CosineAnnealingLR(optimizer, T_max=95)
        scheduler = SequentialLR(optimizer, [warmup, decay], milestones=[5])

    Making each scheduler set the optimizer's rates; SequentialLR then starts again from the groups'
    'initial_lr' with the first one, as PyTorch does. state_dict() holds the schedulers' states too.
    """

    def __init__(self, optimizer: Optimizer, schedulers: list, milestones: list, last_epoch: int = -1):
        name = "SequentialLR"
        check_optimizer(name, optimizer)
        if not schedulers:
            raise ValueError(f"{name}: expects at least one scheduler")
        for position, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, LRScheduler) or isinstance(scheduler, SequentialLR):
                raise TypeError(
                    f"{name}: schedulers[{position}] must be a scheduler such as StepLR (not SequentialLR, "
                    f"nor ReduceLROnPlateau, which steps on a metric), got {type(scheduler).__name__}"
                )
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"{name}: schedulers[{position}] belongs to another optimizer")
        milestones = [check_int(name, "each milestone", m, minimum=1) for m in milestones]
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"{name}: expects one milestone fewer than schedulers, got {len(schedulers)} schedulers and "
                f"{len(milestones)} milestones"
            )
        if milestones != sorted(milestones):
            raise ValueError(f"{name}: milestones must be in increasing order, got {milestones}")
        if last_epoch != -1:
            raise ValueError(
                f"{name}: last_epoch must be -1; to resume, make the schedulers and this one as before and "
                "restore its state_dict()"
            )
        self.optimizer, self.schedulers, self.milestones = optimizer, list(schedulers), milestones
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        for scheduler in self.schedulers:  # each made itself at its epoch 0: the first starts over
            scheduler.last_epoch = 0
        self.schedulers[0].set_learning_rates()
        self.last_lrs = self.schedulers[0].get_last_lr()

    def step(self) -> None:
        """Move to the next epoch with that epoch's scheduler (at a milestone, the next one, from its 0)."""
        self.last_epoch += 1
        position = bisect.bisect_right(self.milestones, self.last_epoch)
        scheduler = self.schedulers[position]
        if position > 0 and self.milestones[position - 1] == self.last_epoch:
            scheduler.last_epoch = 0
            scheduler.set_learning_rates()
        else:
            scheduler.step()
        self.last_lrs = scheduler.get_last_lr()

    def state_dict(self) -> dict:
        state = {key: value for key, value in vars(self).items() if key not in ("optimizer", "schedulers")}
        state = {key: list(value) if isinstance(value, list) else value for key, value in state.items()}
        state["schedulers"] = [scheduler.state_dict() for scheduler in self.schedulers]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        check_same_entries(self, state_dict, "base_lrs")
        if len(state_dict["schedulers"]) != len(self.schedulers):
            raise ValueError(
                f"SequentialLR.load_state_dict: the state holds {len(state_dict['schedulers'])} schedulers, "
                f"this one has {len(self.schedulers)}"
            )
        for scheduler, state in zip(self.schedulers, state_dict["schedulers"]):
            scheduler.load_state_dict(state)
        for key, value in state_dict.items():
            if key != "schedulers":
                setattr(self, key, list(value) if isinstance(value, list) else value)


class ReduceLROnPlateau:
    """Multiply every group's rate by `factor` when a metric has stopped improving, as PyTorch's:

        scheduler = ReduceLROnPlateau(optimizer, mode="min", factor=0.1, patience=10)
        for epoch in range(epochs):
            train_one_epoch(...)
            scheduler.step(validation_loss)      # the metric, every epoch

    A metric improves when it beats the best so far by more than `threshold` (relative: best * (1 -
    threshold) for mode 'min'; absolute with threshold_mode='abs'). After more than `patience` epochs
    without improvement the rates are multiplied by factor (never below min_lr, and not at all when the
    change would be smaller than eps); then `cooldown` epochs pass before counting again. A NaN metric
    never improves.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr=0.0,
        eps: float = 1e-8,
    ):
        name = "ReduceLROnPlateau"
        check_optimizer(name, optimizer)
        if mode not in ("min", "max"):
            raise ValueError(f"{name}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{name}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        if not 0 <= check_real(name, "factor", factor) < 1:
            raise ValueError(f"{name}: factor must be in [0, 1) (the rate is multiplied by it), got {factor}")
        for setting, value in (("threshold", threshold), ("eps", eps)):
            if not check_real(name, setting, value) >= 0:
                raise ValueError(f"{name}: {setting} must be non-negative, got {value}")
        self.optimizer = optimizer
        self.mode, self.threshold_mode, self.factor = mode, threshold_mode, factor
        self.threshold, self.eps = threshold, eps
        self.patience = check_int(name, "patience", patience, minimum=0)
        self.cooldown = check_int(name, "cooldown", cooldown, minimum=0)
        self.min_lrs = per_group(name, "min_lr", min_lr, optimizer)
        if not all(check_real(name, "min_lr", lr) >= 0 for lr in self.min_lrs):
            raise ValueError(f"{name}: min_lr must be non-negative, got {min_lr}")
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = self.last_epoch = 0
        self.last_lrs = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, value: float) -> bool:
        """PyTorch's test, written out: relative thresholds scale the best value (so, as in PyTorch, they
        are meant for metrics that keep one sign, a loss or an accuracy)."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return value < self.best * (1 - self.threshold)
        if self.mode == "min":
            return value < self.best - self.threshold
        if self.threshold_mode == "rel":
            return value > self.best * (1 + self.threshold)
        return value > self.best + self.threshold

    def step(self, metrics) -> None:
        """Count one epoch with this value of the metric (a number or a one-element tensor)."""
        value = float(metrics)
        self.last_epoch += 1
        if self.is_better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during the cooldown do not count
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self.last_lrs = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        return list(self.last_lrs)

    def state_dict(self) -> dict:
        """Everything but the optimizer: the settings, the best value so far and the counters."""
        return {key: list(value) if isinstance(value, list) else value
                for key, value in vars(self).items() if key != "optimizer"}  # fmt: skip

    def load_state_dict(self, state_dict: dict) -> None:
        check_same_entries(self, state_dict, "min_lrs")
        for key, value in state_dict.items():
            setattr(self, key, list(value) if isinstance(value, list) else value)


# ------------------------------------------------------------------------------ checking the arguments


def check_optimizer(name: str, optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{name}: expected an Optimizer (optim.SGD, optim.Adam...), got {type(optimizer).__name__}"
        )


def check_positive(name: str, setting: str, value) -> float:
    """`value` when it is a number > 0 (NaN refused), else a clear error."""
    if not check_real(name, setting, value) > 0:
        raise ValueError(f"{name}: {setting} must be positive, got {value}")
    return value


def per_group(name: str, setting: str, value, optimizer: Optimizer) -> list:
    """A setting given once for all parameter groups, or as a list with one value per group, as a list."""
    groups = len(optimizer.param_groups)
    values = list(value) if isinstance(value, (list, tuple)) else [value] * groups
    if len(values) != groups:
        raise ValueError(
            f"{name}: expected {groups} values for {setting}, one per parameter group, got {len(values)}"
        )
    for item in values:
        check_real(name, setting, item)
    return values
