"""The Korean study guide (docs/ko/README.md) and glossary (docs/ko/glossary.md) stay true to the code.

Each topic of the guide names the code that implements it, the test that proves it, the docs page, a
demo command and the numbers the project reports; each row of the glossary names tinyconv's spelling
of a term. Here every one of those claims is checked:

- a path in backticks exists, and `tests/x.py::test_y` names a test defined in that file;
- a dotted name (`tinyconv.functional.conv2d`) imports: its longest importable prefix, then attributes;
- a demo command's flags appear in the demo's `--help` (run once per demo, see demo_help);
- every number on a topic's "수치" line, in order, equals what the code computes here or what the demo's
  docstring or docs/benchmarks.md reports as measured, parsed from that text (never copied into this
  file). A number equals when it agrees to the digits written: 0.141 for sqrt(0.02) = 0.14142.
- the glossary is in 가나다 order by the rule its preamble states (한글 맞춤법 제4항 [붙임 2]).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import math
import re
import shlex
import subprocess
import sys
import unicodedata
from functools import cache
from pathlib import Path

import pytest

import tinyconv
import tinyconv.functional as F
from tinyconv import detection, init, models, nn
from tinyconv.shapes import conv_output_size

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "ko" / "README.md"
GLOSSARY = ROOT / "docs" / "ko" / "glossary.md"
DEMOS = ROOT / "demos"
FIELDS = ("코드", "테스트", "문서", "데모", "수치")

# ---------------------------------------------------------------------------------------------------
# Reading the two pages
# ---------------------------------------------------------------------------------------------------


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def code_spans(text: str) -> list[str]:
    return re.findall(r"`([^`\n]+)`", text)


def section(text: str, heading: str) -> str:
    """The text under a `## heading`, up to the next heading of that level."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, f"no '## {heading}' section"
    return match[1]


def topics() -> list[dict]:
    """The study path's topics in order: title, prose, and the five labelled lines (a line goes on over
    the indented lines below it)."""
    found = []
    for block in re.split(r"^### ", section(read(GUIDE), "학습 경로"), flags=re.M)[1:]:
        title, _, body = block.partition("\n")
        prose, fields = [], {}
        label = None
        for line in body.splitlines():
            item = re.match(r"- (\S+): (.*)", line)
            if item and item[1] in FIELDS:
                label = item[1]
                fields[label] = item[2]
            elif label and line.startswith("  "):
                fields[label] += " " + line.strip()
            elif not fields:
                prose.append(line)
        found.append({"title": title.strip(), "prose": " ".join(prose).strip(), "fields": fields})
    return found


def glossary_rows() -> list[tuple[str, str, str]]:
    rows = re.findall(r"^\| (.+?) \| (.+?) \| (.+?) \|$", read(GLOSSARY), flags=re.M)
    return [row for row in rows if row[0] != "한국어" and not row[0].startswith("---")]


# A number as the guide writes it: 1,516 or 0.9854 or 3.1e-6 or -12, optionally a percentage. Not a
# number: the digits of a name or a size glued to letters, hyphens or slashes (LeNet-5, C1, 3x3, ViT-B/16).
NUMBER = re.compile(r"(?<![\w.\-/^])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[-+]?\d+)?(?![A-Za-z0-9_])")


def numbers_in(text: str) -> list[str]:
    return NUMBER.findall(re.sub(r"`[^`]*`", " ", text))


def agrees(written: str, value: float) -> bool:
    """`written` agrees with `value` to the digits it shows (half a unit of its last place)."""
    mantissa, _, exponent = written.replace(",", "").partition("e")
    decimals = len(mantissa.partition(".")[2])
    tolerance = 0.5 * 10.0 ** (-decimals + int(exponent or 0))
    return abs(float(written.replace(",", "")) - value) <= tolerance * (1 + 1e-9)


def number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


# ---------------------------------------------------------------------------------------------------
# What a backticked span is, and how it is checked
# ---------------------------------------------------------------------------------------------------


def kind_of(span: str) -> str | None:
    if span.startswith("python "):
        return "command"
    if "::" in span:
        return "test"
    if re.fullmatch(r"[\w./-]+\.(?:py|md)|[\w./-]+/", span):
        return "path"
    if re.fullmatch(r"tinyconv(?:\.\w+)*", span):
        return "name"
    return None


def resolve(name: str):
    """The object a dotted name names: its longest importable module, then attributes."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:end]))
        except ImportError:
            continue
        for attribute in parts[end:]:
            found = getattr(found, attribute)
        return found
    raise ImportError(name)


# Runs `demos/x.py --help` for every demo asked, each as __main__ with its own sys.argv, as `python
# demos/x.py --help` does, but in one interpreter: the demos share their imports (NumPy, matplotlib,
# tinyconv), which take most of a start, so 20 demos cost one start instead of twenty.
HELP_RUNNER = """
import contextlib, io, json, os, runpy, sys
helps = {}
for path in sys.argv[1:]:
    sys.argv = [path, "--help"]
    sys.path.insert(0, os.path.dirname(path))
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(path, run_name="__main__")
        code = "returned without exiting"
    except SystemExit as exit:
        code = exit.code
    helps[path] = {"code": code, "text": out.getvalue()}
print(json.dumps(helps))
"""


@cache
def demo_helps(paths: tuple[str, ...]) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", HELP_RUNNER, *paths], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def guide_commands() -> list[str]:
    return [span for span in code_spans(read(GUIDE)) if kind_of(span) == "command"]


def demo_help(script: str) -> str:
    """The `--help` text of one demo; all demos the guide names are run together, once."""
    scripts = tuple(sorted({str(ROOT / shlex.split(c)[1]) for c in guide_commands()}))
    entry = demo_helps(scripts)[str(ROOT / script)]
    assert entry["code"] in (0, None), f"{script} --help exited with {entry['code']}"
    return entry["text"]


SPANS = sorted({span for page in (GUIDE, GLOSSARY) for span in code_spans(read(page))})


@pytest.mark.parametrize("path", [s for s in SPANS if kind_of(s) == "path"])
def test_each_path_named_exists(path):
    assert (ROOT / path).exists(), f"{path} is named in docs/ko but does not exist"


@pytest.mark.parametrize("name", [s for s in SPANS if kind_of(s) == "name"])
def test_each_dotted_name_imports(name):
    resolve(name)


@pytest.mark.parametrize("node", [s for s in SPANS if kind_of(s) == "test"])
def test_each_test_named_is_defined_in_its_file(node):
    path, _, function = node.partition("::")
    assert (ROOT / path).is_file(), f"{path} does not exist"
    assert re.search(rf"^def {re.escape(function)}\(", read(ROOT / path), flags=re.M), (
        f"{path} defines no test named {function}"
    )


@pytest.mark.parametrize("command", guide_commands())
def test_each_demo_command_uses_flags_its_demo_has(command):
    words = shlex.split(command)
    assert words[0] == "python" and words[1].startswith("demos/"), command
    assert (ROOT / words[1]).is_file(), f"{words[1]} does not exist"
    text = demo_help(words[1])
    for flag in (word for word in words[2:] if word.startswith("--")):
        assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text), f"{words[1]} --help has no {flag}"


def test_every_span_of_the_topic_lines_and_the_glossary_names_something_checkable():
    lines = [t["fields"][label] for t in topics() for label in ("코드", "테스트", "문서", "데모")]
    lines += [row[2] for row in glossary_rows()]
    for line in lines:
        spans = code_spans(line)
        assert spans, f"nothing in backticks: {line}"
        for span in spans:
            assert kind_of(span), f"`{span}` is neither a path, a test, a dotted name nor a command"


def test_markdown_links_point_to_files_that_exist():
    for page in (GUIDE, GLOSSARY):
        for target in re.findall(r"\]\(([^)#\s]+)\)", read(page)):
            assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"


# ---------------------------------------------------------------------------------------------------
# The guide's shape
# ---------------------------------------------------------------------------------------------------


def test_the_english_readme_links_to_the_korean_guide_in_its_first_lines():
    head = "\n".join(read(ROOT / "README.md").splitlines()[:5])
    assert "docs/ko/README.md" in head


def test_the_guide_gives_the_readmes_two_quickstart_commands_word_for_word():
    def commands(text: str) -> list[str]:
        return [line.strip() for line in text.splitlines() if line.startswith("    ")]

    english = commands(section(read(ROOT / "README.md"), "Quickstart"))
    assert len(english) == 2
    assert commands(section(read(GUIDE), "빠른 시작")) == english


def test_each_topic_has_two_or_three_sentences_and_the_five_lines():
    for topic in topics():
        sentences = re.findall(r"\.(?:\s|$)", re.sub(r"`[^`]*`", "", topic["prose"]))
        assert 2 <= len(sentences) <= 3, f"{topic['title']}: {len(sentences)} sentences"
        assert re.search("[가-힣]", topic["prose"]), topic["title"]
        assert tuple(topic["fields"]) == FIELDS, f"{topic['title']}: lines {tuple(topic['fields'])}"


# ---------------------------------------------------------------------------------------------------
# The numbers: what each topic's "수치" line must say, computed or parsed from the measured record
# ---------------------------------------------------------------------------------------------------


@cache
def docstring(demo: str) -> str:
    return ast.get_docstring(ast.parse(read(DEMOS / f"{demo}.py")))


def find(pattern: str, text: str) -> tuple[str, ...]:
    """The groups of `pattern` in `text`, read with every run of white space as one space (a docstring's
    sentence may break its line anywhere)."""
    match = re.search(pattern, re.sub(r"\s+", " ", text))
    assert match, f"the measured record no longer says /{pattern}/"
    return match.groups()


def benchmarks() -> str:
    return read(ROOT / "docs" / "benchmarks.md")


def count(module) -> int:
    return sum(parameter.numel() for parameter in module.parameters())


def demo_module(name: str):
    if str(DEMOS) not in sys.path:
        sys.path.insert(0, str(DEMOS))
    return importlib.import_module(name)


def xor_numbers():
    text = docstring("xor_mlp")
    (output,) = find(r"an output of ([\d.]+) at every point", text)
    stalled, first, last = find(r"in (\d+) of the seeds (\d+)-(\d+)", text)
    (loss,) = find(r"stalls near ([\d.]+)", text)
    return [number(output), int(last) - int(first) + 1, number(stalled), number(loss)]


def cnn_structure_numbers():
    model = models.LeNet5()
    convolutions = sum(count(m) for m in model.modules() if isinstance(m, nn.Conv2d))
    linears = sum(count(m) for m in model.modules() if isinstance(m, nn.Linear))
    assert convolutions + linears == count(model)
    return [convolutions, linears, 100 * linears / count(model)]


def output_size_numbers():
    """The notes' C1 and S2 and the im2col page's stride-2 example: (size, kernel, padding, stride) are
    given; the output is computed by the formula and checked against a real convolution or pooling."""
    cases = [(32, 5, 0, 1, "conv"), (28, 2, 0, 2, "pool"), (8, 3, 0, 2, "conv")]
    expected = []
    for size, kernel, padding, stride, op in cases:
        out = conv_output_size(size, kernel, stride, padding)
        x = tinyconv.zeros(1, 1, size, size)
        if op == "conv":
            y = F.conv2d(x, tinyconv.zeros(1, 1, kernel, kernel), stride=stride, padding=padding)
        else:
            y = F.avg_pool2d(x, kernel, stride=stride, padding=padding)
        assert y.shape[-1] == out
        expected += [size, kernel, padding, stride, out]
    return expected


def lenet_numbers():
    rows = [row.params for row in models.summary(models.LeNet5Classic(), (1, 32, 32)) if row.params]
    (accuracy,) = find(r"The demo's default run on this machine.*?test accuracy ([\d.]+)%", benchmarks())
    return [*rows, count(models.LeNet5Classic()), count(models.LeNet5()), number(accuracy)]


def alexnet_numbers():
    (accuracy,) = find(r"-> `test accuracy: ([\d.]+)`", docstring("alexnet_mini"))
    small = models.AlexNet(num_classes=10, small=True, in_channels=1)
    return [count(models.AlexNet()), count(small), number(accuracy)]


def zfnet_numbers():
    (accuracy,) = find(r"the LeNet-5 has ([\d.]+) test accuracy", docstring("visualize"))
    return [number(accuracy)]


def vgg_numbers():
    channels = 64

    def weights(*kernels):
        stack = [nn.Conv2d(channels, channels, k, bias=False) for k in kernels]
        return sum(count(layer) for layer in stack) / channels**2

    two, five, three, seven = weights(3, 3), weights(5), weights(3, 3, 3), weights(7)
    (share,) = find(r"fully connected layers [\d,]+ parameters \(([\d.]+)%\)", docstring("param_counts"))
    return [two, five, five / two, three, seven, seven / three, number(share)]


def googlenet_numbers():
    branch = models.GoogLeNet().inception3a.branch3  # inception (3a)'s 5x5 branch: 1x1 reduction, then 5x5
    reduce, widen = [m for m in branch.modules() if isinstance(m, nn.Conv2d)]
    straight = count(nn.Conv2d(reduce.in_channels, widen.out_channels, 5))
    bottleneck = count(branch)
    return [
        reduce.in_channels,
        widen.out_channels,
        straight,
        reduce.out_channels,
        bottleneck,
        straight / bottleneck,
    ]


def resnet_numbers():
    rows = {
        (int(depth), net): (gradient, accuracy)
        for depth, net, gradient, accuracy in re.findall(
            r"^\s*(\d+)\s+(plain|residual)\s+[\d.]+\s+([\d.e+-]+)\s+[\d.e+-]+\s+([\d.]+)$",
            docstring("resnet_depth"),
            flags=re.M,
        )
    }
    deepest = max(depth for depth, _ in rows)
    plain, residual = rows[deepest, "plain"], rows[deepest, "residual"]
    return [deepest, *(number(v) for v in plain + residual)]


def densenet_numbers():
    small = models.DenseNet(**demo_module("densenet_mini").CONFIGURATION, in_channels=1, num_classes=10)
    one_thread_table = benchmarks().split("One thread each:", 1)[1]  # the guide quotes one thread a side
    (ratio,) = find(r"DenseNet-121 fwd[^|]*\|[^|]*\|[^|]*\|\s*([\d.]+)\s*\|", one_thread_table)
    (accuracy,) = find(r"-> `test accuracy: ([\d.]+)`", docstring("densenet_mini"))
    counts = [count(models.densenet121()), count(small), count(models.LeNet5())]
    return [*counts, number(ratio), number(accuracy)]


def fcn_numbers():
    iou, pixels = find(
        r"fcn_segmentation\.py` \(default run.*?mean IoU ([\d.]+), pixel accuracy ([\d.]+)", benchmarks()
    )
    (recognized,) = find(r"all (\d+) digits recognized", docstring("fcn_heatmap"))
    return [number(iou), number(pixels), number(recognized)]


def detection_numbers():
    defaults = inspect.signature(detection.base_anchors).parameters
    sizes, ratios = defaults["sizes"].default, defaults["aspect_ratios"].default
    anchors = detection.base_anchors()
    yolo = inspect.signature(models.YOLOv1).parameters
    boxes, classes = yolo["num_boxes"].default, yolo["num_classes"].default
    _, rows, columns, depth = models.YOLOv1()(tinyconv.zeros(1, 1, 96, 96)).shape
    assert depth == boxes * 5 + classes
    (ratio,) = find(r"roi_align fwd\+bwd\s*\|[^|]*\|[^|]*\|\s*([\d.]+)", benchmarks())
    (mean_ap,) = find(r"the last line is `mAP@0\.5: ([\d.]+)`", docstring("yolo_mnist"))
    counts = [len(sizes), len(ratios), anchors.shape[0], rows, columns, depth, boxes, classes]
    return [*counts, number(ratio), number(mean_ap)]


def recurrent_numbers():
    text = docstring("long_dependency")
    rows = re.findall(r"^\s*(\d+)((?:\s+[\d.]+){6})\s*$", text, flags=re.M)
    delay, accuracies = max(rows, key=lambda row: int(row[0]))
    rnn, lstm, gru = accuracies.split()[:3]  # seed 0's columns
    (symbols,) = find(r"starts with one of (\d+) symbols", text)
    gradients = find(r"trained, seed 0\s+(\S+)\s+(\S+)\s+(\S+)", text)
    language = docstring("char_lstm")
    (bits,) = find(r"ends at ([\d.]+) bits on the validation text", language)
    lstm_layer, gru_layer = find(r"the recurrent layer ([\d,]+), a GRU's ([\d,]+)", language)
    saving = 100 * (1 - number(gru_layer) / number(lstm_layer))
    return [
        int(delay),
        number(rnn),
        number(lstm),
        number(gru),
        1 / int(symbols),
        *(number(g) for g in gradients),
        number(bits),
        saving,
    ]


def transformer_numbers():
    vit_mnist = demo_module("vit_mnist")
    small = vit_mnist.small_vit(vit_mnist.parse_args([]))
    dates = docstring("seq2seq_transformer")
    parameters, held_out = find(
        r"MEASURED .*?: ([\d,]+) parameters; exact-sequence accuracy on the ([\d,]+) held-out", dates
    )
    (accuracy,) = find(r"and ([\d.]+) after epoch \d+ \(loss [\d.]+\): [\d,]+ of [\d,]+ right", dates)
    counts = [count(models.vit_b_16()), count(small), count(models.LeNet5())]
    seq2seq = [number(parameters), number(held_out), number(accuracy)]
    characters = docstring("char_transformer")
    (transformer_parameters,) = find(r"([\d,]+) parameters, \d+ s CPU", characters)
    bits = find(
        r"the Transformer ends at ([\d.]+) bits on the validation text against the LSTM's ([\d.]+)",
        characters,
    )
    rows = re.findall(
        r"^\s*([\d,]+)\s+([\d.]+) \([\d.]+\)\s+([\d.]+) \([\d.]+\)\s+-?[\d.]+\s*$",
        docstring("vit_vs_cnn"),
        flags=re.M,
    )
    fewest, most = min(rows, key=lambda row: number(row[0])), max(rows, key=lambda row: number(row[0]))
    data_hunger = [number(value) for value in fewest + most]
    (vit_accuracy,) = find(r"test accuracy: ([\d.]+), in \d+ s wall", docstring("vit_mnist"))
    characters = [number(transformer_parameters), *(number(b) for b in bits)]
    return [*counts, *seq2seq, *characters, *data_hunger, number(vit_accuracy)]


def generative_numbers():
    text = docstring("autoregressive_mnist")
    (pixels,) = find(r"prints these for n = (\d+)", text)
    (fvsbn,) = find(r"FVSBN ([\d.]+) nats", text)
    (made,) = find(r"one mask ([\d.]+)", text)
    (fvsbn_measured,) = find(r"`FVSBN test NLL: ([\d.]+) nats`", text)
    (made_measured,) = find(r"`MADE test NLL: ([\d.]+) nats`", text)
    n = int(pixels)
    measured = [number(fvsbn_measured), number(made_measured), number(fvsbn), number(made)]
    vae = docstring("vae_mnist")
    (elbo,) = find(r"`test negative ELBO: ([\d.]+) nats`", vae)
    (nll,) = find(r"importance-sampled NLL, k = \d+: ([\d.]+) nats", vae)
    (vae_score,) = find(r"VAE inception score ([\d.]+)", vae)
    (autoencoder_score,) = find(r"autoencoder inception score ([\d.]+)", vae)
    (real_score,) = find(r"real test digits ([\d.]+)", vae)
    judged = [number(vae_score), number(autoencoder_score), number(real_score)]
    gan = docstring("gan_mnist")
    gan_score, frechet, shares = find(
        r"at the end, [\d,]+ samples: inception score ([\d.]+), Frechet distance ([\d.]+), "
        r"digits 0-9 ((?:[\d.]+% )+)",
        gan,
    )
    rarest = min(number(share) for share in shares.split())
    adversarial = [number(gan_score), number(frechet), rarest]
    return [n, n, 2 * n - 1, count(models.VAE()), *measured, number(elbo), number(nll), *judged, *adversarial]


def backprop_numbers():
    """The lecture's q*z, run through tinyconv's autograd at the inputs the demo states."""
    given = find(r"at x = (-?\d+), y = (-?\d+), z = (-?\d+)", docstring("backprop_graph"))
    x, y, z = (tinyconv.tensor(float(v), requires_grad=True) for v in given)
    q = x + y
    f = q * z
    f.backward()
    weights = find(
        r"w = \[(-?\d+), (-?\d+), (-?\d+)\], x = \[(-?\d+), (-?\d+)\]", docstring("backprop_graph")
    )
    w0, w1, w2, x0, x1 = (float(v) for v in weights)
    neuron = tinyconv.sigmoid(tinyconv.tensor(w0 * x0 + w1 * x1 + w2))
    gradients = [x.grad.item(), y.grad.item(), z.grad.item()]
    return [*(float(v) for v in given), q.item(), f.item(), *gradients, neuron.item()]


def optimizer_numbers():
    text = docstring("optimizers")
    (steps,) = find(r"changed sign at every one of the (\d+) steps", text)
    accuracy = [
        number(find(rf"\b{name} [\d.]+, ([\d.]+)", text)[0])
        for name in ("SGD", "Momentum", "AdaGrad", "Adam")
    ]
    return [int(steps), *accuracy]


def initialization_numbers():
    text = docstring("init_activations")
    (width,) = find(r"(\d+) units each", text)
    weight = tinyconv.zeros(int(width), int(width))
    xavier = init.xavier_std(weight, gain=1.0)
    he = init.kaiming_std(weight, a=0, mode="fan_in", nonlinearity="relu")
    (small_tanh,) = find(r"tanh, N\(0, 0\.01\^2\)\s+(?:\S+\s+){4}(\S+)", text)
    he_first, he_fifth = find(r"relu, He\s+(\S+)\s+\S+\s+\S+\s+\S+\s+(\S+)", text)
    (zeros_loss,) = find(r"the loss at ([\d.]+)", text)
    return [
        int(width),
        xavier,
        he,
        number(small_tanh),
        number(he_first),
        number(he_fifth),
        number(zeros_loss),
    ]


def activation_numbers():
    x = tinyconv.tensor([-2.0, -0.5, 0.0, 0.5, 2.0], dtype=tinyconv.float64, requires_grad=True)
    F.sigmoid(x).sum().backward()
    text = docstring("activations")
    spreads = find(r"Printed for\s+z ~ N\(0, s\^2\), s = ([\d, ]+)\.", text)[0].split(", ")
    saturated = find(r"Saturated \(sigmoid' < 0\.01\): ([^\n]*?) of the inputs", text)[0]
    sigmoid_grad, relu_grad = find(
        r"layer 1 of the 10-hidden-layer network: (\S+) with sigmoid.*? (\S+) with ReLU", text
    )
    small_lr_dead, _, small_lr, large_lr_dead, _, large_lr = find(
        r"(\d+)% and (\d+)% of the two hidden layers at lr (\S+), (\d+)% and (\d+)% at lr ([\d.]+)", text
    )
    return [
        float(x.grad.max()),
        number(spreads[-1]),
        number(re.findall(r"[\d.]+%", saturated)[-1]),
        number(sigmoid_grad),
        number(relu_grad),
        number(large_lr),
        number(large_lr_dead),
        number(small_lr),
        number(small_lr_dead),
    ]


def loss_numbers():
    text = docstring("losses")
    classes = 10  # MNIST's ten digits
    (svm,) = find(r"The first losses on MNIST's first [\d,]+ images: SVM ([\d.]+)", text)
    (softmax,) = find(r"softmax ([\d.]+) \(ln 10", text)
    svm_accuracy, softmax_accuracy = find(
        r"test accuracy ([\d.]+) with the SVM loss, ([\d.]+) with softmax", text
    )
    return [
        number(svm),
        classes - 1,
        number(softmax),
        math.log(classes),
        number(svm_accuracy),
        number(softmax_accuracy),
    ]


# The study path in the notes' order: a word of each heading, and what its "수치" line must say.
STUDY_PATH = [
    ("XOR", xor_numbers),
    ("CNN의 구조", cnn_structure_numbers),
    ("출력 크기", output_size_numbers),
    ("LeNet-5", lenet_numbers),
    ("AlexNet", alexnet_numbers),
    ("ZFNet", zfnet_numbers),
    ("VGG", vgg_numbers),
    ("GoogLeNet", googlenet_numbers),
    ("ResNet", resnet_numbers),
    ("DenseNet", densenet_numbers),
    ("FCN", fcn_numbers),
    ("YOLO", detection_numbers),
    ("LSTM", recurrent_numbers),
    ("ViT", transformer_numbers),
    ("생성 모델", generative_numbers),
    ("역전파", backprop_numbers),
    ("최적화", optimizer_numbers),
    ("가중치 초기화", initialization_numbers),
    ("활성화 함수", activation_numbers),
    ("손실 함수", loss_numbers),
]


def test_the_study_path_covers_every_topic_of_the_notes_in_their_order():
    titles = [topic["title"] for topic in topics()]
    assert len(titles) == len(STUDY_PATH)
    for title, (word, _) in zip(titles, STUDY_PATH):
        assert word in title, f"expected the topic of {word!r} here, found {title!r}"


@pytest.mark.parametrize("index", range(len(STUDY_PATH)), ids=[word for word, _ in STUDY_PATH])
def test_each_number_of_a_topic_is_what_the_code_or_the_measured_record_says(index):
    topic = topics()[index]
    written = numbers_in(topic["fields"]["수치"])
    expected = STUDY_PATH[index][1]()
    assert len(written) == len(expected), f"{topic['title']}: the line says {written}, the record {expected}"
    for text, value in zip(written, expected):
        assert agrees(text.rstrip("%"), value), f"{topic['title']}: {text} is written, {value} is right"


# ---------------------------------------------------------------------------------------------------
# The glossary
# ---------------------------------------------------------------------------------------------------

# 한글 맞춤법 제4항 [붙임 2]: the order of the letters in a dictionary.
INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
FINALS = "ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"


def letters(syllable: str) -> tuple[str, str, str]:
    """A Hangul syllable's initial, vowel and final (or '') as compatibility letters: Unicode numbers
    the 11,172 syllables as 0xAC00 + (initial * 21 + vowel) * 28 + final."""
    index = ord(syllable) - 0xAC00
    assert 0 <= index < 11172, f"{syllable!r} is not a Hangul syllable"
    initial, rest = divmod(index, 21 * 28)
    vowel, final = divmod(rest, 28)
    names = [unicodedata.name(chr(0x1100 + initial)), unicodedata.name(chr(0x1161 + vowel))]
    names.append(unicodedata.name(chr(0x11A7 + final)) if final else "")
    # The conjoining letters' names (HANGUL CHOSEONG KIYEOK) share their last word with the
    # compatibility letters' (HANGUL LETTER KIYEOK), the ones the regulation's list is written in.
    return tuple(
        unicodedata.lookup("HANGUL LETTER " + name.split(" ", 2)[2]) if name else "" for name in names
    )


def gana_key(term: str) -> list[tuple[int, int, int]]:
    """The dictionary key of a term: spaces ignored, syllable by syllable, each by its initial, vowel
    and final in the regulation's order (no final before any final)."""
    key = []
    for syllable in term.replace(" ", ""):
        initial, vowel, final = letters(syllable)
        key.append((INITIALS.index(initial), VOWELS.index(vowel), FINALS.index(final) + 1 if final else 0))
    return key


def test_gana_key_follows_the_dictionary_order_of_the_regulation():
    # ㄲ after ㄱ and before ㄴ; ㅐ after ㅏ; a syllable without final first; ㅢ after ㅡ; a prefix first.
    words = ["가", "가중치", "가중치감쇠", "각", "개", "까", "나", "의", "이", "힣"]
    assert sorted(reversed(words), key=gana_key) == words


def test_the_glossary_has_at_least_80_terms_each_once():
    terms = [row[0] for row in glossary_rows()]
    assert len(terms) >= 80
    assert len(set(terms)) == len(terms)


def test_the_glossary_terms_are_hangul_words_in_gana_order():
    terms = [row[0] for row in glossary_rows()]
    for term in terms:
        assert re.fullmatch(r"[가-힣]+(?: [가-힣]+)*", term), f"{term!r}: only Hangul syllables and spaces"
    keys = [gana_key(term) for term in terms]
    for before, after, first, second in zip(keys, keys[1:], terms, terms[1:]):
        assert before < after, f"{first} comes before {second} in the glossary, after it in 가나다 order"


def test_the_glossary_has_the_issues_examples():
    rows = {row[0]: row for row in glossary_rows()}
    assert "convolution" in rows["합성곱"][1] and "`tinyconv.functional.conv2d`" in rows["합성곱"][2]
    assert (
        "`demos/resnet_depth.py`" in rows["기울기 소실"][2]
        and "`demos/long_dependency.py`" in rows["기울기 소실"][2]
    )
