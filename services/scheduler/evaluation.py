"""The daily evaluation (seed diagram "EventBridge Scheduler Workflow").

The built-in schedule (``cron(0 12 * * ? *)``, UTC) invokes the scheduler function once a day. The
schedules themselves fire on their own EventBridge schedules; this pass keeps the table and
EventBridge honest and repairs what a lost invocation left behind. "Evaluate conditions" means,
for every ``active`` schedule (queried through the status GSI):

1. **Ended** — an EndDate in the past: status ``completed``; nothing more will fire.
2. **Reconcile with EventBridge** (GetSchedule):
   * gone: a one-shot ``at()`` whose time has passed was deleted after completion (or its
     invocation was lost: step 3 runs it once) → ``completed``; a recurring one → ``error``
     ("EventBridge schedule not found"), since re-creating it silently could revive something an
     operator removed on purpose;
   * State DISABLED (changed outside this system) → ``paused``: the table follows what fires.
3. **Catch up a missed run, once** — if the latest run that was due is older than the grace
   period (flexible window + the retry policy's maximum event age + margin, so a run that may
   still be in flight is never doubled) and is later than both the last recorded run and the
   moment the schedule last became active (runs due while paused, or before an update, were
   never due), fire it once now (``triggered_by: catch_up``, deduplicated by its scheduled time).
   For ``rate()``, whose phase depends on when EventBridge started it, a run is missed only if
   nothing ran for a whole interval plus the grace period.

Paused, pending, errored and completed schedules are not touched. The result lists what was done.
"""

from __future__ import annotations

import logging
from collections import deque
from datetime import datetime, timedelta
from typing import Any

from services.core import clock
from services.core.schedule_expression import InvalidScheduleExpression, RateExpression, parse_expression
from services.core.schedules import Schedule, ScheduleStatus
from services.scheduler.deps import SchedulerDeps
from services.scheduler.eventbridge import MAX_EVENT_AGE_SECONDS
from services.scheduler.firing import fire_schedule

logger = logging.getLogger(__name__)

MARGIN = timedelta(minutes=55)  # Lambda's asynchronous retries (3 min) and clock skew, generously


def evaluate(deps: SchedulerDeps) -> dict[str, Any]:
    now = clock.now()
    report: dict[str, Any] = {"evaluated": 0, "completed": [], "paused": [], "errors": [], "caught_up": []}
    for schedule in deps.schedules.all_with_status(ScheduleStatus.ACTIVE):
        report["evaluated"] += 1
        try:
            outcome = evaluate_one(schedule, deps, now)
        except Exception as exc:  # one bad schedule must not stop the others
            logger.exception("evaluating schedule %s failed", schedule.id)
            report["errors"].append({"schedule_id": schedule.id, "error": f"{type(exc).__name__}: {exc}"})
            continue
        if outcome in ("completed", "paused", "caught_up"):
            report[outcome].append(schedule.id)
        elif outcome:
            report["errors"].append({"schedule_id": schedule.id, "error": outcome})
    logger.info("daily evaluation: %s", report)
    return report


def evaluate_one(schedule: Schedule, deps: SchedulerDeps, now: datetime) -> str | None:
    if schedule.end_date and clock.parse_iso(schedule.end_date) <= now:
        deps.schedules.set_status(schedule.id, ScheduleStatus.COMPLETED)
        return "completed"
    existing = deps.eventbridge.get(schedule.group, schedule.eventbridge_name)
    if existing is not None and existing.get("State") == "DISABLED":
        deps.schedules.set_status(schedule.id, ScheduleStatus.PAUSED)
        return "paused"
    missed = missed_run(schedule, now)
    if missed is not None:
        fire_schedule(schedule, deps, scheduled_time=missed, execution_id=f"catch-up-{clock.iso(missed)}",
                      triggered_by="catch_up")
        return "caught_up"
    if existing is None:
        if schedule.one_shot:
            deps.schedules.set_status(schedule.id, ScheduleStatus.COMPLETED)
            return "completed"
        message = f"EventBridge schedule {schedule.group}/{schedule.eventbridge_name} not found"
        deps.schedules.set_status(schedule.id, ScheduleStatus.ERROR, error_message=message)
        return message
    return None


def grace(schedule: Schedule) -> timedelta:
    window = timedelta(minutes=schedule.flexible_window.maximum_window_minutes or 0)
    return window + timedelta(seconds=MAX_EVENT_AGE_SECONDS) + MARGIN


def missed_run(schedule: Schedule, now: datetime) -> datetime | None:
    """The scheduled time of a run that should have happened and did not, if any."""
    try:
        expression = parse_expression(schedule.schedule_expression)
    except InvalidScheduleExpression:
        return None
    since = [clock.parse_iso(v) for v in (schedule.active_since, schedule.last_scheduled_time) if v]
    if not since:
        return None
    lower = max(since)
    horizon = now - grace(schedule)
    if isinstance(expression, RateExpression):
        if now - lower > expression.interval + grace(schedule):
            return horizon
        return None
    if schedule.one_shot and schedule.execution_count > 0:
        return None
    start = clock.parse_iso(schedule.start_date) if schedule.start_date else None
    end = clock.parse_iso(schedule.end_date) if schedule.end_date else None
    # The latest one: a missed run is caught up once, not once per missed day.
    fires = expression.fire_times(lower, horizon, schedule.timezone, start=start, end=end, anchor=lower)
    latest = deque(fires, maxlen=1)
    return latest[0] if latest else None
