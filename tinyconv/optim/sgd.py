"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from tinyconv.autograd import no_grad
from tinyconv.optim.optimizer import Optimizer, check_flag, check_fraction, check_non_negative


class SGD(Optimizer):
    """PyTorch's SGD update, for each parameter p with gradient g:

    g = g + weight_decay * p                         (L2 penalty (wd/2) |p|^2)
    if momentum:
        buf = g                                     on the first step
        buf = momentum * buf + (1 - dampening) * g  afterwards (a running, decaying sum of gradients)
        g = g + momentum * buf         with Nesterov  (look ahead along the velocity)
        g = buf                        without
    p = p - lr * g

    The arguments come in torch.optim.SGD's order, with its defaults, (params, lr=1e-3, momentum=0,
    dampening=0, weight_decay=0, nesterov=False), so a positional call means the same in both. dampening
    scales down the new gradient's share of the velocity; Nesterov needs momentum > 0 and no dampening,
    as in PyTorch.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
        }
        super().__init__(params, defaults)

    def check_group(self, group: dict) -> None:
        check_non_negative("SGD", "lr", group["lr"])
        check_non_negative("SGD", "momentum", group["momentum"])
        check_fraction("SGD", "dampening (1 - dampening weighs the new gradient)", group["dampening"], True)
        check_non_negative("SGD", "weight_decay", group["weight_decay"])
        check_flag("SGD", "nesterov", group["nesterov"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"SGD: Nesterov momentum needs momentum > 0 and dampening 0, "
                f"got momentum {group['momentum']} and dampening {group['dampening']}"
            )

    @no_grad()
    def step(self) -> None:
        for group, parameter in self.parameters_with_grad():
            grad = parameter.grad
            if group["weight_decay"]:
                grad = grad + group["weight_decay"] * parameter.data
            if group["momentum"]:
                state = self.state.setdefault(parameter, {})
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = grad.copy()
                else:
                    buffer = state["momentum_buffer"]
                    buffer *= group["momentum"]
                    buffer += (1 - group["dampening"]) * grad
                buffer = state["momentum_buffer"]
                grad = grad + group["momentum"] * buffer if group["nesterov"] else buffer
            parameter.data -= group["lr"] * grad
