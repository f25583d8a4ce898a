"""``/api/dlq``: what failed for good, and moving it back after a fix."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from services.core.dlq import DeadLetters

router = Router()


def _dead_letters() -> DeadLetters:
    deps = router.context["deps"]
    return DeadLetters(deps.clients.sqs, deps.settings.redrive_queues)


@router.get("/api/dlq")
def overview() -> dict:
    return {"queues": _dead_letters().overview()}


@router.get("/api/dlq/<queue>")
def peek(queue: str) -> dict:
    dead = _dead_letters()
    return {"queue": dead.queue(queue).key, "messages": dead.peek(queue)}


@router.post("/api/dlq/<queue>/redrive")
def redrive(queue: str) -> dict:
    dead = _dead_letters()
    return {"queue": dead.queue(queue).key, "moved": dead.redrive(queue)}
