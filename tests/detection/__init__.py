"""Tests of tinyconv/detection: one file per module, in the module's order."""
