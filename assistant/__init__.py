"""Huashu (话术): reply suggestions and emotion cues for Chinese e-commerce customer service."""

__version__ = "0.1.0"
