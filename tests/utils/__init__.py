"""Tests of tinyconv/utils: PyTorch's torch.utils names."""
