"""``GET /api/health`` and ``GET /api/metrics``."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from services.core import clock
from services.core.messages import STAGES, MessageType, Status

router = Router()


@router.get("/api/health")
def health() -> dict:
    deps = router.context["deps"]
    return {"status": "healthy", "timestamp": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "stage": deps.settings.stage}


@router.get("/api/metrics")
def metrics() -> dict:
    """Message counts by status, type and stage, each read from its GSI with ``Select=COUNT``."""
    repo = router.context["deps"].messages
    by_status = {s.value: repo.count("status", s.value) for s in Status}
    by_type = {t.value: repo.count("message_type", t.value) for t in MessageType}
    by_stage = {s: repo.count("stage", s) for s in STAGES}
    finished = by_status["completed"] + by_status["failed"]
    return {
        "total": sum(by_stage.values()),
        "by_status": by_status,
        "by_type": {k: v for k, v in by_type.items() if v},
        "by_stage": {k: v for k, v in by_stage.items() if v},
        "success_rate": round(by_status["completed"] / finished, 4) if finished else None,
        "generated_at": clock.iso(clock.now()),
    }
