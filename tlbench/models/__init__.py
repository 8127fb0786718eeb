"""Models: backbone specs and weights, the extraction engine, fine-tuning, the autoencoder."""
