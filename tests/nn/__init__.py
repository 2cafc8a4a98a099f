"""Tests of tinyconv/nn: one file per module, in the module's order."""
