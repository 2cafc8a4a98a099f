"""Tests of tinyconv/data: one file per module, in the module's order."""
