"""The schedule engine: fires EventBridge Scheduler schedules on the platform clock.

No Docker-free emulator fires schedules (moto stores them and accepts any expression). This engine
reads the schedules back through the Scheduler API (ListSchedules, GetSchedule — so it works on
any backend) and fires them:

* next fire times from ``services.core.schedule_expression``: six-field ``cron()``, ``rate()``,
  ``at()``, in ScheduleExpressionTimezone with AWS's DST rules; StartDate/EndDate; only ENABLED
  schedules fire. An expression or timezone AWS would reject is skipped and logged (moto accepts
  "every tuesday-ish").
* each fire is a platform-clock timer, so ``advance(3 days)`` fires every due occurrence in order,
  each invocation seeing the clock at its own time.
* FlexibleTimeWindow FLEXIBLE: the fire happens at a deterministic offset inside the window
  (a hash of the schedule ARN and the occurrence), so runs are reproducible.
* RetryPolicy: a failed delivery is retried with exponential backoff on the platform clock
  (1, 2, 4 ... minutes, at most 1 hour apart) until MaximumRetryAttempts or
  MaximumEventAgeInSeconds runs out (AWS defaults 185 / 86400); then DeadLetterConfig gets the
  dead-letter event (see ``schedule_targets``), or it is dropped and logged.
* ActionAfterCompletion DELETE: a schedule with nothing left to fire (a fired ``at()``, or one past
  its EndDate) is deleted through the API once its last invocation is settled.
* targets and Input: ``schedule_targets``. Context attribute ``<aws.scheduler.scheduled-time>`` is
  the nominal time (before any flexible offset), as in AWS.

Keeping in step: ``sync()`` lists every schedule in every group and re-reads (GetSchedule) those
whose LastModificationDate changed. A sync runs as a clock timer (``ClockTrigger``): first in every
``advance``, every 0.5 s of real time while the clock runs, and hourly of platform time during
long advances. At fire time the schedule is read again, so a change made just before is honoured.

LIMITATIONS: schedules are discovered by polling, so in real time a schedule can be seen up to
0.5 s late and an occurrence in that gap is missed; with a frozen clock, a schedule created or
re-enabled less than ~40 ms (two polls) before an ``advance`` is seen at the first hourly sync of
that advance (``sync_due`` says whether the next advance will sync first); a ``rate()`` with no
StartDate is anchored when the engine first sees it (moto's CreationDate is wall-clock time, not
platform time); an occurrence whose schedule is updated between its planning and its fire time is
re-planned from "now" and may be skipped; an ``at()`` whose time has passed when the engine first
sees it never fires (with ActionAfterCompletion DELETE it is deleted at once); every error class
is retried (AWS may send some, e.g. a missing target, to the DLQ at once); the retry backoff has
no jitter; KMS keys, schedule group tags and quotas are ignored.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from emulation.runtime.clock import PlatformClock
from emulation.runtime.clock_trigger import ClockTrigger
from emulation.runtime.schedule_targets import DeliveryError, TargetDelivery, substitute
from infra import manifest
from infra.manifest import Naming
from services.core.schedule_expression import (
    InvalidScheduleExpression,
    InvalidTimezone,
    RateExpression,
    ScheduleExpression,
    parse_expression,
    resolve_timezone,
)

logger = logging.getLogger(__name__)

DEFAULT_MAX_RETRIES = 185
DEFAULT_MAX_AGE = 86_400
_EPSILON = timedelta(microseconds=1)


@dataclass
class _Entry:
    key: tuple[str, str]  # (group, name)
    anchor: datetime  # where rate() counts from when there is no StartDate
    modified: Any = None
    detail: dict[str, Any] | None = None
    expression: ScheduleExpression | None = None
    cursor: datetime | None = None  # scheduled time of the last occurrence handled
    timer: Any = None
    generation: int = 0
    in_flight: int = 0  # occurrences whose delivery (with retries) is not settled yet
    exhausted: bool = False


class ScheduleEngine:
    def __init__(self, clock: PlatformClock, scheduler: Any, delivery: TargetDelivery, *,
                 pull_every: float = 0.5, sync_every: timedelta = timedelta(hours=1)) -> None:
        self._clock, self._scheduler, self._delivery = clock, scheduler, delivery
        self._sync_every = sync_every
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._lock = threading.RLock()
        self._trigger = ClockTrigger(clock, self._sync_tick, name="schedule-engine", pull_every=pull_every)
        self._stopped = False
        self.fired: list[dict[str, Any]] = []  # recent fires (the last 500), for diagnostics and tests

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        self._trigger.start()

    def stop(self) -> None:
        self._stopped = True
        self._trigger.stop()
        with self._lock:
            for entry in self._entries.values():
                self._cancel(entry)

    @property
    def sync_due(self) -> bool:
        """True when a sync will run before anything else at the next advance (or now, in real time)."""
        due = self._trigger.due
        return due is not None and due <= self._clock.now()

    def _sync_tick(self) -> None:
        try:
            self.sync()
        finally:
            self._trigger.arm(self._clock.now() + self._sync_every)

    # --- keeping in step with the Scheduler API ------------------------------------------------
    def sync(self) -> None:
        listed: dict[tuple[str, str], dict[str, Any]] = {}
        for page in self._scheduler.get_paginator("list_schedules").paginate():
            for summary in page.get("Schedules", []):
                listed[(summary["GroupName"], summary["Name"])] = summary
        with self._lock:
            for key in [k for k in self._entries if k not in listed]:
                self._cancel(self._entries.pop(key))
            changed = [key for key, summary in listed.items() if key not in self._entries
                       or self._entries[key].modified != summary.get("LastModificationDate")]
        for group, name in changed:
            detail = self._get(group, name)
            if detail is not None:
                with self._lock:
                    self._replan((group, name), detail)

    def _get(self, group: str, name: str) -> dict[str, Any] | None:
        try:
            return self._scheduler.get_schedule(GroupName=group, Name=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise

    def _replan(self, key: tuple[str, str], detail: dict[str, Any]) -> None:
        now = self._clock.now()
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry(key=key, anchor=now)
        self._cancel(entry)
        entry.modified, entry.detail, entry.expression, entry.exhausted = \
            detail.get("LastModificationDate"), detail, None, False
        try:
            entry.expression = parse_expression(detail["ScheduleExpression"])
            resolve_timezone(detail.get("ScheduleExpressionTimezone") or "UTC")
        except (InvalidScheduleExpression, InvalidTimezone) as exc:
            entry.expression = None
            logger.warning("schedule %s/%s is skipped: AWS would reject it: %s", *key, exc)
            return
        if detail.get("State", "ENABLED") != "ENABLED":
            return
        # Runs at or before now were never due under this definition; but a rate() with no StartDate
        # starts at once (its first run is its anchor).
        first = now - _EPSILON if isinstance(entry.expression, RateExpression) and entry.cursor is None else now
        self._arm(entry, first if entry.cursor is None else max(entry.cursor, first))

    def _arm(self, entry: _Entry, after: datetime) -> None:
        detail, expression = entry.detail or {}, entry.expression
        if expression is None:
            return
        due = expression.next_fire(after, detail.get("ScheduleExpressionTimezone") or "UTC",
                                   start=detail.get("StartDate"), end=detail.get("EndDate"), anchor=entry.anchor)
        if due is None:
            entry.exhausted = True
            self._complete_if_done(entry)
            return
        fire_at = due + flexible_offset(detail, due)
        entry.timer = self._clock.call_at(fire_at, partial(self._fire, entry.key, entry.generation, due))

    def _cancel(self, entry: _Entry) -> None:
        entry.generation += 1
        if entry.timer is not None:
            self._clock.cancel(entry.timer)
            entry.timer = None

    # --- firing ---------------------------------------------------------------------------------
    def _fire(self, key: tuple[str, str], generation: int, scheduled: datetime) -> None:
        with self._lock:
            entry = self._entries.get(key)
            if self._stopped or entry is None or entry.generation != generation:
                return
        detail = self._get(*key)  # read again: a change just before the fire is honoured
        with self._lock:
            if detail is None:
                self._cancel(self._entries.pop(key, entry))
                return
            if detail.get("LastModificationDate") != entry.modified:
                self._replan(key, detail)
                return
            entry.cursor = scheduled
            entry.in_flight += 1
            entry.timer = None
            self._arm(entry, scheduled)
        execution_id = uuid.uuid4().hex
        self.fired.append({"schedule": f"{key[0]}/{key[1]}", "scheduled_time": scheduled.isoformat(),
                           "fired_at": self._clock.now().isoformat(), "execution_id": execution_id})
        del self.fired[:-500]
        self._attempt(entry, detail, scheduled, execution_id, 1, self._clock.now())

    def _attempt(self, entry: _Entry, detail: dict[str, Any], scheduled: datetime, execution_id: str,
                 attempt: int, first_at: datetime) -> None:
        if self._stopped:
            return
        target, arn = detail.get("Target", {}), detail.get("Arn", "")
        text = substitute(target.get("Input"), schedule_arn=arn, scheduled=scheduled, execution_id=execution_id,
                          attempt=attempt)
        try:
            self._delivery.deliver(target, text, arn, scheduled)
        except DeliveryError as error:
            policy = target.get("RetryPolicy") or {}
            max_retries = policy.get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES)
            max_age = policy.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE)
            retry_at = self._clock.now() + backoff(attempt)
            if attempt - 1 >= max_retries:
                condition = "MaximumRetryAttempts"
            elif (retry_at - first_at).total_seconds() > max_age:
                condition = "MaximumEventAgeInSeconds"
            else:
                logger.info("schedule %s: delivery failed (%s); retry %d at %s", arn, error, attempt, retry_at)
                self._clock.call_at(retry_at, partial(self._attempt, entry, detail, scheduled, execution_id,
                                                      attempt + 1, first_at))
                return
            self._dead_letter(detail, text, scheduled, execution_id, attempt - 1, condition, error)
        except Exception:
            logger.exception("schedule %s: delivery crashed; occurrence dropped", arn)
        self._settled(entry)

    def _dead_letter(self, detail: dict[str, Any], text: str | None, scheduled: datetime, execution_id: str,
                     retries: int, condition: str, error: DeliveryError) -> None:
        target, arn = detail.get("Target", {}), detail.get("Arn", "")
        dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
        logger.warning("schedule %s: giving up after %d retries (%s): %s%s", arn, retries, condition, error,
                       f"; dead-lettered to {dlq}" if dlq else "; no DLQ, event dropped")
        if dlq:
            self._delivery.dead_letter(dlq, self._delivery.body(text, arn, scheduled), {
                "ERROR_CODE": error.code, "ERROR_MESSAGE": error.message[:1000], "EXECUTION_ID": execution_id,
                "EXHAUSTED_RETRY_CONDITION": condition, "IS_PAYLOAD_TRUNCATED": "false",
                "RETRY_ATTEMPTS": str(retries), "SCHEDULED_TIME": scheduled.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "SCHEDULE_ARN": arn, "TARGET_ARN": target.get("Arn", "")})

    def _settled(self, entry: _Entry) -> None:
        with self._lock:
            entry.in_flight -= 1
            self._complete_if_done(entry)

    def _complete_if_done(self, entry: _Entry) -> None:
        """ActionAfterCompletion DELETE: remove a schedule with nothing left to fire or settle."""
        detail = entry.detail or {}
        if not entry.exhausted or entry.in_flight > 0 or detail.get("ActionAfterCompletion") != "DELETE":
            return
        group, name = entry.key
        try:
            self._scheduler.delete_schedule(GroupName=group, Name=name)
            logger.info("schedule %s/%s completed and was deleted (ActionAfterCompletion DELETE)", group, name)
        except ClientError as exc:
            logger.warning("could not delete completed schedule %s/%s: %s", group, name, exc)
        self._entries.pop(entry.key, None)
        self._cancel(entry)


def backoff(attempt: int) -> timedelta:
    """Delay before retry ``attempt``: 1, 2, 4 ... minutes, at most an hour (deterministic, no jitter)."""
    return timedelta(minutes=min(2 ** (attempt - 1), 60))


def flexible_offset(detail: dict[str, Any], due: datetime) -> timedelta:
    window = detail.get("FlexibleTimeWindow") or {}
    minutes = window.get("MaximumWindowInMinutes") or 0
    if window.get("Mode") != "FLEXIBLE" or minutes <= 0:
        return timedelta(0)
    seed = f"{detail.get('Arn', '')}|{due.isoformat()}".encode()
    return timedelta(seconds=int(hashlib.sha256(seed).hexdigest(), 16) % (minutes * 60))


def ensure_static_schedules(scheduler: Any, naming: Naming) -> list[str]:
    """Create (or bring up to date) the manifest's STATIC_SCHEDULES through the Scheduler API.

    The same definition ``infra/pulumi/schedules.py`` deploys: the stage's schedule group, flexible
    window OFF, no Input, 3 retries within an hour, then the schedules DLQ.
    """
    names = []
    for static in manifest.STATIC_SCHEDULES:
        request = {
            "Name": naming.name(static.key), "GroupName": naming.schedule_group(),
            "ScheduleExpression": static.expression, "ScheduleExpressionTimezone": static.timezone,
            "FlexibleTimeWindow": {"Mode": "OFF"}, "State": "ENABLED", "Description": static.description,
            "Target": {"Arn": naming.function_arn(static.function), "RoleArn": naming.role_arn("scheduler-execution"),
                       "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
                       "DeadLetterConfig": {"Arn": naming.queue_arn(naming.queue(manifest.SCHEDULES_DLQ))}},
        }
        try:
            scheduler.create_schedule(**request)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConflictException":
                raise
            scheduler.update_schedule(**request)
        names.append(request["Name"])
    return names
