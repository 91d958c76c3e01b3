"""The support page and callback requests."""
