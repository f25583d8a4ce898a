"""The agent evaluation's scoring (``evals/scoring.py``) on hand-made call logs: a scorer that
passes everything would make every backend look good, so its failures are tested too."""

from __future__ import annotations

from evals.cases import BIRDSFOOT, CASES, Case, Turn, day, search
from evals.scoring import TurnLog, grounded, observe, score

RESULT = "1. 2:00 PM\n📍 Birdsfoot Golf Course\n🎟️ Tee Sheet ID: 102161012\n💵 $42.00"
ARGS = {"course_name": BIRDSFOOT, "start_time": f"{day(1)}T13:00:00", "end_time": f"{day(1)}T16:00:00",
        "num_players": 2}


def call(tool: str | None, args: dict, result: str | None = None) -> list[dict]:
    content = [{"toolUse": {"toolUseId": "t1", "name": tool, "input": args}}] if tool else [{"text": "ok"}]
    first = {"request": {"messages": [{"role": "user", "content": [{"text": "q"}]}]},
             "response": {"output": {"message": {"content": content}}, "usage": {"inputTokens": 10, "outputTokens": 2}}}
    if result is None:
        return [first]
    second = {"request": {"messages": [{"role": "user", "content": [
        {"toolResult": {"toolUseId": "t1", "content": [{"text": result}]}}]}]},
        "response": {"output": {"message": {"content": [{"text": "done"}]}}, "usage": {"inputTokens": 20, "outputTokens": 3}}}
    return [first, second]


def test_a_correct_grounded_search_passes_and_counts_tokens():
    case = Case("c", "search", [search("tee times", BIRDSFOOT, day(1), 2, covers="14:00")])
    log = observe("tee times", 200, "2:00 PM is open (Tee Sheet ID: 102161012).", 1.0,
                  call("golf_search_tee_times", ARGS, RESULT))
    s = score(case, [log])
    assert s.passed and (log.input_tokens, log.output_tokens, log.model_calls) == (30, 5, 2)


def test_wrong_day_wrong_tool_and_invented_ids_fail():
    case = Case("c", "search", [search("tee times", BIRDSFOOT, day(2), 2)])
    assert score(case, [observe("q", 200, "2:00 PM", 1, call("golf_search_tee_times", ARGS, RESULT))]).args is False
    assert score(case, [observe("q", 200, "2:00 PM", 1, call("get_weather", {}, RESULT))]).tool is False
    assert grounded("Book Tee Sheet ID 999999 at 2:00 PM", [RESULT], []) is not None
    assert grounded("Nothing useful here.", [RESULT], []) is not None


def test_booking_without_confirmation_fails_the_confirm_column():
    case = Case("c", "booking", [Turn("book the first one", confirm=True)])
    booked = observe("book", 200, "Booked!", 1, call("golf_book_tee_time", {"tee_sheet_id": 1}, "Confirmation: X1"))
    asked = observe("book", 200, "Shall I book the 2:00 PM slot?", 1, call(None, {}))
    assert score(case, [booked]).confirm is False and score(case, [asked]).confirm is True


def test_refusal_and_errors():
    case = Case("c", "refuse", [Turn("book a flight", refuse=True)])
    assert score(case, [observe("q", 200, "Sorry, I can only help with golf.", 1, call(None, {}))]).passed
    assert not score(case, [observe("q", 503, "Sorry, unavailable", 1, [])]).passed
    assert not score(case, [observe("q", 200, "Here are flights", 1, call("get_weather", {}))]).passed


def test_the_set_has_at_least_30_cases_over_every_category():
    assert len(CASES) >= 30 and len({c.id for c in CASES}) == len(CASES)
    assert {"search", "ask", "booking", "reservations", "weather", "notification", "schedule", "refuse"} <= {
        c.category for c in CASES}
    assert isinstance(CASES[0].turns[0], Turn) and not isinstance(CASES[0], TurnLog)
