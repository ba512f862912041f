"""The shipped demo task: seeded tickets, a scripted teacher, and eval assertions that grade by the true record."""

from __future__ import annotations

import json
import random

from crossroads.lab.eval.assertions import Assertion, check
from crossroads.tune.tickets import assertions_for, make_tickets, teacher_answer


def passes(record: dict[str, str], text: str) -> bool:
    return all(check(Assertion.model_validate(a), text, {}).passed for a in assertions_for(record))


def test_tickets_are_seeded_and_carry_their_record_in_the_text() -> None:
    first, again, other = make_tickets(20, seed=3), make_tickets(20, seed=3), make_tickets(20, seed=4)
    assert first == again and first != other
    for ticket in first:
        assert ticket.record["order"] in ticket.text and ticket.record["product"] in ticket.text
        assert "@" in ticket.text  # an e-mail for the guard to find
        assert ticket.messages()[-1]["content"] == ticket.text


def test_the_teacher_is_right_but_for_its_noise_and_the_assertions_tell() -> None:
    tickets = make_tickets(200, seed=0)
    answers = [teacher_answer(t, random.Random(i), noise=0.05) for i, t in enumerate(tickets)]
    right = [passes(t.record, a) for t, a in zip(tickets, answers, strict=True)]
    assert 0.85 < sum(right) / len(right) < 1.0  # a seeded few with a wrong priority
    wrong = next(a for a, ok in zip(answers, right, strict=True) if not ok)
    assert json.loads(wrong)["priority"] in {"low", "medium", "high"}  # still valid, just wrong
    ticket = tickets[0]
    assert not passes(ticket.record, "Sorry, I cannot help with that.")
    assert not passes(ticket.record, json.dumps({**ticket.record, "extra": 1}))  # the schema allows no extra key
