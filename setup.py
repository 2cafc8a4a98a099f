"""Install tinyconv: `pip install -e .`.

Extras: `[test]` for the test suite, `[gpu]` or `[gpu-cuda13]` for CuPy.
"""

from pathlib import Path

from setuptools import find_packages, setup

setup(
    name="tinyconv",
    version="0.1.0",
    description="A deep-learning framework written to be read: hand-written backprop, im2col CNNs.",
    long_description=(Path(__file__).parent / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.9",
    # The CUDA sources live at the top of the repository, in kernels/, where a reader finds them; the
    # wheel carries them inside the package, as tinyconv/kernels/*.cu, which is the first place
    # tinyconv/backend/cuda_kernels.py: kernel_dir() looks (a checkout falls back to ../kernels).
    packages=find_packages(include=["tinyconv", "tinyconv.*"]) + ["tinyconv.kernels"],
    package_dir={"tinyconv.kernels": "kernels"},
    package_data={"tinyconv.kernels": ["*.cu"], "tinyconv.data": ["imagenet_classes.txt"]},
    install_requires=["numpy>=1.22", "matplotlib>=3.5", "tqdm>=4.60"],
    extras_require={
        # CuPy comes as one wheel per CUDA major version; pick the extra that matches the machine's
        # driver (`nvidia-smi` shows the CUDA version it supports). Two CuPy wheels side by side
        # conflict, so install one. CuPy compiles tinyconv's kernels at run time with NVRTC, which
        # needs the CUDA headers: on a machine without a CUDA toolkit, recent CuPy wheels bring them
        # from PyPI with their `[ctk]` extra (`pip install "cupy-cuda13x[ctk]"`). See docs/gpu.md.
        "gpu": ["cupy-cuda12x>=12"],
        "gpu-cuda13": ["cupy-cuda13x>=13"],
        # setuptools 70.1 builds wheels by itself: tests/test_packaging.py builds one, offline
        "test": ["pytest>=7", "setuptools>=70.1"],
    },
)
