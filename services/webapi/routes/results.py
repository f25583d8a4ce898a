"""``GET /api/messages/{id}/results``: what a web action did (the results table, one row per attempt, oldest first)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from services.core.result_repository import ResultRepository
from services.webapi.routes._request import known_id
from services.webapi.routes.messages import MESSAGE_ID

router = Router()


@router.get("/api/messages/<message_id>/results", summary="What a web action did, one row per attempt")
def results(message_id: str) -> dict:
    deps = router.context["deps"]
    known_id(MESSAGE_ID, message_id, "message")
    deps.messages.get(message_id)  # 404 for an unknown message, not an empty list
    rows = ResultRepository(deps.clients.dynamodb, deps.settings.results_table).list_for_message(message_id)
    return {"message_id": message_id, "results": [r.to_json_dict() for r in rows], "count": len(rows)}
