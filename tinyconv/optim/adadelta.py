"""Adadelta (Zeiler, 2012, "ADADELTA: An Adaptive Learning Rate Method"): steps sized by the ratio of two
running root mean squares, of past updates and of past gradients."""

from __future__ import annotations

from tinyconv.autograd import no_grad
from tinyconv.optim.optimizer import Optimizer, check_fraction, check_non_negative


class Adadelta(Optimizer):
    """PyTorch's Adadelta update, for each parameter p with gradient g:

        g = g + weight_decay * p                                   (L2 penalty, as in SGD)
        square_avg = rho * square_avg + (1 - rho) * g^2            a running mean of g^2 (starts at 0)
        delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g the step, before lr
        acc_delta = rho * acc_delta + (1 - rho) * delta^2          a running mean of delta^2 (starts at 0)
        p = p - lr * delta
    Zeiler's point: the step has the units of p (RMS of updates over RMS of gradients, times a gradient),
    so no learning rate is needed; his update is lr = 1, PyTorch's default. eps starts the very first steps
    (where acc_delta is 0) and keeps the division finite. Defaults as torch.optim.Adadelta: lr=1.0,
    rho=0.9, eps=1e-6, weight_decay=0.
    """

    def __init__(
        self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0.0
    ):
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    def check_group(self, group: dict) -> None:
        check_non_negative("Adadelta", "lr", group["lr"])
        check_fraction("Adadelta", "rho (the running means' decay)", group["rho"], include_one=True)
        check_non_negative("Adadelta", "eps", group["eps"])
        check_non_negative("Adadelta", "weight_decay", group["weight_decay"])

    @no_grad()
    def step(self) -> None:
        for group, parameter in self.parameters_with_grad():
            xp, rho, eps = parameter.xp, group["rho"], group["eps"]
            grad = parameter.grad
            if group["weight_decay"]:
                grad = grad + group["weight_decay"] * parameter.data
            state = self.state.setdefault(parameter, {})
            if not state:
                state["step"] = 0
                state["square_avg"] = xp.zeros_like(parameter.data)
                state["acc_delta"] = xp.zeros_like(parameter.data)
            state["step"] += 1
            # In place: these running means are as large as the parameters, so avoid new arrays.
            square_avg, acc_delta = state["square_avg"], state["acc_delta"]
            square_avg *= rho
            square_avg += (1 - rho) * grad * grad
            delta = xp.sqrt(acc_delta + eps) / xp.sqrt(square_avg + eps) * grad
            acc_delta *= rho
            acc_delta += (1 - rho) * delta * delta
            parameter.data -= group["lr"] * delta
