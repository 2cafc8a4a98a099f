"""AdamW (Loshchilov & Hutter, 2019, "Decoupled Weight Decay Regularization"): Adam with weight decay
applied to the weights directly instead of through the gradient."""

from __future__ import annotations

import math

from tinyconv.autograd import no_grad
from tinyconv.optim.optimizer import Optimizer, check_betas, check_non_negative


class AdamW(Optimizer):
    """PyTorch's AdamW update, for each parameter p with gradient g at step t = 1, 2, ...:

        p = p * (1 - lr * weight_decay)                decoupled weight decay: g is left alone
        m = beta1 * m + (1 - beta1) * g                first moment: a running mean of g
        v = beta2 * v + (1 - beta2) * g^2              second moment: a running mean of g^2
        p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
    (the last line is Adam's p - lr * m_hat / (sqrt(v_hat) + eps) in PyTorch's arrangement, see adam.py).

    Why decouple: Adam with weight_decay adds weight_decay * p to g, and that sum is then divided by
    sqrt(v_hat). A weight with large gradients has a large sqrt(v_hat), so it is barely decayed; one
    with small gradients is decayed hard. AdamW shrinks every weight by the same factor each step, which
    is what L2 regularization does under plain SGD, and it generalizes better in the paper's experiments.
    """

    def __init__(
        self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2
    ):
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    def check_group(self, group: dict) -> None:
        check_non_negative("AdamW", "lr", group["lr"])
        check_betas("AdamW", group["betas"])
        check_non_negative("AdamW", "eps", group["eps"])
        check_non_negative("AdamW", "weight_decay", group["weight_decay"])

    @no_grad()
    def step(self) -> None:
        for group, parameter in self.parameters_with_grad():
            beta1, beta2 = group["betas"]
            grad = parameter.grad
            if group["weight_decay"]:
                parameter.data *= 1 - group["lr"] * group["weight_decay"]
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
