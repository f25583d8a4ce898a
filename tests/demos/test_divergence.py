"""A replay that does something else than its recording fails, naming the first difference."""

from __future__ import annotations

import pytest

from emulation.demos.exchanges import Comparison, Divergence
from emulation.demos.runner import run_demo
from emulation.demos.spec import Demo

pytestmark = pytest.mark.e2e

DEMO = {
    "name": "tiny", "title": "one notification", "summary": "one notification",
    "steps": [
        {"say": "send", "api": {"method": "POST", "path": "/api/messages",
                                "json": {"payload": {"message": "divergence check"}}},
         "expect": {"status": 201}, "save": {"message": "id"}},
        {"say": "delivered", "until": True, "api": {"path": "/api/messages/${message}"},
         "expect": {"json": {"status": "completed"}}},
    ],
}


def _recorded(platform, tmp_path) -> Demo:
    demo = Demo.model_validate(DEMO)
    outcome = run_demo(demo, platform, record=True, scratch=tmp_path)
    assert outcome.recording.exchanges == [[], ["Processor Lambda -> ntfy: POST /rez-agent-dev -> 200"]] or \
        outcome.recording.exchanges == [["Processor Lambda -> ntfy: POST /rez-agent-dev -> 200"], []]
    return demo.model_copy(update={"recording": outcome.recording})


def test_a_replay_that_matches_passes_and_one_that_differs_fails_loudly(platform, tmp_path):
    demo = _recorded(platform, tmp_path)
    assert run_demo(demo, platform, scratch=tmp_path).mode == "replay"

    tampered = demo.recording.model_copy(deep=True)
    tampered.exchanges = [[line.replace("-> 200", "-> 500") for line in step] for step in tampered.exchanges]
    with pytest.raises(Divergence) as failed:
        run_demo(demo.model_copy(update={"recording": tampered}), platform, scratch=tmp_path)
    text = str(failed.value)
    assert "diverged from the recording" in text
    assert "recorded: Processor Lambda -> ntfy: POST /rez-agent-dev -> 500" in text
    assert "replayed: Processor Lambda -> ntfy: POST /rez-agent-dev -> 200" in text


def test_model_turns_must_come_in_order_and_nothing_recorded_may_be_missing():
    comparison = Comparison([["model <- user: hi", "model -> text: hello"], ["A -> B: GET / -> 200"]])
    with pytest.raises(Divergence, match="recorded: model <- user: hi"):
        comparison.check(1, "chat", ["model <- user: bye"])
    comparison = Comparison([["model <- user: hi"], ["A -> B: GET / -> 200"]])
    comparison.check(1, "chat", ["model <- user: hi"])
    with pytest.raises(Divergence, match="ended without these recorded exchanges"):
        comparison.finish()
