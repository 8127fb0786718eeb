"""The recipes experiment's stages."""
