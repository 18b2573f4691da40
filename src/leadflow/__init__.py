"""leadflow: a self-hosted lead distribution engine."""

__version__ = "0.1.0"
