"""``GET /api/health`` and ``GET /api/metrics``."""

from __future__ import annotations

import json

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from services.core import clock
from services.core.messages import STAGES, MessageType, Status
from services.webapi.health_checks import HealthChecks

router = Router()


@router.get("/api/health")
def health() -> Response[dict]:
    """200 ``healthy`` when every dependency answers; 503 ``degraded`` naming each one that does not
    (what a load balancer or an uptime monitor acts on; the body is the same JSON either way)."""
    deps = router.context["deps"]
    checks = (deps.health or HealthChecks(deps.settings)).run()
    reasons = [reason for check in checks.values() for reason in check.reasons]
    body = {"status": "degraded" if reasons else "healthy",
            "timestamp": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"), "stage": deps.settings.stage,
            "checks": {name: check.as_dict() for name, check in checks.items()}}
    if reasons:
        body["reason"] = "; ".join(reasons)
    return Response(status_code=503 if reasons else 200, content_type="application/json",
                    body=json.dumps(body, separators=(",", ":")))


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
