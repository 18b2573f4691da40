"""The HTTP API (FastAPI): translates requests into use cases of `leadflow.service`, and back."""
