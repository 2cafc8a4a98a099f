"""Creating tensors (tinyconv/creation.py): tinyconv.tensor copies its data; zeros, ones and randn take
sizes or a shape tuple and make float32 by default, randn standard normal samples.
"""

from __future__ import annotations

import numpy as np

import tinyconv


def test_tensor_function_copies_its_data():
    data = np.zeros(3, dtype=np.float32)
    x = tinyconv.tensor(data)
    data[0] = 5.0
    assert x.data[0] == 0.0


def test_zeros_and_ones_accept_sizes_or_a_shape_tuple():
    assert tinyconv.zeros(2, 3).shape == (2, 3)
    assert tinyconv.zeros((2, 3)).shape == (2, 3)
    np.testing.assert_array_equal(tinyconv.zeros(2, 3).data, np.zeros((2, 3)))
    np.testing.assert_array_equal(tinyconv.ones((4,)).data, np.ones(4))
    assert tinyconv.ones(2).dtype == np.float32


def test_randn_draws_standard_normal_float32_samples():
    tinyconv.manual_seed(0)
    x = tinyconv.randn(200, 500)
    assert x.shape == (200, 500)
    assert x.dtype == np.float32
    assert abs(float(x.data.mean())) < 0.01  # 100,000 samples: the mean's standard error is 0.003
    assert abs(float(x.data.std()) - 1.0) < 0.01
