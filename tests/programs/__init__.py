"""Whole programs written the way PyTorch's own tutorials write them, run on tinyconv with
`import tinyconv as torch`-style aliases and nothing else changed but the dataset lines (pointed at the
local MNIST). test_programs.py runs each one and checks what it prints.
"""
