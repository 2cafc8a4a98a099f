"""Adam (Kingma & Ba, 2015): per-parameter step sizes from running moments of the gradient."""

from __future__ import annotations

import math

from tinyconv.autograd import no_grad
from tinyconv.optim.optimizer import Optimizer, check_betas, check_non_negative


class Adam(Optimizer):
    """PyTorch's Adam update, for each parameter p with gradient g at step t = 1, 2, ...:

        g = g + weight_decay * p                       (L2 penalty, as torch.optim.Adam; AdamW differs)
        m = beta1 * m + (1 - beta1) * g                first moment: a running mean of g
        v = beta2 * v + (1 - beta2) * g^2              second moment: a running mean of g^2
        m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)   undo the bias of starting at 0
        p = p - lr * m_hat / (sqrt(v_hat) + eps)
    Computed in PyTorch's arrangement, so the numbers match it to float rounding:
        p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay=0.0):
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    def check_group(self, group: dict) -> None:
        check_non_negative("Adam", "lr", group["lr"])
        check_betas("Adam", group["betas"])
        check_non_negative("Adam", "eps", group["eps"])
        check_non_negative("Adam", "weight_decay", group["weight_decay"])

    @no_grad()
    def step(self) -> None:
        for group, parameter in self.parameters_with_grad():
            beta1, beta2 = group["betas"]
            grad = parameter.grad
            if group["weight_decay"]:
                grad = grad + group["weight_decay"] * parameter.data
            state = self.state.setdefault(parameter, {})
            if not state:
                state["step"] = 0
                state["exp_avg"] = parameter.xp.zeros_like(parameter.data)
                state["exp_avg_sq"] = parameter.xp.zeros_like(parameter.data)
            state["step"] += 1
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            # In place: these buffers are as large as the parameters, so avoid new arrays.
            exp_avg *= beta1
            exp_avg += (1 - beta1) * grad
            exp_avg_sq *= beta2
            exp_avg_sq += (1 - beta2) * grad * grad
            bias_correction1 = 1 - beta1 ** state["step"]
            bias_correction2 = 1 - beta2 ** state["step"]
            denominator = parameter.xp.sqrt(exp_avg_sq) / math.sqrt(bias_correction2) + group["eps"]
            parameter.data -= (group["lr"] / bias_correction1) * exp_avg / denominator
