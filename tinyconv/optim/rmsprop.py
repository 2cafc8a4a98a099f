"""RMSprop (Hinton, lecture 6e, 2012): each step divided by a running root mean square of the gradient."""

from __future__ import annotations

from tinyconv.autograd import no_grad
from tinyconv.optim.optimizer import Optimizer, check_flag, check_fraction, check_non_negative


class RMSprop(Optimizer):
    """PyTorch's RMSprop update, for each parameter p with gradient g:

        g = g + weight_decay * p                              (L2 penalty, as in SGD)
        square_avg = alpha * square_avg + (1 - alpha) * g^2   a running mean of g^2 (starts at 0)
        if centered:                                          (Graves, 2013, "Generating sequences
            grad_avg = alpha * grad_avg + (1 - alpha) * g      with recurrent neural networks")
            avg = sqrt(square_avg - grad_avg^2) + eps         a running standard deviation of g
        else:
            avg = sqrt(square_avg) + eps                      a running root mean square of g
        if momentum:
            buf = momentum * buf + g / avg                    (buf starts at 0)
            p = p - lr * buf
        else:
            p = p - lr * g / avg
    Adagrad divides by the root of *every* squared gradient so far, so its steps die out; the running
    mean forgets old gradients (their weight falls by alpha per step), so the steps keep their size.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ):
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
        }
        super().__init__(params, defaults)

    def check_group(self, group: dict) -> None:
        check_non_negative("RMSprop", "lr", group["lr"])
        check_fraction("RMSprop", "alpha (the running mean's decay)", group["alpha"])
        for name in ("eps", "weight_decay", "momentum"):
            check_non_negative("RMSprop", name, group[name])
        check_flag("RMSprop", "centered", group["centered"])

    @no_grad()
    def step(self) -> None:
        for group, parameter in self.parameters_with_grad():
            xp, alpha = parameter.xp, group["alpha"]
            grad = parameter.grad
            if group["weight_decay"]:
                grad = grad + group["weight_decay"] * parameter.data
            state = self.state.setdefault(parameter, {})
            if not state:
                state["step"] = 0
                state["square_avg"] = xp.zeros_like(parameter.data)
                if group["momentum"]:
                    state["momentum_buffer"] = xp.zeros_like(parameter.data)
                if group["centered"]:
                    state["grad_avg"] = xp.zeros_like(parameter.data)
            state["step"] += 1
            # In place: these buffers are as large as the parameters, so avoid new arrays.
            square_avg = state["square_avg"]
            square_avg *= alpha
            square_avg += (1 - alpha) * grad * grad
            if group["centered"]:
                grad_avg = state["grad_avg"]
                grad_avg *= alpha
                grad_avg += (1 - alpha) * grad
                avg = xp.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
            else:
                avg = xp.sqrt(square_avg) + group["eps"]
            if group["momentum"]:
                buffer = state["momentum_buffer"]
                buffer *= group["momentum"]
                buffer += grad / avg
                parameter.data -= group["lr"] * buffer
            else:
                parameter.data -= group["lr"] * grad / avg
