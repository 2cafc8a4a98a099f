"""Behaviours pinned after a review: each was wrong or opaque once, and must stay fixed."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
from helpers import random_tensor

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor, nn, optim
from tinyconv.autograd import Function


def test_transpose_refuses_axes_out_of_range_instead_of_wrapping_them():
    x = tinyconv.randn(2, 3)
    for axes in [(1, 2), (0, 5), (0, 0)]:
        with pytest.raises(ValueError, match="not a permutation"):
            x.transpose(*axes)


def test_an_optimizer_given_one_tensor_instead_of_a_list_says_so():
    layer = nn.Linear(3, 2)
    with pytest.raises(TypeError, match="got a single Tensor; wrap it in a list"):
        optim.SGD(layer.weight, lr=0.1)


def test_an_optimizer_refuses_non_leaf_tensors():
    w = tinyconv.randn(3, requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)


def test_optimizer_state_cannot_be_loaded_into_another_kind_of_optimizer():
    layer = nn.Linear(3, 2)
    sgd = optim.SGD(layer.parameters(), lr=0.1, momentum=0.9)
    F.mse_loss(layer(tinyconv.randn(4, 3)), tinyconv.randn(4, 2)).backward()
    sgd.step()
    with pytest.raises(ValueError, match="saved by SGD; it can only be loaded into a SGD"):
        optim.Adam(layer.parameters()).load_state_dict(sgd.state_dict())


def test_backward_frees_what_forward_saved_even_while_the_output_lives():
    x, w = tinyconv.randn(2, 1, 8, 8), tinyconv.randn(3, 1, 3, 3, requires_grad=True)
    hidden = F.conv2d(x, w)
    hidden.sum().backward()
    assert not hasattr(hidden.grad_fn, "col") and not hasattr(hidden.grad_fn, "weight")
    with pytest.raises(RuntimeError, match="already freed"):
        hidden.backward(np.ones(hidden.shape, dtype=np.float32))


def test_axis_may_be_a_numpy_integer_and_a_scalar_accepts_axis_0_and_minus_1():
    x = random_tensor(2, 3)
    np.testing.assert_allclose(x.sum(axis=np.int64(1)).data, x.data.sum(axis=1))
    s = tinyconv.tensor(3.0, requires_grad=True)
    assert s.sum(axis=0).item() == 3.0 and s.mean(axis=-1).item() == 3.0
    s.max(axis=0).backward()
    assert s.grad == 1.0


def test_mse_loss_refuses_mixed_float_types():
    with pytest.raises(TypeError, match="prediction has dtype float32 but target has dtype float64"):
        F.mse_loss(tinyconv.zeros(3), np.zeros(3))


def test_matmul_names_stacks_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"stacks of matrices \(2,\) and \(5,\)"):
        tinyconv.zeros(2, 3, 4) @ tinyconv.zeros(5, 4, 6)


def test_conv2d_accepts_an_empty_batch():
    x, w = tinyconv.zeros(0, 2, 5, 5, requires_grad=True), tinyconv.zeros(3, 2, 3, 3, requires_grad=True)
    y = F.conv2d(x, w)
    assert y.shape == (0, 3, 3, 3)
    y.sum().backward()
    assert x.grad.shape == (0, 2, 5, 5) and np.all(w.grad == 0)


def test_load_state_dict_accepts_tinyconv_tensors_as_values():
    source, target = nn.Linear(2, 2), nn.Linear(2, 2)
    target.load_state_dict({k: Tensor(v) for k, v in source.state_dict().items()})
    np.testing.assert_array_equal(target.weight.data, source.weight.data)


def test_joins_of_scalars_and_boolean_split_sizes_get_clear_errors():
    with pytest.raises(ValueError, match="cannot join 0-d tensors"):
        tinyconv.cat([tinyconv.tensor(1.0), tinyconv.tensor(2.0)])
    with pytest.raises(TypeError, match="piece size"):
        tinyconv.split(tinyconv.zeros(4), True)


def test_a_custom_function_returning_a_wrong_shaped_gradient_is_named():
    class Broken(Function):
        def forward(self, x):
            return x * 2

        def backward(self, grad_out):
            return grad_out.T  # wrong shape for a non-square input

    x = tinyconv.randn(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Broken.backward returned a gradient of shape \(3, 2\)"):
        Broken()(x).sum().backward()


def test_saved_checkpoints_get_the_permissions_open_would_give(tmp_path):
    tinyconv.save({"epoch": 1}, tmp_path / "model.ckpt")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "model.ckpt").st_mode) == 0o666 & ~umask


def test_pooling_layers_check_their_arguments_when_built():
    with pytest.raises(ValueError, match="kernel_size must be positive"):
        nn.MaxPool2d(-1)
    with pytest.raises(ValueError, match="padding .* must be at most half the kernel size"):
        nn.AvgPool2d(2, padding=2)


def test_slicing_a_sequential_gives_a_sequential_that_runs_those_layers():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    x = tinyconv.randn(4, 2)
    np.testing.assert_array_equal(head(x).data, model[1](model[0](x)).data)


def test_size_follows_pytorch_and_numel_counts_elements():
    x = tinyconv.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.numel() == 24
