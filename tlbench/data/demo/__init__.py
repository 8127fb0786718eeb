"""Synthetic twins of every dataset, written in the official on-disk layouts."""
