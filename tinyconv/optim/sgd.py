"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from tinyconv.autograd import no_grad
from tinyconv.optim.optimizer import Optimizer


class SGD(Optimizer):
    """PyTorch's SGD update, for each parameter p with gradient g:

    g = g + weight_decay * p                         (L2 penalty (wd/2) |p|^2)
    if momentum:
        buf = g                                     on the first step
        buf = momentum * buf + (1 - dampening) * g  afterwards (a running, decaying sum of gradients)
        g = g + momentum * buf         with Nesterov  (look ahead along the velocity)
        g = buf                        without
    p = p - lr * g

    The arguments come in torch.optim.SGD's order, (params, lr, momentum, dampening, weight_decay,
    nesterov), so a positional call means the same in both. dampening scales down the new gradient's
    share of the velocity; Nesterov needs momentum > 0 and no dampening, as in PyTorch.
    """

    def __init__(
        self,
        params,
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        if lr <= 0:
            raise ValueError(f"SGD: learning rate must be positive, got {lr}")
        if momentum < 0 or weight_decay < 0:
            raise ValueError(
                f"SGD: momentum and weight_decay must be non-negative, got {momentum} and {weight_decay}"
            )
        if not 0 <= dampening <= 1:
            raise ValueError(
                f"SGD: dampening must be between 0 and 1 (1 - dampening weighs the new gradient), "
                f"got {dampening}"
            )
        if not isinstance(nesterov, bool):
            raise TypeError(f"SGD: nesterov must be True or False, got {nesterov!r}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"SGD: Nesterov momentum needs momentum > 0 and dampening 0, "
                f"got momentum {momentum} and dampening {dampening}"
            )
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
        }
        super().__init__(params, defaults)

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
