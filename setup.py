"""Install tinyconv: `pip install -e .` (add `[test]` for the test suite, `[gpu]` for CuPy)."""

from pathlib import Path

from setuptools import find_packages, setup

setup(
    name="tinyconv",
    version="0.1.0",
    description="A deep-learning framework written to be read: hand-written backprop, im2col CNNs.",
    long_description=(Path(__file__).parent / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.9",
    packages=find_packages(include=["tinyconv", "tinyconv.*"]),
    install_requires=["numpy>=1.22", "matplotlib>=3.5", "tqdm>=4.60"],
    extras_require={
        "gpu": ["cupy-cuda12x"],
        "test": ["pytest>=7"],
    },
)
