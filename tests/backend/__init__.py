"""Tests of tinyconv/backend: the array module, the CUDA launchers, and the GPU path (on a GPU, or on the
CPU through cuda_emulator.py), with the device checks in gpu_checks.py.
"""
