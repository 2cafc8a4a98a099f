"""The wheel carries the CUDA sources: kernels/*.cu go in as tinyconv/kernels/*.cu (setup.py), the first
place backend/cuda_kernels.py: kernel_dir() looks, so an installed tinyconv finds its kernels without a
checkout. It carries the ImageNet class names too, tinyconv/data/imagenet_classes.txt (package_data).

The wheel is built offline from a copy of the sources (so the build leaves nothing in the working tree),
with the setuptools already installed here.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def offline_wheel_problem() -> str | None:
    """None if this environment can build a wheel without downloading anything, else why not.

    setuptools builds wheels by itself from 70.1 on (the `[test]` extra asks for it); before that it
    needs the `wheel` package.
    """
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return "setuptools is not installed here (pip install -e '.[test]' installs it)"
    major, minor = (int(part) for part in re.findall(r"\d+", version)[:2])
    if (major, minor) < (70, 1) and importlib.util.find_spec("wheel") is None:
        return f"setuptools {version} needs the `wheel` package to build a wheel (or setuptools >= 70.1)"
    return None


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    problem = offline_wheel_problem()
    if problem is not None:
        pytest.skip(f"cannot build a wheel offline: {problem}")
    source = tmp_path_factory.mktemp("source")
    for name in ("setup.py", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("tinyconv", "kernels"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
    build = subprocess.run(
        command + ["-w", str(out), str(source)], capture_output=True, text=True, timeout=300
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (path,) = out.glob("tinyconv-*.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


def test_the_wheel_holds_every_cuda_source_at_tinyconv_kernels(wheel):
    expected = {f"tinyconv/kernels/{path.name}" for path in (ROOT / "kernels").glob("*.cu")}
    assert expected and expected <= set(wheel.namelist())


def test_the_cuda_sources_in_the_wheel_are_the_checkouts(wheel):
    for path in (ROOT / "kernels").glob("*.cu"):
        assert wheel.read(f"tinyconv/kernels/{path.name}") == path.read_bytes(), path.name


def test_an_unpacked_wheel_finds_its_kernels_without_the_checkout(wheel, tmp_path):
    wheel.extractall(tmp_path)  # what installing a pure-Python wheel amounts to
    code = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); "
        "from tinyconv.backend.cuda_kernels import kernel_dir; print(kernel_dir())"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert run.stdout.strip() == str(tmp_path / "tinyconv" / "kernels"), run.stderr


def test_the_wheel_holds_the_imagenet_class_names_beside_the_module_that_reads_them(wheel):
    expected = (ROOT / "tinyconv" / "data" / "imagenet_classes.txt").read_bytes()

    assert wheel.read("tinyconv/data/imagenet_classes.txt") == expected
