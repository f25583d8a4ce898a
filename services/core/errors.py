"""The error tree of rez-agent.

Every error the application raises on purpose is a ``RezError``. Each leaf knows how it surfaces:
the HTTP status a route answers with, and whether a queue consumer should retry the record.

- ``RezError``                       base; ``http_status`` 500, ``retryable`` False
  - ``ValidationError``              400 — bad input; carries ``details`` [{field, problem}]
  - ``NotFoundError``                404
  - ``ConflictError``                409
  - ``AuthenticationError``          401 — a token or credential did not verify (never retried)
  - ``ForbiddenError``               403
  - ``SpendingLimitError``           429 — the agent's daily budget is used up
  - ``UpstreamError``                502 — an outside service failed; ``retryable`` True
    - ``UpstreamTimeoutError``       504
  - ``ConfigurationError``           500 — the deployment is wrong (missing setting or resource)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one field of a request."""

    field: str
    problem: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "problem": self.problem}


class RezError(Exception):
    http_status: int = 500
    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error": self.message, "status": str(self.http_status)}


class ValidationError(RezError):
    http_status = 400

    def __init__(self, message: str, details: list[FieldProblem] | None = None) -> None:
        super().__init__(message)
        self.details = details or []

    @classmethod
    def for_field(cls, field: str, problem: str) -> ValidationError:
        return cls(f"{field}: {problem}", [FieldProblem(field, problem)])

    def body(self) -> dict[str, Any]:
        body = super().body()
        if self.details:
            body["details"] = [d.as_dict() for d in self.details]
        return body


class NotFoundError(RezError):
    http_status = 404


class ConflictError(RezError):
    http_status = 409


class AuthenticationError(RezError):
    http_status = 401


class ForbiddenError(RezError):
    http_status = 403


class SpendingLimitError(RezError):
    http_status = 429


class UpstreamError(RezError):
    http_status = 502
    retryable = True


class UpstreamTimeoutError(UpstreamError):
    http_status = 504


class ConfigurationError(RezError):
    http_status = 500
