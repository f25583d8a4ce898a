"""Start Ministack with the platform owning time.

Run by Ministack's own virtualenv. Ministack 1.5.33 does three time-driven things itself that the
platform does on its own clock (which tests freeze and advance), so they are switched off here —
otherwise schedules would fire twice, TTL would not follow the platform clock, and alarms would
flap:

* it fires EventBridge Scheduler schedules (10 s ticks, timezones ignored);
* it deletes expired DynamoDB items on the wall clock;
* it evaluates every alarm on each PutMetricData, on the wall clock and over the datapoints of
  every dimension (one DLQ's depth sets every DLQ's alarm), and acts on the result.

SetAlarmState still invokes the alarm's actions, as on AWS.
"""

from __future__ import annotations

import sys
import threading

_SWITCHED_OFF = {"dynamodb-ttl-reaper"}  # started as an import side effect of ministack.services.dynamodb


class _Thread(threading.Thread):
    def start(self) -> None:
        if self.name in _SWITCHED_OFF:
            return
        super().start()


def main() -> None:
    threading.Thread = _Thread  # before Ministack's modules are imported
    from ministack.services import cloudwatch, scheduler

    scheduler.start_scheduler = lambda: None
    cloudwatch._evaluate_alarm = lambda alarm: None
    cloudwatch._evaluate_all_alarms = lambda: None
    from ministack.app import main as ministack_main

    sys.argv = ["ministack"]
    sys.exit(ministack_main())


if __name__ == "__main__":
    main()
