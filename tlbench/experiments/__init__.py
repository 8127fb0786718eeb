"""Experiments: one package per experiment, one module per DVC stage (stage glue only)."""
