"""Calibration, sweeps and sensitivity (MODEL.md §8)."""
