"""A record delivered before its publisher's "about to send" notice still joins the publisher's trace."""

from __future__ import annotations

from emulation.runtime.traces import TraceStore


def test_a_provisional_trace_is_merged_when_the_publisher_links_the_body():
    traces = TraceStore()
    traces.add("Root=1-pub", "WebAPI Lambda", "SNS Topic", "Publish", "aws", ts=1.0)
    provisional = traces.trace_for_body("md5-a", or_new=True)  # the poller got there first
    traces.add(provisional, "SNS Topic", "SQS Queue", "Deliver", "deliver", ts=2.0)
    traces.index_message("msg_1", provisional)
    traces.link_body("md5-a", "Root=1-pub")  # the notice arrives
    traces.add(provisional, "Processor Lambda", "SQS Queue", "Delete message", "aws", ts=3.0)
    merged = traces.resolve("msg_1")
    assert merged.trace_id == "Root=1-pub" and traces.resolve(provisional) is merged
    assert [h.label for h in sorted(merged.hops, key=lambda h: h.ts)] == ["Publish", "Deliver", "Delete message"]
    assert traces.trace_for_body("md5-a") == "Root=1-pub"


def test_a_linked_body_is_found_without_a_provisional_trace():
    traces = TraceStore()
    traces.link_body("md5-b", "Root=1-b")
    assert traces.trace_for_body("md5-b", or_new=True) == "Root=1-b"
    assert traces.trace_for_body("md5-unknown") is None
