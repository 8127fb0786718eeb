"""The anomaly experiment's stages."""
