"""Optimizers, as `torch.optim`: `from tinyconv import optim`.

optimizer.py   Optimizer: parameter groups, zero_grad, state_dict / load_state_dict
sgd.py         SGD (momentum, Nesterov, weight decay)
adam.py        Adam
"""

from tinyconv.optim.adam import Adam
from tinyconv.optim.optimizer import Optimizer
from tinyconv.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam"]
