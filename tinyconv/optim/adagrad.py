"""Adagrad (Duchi, Hazan & Singer, 2011): each weight's step shrinks with the gradients it has seen."""

from __future__ import annotations

from tinyconv.autograd import no_grad
from tinyconv.optim.optimizer import Optimizer, check_non_negative


class Adagrad(Optimizer):
    """PyTorch's Adagrad update, for each parameter p with gradient g at step t = 1, 2, ...:

        g = g + weight_decay * p                   (L2 penalty, as in SGD)
        clr = lr / (1 + (t - 1) * lr_decay)        the learning rate, decayed with the step count
        sum = sum + g^2                            every squared gradient so far (sum starts at
                                                   initial_accumulator_value)
        p = p - clr * g / (sqrt(sum) + eps)
    A weight whose gradients have been large takes small steps and a rarely moved one takes large
    steps: a learning rate per weight. Because `sum` only grows, every step shrinks towards 0 in a
    long run; RMSprop replaces the sum with a running average to stop that.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ):
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
        }
        super().__init__(params, defaults)

    def check_group(self, group: dict) -> None:
        check_non_negative("Adagrad", "lr", group["lr"])
        for name in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_non_negative("Adagrad", name, group[name])

    @no_grad()
    def step(self) -> None:
        for group, parameter in self.parameters_with_grad():
            grad = parameter.grad
            if group["weight_decay"]:
                grad = grad + group["weight_decay"] * parameter.data
            state = self.state.setdefault(parameter, {})
            if not state:
                state["step"] = 0
                state["sum"] = parameter.xp.full_like(parameter.data, group["initial_accumulator_value"])
            state["step"] += 1
            decayed_lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
            state_sum = state["sum"]
            state_sum += grad * grad  # in place: the sum is as large as the parameter
            parameter.data -= decayed_lr * grad / (parameter.xp.sqrt(state_sum) + group["eps"])
