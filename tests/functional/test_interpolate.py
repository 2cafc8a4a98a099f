"""Resizing (tinyconv/functional/interpolate.py): nearest and bilinear by hand, both align_corners, up and
down, float64 gradient checks, PyTorch's interpolate on a grid of cases, and the bad inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array, random_tensor
from helpers.op_checks import assert_gradcheck
from helpers.torch_checks import NETWORK_ATOL, NETWORK_RTOL

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor

# ------------------------------------------------------------------------------ by hand


def test_nearest_doubling_repeats_each_pixel_twice_each_way():
    x = Tensor(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    np.testing.assert_array_equal(
        F.interpolate(x, scale_factor=2).data[0, 0], np.kron([[1, 2], [3, 4]], np.ones((2, 2)))
    )


def test_bilinear_doubling_without_aligned_corners_puts_samples_between_the_pixels():
    x = Tensor(np.array([[[[0.0, 4.0]]]]))  # one row: 0 and 4
    y = F.interpolate(x, size=(1, 4), mode="bilinear").data[0, 0, 0]
    # sources (i + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to the last pixel)
    np.testing.assert_allclose(y, [0.0, 1.0, 3.0, 4.0])


def test_bilinear_with_aligned_corners_keeps_the_corner_pixels():
    x = Tensor(np.array([[[[0.0, 4.0]]]]))
    y = F.interpolate(x, size=(1, 5), mode="bilinear", align_corners=True).data[0, 0, 0]
    np.testing.assert_allclose(y, [0.0, 1.0, 2.0, 3.0, 4.0])


def test_downscaling_by_two_with_bilinear_averages_neighbouring_pixel_pairs():
    x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    y = F.interpolate(x, scale_factor=0.5, mode="bilinear").data[0, 0]
    np.testing.assert_allclose(y, x.data[0, 0].reshape(2, 2, 2, 2).mean(axis=(1, 3)))


def test_the_gradient_of_nearest_upsampling_sums_over_each_pixel_s_copies():
    x = random_tensor(1, 1, 2, 3)
    F.interpolate(x, scale_factor=3).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((1, 1, 2, 3), 9.0))


# ------------------------------------------------------------------------------ gradients and PyTorch

# name -> keyword arguments of interpolate (for a (2, 3, 5, 7) input)
CASES = {
    "nearest, size up": dict(size=(8, 11)),
    "nearest, scale 1.5": dict(scale_factor=1.5),
    "nearest, size down": dict(size=(3, 4)),
    "bilinear, scale 2": dict(scale_factor=2, mode="bilinear"),
    "bilinear, size up and down": dict(size=(8, 3), mode="bilinear"),
    "bilinear, scales 0.5 and 2.5": dict(scale_factor=(0.5, 2.5), mode="bilinear"),
    "bilinear, aligned corners, size up": dict(size=(8, 11), mode="bilinear", align_corners=True),
    "bilinear, aligned corners, to one pixel": dict(size=(1, 1), mode="bilinear", align_corners=True),
}


def gradcheck_case(name: str) -> tuple:
    """(fn, inputs) for one CASES entry (the GPU checks run the same cases on the device)."""
    arguments = CASES[name]
    return (lambda x: F.interpolate(x, **arguments)), [random_tensor(2, 3, 5, 7)]


@pytest.mark.parametrize("name", list(CASES))
def test_interpolate_gradient(name):
    fn, inputs = gradcheck_case(name)
    assert_gradcheck(fn, *inputs)


@pytest.mark.parametrize("name", list(CASES))
def test_interpolate_matches_torch(torch, name):
    x = random_array(2, 3, 5, 7)
    ours, theirs = Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    out, torch_out = (
        F.interpolate(ours, **CASES[name]),
        torch.nn.functional.interpolate(theirs, **CASES[name]),
    )
    np.testing.assert_allclose(out.data, torch_out.detach().numpy(), rtol=NETWORK_RTOL, atol=NETWORK_ATOL)
    upstream = random_array(*out.shape, seed=4)
    out.backward(upstream)
    torch_out.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=NETWORK_RTOL, atol=NETWORK_ATOL)


def test_interpolate_keeps_float32():
    x = tinyconv.randn(1, 2, 3, 3, requires_grad=True)
    y = F.interpolate(x, scale_factor=2, mode="bilinear")
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("arguments", [{}, {"size": 4, "scale_factor": 2}], ids=["neither", "both"])
def test_exactly_one_of_size_and_scale_factor(arguments):
    with pytest.raises(ValueError, match="give exactly one of size and scale_factor"):
        F.interpolate(tinyconv.zeros(1, 1, 2, 2), **arguments)


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match=r"mode must be one of \('nearest', 'bilinear'\), got 'bicubic'"):
        F.interpolate(tinyconv.zeros(1, 1, 2, 2), scale_factor=2, mode="bicubic")


def test_align_corners_with_nearest_is_refused():
    with pytest.raises(
        ValueError, match="align_corners can only be set with the interpolating mode 'bilinear'"
    ):
        F.interpolate(tinyconv.zeros(1, 1, 2, 2), scale_factor=2, align_corners=True)


def test_a_scale_factor_that_empties_the_image_is_refused():
    with pytest.raises(ValueError, match=r"scale_factor 0.1 makes a 2x2 image empty"):
        F.interpolate(tinyconv.zeros(1, 1, 2, 2), scale_factor=0.1)


def test_the_input_must_be_a_batch_of_images():
    with pytest.raises(ValueError, match=r"expected a 4-D input \(N, C, H, W\)"):
        F.interpolate(tinyconv.zeros(2, 2), scale_factor=2)
