"""Synthetic data generator and benchmarks."""
