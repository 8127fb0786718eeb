"""The ph2 experiment's stages."""
