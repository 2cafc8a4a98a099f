"""clip_grad_norm_ (tinyconv/nn/utils.py): the total norm over all gradients, the rescaling, and torch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import random_array

from tinyconv import Tensor, nn
from tinyconv.nn import Parameter
from tinyconv.nn.utils import clip_grad_norm_


def with_grads(*grads) -> list:
    """One parameter per gradient (float64 unless the gradient says otherwise), .grad set to it."""
    parameters = []
    for grad in grads:
        grad = np.asarray(grad, dtype=getattr(grad, "dtype", np.float64))
        parameter = Parameter(np.zeros(grad.shape, dtype=grad.dtype))
        parameter.grad = grad.copy()
        parameters.append(parameter)
    return parameters


def test_total_norm_is_the_norm_of_all_gradients_laid_end_to_end():
    parameters = with_grads([3.0, 0.0], [[4.0], [12.0]])  # sqrt(9 + 16 + 144) = 13
    assert clip_grad_norm_(parameters, max_norm=100.0) == pytest.approx(13.0, rel=1e-12)


def test_clipping_scales_every_gradient_by_max_norm_over_the_total():
    parameters = with_grads([3.0, 0.0], [[4.0], [12.0]])
    total = clip_grad_norm_(parameters, max_norm=1.0)
    assert total == pytest.approx(13.0, rel=1e-12)  # the norm before clipping
    coef = 1.0 / (13.0 + 1e-6)
    np.testing.assert_allclose(parameters[0].grad, np.array([3.0, 0.0]) * coef, rtol=1e-12)
    np.testing.assert_allclose(parameters[1].grad, np.array([[4.0], [12.0]]) * coef, rtol=1e-12)


def test_clipped_gradients_have_about_max_norm_and_keep_their_direction():
    grads = [random_array(3, 4, seed=1) * 10, random_array(5, seed=2) * 10]
    parameters = with_grads(*grads)
    clip_grad_norm_(parameters, max_norm=0.5)
    clipped = np.concatenate([p.grad.ravel() for p in parameters])
    original = np.concatenate([g.ravel() for g in grads])
    assert np.linalg.norm(clipped) == pytest.approx(0.5, rel=1e-5)
    np.testing.assert_allclose(clipped / np.linalg.norm(clipped), original / np.linalg.norm(original))


def test_gradients_within_max_norm_are_left_as_they_are():
    parameters = with_grads([0.3, -0.4])
    gradient = parameters[0].grad
    assert clip_grad_norm_(parameters, max_norm=1.0) == pytest.approx(0.5, rel=1e-12)
    assert parameters[0].grad is gradient
    np.testing.assert_array_equal(parameters[0].grad, [0.3, -0.4])


def test_infinity_norm_is_the_largest_absolute_entry():
    parameters = with_grads([1.0, -7.0], [[2.0, 3.0]])
    assert clip_grad_norm_(parameters, max_norm=3.5, norm_type=math.inf) == 7.0
    np.testing.assert_allclose(parameters[0].grad, np.array([1.0, -7.0]) * 3.5 / (7.0 + 1e-6), rtol=1e-12)


def test_one_norm_is_the_sum_of_absolute_entries():
    parameters = with_grads([1.0, -2.0], [3.0])
    assert clip_grad_norm_(parameters, max_norm=10.0, norm_type=1.0) == pytest.approx(6.0, rel=1e-12)


def test_returns_a_python_float():
    total = clip_grad_norm_(with_grads(np.ones(3, dtype=np.float32)), max_norm=1.0)
    assert type(total) is float


def test_float32_gradients_stay_float32():
    parameters = with_grads(np.full(4, 10.0, dtype=np.float32))
    clip_grad_norm_(parameters, max_norm=1.0)
    assert parameters[0].grad.dtype == np.float32


def test_parameters_without_gradient_are_skipped():
    parameters = with_grads([3.0, 4.0]) + [Parameter(np.ones(2))]
    assert clip_grad_norm_(parameters, max_norm=1.0) == pytest.approx(5.0, rel=1e-12)
    assert parameters[1].grad is None


def test_no_gradient_at_all_gives_a_total_of_zero():
    assert clip_grad_norm_([Parameter(np.ones(2))], max_norm=1.0) == 0.0


def test_a_single_tensor_and_a_generator_of_parameters_are_accepted():
    (single,) = with_grads([6.0, 8.0])
    assert clip_grad_norm_(single, max_norm=20.0) == pytest.approx(10.0, rel=1e-12)
    layer = nn.Linear(3, 2)
    for parameter in layer.parameters():
        parameter.grad = np.ones(parameter.shape, dtype=np.float32)
    assert clip_grad_norm_(layer.parameters(), max_norm=20.0) == pytest.approx(math.sqrt(8.0), rel=1e-6)


def test_is_reachable_as_nn_utils_clip_grad_norm_():
    assert nn.utils.clip_grad_norm_ is clip_grad_norm_


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda p: clip_grad_norm_(p, max_norm=-1.0), ValueError, "max_norm must be non-negative, got -1.0"),
        (lambda p: clip_grad_norm_(p, 1.0, norm_type=0), ValueError, "norm_type must be positive"),
        (lambda p: clip_grad_norm_([p[0].grad], 1.0), TypeError, "expected tensors .*got ndarray"),
    ],
)
def test_clip_grad_norm_refuses_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call(with_grads([1.0, 2.0]))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3], ids=["clipped", "not clipped"])
def test_clip_grad_norm_matches_torch(torch, norm_type, max_norm):
    grads = [random_array(4, 3, seed=1, dtype=np.float32), random_array(6, seed=2, dtype=np.float32)]
    ours = with_grads(*grads)
    theirs = [torch.nn.Parameter(torch.zeros(g.shape)) for g in grads]
    for parameter, grad in zip(theirs, grads):
        parameter.grad = torch.tensor(grad)
    our_total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    their_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert our_total == pytest.approx(float(their_total), rel=1e-6)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_clip_grad_norm_on_a_tensor_grad_computed_by_backward():
    weight = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (weight * Tensor(np.array([30.0, 40.0]))).sum().backward()  # grad = (30, 40), norm 50
    assert clip_grad_norm_([weight], max_norm=5.0) == pytest.approx(50.0, rel=1e-12)
    np.testing.assert_allclose(weight.grad, np.array([30.0, 40.0]) * 5.0 / (50.0 + 1e-6), rtol=1e-12)
