"""The fusion experiment's stages."""
