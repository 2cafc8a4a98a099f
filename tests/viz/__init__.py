"""Tests of tinyconv/viz's modules beyond the package itself (tests/test_viz.py)."""
