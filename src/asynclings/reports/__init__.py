"""Renderers of the results model."""
