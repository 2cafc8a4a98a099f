"""demos/common.py, the plumbing every demo shares: flags, --out, data, one epoch's bookkeeping,
checkpoints, pictures, and the friendly exit of the expected failures. In the module's order."""

from __future__ import annotations

import argparse
import ast
import math
import os
import pickle
import sys

import common
import numpy as np
import pytest

import tinyconv
from tinyconv import nn, optim
from tinyconv.data import MNIST, TensorDataset
from tinyconv.models import LeNet5

from .demo_testing import DEMOS, closed_port_url, is_png

# Modules beside the demos that the demos import and that are not demos themselves: common.py for
# every demo, char_corpus.py for the two character-level language models, judge.py for the three
# generative demos.
SHARED_MODULES = ("char_corpus", "common", "judge")
DEMO_NAMES = sorted(
    name[:-3] for name in os.listdir(DEMOS) if name.endswith(".py") and name[:-3] not in SHARED_MODULES
)


# ------------------------------------------------------------------------------------ the layout
def imported_modules(path: str) -> set:
    """The top-level names of every module a Python file imports."""
    with open(path, encoding="utf-8") as file:
        tree = ast.parse(file.read())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_demos_are_the_known_ones():
    assert DEMO_NAMES == [
        "activations", "alexnet_mini", "autoregressive_mnist", "backprop_graph", "char_lstm",
        "char_transformer", "classify_image", "densenet_mini", "fcn_heatmap", "fcn_segmentation",
        "gan_mnist", "init_activations", "lenet_mnist", "long_dependency", "losses", "optimizers",
        "param_counts", "resnet_depth", "seq2seq_transformer", "vae_mnist", "visualize", "vit_mnist",
        "vit_vs_cnn", "xor_mlp", "yolo_mnist",
    ]  # fmt: skip


@pytest.mark.parametrize("demo", DEMO_NAMES)
def test_no_demo_imports_another_demo_only_the_shared_plumbing(demo):
    imported = imported_modules(os.path.join(DEMOS, f"{demo}.py"))
    assert not imported & set(DEMO_NAMES), f"{demo} imports {imported & set(DEMO_NAMES)}"
    assert "common" in imported


@pytest.mark.parametrize("module", SHARED_MODULES)
def test_the_shared_modules_import_no_demo(module):
    imported = imported_modules(os.path.join(DEMOS, f"{module}.py"))
    assert not imported & set(DEMO_NAMES), f"{module} imports {imported & set(DEMO_NAMES)}"


# ----------------------------------------------------------------------------------------- flags
def smoke_parser() -> tuple:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--delays", type=int, nargs="+", default=[5, 10])
    smoke = dict(steps=40, hidden=16, delays=[2])
    common.add_smoke_flag(parser, smoke)
    return parser, smoke


def test_smoke_settings_replace_the_defaults():
    parser, smoke = smoke_parser()
    args = common.parse_with_smoke(parser, ["--smoke"], smoke)
    assert (args.steps, args.hidden, args.delays) == (40, 16, [2])


def test_smoke_never_overrides_a_flag_the_user_gave():
    parser, smoke = smoke_parser()
    args = common.parse_with_smoke(parser, ["--smoke", "--steps", "5", "--delays", "7", "8"], smoke)
    assert (args.steps, args.hidden, args.delays) == (5, 16, [7, 8])


def test_without_smoke_the_defaults_stay():
    parser, smoke = smoke_parser()
    args = common.parse_with_smoke(parser, ["--hidden", "3"], smoke)
    assert (args.steps, args.hidden, args.delays) == (1000, 3, [5, 10])


def test_smoke_help_lists_its_settings(capsys):
    parser, _ = smoke_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    assert "--steps 40 --hidden 16 --delays 2" in " ".join(capsys.readouterr().out.split())


def test_a_count_below_one_is_a_usage_error_naming_the_flag(capsys):
    parser = argparse.ArgumentParser()
    args = argparse.Namespace(batch_size=0, limit=None)
    with pytest.raises(SystemExit) as exit_info:
        common.check_at_least_one(parser, args, "limit", "batch_size")
    assert exit_info.value.code == 2  # argparse's status for a usage error
    assert "--batch-size must be at least 1, got 0" in capsys.readouterr().err


@pytest.mark.parametrize("value", [0.0, -0.1, math.nan])
def test_a_learning_rate_that_is_not_positive_is_a_usage_error(value, capsys):
    with pytest.raises(SystemExit):
        common.check_positive(argparse.ArgumentParser(), argparse.Namespace(lr=value), "lr")
    assert f"--lr must be positive, got {value}" in capsys.readouterr().err


def test_data_flags_add_dataset_only_when_there_is_a_choice():
    single, several = argparse.ArgumentParser(), argparse.ArgumentParser()
    common.add_data_flags(single)
    common.add_data_flags(several, datasets=("mnist", "fashion"))
    assert vars(single.parse_args([])) == {"data_dir": None}
    assert vars(several.parse_args(["--dataset", "fashion"])) == {"dataset": "fashion", "data_dir": None}


def test_limit_flag_says_what_it_limits(capsys):
    parser = argparse.ArgumentParser()
    common.add_limit_flag(parser, what="characters of the training text")
    assert parser.parse_args(["--limit", "500"]).limit == 500 and parser.parse_args([]).limit is None
    parser.print_help()
    help_text = " ".join(capsys.readouterr().out.split())  # argparse wraps the help at any space
    assert "train on the first N characters of the training text only" in help_text


# ----------------------------------------------------------------------------------------- --out
def test_out_folder_is_created_with_its_parents(tmp_path):
    folder = tmp_path / "a" / "b"
    common.check_out_folder(str(folder))
    assert folder.is_dir() and list(folder.iterdir()) == []  # the write test leaves nothing behind


def test_out_folder_below_a_file_stops_the_demo_with_a_message(tmp_path):
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(SystemExit, match=r"--out: cannot write into .*notes\.txt/run .*Not a directory"):
        common.check_out_folder(str(tmp_path / "notes.txt" / "run"))


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root (or Windows) writes anyway")
def test_read_only_out_folder_stops_the_demo_with_a_message(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(SystemExit, match="--out: cannot write into .*Permission denied"):
            common.check_out_folder(str(folder))
    finally:
        folder.chmod(0o700)


def test_stale_temporaries_of_the_demos_own_files_are_removed_and_nothing_else(tmp_path, capsys):
    ours = [tmp_path / ".lenet_mnist.ckpt.k2j4_x.part", tmp_path / ".curves.png.abc.part"]
    others = [
        tmp_path / ".other.ckpt.abc.part",
        tmp_path / "lenet_mnist.ckpt",
        tmp_path / ".lenet_mnist.ckpt",
    ]
    for path in ours + others:
        path.write_bytes(b"half a file")
    removed = common.remove_stale_temporaries(str(tmp_path), ["lenet_mnist.ckpt", "curves.png"])
    assert sorted(removed) == sorted(str(path) for path in ours)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(path.name for path in others)
    assert "left by an interrupted run" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------ data
def test_missing_dataset_stops_the_demo_naming_its_data_dir_flag(tmp_path, monkeypatch):
    monkeypatch.setattr(MNIST, "mirrors", (closed_port_url(),))  # offline, at once
    with pytest.raises(SystemExit) as exit_info:
        common.open_dataset("mnist", str(tmp_path), train=False)
    message = str(exit_info.value.code)
    assert "MNIST: could not download" in message  # the library's own message comes first
    assert "--data-dir DIR" in message and "TINYCONV_DATA" in message


def test_take_first_keeps_the_first_samples_in_order():
    dataset = TensorDataset(np.arange(10.0), np.arange(10))
    assert common.take_first(dataset, None) is dataset
    assert len(common.take_first(dataset, 50)) == 10
    first = common.take_first(dataset, 3)
    assert len(first) == 3 and [first[i][1] for i in range(3)] == [0, 1, 2]


# ------------------------------------------------------------------------------------- one epoch
def test_epoch_stats_weigh_each_batch_by_its_size():
    stats = common.EpochStats()
    stats.add(1.0, 30, correct=15)  # a full batch
    stats.add(4.0, 10, correct=10)  # the smaller last batch
    assert stats.loss == pytest.approx((1.0 * 30 + 4.0 * 10) / 40)
    assert stats.accuracy == 25 / 40
    assert stats.seconds > 0
    assert stats.postfix()["loss"] == "4.0000"  # the bar shows the last batch's loss


def test_count_correct_compares_each_rows_largest_score_with_its_label():
    logits = tinyconv.Tensor(np.array([[0.1, 2.0, 0.3], [5.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))
    labels = tinyconv.Tensor(np.array([1, 2, 2]))
    assert common.count_correct(logits, labels) == 2


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_loss_that_is_not_finite_stops_training_with_a_message(value):
    with pytest.raises(SystemExit, match=rf"training stopped at epoch 3: the loss is {value}\. Nothing"):
        common.stop_if_not_finite(tinyconv.Tensor(np.float32(value)), "epoch 3")


def test_a_finite_loss_lets_training_go_on():
    common.stop_if_not_finite(tinyconv.Tensor(np.float32(1e30)), "epoch 1")


def test_evaluate_counts_the_right_answers_in_eval_mode():
    # A linear layer that scores class k by x_k: it is right exactly where the label is x's argmax.
    model = nn.Sequential(nn.Dropout(0.5), nn.Linear(3, 3))
    model[1].weight.data[...] = np.eye(3, dtype=np.float32)
    model[1].bias.data[...] = 0
    x = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], dtype=np.float32)
    dataset = TensorDataset(x, np.array([0, 1, 0, 0]))
    assert common.evaluate(model, dataset, batch_size=3) == 3 / 4  # the same every time: no dropout
    assert not model.training


def test_epoch_line_shows_each_value_with_its_name():
    row = {"loss": 0.04123, "test_accuracy": 0.98712, "seconds": 9.84}
    assert common.epoch_line(3, 15, row) == "epoch  3/15  loss 0.0412  test accuracy 0.9871  time 9.8 s"


# ----------------------------------------------------------------------------------- checkpoints
def small_run(tmp_path, **settings):
    """A trained-for-one-step linear model, its Adam, and the settings of its run."""
    tinyconv.manual_seed(0)
    model = nn.Linear(3, 2)
    optimizer = optim.Adam(model.parameters(), lr=0.1)
    loss = (model(tinyconv.randn(4, 3)) ** 2).mean()
    loss.backward()
    optimizer.step()
    args = argparse.Namespace(lr=0.1, seed=0, out=str(tmp_path), **settings)
    return model, optimizer, args


def test_checkpoint_round_trip_restores_weights_optimizer_history_and_epoch(tmp_path):
    model, optimizer, args = small_run(tmp_path)
    path = str(tmp_path / "run.ckpt")
    common.save_checkpoint(path, model, optimizer, {"loss": [0.5, 0.25]}, 2, args)
    assert os.listdir(tmp_path) == ["run.ckpt"]  # written atomically: no temporary file left

    fresh = nn.Linear(3, 2)
    fresh_optimizer = optim.Adam(fresh.parameters(), lr=0.1)
    history, epoch = common.restore(
        common.resume_checkpoint(path, args, ("lr", "seed")), fresh, fresh_optimizer
    )
    assert (history, epoch) == ({"loss": [0.5, 0.25]}, 2)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[key], value)
    moments = fresh_optimizer.state_dict()["state"][0]
    np.testing.assert_array_equal(moments["exp_avg"], optimizer.state_dict()["state"][0]["exp_avg"])


def test_resume_refuses_other_settings_and_names_each(tmp_path):
    model, optimizer, args = small_run(tmp_path, batch_size=32)
    path = str(tmp_path / "run.ckpt")
    common.save_checkpoint(path, model, optimizer, {}, 1, args)
    args.lr, args.batch_size = 0.2, 64
    expected = r"--lr was 0\.1, now 0\.2; --batch-size was 32, now 64\)\. Resume with the same settings"
    with pytest.raises(SystemExit, match=expected):
        common.resume_checkpoint(path, args, ("lr", "seed", "batch_size"))


def test_resume_ignores_settings_it_is_not_told_to_check(tmp_path):
    model, optimizer, args = small_run(tmp_path)
    path = str(tmp_path / "run.ckpt")
    common.save_checkpoint(path, model, optimizer, {}, 1, args)
    args.out = str(tmp_path / "moved")  # --out, --data-dir, --epochs may change between runs
    assert common.resume_checkpoint(path, args, ("lr", "seed"))["epoch"] == 1


def test_reading_a_missing_checkpoint_says_what_to_do(tmp_path):
    path = tmp_path / "none.ckpt"
    with pytest.raises(
        SystemExit, match=r"--resume: no checkpoint to load: no file at .*none\.ckpt; run without"
    ):
        common.read_checkpoint(str(path), "--resume", "run without --resume first")


def test_a_checkpoint_cut_short_is_refused_with_a_message(tmp_path):
    model, optimizer, args = small_run(tmp_path)
    path = tmp_path / "run.ckpt"
    common.save_checkpoint(str(path), model, optimizer, {}, 1, args)
    path.write_bytes(path.read_bytes()[:100])  # as a copy that stopped halfway
    with pytest.raises(SystemExit, match=r"--resume: .*run\.ckpt cannot be read as a checkpoint \(.*damaged"):
        common.read_checkpoint(str(path), "--resume", "")


def test_a_file_that_is_no_checkpoint_is_refused_naming_what_it_lacks(tmp_path):
    path = tmp_path / "list.ckpt"
    path.write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(SystemExit, match="is not a checkpoint of this demo .*'model', 'epoch'"):
        common.read_checkpoint(str(path), "--checkpoint", "", keys=("model", "epoch"))


@pytest.mark.parametrize("where, bad", [("model", np.nan), ("optimizer", np.inf)])
def test_a_checkpoint_holding_nan_or_infinity_is_refused_naming_the_array(tmp_path, where, bad):
    model, optimizer, args = small_run(tmp_path)
    if where == "model":
        model.weight.data[0, 1] = bad
    else:
        optimizer.state[model.bias]["exp_avg_sq"][1] = bad
    path = str(tmp_path / "diverged.ckpt")
    common.save_checkpoint(path, model, optimizer, {}, 1, args)
    name = "model/weight" if where == "model" else "optimizer/state/1/exp_avg_sq"
    with pytest.raises(
        SystemExit, match=f"holds NaN or infinite values \\(in {name}\\): the run .* had diverged"
    ):
        common.resume_checkpoint(path, args, ("lr",))


def test_non_finite_arrays_walks_nested_dicts_and_lists_and_skips_integers():
    tree = {
        "a": np.zeros(2),
        "b": [np.ones(1), {"c": np.array([1.0, np.nan])}],
        "d": np.arange(3),
        "e": math.nan,
    }
    assert common.non_finite_arrays(tree) == ["b/1/c"]


def test_make_optimizer_builds_adam_or_nesterov_sgd():
    parameters = list(nn.Linear(2, 2).parameters())
    assert isinstance(common.make_optimizer("adam", parameters, 0.01), optim.Adam)
    sgd = common.make_optimizer("sgd", parameters, 0.01)
    assert isinstance(sgd, optim.SGD) and sgd.state_dict()["param_groups"][0]["nesterov"] is True


def test_warmup_cosine_climbs_a_straight_line_then_falls_along_a_cosine_to_zero():
    factor = common.warmup_cosine(100)  # a warm-up of 10 steps

    def cosine(step):
        return (1 + math.cos(math.pi * step / 100)) / 2

    assert factor(0) == pytest.approx(0.1)
    warm_up = [factor(step) / cosine(step) for step in range(10)]
    assert warm_up == pytest.approx([0.1 * k for k in range(1, 11)])  # a straight line up to 1
    assert [factor(step) for step in (10, 55, 99)] == pytest.approx([cosine(10), cosine(55), cosine(99)])
    assert factor(100) == pytest.approx(0.0, abs=1e-12)
    assert common.warmup_cosine(3)(0) == pytest.approx(1.0)  # a run too short to warm up starts at full rate


def test_warmup_cosine_drives_lambda_lr_and_resumes_where_it_left_off():
    parameters = list(nn.Linear(2, 2).parameters())
    optimizer = optim.AdamW(parameters, lr=1.0)
    scheduler = optim.lr_scheduler.LambdaLR(optimizer, common.warmup_cosine(20))
    for _ in range(7):
        scheduler.step()
    resumed = optim.AdamW(parameters, lr=1.0)
    resumed.load_state_dict(optimizer.state_dict())
    optim.lr_scheduler.LambdaLR(resumed, common.warmup_cosine(20), last_epoch=6)
    assert resumed.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"] == common.warmup_cosine(20)(7)


def test_the_learning_rate_warms_up_in_a_straight_line_then_follows_half_a_cosine_to_zero():
    factor = common.linear_warmup_then_cosine(warmup_steps=4, total_steps=104)
    assert [factor(step) for step in range(5)] == [0.25, 0.5, 0.75, 1.0, 1.0]
    assert factor(54) == pytest.approx(0.5)  # halfway down the cosine
    assert factor(29) == pytest.approx((1 + math.cos(math.pi / 4)) / 2)
    assert factor(104) == pytest.approx(0.0, abs=1e-12)


# -------------------------------------------------------------------------------------- pictures
def test_a_one_epoch_curve_shows_its_point_at_epoch_1_with_whole_epoch_ticks():
    figure = common.curves_figure(
        {"loss": {"train": [0.7]}, "accuracy": {"train": [0.6], "test": [0.5]}}, "run"
    )
    for axes in figure.axes:
        low, high = axes.get_xlim()
        assert low < 1 < high  # the point is inside the panel, not on its edge
        shown = [tick for tick in axes.get_xticks() if low <= tick <= high]
        assert shown == [1.0]
        for line in axes.get_lines():
            assert line.get_marker() not in (None, "", "None", " ")  # a lone point needs a marker to show
            assert list(line.get_xdata()) == [1]


def test_curves_are_marked_at_whole_epochs_only():
    figure = common.curves_figure({"loss": {"train": list(np.linspace(1, 0, 15))}}, "run")
    axes = figure.axes[0]
    low, high = axes.get_xlim()
    shown = [tick for tick in axes.get_xticks() if low <= tick <= high]
    assert len(shown) >= 3 and all(tick == int(tick) for tick in shown)


def test_a_panel_of_several_lines_has_a_legend_naming_them():
    figure = common.curves_figure({"accuracy": {"train (augmented)": [0.5, 0.6], "test": [0.7, 0.8]}}, "run")
    assert [text.get_text() for text in figure.axes[0].get_legend().get_texts()] == [
        "train (augmented)",
        "test",
    ]


def test_save_figure_writes_a_png_and_no_temporary_file(tmp_path):
    common.save_figure(common.curves_figure({"loss": {"train": [1.0]}}, "run"), str(tmp_path / "curves.png"))
    assert os.listdir(tmp_path) == ["curves.png"] and is_png(tmp_path / "curves.png")


# --------------------------------------------------------------------------------------- the end
def test_count_parameters_of_lenet5_is_the_papers_61706():
    assert common.count_parameters(LeNet5()) == 61_706  # docs/lenet.md: layer by layer


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads Linux's /proc")
def test_peak_memory_is_the_kernels_high_water_mark():
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    high_water_mib = int(fields["VmHWM"].split()[0]) / 1024  # in kB
    assert common.peak_memory_mib() == pytest.approx(high_water_mib, abs=2)


def test_time_and_memory_line():
    assert common.time_and_memory_line(123.45).startswith("training time 123.5 s, peak memory ")
    assert common.time_and_memory_line(1.0).endswith(" MiB")
