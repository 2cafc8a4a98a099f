"""demos/judge.py, the LeNet-5 that scores generated digits: the inception score, the class fractions and the
Frechet distance on cases whose value is known, the judge's view of images (probabilities and the 84
features), finding, training and refusing checkpoints.
"""

from __future__ import annotations

import math

import judge
import numpy as np
import pytest

import tinyconv
from tinyconv.data import MNIST
from tinyconv.models import VAE, LeNet5

from .demo_testing import needs_mnist

# ------------------------------------------------------------------------------------- the scores


def test_ten_confident_and_equally_frequent_classes_score_ten():
    assert judge.inception_score(np.eye(10)[np.arange(1000) % 10]) == pytest.approx(10.0)


def test_one_class_for_every_image_or_no_confidence_at_all_scores_one():
    assert judge.inception_score(np.eye(10)[np.zeros(50, dtype=int)]) == pytest.approx(1.0)
    assert judge.inception_score(np.full((50, 10), 0.1)) == pytest.approx(1.0)


def test_the_inception_score_by_hand_on_two_images():
    # p(y | x) = (1, 0) and (1/2, 1/2): p(y) = (3/4, 1/4); KL_1 = log(4/3), KL_2 = 1/2 log(2/3) + 1/2 log 2.
    kl = [math.log(4 / 3), 0.5 * math.log(2 / 3) + 0.5 * math.log(2)]
    assert judge.inception_score(np.array([[1.0, 0.0], [0.5, 0.5]])) == pytest.approx(math.exp(np.mean(kl)))


def test_class_fractions_count_the_most_probable_class():
    probabilities = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])
    np.testing.assert_allclose(judge.class_fractions(probabilities), [0.5, 0.25, 0.25])


def test_the_frechet_distance_of_a_set_to_itself_is_zero():
    features = np.random.default_rng(0).standard_normal((500, 6))
    assert judge.frechet_distance(features, features) == pytest.approx(0.0, abs=1e-8)


def test_the_frechet_distance_of_a_shifted_set_is_the_squared_shift():
    features = np.random.default_rng(0).standard_normal((500, 4)) @ np.diag([1.0, 2.0, 0.5, 1.0])
    shift = np.array([1.0, -2.0, 0.0, 3.0])
    assert judge.frechet_distance(features, features + shift) == pytest.approx(14.0)


def test_the_frechet_distance_of_diagonal_gaussians_is_the_sum_of_squared_mean_and_std_differences():
    # For commuting covariances, Tr(S_a + S_b - 2 (S_a S_b)^1/2) = sum (sigma_a - sigma_b)^2.
    rng = np.random.default_rng(1)
    a = rng.standard_normal((20_000, 3))
    a = (a - a.mean(0)) / a.std(0, ddof=1)  # exactly mean 0 and standard deviation 1 per column
    b = a * np.array([2.0, 1.0, 3.0]) + np.array([1.0, 0.0, 0.0])
    expected = 1.0 + (2.0 - 1) ** 2 + 0 + (3.0 - 1) ** 2
    assert judge.frechet_distance(a, b) == pytest.approx(expected, rel=0.02)  # (a's columns are not
    # exactly uncorrelated, hence the 2%)


def test_a_score_line_shows_all_three_numbers():
    score = judge.Score(9.123, np.full(10, 0.1), 3.456)
    assert score.line("GAN samples") == (
        "GAN samples: inception score 9.12, Frechet distance 3.46, digits 0-9 " + " ".join(["10.0%"] * 10)
    )


# ---------------------------------------------------------------------------------- the judge's view


def test_the_judge_gives_class_probabilities_and_the_84_features_of_f6():
    tinyconv.manual_seed(0)
    model = LeNet5()
    images = np.random.default_rng(0).random((3, 1, 28, 28)).astype(np.float32)
    probabilities, features = judge.Judge(model).look(images)
    assert probabilities.shape == (3, 10) and features.shape == (3, 84)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    assert (features >= 0).all()  # after F6's ReLU
    normalized = tinyconv.Tensor((images - 0.1307) / 0.3081)
    with tinyconv.no_grad():
        logits = model(normalized).numpy()
    np.testing.assert_allclose(
        np.log(probabilities), logits - np.log(np.exp(logits).sum(1, keepdims=True)), atol=1e-5
    )


def test_the_judge_takes_flat_images_too():
    tinyconv.manual_seed(0)
    images = np.random.default_rng(0).random((2, 784)).astype(np.float32)
    flat, _ = judge.Judge(LeNet5()).look(images)
    square, _ = judge.Judge(LeNet5()).look(images.reshape(2, 1, 28, 28))
    assert flat.shape == square.shape == (2, 10)


def test_the_judge_refuses_images_outside_zero_one():
    with pytest.raises(ValueError, match=r"judge: images must have pixels in \[0, 1\]"):
        judge.Judge(LeNet5()).look(np.full((2, 1, 28, 28), -1.0))


def test_the_judge_refuses_images_that_are_not_28_by_28():
    with pytest.raises(ValueError, match=r"judge: expected 28 x 28 images.*got shape \(2, 1, 32, 32\)"):
        judge.Judge(LeNet5()).look(np.zeros((2, 1, 32, 32)))


# --------------------------------------------------------------------------------- which checkpoint


def saved(tmp_path, model, name: str = "judge.ckpt") -> str:
    path = str(tmp_path / name)
    tinyconv.save({"model": model.state_dict()}, path)
    return path


def test_a_lenet5_checkpoint_given_with_judge_is_loaded(tmp_path, capsys):
    tinyconv.manual_seed(3)
    model = LeNet5()
    loaded = judge.load_judge(saved(tmp_path, model), data_dir=None)
    np.testing.assert_array_equal(loaded.model.features[0].weight.data, model.features[0].weight.data)
    assert "judge: LeNet-5 from" in capsys.readouterr().out


def test_a_checkpoint_of_another_network_is_refused_with_a_message(tmp_path):
    path = saved(tmp_path, VAE(latent=2))
    with pytest.raises(SystemExit, match=r"--judge: .* does not hold the weights of LeNet-5.*missing keys"):
        judge.load_judge(path, data_dir=None)


def test_a_lenet5_with_another_number_of_classes_is_refused(tmp_path):
    path = saved(tmp_path, LeNet5(num_classes=5))
    with pytest.raises(SystemExit, match=r"does not hold the weights of LeNet-5.*classifier\.4\.weight"):
        judge.load_judge(path, data_dir=None)


def test_a_judge_path_with_no_file_says_how_to_get_one(tmp_path):
    with pytest.raises(SystemExit, match=r"--judge: no checkpoint to load.*python demos/lenet_mnist\.py"):
        judge.load_judge(str(tmp_path / "nothing.ckpt"), data_dir=None)


@needs_mnist
def test_without_any_checkpoint_a_judge_is_trained_saved_and_then_loaded(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no runs/lenet_mnist here
    monkeypatch.setattr(judge, "JUDGE_CACHE", str(tmp_path / "cache" / "judge.ckpt"))
    monkeypatch.setattr(judge, "JUDGE_EPOCHS", 1)
    trained = judge.train_judge  # a short run: 1 epoch on 512 images
    monkeypatch.setattr(judge, "train_judge", lambda path, data_dir: trained(path, data_dir, 1, limit=512))
    loaded = judge.load_judge(None, data_dir=None)
    assert (tmp_path / "cache" / "judge.ckpt").exists()
    assert isinstance(loaded.model, LeNet5)


@needs_mnist
def test_the_real_test_set_is_the_reference_and_a_limit_takes_its_first_images(tmp_path):
    tinyconv.manual_seed(0)
    model = judge.Judge(LeNet5())
    features, ceiling = judge.real_test_reference(model, data_dir=None, limit=300)
    assert features.shape == (300, 84)
    first_test_images = MNIST(train=False).images[:300] / 255.0
    np.testing.assert_allclose(features, model.look(first_test_images)[1], rtol=1e-6)
    assert 1.0 <= ceiling.inception <= 10.0 and ceiling.fractions.sum() == pytest.approx(1.0)
    assert ceiling.frechet >= 0
