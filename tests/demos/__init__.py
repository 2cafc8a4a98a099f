"""Tests of demos/: one file per demo, and test_common.py for demos/common.py, the plumbing they share."""
