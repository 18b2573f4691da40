"""One router per resource, mounted under /api/v1 by `leadflow.api.app.create_app`."""
