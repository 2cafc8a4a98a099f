"""PyTorch's "What is torch.nn really?", after its refactoring: logistic regression on flattened MNIST
with nn.Linear, F.cross_entropy and optim.SGD, the data in a TensorDataset served by DataLoaders, the
fit loop with model.train() and model.eval(), and accuracy as (preds.argmax(1) == yb).float().mean().

Changed from the tutorial: the import lines, and the data, read from the local MNIST files (the
tutorial downloads a pickle of the same images, scaled to [0, 1] and flattened: done here by hand),
5,000 training and 1,000 validation images.
"""

import os

import numpy as np

import tinyconv as torch
import tinyconv.nn.functional as F
from tinyconv import nn, optim
from tinyconv.data import MNIST
from tinyconv.utils.data import DataLoader, TensorDataset

root = os.path.join(os.environ["TINYCONV_DATA"], "mnist")
train_images = MNIST(root, train=True, download=False).images
x_train = (train_images[:5000].reshape(-1, 784) / 255).astype(np.float32)
y_train = MNIST(root, train=True, download=False).labels[:5000]
x_valid = (train_images[50000:51000].reshape(-1, 784) / 255).astype(np.float32)
y_valid = MNIST(root, train=True, download=False).labels[50000:51000]

x_train, y_train, x_valid, y_valid = map(torch.tensor, (x_train, y_train, x_valid, y_valid))
n, c = x_train.shape
print(x_train.shape, y_train.min().item(), y_train.max().item())

bs = 64  # batch size
lr = 0.5  # learning rate
epochs = 2  # how many epochs to train for
loss_func = F.cross_entropy


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(784, 10)

    def forward(self, xb):
        return self.lin(xb)


def get_model():
    model = Mnist_Logistic()
    return model, optim.SGD(model.parameters(), lr=lr)


def get_data(train_ds, valid_ds, bs):
    return (
        DataLoader(train_ds, batch_size=bs, shuffle=True),
        DataLoader(valid_ds, batch_size=bs * 2),
    )


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)

    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()

    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)

        model.eval()
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)

        print(epoch, val_loss)


torch.manual_seed(0)
train_ds = TensorDataset(x_train, y_train)
valid_ds = TensorDataset(x_valid, y_valid)
train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
model, opt = get_model()
fit(epochs, model, loss_func, opt, train_dl, valid_dl)

with torch.no_grad():
    valid_loss = sum(loss_func(model(xb), yb) for xb, yb in valid_dl) / len(valid_dl)
    print("validation loss", valid_loss.item())
    print("validation accuracy", accuracy(model(x_valid), y_valid).item())
