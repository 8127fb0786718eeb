"""Datasets: one module per dataset family, their registry and check, downloads, demo twins."""
