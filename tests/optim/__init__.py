"""Tests of tinyconv/optim: one file per module, in the module's order."""
