"""demos/classify_image.py: the resize by hand, images read as RGB in [0, 1], the preprocessing and the
logits equal to torchvision's (where torchvision is installed), a run with random weights, and a message,
not a traceback, for a missing image, a file that is not an image, and missing or wrong weights.

The photo is matplotlib's sample grace_hopper.jpg (shipped with matplotlib, which tinyconv requires).
With torchvision's real weights the demo is documented, not tested: there is no internet here.
"""

from __future__ import annotations

import re

import classify_image
import numpy as np
import pytest
from matplotlib import cbook
from PIL import Image

import tinyconv
from tinyconv.data import IMAGENET_MEAN, IMAGENET_STD, imagenet_classes
from tinyconv.models import LeNet5

from .demo_testing import run_demo

PHOTO = str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))  # 600 high, 512 wide


def exit_message(argv: list) -> str:
    """The message the demo exits with (Python prints it on stderr and exits with status 1)."""
    with pytest.raises(SystemExit) as stopped:
        classify_image.main(argv)
    assert isinstance(stopped.value.code, str), stopped.value.code
    return stopped.value.code


def unnormalized(inputs: np.ndarray) -> np.ndarray:
    """The network's input (3, H, W) taken back to RGB in [0, 1]."""
    return inputs * np.array(IMAGENET_STD)[:, None, None] + np.array(IMAGENET_MEAN)[:, None, None]


# ------------------------------------------------------------------------------ the resize, by hand


def test_enlarging_twice_is_bilinear_interpolation_between_the_two_nearest_pixels():
    resized = classify_image.resize_matrix(3, 6) @ np.array([0.0, 4.0, 8.0])

    # centres at 0.25, 0.75, 1.25...: a quarter and three quarters of the way between pixel centres
    np.testing.assert_allclose(resized, [0.0, 1.0, 3.0, 5.0, 7.0, 8.0])


def test_shrinking_averages_every_pixel_so_fine_stripes_turn_grey_not_into_false_stripes():
    stripes = np.tile([0.0, 1.0], 60)  # 120 pixels, alternating

    resized = classify_image.resize_matrix(120, 13) @ stripes

    # nearest-pixel or plain bilinear sampling would give a pattern of 0s and 1s here
    assert np.all(np.abs(resized - 0.5) < 0.05)


def test_every_row_of_the_resize_matrix_sums_to_1_so_a_flat_image_stays_flat():
    for in_size, out_size in [(600, 300), (512, 256), (128, 256), (7, 3)]:
        np.testing.assert_allclose(classify_image.resize_matrix(in_size, out_size).sum(axis=1), 1.0)


@pytest.mark.parametrize(
    "height, width, expected", [(600, 512, (300, 256)), (512, 600, (256, 300)), (100, 100, (256, 256))]
)
def test_the_shorter_side_becomes_256_and_the_other_is_scaled_and_rounded_down(height, width, expected):
    assert classify_image.resized_size(height, width, 256) == expected


# ------------------------------------------------------------------------------ reading images


@pytest.mark.parametrize(
    "mode, pixels, extension",
    [
        ("L", [[0, 255]], "png"),
        ("LA", [[[51, 0], [102, 255]]], "png"),
        ("RGBA", [[[255, 0, 51, 7]] * 2], "png"),
    ],
    ids=["grey", "grey and alpha", "RGBA"],
)
def test_every_image_becomes_rgb_in_0_1_with_alpha_dropped(tmp_path, mode, pixels, extension):
    path = str(tmp_path / f"image.{extension}")
    Image.fromarray(np.array(pixels, dtype=np.uint8), mode).save(path)

    image = classify_image.read_image(path)

    expected = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255
    assert image.shape == expected.shape and image.shape[2] == 3
    np.testing.assert_allclose(image, expected, atol=1e-7)


def test_a_jpeg_is_read_through_pillow_as_uint8_levels_scaled_to_0_1():
    image = classify_image.read_image(PHOTO)

    assert image.shape == (600, 512, 3) and image.dtype == np.float64
    np.testing.assert_array_equal(image * 255, np.asarray(Image.open(PHOTO), dtype=np.float64))


def test_preprocess_gives_a_normalized_224x224_rgb_input():
    inputs = classify_image.preprocess(PHOTO)

    assert inputs.shape == (3, 224, 224) and inputs.dtype == np.float32
    assert 0 <= unnormalized(inputs).min() and unnormalized(inputs).max() <= 1 + 1e-6


# ------------------------------------------------------------------------------ against torchvision


@pytest.fixture
def torchvision():
    return pytest.importorskip("torchvision")


def test_preprocessing_is_within_one_level_of_torchvisions_on_a_pil_image(torchvision):
    transforms = torchvision.transforms
    recipe = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor()])
    expected = recipe(Image.open(PHOTO).convert("RGB")).numpy()

    difference = np.abs(unnormalized(classify_image.preprocess(PHOTO)) - expected) * 255

    # PIL rounds to whole levels of 1/255 where the demo does not: measured 1.0 at most, 0.29 on average
    assert difference.max() <= 1.01 and difference.mean() <= 0.35


def test_preprocessing_equals_torchvisions_on_a_float_tensor(torchvision):
    import torch

    transforms = torchvision.transforms
    image = torch.from_numpy(classify_image.read_image(PHOTO).transpose(2, 0, 1).copy())
    expected = transforms.CenterCrop(224)(transforms.Resize(256, antialias=True)(image)).numpy()

    np.testing.assert_allclose(unnormalized(classify_image.preprocess(PHOTO)), expected, atol=1e-6)


def test_with_random_weights_the_logits_equal_torchvisions_with_the_same_weights(torchvision):
    import torch

    tinyconv.manual_seed(0)
    model = classify_image.build_model("resnet18", None)
    reference = torchvision.models.resnet18().eval()
    reference.load_state_dict({key: torch.from_numpy(value) for key, value in model.state_dict().items()})
    inputs = classify_image.preprocess(PHOTO)[None]

    logits, probabilities = classify_image.classify(model, inputs)

    expected = reference(torch.from_numpy(inputs)).detach().numpy()
    # float32 sums in another order: measured 4.6e-5 at most, on logits up to 105
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_a_torchvision_state_dict_saved_by_torch_gives_torchvisions_top5(torchvision, tmp_path, capsys):
    import torch

    torch.manual_seed(0)
    reference = torchvision.models.resnet18()
    for module in reference.modules():  # running statistics other than their start, so loading them shows
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 2.0)
    torch.save(reference.state_dict(), tmp_path / "resnet18.pth")
    transforms = torchvision.transforms
    recipe = transforms.Compose(
        [
            transforms.Resize(256),
            transforms.CenterCrop(224),
            transforms.ToTensor(),
            transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ]
    )
    expected = torch.softmax(reference.eval()(recipe(Image.open(PHOTO).convert("RGB"))[None]), dim=1)[0]

    classify_image.main(["--model", "resnet18", "--weights", str(tmp_path / "resnet18.pth"), PHOTO])

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == PHOTO and not any("RANDOM" in line for line in lines)
    names = imagenet_classes()
    top5 = torch.topk(expected, 5)
    assert [line.split("%  ")[1] for line in lines[1:6]] == [names[k] for k in top5.indices.tolist()]
    shown = [float(line.split("%")[0]) for line in lines[1:6]]
    np.testing.assert_allclose(shown, top5.values.detach().numpy() * 100, atol=0.02)


@pytest.mark.parametrize("name", ["resnet18", "resnet50", "vgg11_bn", "vit_b_32", "densenet121"])
def test_a_model_has_the_parameter_names_and_shapes_of_torchvisions_model_of_that_name(torchvision, name):
    # The others are the same classes in other sizes (tests/models checks their counts and names).
    expected = {
        key: tuple(value.shape) for key, value in getattr(torchvision.models, name)().state_dict().items()
    }

    model = classify_image.MODELS[name]()

    assert {key: value.shape for key, value in model.state_dict().items()} == expected


def test_a_densenet_file_with_the_old_names_and_without_counters_loads_as_torchvision_loads_it(
    torchvision, tmp_path
):
    import torch

    torch.manual_seed(0)
    reference = torchvision.models.densenet121()
    for module in reference.modules():  # running statistics other than their start, so loading them shows
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.2, 0.2)
    current = reference.state_dict()
    # as the published file: denselayer1.norm.1.weight for denselayer1.norm1.weight, and no counters
    published = {
        re.sub(r"(denselayer\d+\.(?:norm|conv))([12])\.", r"\1.\2.", key): value
        for key, value in current.items()
        if not key.endswith("num_batches_tracked")
    }
    assert "features.denseblock1.denselayer1.norm.1.weight" in published
    torch.save(published, tmp_path / "densenet121.pth")

    model = classify_image.build_model("densenet121", str(tmp_path / "densenet121.pth"))

    loaded = model.state_dict()
    assert loaded.keys() == current.keys()
    for key, value in current.items():
        np.testing.assert_array_equal(
            loaded[key], 0 if key.endswith("num_batches_tracked") else value, err_msg=key
        )


def test_every_model_offered_is_one_torchvision_has(torchvision):
    assert all(callable(getattr(torchvision.models, name, None)) for name in classify_image.MODELS)


# ------------------------------------------------------------------------------ runs and messages


def test_without_weights_it_warns_of_random_weights_and_prints_five_classes_per_image(capsys):
    classify_image.main([PHOTO, PHOTO])

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("WARNING: no --weights given: resnet18 has RANDOM weights (seed 0)")
    assert len(lines) == 1 + 2 * 6 and lines[1] == PHOTO and lines[7] == PHOTO
    assert lines[2:7] == lines[8:13]  # the same photo twice: the same answer
    percents = [float(line.split("%")[0]) for line in lines[2:7]]
    assert percents == sorted(percents, reverse=True) and sum(percents) <= 100.01
    assert all(line.split("%  ")[1] in imagenet_classes() for line in lines[2:7])


def test_a_missing_image_ends_the_run_with_a_message_and_status_1(tmp_path):
    run = run_demo("classify_image.py", str(tmp_path / "no photo.jpg"))

    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.strip() == (
        f"IMAGE: there is no file {tmp_path / 'no photo.jpg'}. Give the paths of photos to classify "
        "(JPEG, PNG...)."
    )


def test_a_file_that_is_not_an_image_is_refused_naming_it(tmp_path):
    (tmp_path / "notes.jpg").write_text("not a photo")

    message = exit_message([str(tmp_path / "notes.jpg")])

    assert message.startswith(f"IMAGE: cannot read {tmp_path / 'notes.jpg'} as an image")


def test_a_missing_weights_file_says_where_to_find_them(tmp_path):
    message = exit_message(["--weights", str(tmp_path / "resnet18.pth"), PHOTO])

    assert message.startswith(f"--weights: there is no file {tmp_path / 'resnet18.pth'}.")
    assert "docs/pytorch_files.md" in message


def test_a_weights_file_that_is_not_a_checkpoint_gives_tinyconv_loads_message(tmp_path):
    (tmp_path / "resnet18.pth").write_text("<html>404 Not Found</html>")

    message = exit_message(["--weights", str(tmp_path / "resnet18.pth"), PHOTO])

    assert message.startswith(f"--weights: tinyconv.load: {tmp_path / 'resnet18.pth'} is not a checkpoint")


def test_a_weights_file_that_holds_no_dict_is_refused(tmp_path):
    tinyconv.save([1, 2, 3], tmp_path / "list.ckpt")

    message = exit_message(["--weights", str(tmp_path / "list.ckpt"), PHOTO])

    assert message == f"--weights: {tmp_path / 'list.ckpt'} holds a list, not a state_dict (a dict of arrays)"


def test_weights_of_another_model_are_refused_naming_the_model(tmp_path):
    tinyconv.save(LeNet5().state_dict(), tmp_path / "lenet.ckpt")

    message = exit_message(["--weights", str(tmp_path / "lenet.ckpt"), PHOTO])

    assert message.startswith(f"--weights: {tmp_path / 'lenet.ckpt'} is not a state_dict of resnet18 (")
    assert "missing keys" in message


def test_a_resize_smaller_than_the_crop_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stopped:
        classify_image.main(["--resize", "200", PHOTO])

    assert stopped.value.code == 2
    assert "--resize must be at least the crop, 224, got 200" in capsys.readouterr().err
