"""Tests of tinyconv/ops: one file per module, in the module's order."""
