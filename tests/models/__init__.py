"""Tests of tinyconv/models: one file per model, and summary."""
