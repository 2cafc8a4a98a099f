"""The Functions behind Tensor's operators: arithmetic, reductions, shapes, exp and log, joins."""
