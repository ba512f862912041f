"""The demo task the repository ships: support tickets in, a JSON record out.

Tickets are written with Faker (seeded: same seed, same tickets) from a few templates, with a customer
name, an e-mail and an order number in the text — the privacy guard's work. The record holds no
personal data, only what a support desk routes on::

    {"category": "billing", "priority": "high", "product": "router", "order": "A-48213"}

``teacher_answer`` is what a scripted "hosted" model answers; it is right except for a seeded few
tickets (``noise``), as a real one would be. ``SCHEMA`` is the validator the cascade and the eval use.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

CATEGORIES = {
    "billing": ["I was charged twice for", "the invoice is wrong for", "I want a refund for"],
    "shipping": ["I am still waiting for", "the courier lost", "the tracking page is stuck for"],
    "technical": ["I cannot get it to start:", "it keeps crashing:", "the firmware update bricked"],
    "account": ["I cannot log in to manage", "please change the owner of", "my password reset fails for"],
}
PRIORITY_WORDS = {"high": ["URGENT:", "This is critical.", "Please help asap,"], "medium": ["Hi,", "Hello team,"],
                  "low": ["No rush, but", "When you have a moment,"]}  # fmt: skip
PRODUCTS = ["router", "laptop", "headphones", "smartwatch", "printer", "camera", "monitor", "keyboard"]
SYSTEM = (
    "Turn the support ticket into a JSON record with exactly these keys: category (billing, shipping, technical "
    "or account), priority (low, medium or high), product, order. Reply with the JSON only."
)
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["category", "priority", "product", "order"],
    "additionalProperties": False,
    "properties": {
        "category": {"enum": list(CATEGORIES)},
        "priority": {"enum": list(PRIORITY_WORDS)},
        "product": {"type": "string", "minLength": 2},
        "order": {"type": "string", "pattern": "^[A-Z]-[0-9]{5}$"},
    },
}


@dataclass(frozen=True)
class Ticket:
    text: str
    record: dict[str, str]

    def messages(self) -> list[dict[str, str]]:
        return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": self.text}]


def make_tickets(n: int, seed: int = 0) -> list[Ticket]:
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    return [_ticket(fake, rng) for _ in range(n)]


def _ticket(fake: Any, rng: random.Random) -> Ticket:
    category, priority = rng.choice(list(CATEGORIES)), rng.choice(list(PRIORITY_WORDS))
    product = rng.choice(PRODUCTS)
    order = f"{rng.choice('ABCDEFGH')}-{rng.randint(10000, 99999)}"
    name, email = fake.name(), fake.email()
    opener, issue = rng.choice(PRIORITY_WORDS[priority]), rng.choice(CATEGORIES[category])
    detail = fake.sentence(nb_words=rng.randint(5, 10))
    parts = [f"{opener} {issue} my {product} (order {order}).", detail, f"{name}, {email}"]
    if rng.random() < 0.5:
        parts[1], parts[2] = parts[2], parts[1]
    record = {"category": category, "priority": priority, "product": product, "order": order}
    return Ticket(" ".join(parts), record)


def teacher_answer(ticket: Ticket, rng: random.Random, noise: float = 0.05) -> str:
    """The scripted hosted model: the right record, but a wrong priority for a ``noise`` share of tickets."""
    record = dict(ticket.record)
    if rng.random() < noise:
        record["priority"] = rng.choice([p for p in PRIORITY_WORDS if p != record["priority"]])
    return json.dumps(record)


def assertions_for(record: dict[str, str]) -> list[dict[str, Any]]:
    """Eval assertions of one case: the schema, and each field equal to the ticket's true value."""
    checks: list[dict[str, Any]] = [{"type": "json-schema", "value": SCHEMA}]
    checks += [{"type": "regex", "value": f'"{key}"\\s*:\\s*"{value}"'} for key, value in record.items()]
    return checks
