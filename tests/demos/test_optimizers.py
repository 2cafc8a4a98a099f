"""demos/optimizers.py: the paths on the bowl are the optimizers' formulas worked out by hand, SGD
zig-zags across the valley, the figure draws the paths computed, and on MNIST every optimizer starts
from the same weights and the same batch."""

from __future__ import annotations

import re

import numpy as np
import optimizers
import pytest

import tinyconv
import tinyconv.functional as F
from tinyconv.data import MNIST, DataLoader, Subset

from .demo_testing import DATA_DIR, is_png, needs_mnist


def bowl_gradient(point: np.ndarray) -> np.ndarray:
    """The gradient of f(x, y) = x^2 / 20 + y^2: (x / 10, 2 y)."""
    return np.array([point[0] / 10, 2 * point[1]])


def test_sgd_on_the_bowl_shrinks_x_by_0_905_and_flips_y_by_minus_0_9_each_step():
    path = optimizers.path_on_bowl("SGD", 0.95, 12)
    k = np.arange(13)
    # p <- p - 0.95 (x / 10, 2 y): x <- (1 - 0.095) x, y <- (1 - 1.9) y
    np.testing.assert_allclose(path[:, 0], -7.0 * 0.905**k, rtol=1e-12)
    np.testing.assert_allclose(path[:, 1], 2.0 * (-0.9) ** k, rtol=1e-12)
    assert optimizers.sign_changes(path[:, 1]) == 12  # the zig-zag: across the valley at every step


def test_momentum_on_the_bowl_follows_the_velocity_by_hand():
    path = optimizers.path_on_bowl("Momentum", 0.1, 4)
    point, velocity = np.array([-7.0, 2.0]), None
    for k in range(1, 5):
        gradient = bowl_gradient(point)
        velocity = gradient if velocity is None else 0.9 * velocity + gradient  # PyTorch's first step: v = g
        point = point - 0.1 * velocity
        np.testing.assert_allclose(path[k], point, rtol=1e-12, err_msg=f"step {k}")


def test_nesterov_on_the_bowl_steps_along_the_gradient_plus_the_velocity_ahead():
    path = optimizers.path_on_bowl("Nesterov", 0.1, 3)
    point, velocity = np.array([-7.0, 2.0]), np.zeros(2)
    for k in range(1, 4):
        gradient = bowl_gradient(point)
        velocity = 0.9 * velocity + gradient
        point = point - 0.1 * (gradient + 0.9 * velocity)
        np.testing.assert_allclose(path[k], point, rtol=1e-12, err_msg=f"step {k}")


def test_adam_and_adagrad_first_steps_are_the_learning_rate_in_each_coordinate():
    # Adam: m_hat / sqrt(v_hat) = g / |g| on step 1; AdaGrad: g / sqrt(g^2). Both move each coordinate by
    # lr towards the minimum, however different the two slopes (1/10 against 4 at the start).
    adam = optimizers.path_on_bowl("Adam", 0.3, 1)
    adagrad = optimizers.path_on_bowl("AdaGrad", 1.5, 1)
    np.testing.assert_allclose(adam[1], [-7.0 + 0.3, 2.0 - 0.3], rtol=1e-7)
    np.testing.assert_allclose(adagrad[1], [-7.0 + 1.5, 2.0 - 1.5], rtol=1e-7)


def test_sign_changes_counts_crossings_of_zero():
    assert optimizers.sign_changes(np.array([2.0, -1.0, 0.5, 0.25, -0.1])) == 3
    assert optimizers.sign_changes(np.array([2.0, 1.0, 0.5])) == 0


def test_bowl_part_prints_each_final_point_and_draws_each_path(tmp_path, capsys):
    # --bowl-only needs no MNIST: a data folder that does not exist is never opened
    result = optimizers.main(["--bowl-only", "--out", str(tmp_path), "--data-dir", str(tmp_path / "none")])
    printed = capsys.readouterr().out
    line = next(line for line in printed.splitlines() if line.strip().startswith("SGD"))
    pattern = r"ends at \(\s*(\S+),\s*(\S+)\)\s+f (\S+)\s+y changed sign (\d+)"
    x, y, f, changes = re.search(pattern, line).groups()
    # 30 steps of SGD at 0.95, by hand
    expected_x, expected_y = -7.0 * 0.905**30, 2.0 * (-0.9) ** 30
    assert float(x) == pytest.approx(expected_x, abs=5e-4)
    assert float(y) == pytest.approx(expected_y, abs=5e-4)
    assert float(f) == pytest.approx(expected_x**2 / 20 + expected_y**2, rel=5e-3)
    assert int(changes) == 30
    assert is_png(tmp_path / optimizers.BOWL_PLOT)

    figure = optimizers.plot_bowl(result["paths"])
    panels = {axes.get_title().split(" (")[0]: axes for axes in figure.axes[:7]}
    assert list(panels) == list(optimizers.OPTIMIZERS)
    for name, axes in panels.items():
        drawn = [line for line in axes.get_lines() if len(line.get_xdata()) == 31]
        assert len(drawn) == 1, name
        np.testing.assert_array_equal(drawn[0].get_xydata(), result["paths"][name])


def test_optimizers_demo_refuses_zero_steps(tmp_path):
    with pytest.raises(SystemExit):
        optimizers.main(["--steps", "0", "--bowl-only", "--out", str(tmp_path)])


@needs_mnist
def test_mnist_part_starts_every_optimizer_from_the_same_loss_and_prints_the_table(tmp_path, capsys):
    flags = ["--limit", "200", "--epochs", "1", "--batch-size", "50", "--steps", "3", "--out", str(tmp_path)]
    results = optimizers.main(flags)["mnist"]
    printed = capsys.readouterr().out

    # The first loss, computed here: the seeded initial MLP on the first shuffled batch of 50.
    tinyconv.manual_seed(0)
    initial = optimizers.mlp()
    tinyconv.manual_seed(0)
    images, labels = next(iter(DataLoader(Subset(MNIST(DATA_DIR), np.arange(200)), 50, shuffle=True)))
    first_loss = F.cross_entropy(initial(images), labels).item()
    for name, result in results.items():
        assert len(result["losses"]) == 4, name  # 200 images in batches of 50
        assert result["losses"][0] == pytest.approx(first_loss, rel=1e-6), name
    # after one step each optimizer has gone its own way
    assert len({round(result["losses"][1], 6) for result in results.values()}) > 1

    lines = printed.splitlines()
    rows = lines[[line.split()[:1] for line in lines].index(["optimizer"]) + 1 :]  # the table, last
    assert [row.split()[0] for row in rows] == list(optimizers.OPTIMIZERS)
    for row in rows:
        name, lr, first, last, accuracy = row.split()
        assert float(lr) == optimizers.MNIST_LR[name]
        assert float(first) == pytest.approx(np.mean(results[name]["losses"]), abs=5e-5)
        assert float(accuracy) == pytest.approx(results[name]["test_accuracy"], abs=5e-5)
        assert 0.0 <= float(accuracy) <= 1.0
    assert is_png(tmp_path / optimizers.MNIST_PLOT)
