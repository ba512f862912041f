"""crossroads: one OpenAI-compatible gateway in front of hosted APIs and self-hosted models."""

__version__ = "0.1.0"
