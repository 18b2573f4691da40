"""The service layer's errors, one small tree; `leadflow.api.errors` maps them to HTTP.

ServiceError
├── NotFound          the lead, rep, policy version or key does not exist   -> 404
├── Conflict          the request makes no sense in the current state       -> 409
│                     (an event not allowed from the lead's status)
├── Invalid           well-formed, but wrong: a bad policy, an unknown rep  -> 422
│                     (`problems` holds line-numbered policy problems)
└── Forbidden         the caller's role or rep may not do this              -> 403
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class Invalid(ServiceError):
    pass


class Forbidden(ServiceError):
    pass
