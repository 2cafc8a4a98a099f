"""default_collate (tinyconv/data/collate.py): how a batch is built from samples of each kind, the
gradient through stacked tensors, PyTorch's default_collate on the same samples, and its errors; and
detection_collate, which stacks the images and leaves the targets a list."""

from __future__ import annotations

import collections

import numpy
import pytest

import tinyconv
from tinyconv.data import default_collate, detection_collate


def test_arrays_are_stacked_along_a_new_first_axis_keeping_their_dtype():
    samples = [numpy.full((2, 3), k, dtype=numpy.float32) for k in range(4)]

    batch = default_collate(samples)

    assert isinstance(batch, tinyconv.Tensor) and batch.shape == (4, 2, 3) and batch.dtype == numpy.float32
    assert batch.data[:, 0, 0].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_tensors_are_stacked_and_a_gradient_flows_back_to_each():
    samples = [tinyconv.Tensor(numpy.array([1.0, 2.0]) * k, requires_grad=True) for k in range(3)]

    batch = default_collate(samples)
    (batch * tinyconv.Tensor(numpy.array([[1.0, 10.0]]))).sum().backward()

    assert batch.shape == (3, 2)
    assert [sample.grad.tolist() for sample in samples] == [[1.0, 10.0]] * 3


@pytest.mark.parametrize(
    "values, dtype",
    [([3, 1, 4], numpy.int64), ([0.5, 2.0], numpy.float64), ([True, False], numpy.bool_)],
    ids=["int", "float", "bool"],
)
def test_python_numbers_become_a_tensor_of_int64_float64_or_bool(values, dtype):
    batch = default_collate(values)

    assert batch.dtype == dtype and batch.tolist() == values


def test_an_int_among_floats_is_a_float_as_in_pytorch():
    assert default_collate([0.5, 2]).tolist() == [0.5, 2.0]


def test_numpy_numbers_keep_their_dtype():
    batch = default_collate([numpy.float32(0.5), numpy.float32(1.5)])

    assert batch.dtype == numpy.float32 and batch.tolist() == [0.5, 1.5]


def test_strings_stay_a_list():
    assert default_collate(["cat", "dog"]) == ["cat", "dog"]


def test_image_label_tuples_become_a_tuple_of_images_and_labels():
    samples = [(numpy.full((1, 2, 2), k, dtype=numpy.float32), k) for k in range(3)]

    images, labels = default_collate(samples)

    assert images.shape == (3, 1, 2, 2) and labels.dtype == numpy.int64 and labels.tolist() == [0, 1, 2]
    assert type(default_collate(samples)) is tuple
    assert type(default_collate([list(sample) for sample in samples])) is list


def test_dicts_named_tuples_and_nested_samples_keep_their_structure():
    Sample = collections.namedtuple("Sample", ["image", "meta"])
    samples = [Sample(numpy.zeros(2), {"label": k, "name": f"n{k}"}) for k in range(2)]

    batch = default_collate(samples)

    assert type(batch) is Sample and batch.image.shape == (2, 2)
    assert batch.meta["label"].tolist() == [0, 1] and batch.meta["name"] == ["n0", "n1"]


def test_the_same_samples_give_what_pytorchs_default_collate_gives(torch):
    from torch.utils.data import default_collate as torch_default_collate

    samples = [
        {"image": numpy.arange(6, dtype=numpy.float32).reshape(2, 3) + k, "label": k, "weight": 0.5 * k}
        for k in range(4)
    ]

    ours, theirs = default_collate(samples), torch_default_collate(samples)

    for key in samples[0]:
        numpy.testing.assert_array_equal(ours[key].numpy(), theirs[key].numpy())
        assert ours[key].dtype == theirs[key].numpy().dtype, key


# ------------------------------------------------------------------------------ bad samples


def test_arrays_of_different_shapes_are_refused_naming_both_shapes_and_the_sample():
    samples = [numpy.zeros((1, 28, 28)), numpy.zeros((1, 28, 28)), numpy.zeros((3, 28, 28))]

    with pytest.raises(
        RuntimeError, match=r"equal shapes.*\(1, 28, 28\) in sample 0 and \(3, 28, 28\) in sample 2"
    ):
        default_collate(samples)


def test_tuples_of_different_lengths_are_refused():
    with pytest.raises(RuntimeError, match=r"same number of fields, got lengths \[2, 3\]"):
        default_collate([(1, 2), (1, 2, 3)])


@pytest.mark.parametrize(
    "samples, wrong",
    [([1, 2.5], "sample 1 is a float"), ([1, True], "sample 1 is a bool"), ([True, 2], "sample 1 is a int")],
)
def test_numbers_that_the_first_samples_dtype_would_change_are_refused(samples, wrong):
    with pytest.raises(TypeError, match=wrong):
        default_collate(samples)


@pytest.mark.parametrize(
    "samples, match",
    [
        ([None, None], "got NoneType"),
        ([object()], "got object"),
        ([1j, 2j], "complex numbers"),
        ([numpy.array(["a", "b"])], "dtype <U1 \\(strings or objects\\)"),
    ],
    ids=["None", "object", "complex", "string array"],
)
def test_samples_that_cannot_become_a_tensor_are_refused(samples, match):
    with pytest.raises(TypeError, match=match):
        default_collate(samples)


def test_detection_collate_stacks_the_images_and_keeps_targets_of_any_length_as_a_list():
    targets = [{"boxes": numpy.zeros((k, 4)), "labels": numpy.zeros(k, dtype=numpy.int64)} for k in (2, 0, 3)]
    images = [numpy.full((1, 4, 4), float(k), dtype=numpy.float32) for k in range(3)]
    batch = list(zip(images, targets))
    images, collated = detection_collate(batch)
    assert isinstance(images, tinyconv.Tensor) and images.shape == (3, 1, 4, 4)
    numpy.testing.assert_array_equal(images.numpy()[:, 0, 0, 0], [0, 1, 2])
    assert len(collated) == 3 and all(a is b for a, b in zip(collated, targets))  # the same dicts, in order
