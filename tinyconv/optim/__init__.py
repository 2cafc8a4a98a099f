"""Optimizers, as `torch.optim`: `from tinyconv import optim`.

optimizer.py   Optimizer: parameter groups, zero_grad, state_dict / load_state_dict
sgd.py         SGD (momentum with dampening, Nesterov, weight decay)
adam.py        Adam
adamw.py       AdamW (decoupled weight decay)
adagrad.py     Adagrad
rmsprop.py     RMSprop
adadelta.py    Adadelta
lr_scheduler.py  StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR, LambdaLR, OneCycleLR,
                 SequentialLR, ReduceLROnPlateau (`optim.lr_scheduler`)
"""

from tinyconv.optim import lr_scheduler
from tinyconv.optim.adadelta import Adadelta
from tinyconv.optim.adagrad import Adagrad
from tinyconv.optim.adam import Adam
from tinyconv.optim.adamw import AdamW
from tinyconv.optim.optimizer import Optimizer
from tinyconv.optim.rmsprop import RMSprop
from tinyconv.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "Adagrad", "RMSprop", "AdamW", "Adadelta", "lr_scheduler"]
