"""Methods: CV protocols, feature spaces, detectors and measures, with their registries."""
