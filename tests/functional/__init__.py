"""Tests of tinyconv/functional: one file per module, in the module's order."""
