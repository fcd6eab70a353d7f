"""Generate a realistic, deterministic agent request log (JSONL) of a target size.

    python bench/generate_agent_log.py --mb 10 --out /tmp/agent-10mb.jsonl [--seed 20250301]

The log is what a customer-support agent in production writes: many sessions, each an
append-only conversation (one shared system prompt of about 2,600 tokens of varied prose, 13
tools with JSON-schema parameters, user and assistant turns, tool calls and tool results of
very different lengths). Each assistant turn is one request that re-sends the whole history,
so the file holds successive prefixes of every conversation. Turns are 5-30 s apart and
sessions overlap in time, so records of different sessions interleave, in time order.

Records have the shape of the shared reference logs:
``{"timestamp": "...Z", "request": {chat completions body}, "meta": {"session": "..."}}``.

About one session in twenty carries a pattern that breaks the prompt cache, cycling through:
a timestamp at the top of the system prompt, the tools sent in another order, the history
truncated from the front, and whitespace drift in the system prompt. The first four pattern
sessions come early, so even a 10 MB log holds one of each.

Deterministic: the same seed and size give the same bytes (stdlib ``random`` plus ``orjson``).
Fast: each session's messages are built and serialized once; requests are byte prefixes of
them. ``MB`` here is 1,000,000 bytes; the file stops at the first record past the target.
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

DEFAULT_SEED = 20250301
MODEL = "gpt-4.1"
START = datetime(2025, 3, 3, 8, 0, 0, tzinfo=UTC)
PATTERNS = ("timestamp-in-system", "tools-reordered", "history-truncated", "whitespace-drift")
EARLY_PATTERN_SESSIONS = (3, 8, 13, 18)  # one of each pattern within the first 20 sessions
PATTERN_EVERY = 20  # then one session in twenty
MEAN_SESSION_GAP_S = 40.0
TURN_GAP_S = (5, 30)
REQUESTS_PER_SESSION = (4, 30)
TRUNCATION_WINDOW = 8  # messages kept after the system prompt by a truncating client

Json = dict[str, Any]

# --------------------------------------------------------------------------- vocabulary

COMPANY = "Northwind Outfitters"
AGENT = "Ada"
ITEMS = ("hiking boots", "rain jacket", "down sleeping bag", "trekking poles", "headlamp",
         "camping stove", "water filter", "merino base layer", "daypack", "tent footprint",
         "insulated bottle", "trail running shoes", "fleece pullover", "bivy sack",
         "climbing harness", "chalk bag", "kayak paddle", "dry bag", "gaiters", "camp chair",
         "solar charger", "first-aid kit", "snowshoes", "ski goggles", "bike helmet")
THINGS = ("order", "shipment", "parcel", "invoice", "refund", "exchange", "subscription",
          "warranty claim", "gift card", "return label", "loyalty account", "delivery slot",
          "pickup reservation", "replacement", "payment method", "billing address",
          "store credit", "price adjustment", "repair ticket", "backorder")
ACTORS = ("the customer", "the account holder", "a guest shopper", "a business customer",
          "the gift recipient", "a courier partner", "the warehouse team", "a store associate",
          "a loyalty member", "the person on the chat")
CONDITIONS = ("the order has not shipped yet", "the parcel is marked as delivered",
              "more than 30 days have passed since delivery", "the item was bought on sale",
              "the payment is still pending", "the address fails validation",
              "the carrier reports an exception", "the item is out of stock",
              "the customer cannot verify their identity", "the order was split into parcels",
              "a promotion code was applied", "the warranty period has ended",
              "the item shows signs of use", "the return window is about to close",
              "the customer mentions a safety issue", "two accounts share one email address")
ACTIONS = ("confirm the shipping address", "check the payment status",
           "offer a replacement", "issue a partial refund", "create a support ticket",
           "look up the order history", "explain the return policy", "verify the account",
           "schedule a callback", "apply the store credit", "escalate to a human agent",
           "re-send the confirmation email", "cancel the unshipped items",
           "update the delivery instructions", "check stock at nearby stores",
           "open a carrier investigation", "quote the exact fee", "summarize the next steps")
TIMEFRAMES = ("within 24 hours", "before the end of the business day", "within 14 days",
              "within three business days", "before the carrier's cut-off time",
              "within the 60-day return window", "at the next available slot",
              "before the item leaves the warehouse")
TONES = ("calm", "concise", "warm", "plain", "patient", "direct", "friendly", "precise")
TOPICS = ("Identity and verification", "Orders and changes", "Shipping and delivery",
          "Returns and exchanges", "Refunds and store credit", "Warranty and repairs",
          "Promotions and price adjustments", "Loyalty program", "Privacy and security",
          "Tone and formatting", "Using the tools", "Escalation", "Safety issues",
          "Business accounts", "Gift orders")
PROBLEMS = ("arrived damaged", "never arrived", "is the wrong size", "is missing a part",
            "was charged twice", "shows the wrong color", "stopped working after a week",
            "was delivered to the wrong address", "is late by five days",
            "came without the promised discount", "has a broken zipper",
            "is leaking at the seam")
WHEN = ("yesterday", "last Tuesday", "two weeks ago", "on the 3rd", "earlier this month",
        "over the weekend", "about ten days ago", "last month")
CITIES = ("Portland", "Denver", "Boise", "Salt Lake City", "Missoula", "Bend", "Flagstaff",
          "Asheville", "Burlington", "Duluth", "Bozeman", "Tacoma", "Santa Fe", "Anchorage")
STREETS = ("Oak", "Cedar", "Pine", "Maple", "Alder", "Birch", "Juniper", "Willow", "Aspen")
FIRST = ("Maya", "Liam", "Sofia", "Noah", "Ava", "Ethan", "Zoe", "Lucas", "Nora", "Omar",
         "Priya", "Kenji", "Fatima", "Diego", "Hannah", "Tariq", "Elena", "Samuel")
LAST = ("Garcia", "Nguyen", "Smith", "Okafor", "Kowalski", "Tanaka", "Haddad", "Rossi",
        "Johansson", "Patel", "Moreau", "Schmidt", "Alvarez", "Brennan", "Lindqvist")
STATUSES = ("processing", "packed", "shipped", "in_transit", "out_for_delivery", "delivered",
            "exception", "returned", "cancelled")
CARRIERS = ("UPS", "FedEx", "USPS", "DHL", "OnTrac")
ADJECTIVES = ("lightweight", "waterproof", "breathable", "durable", "compact", "insulated",
              "recycled", "packable", "reinforced", "ventilated")

POLICY_TEMPLATES = (
    "When {condition}, {action} before you promise anything to {actor}.",
    "If {actor} asks you to {action}, first check whether {condition}.",
    "Never {action} unless {actor} has confirmed the {thing} number and the email on file.",
    "You may {action} {timeframe}; anything later needs approval from a supervisor.",
    "A {thing} can only be changed while {condition2}, so {action} as early as possible.",
    "Always tell {actor} what you are about to do, then {action}, and report the result.",
    "Do not guess: if the {thing} cannot be found, ask {actor} for the number again.",
    "Explain fees in plain numbers: for example, a ${amount} restocking fee on a returned {item}.",
    "For a {adjective} {item}, the standard allowance is {days} days from delivery.",
    "If {condition} and {condition2}, {action} and note both facts on the ticket.",
    "Keep your answers {tone} and {tone2}: one short paragraph, then a list of next steps.",
    "A {thing} that is older than {days} days is handled by the {team} team, not by you.",
    "Quote the policy, not your opinion, when {actor} disputes a {thing}.",
    "Summarize what changed on the {thing} at the end of every conversation.",
    "Use the tools for facts about a {thing}; never rely on what {actor} says it contains.",
    "Offer to {action} only once; if {actor} declines, do not bring it up again.",
    "When {actor} is upset, acknowledge it in one sentence and move on to {action_ing}.",
    "Amounts above ${amount} require a second confirmation from {actor} before you proceed.",
    "Items marked final sale cannot be returned, but you may still {action}.",
    "Orders shipped with {carrier} can be traced {timeframe} after the label is created.",
)
USER_OPENERS = (
    "Hi, I ordered a {item} {when} and it {problem}.",
    "Hello! My {thing} {order_id} {problem}, can you help?",
    "I need help with order {order_id}. The {item} {problem}.",
    "Hey there, quick question about my {thing}: the {item} {problem}.",
    "Good morning. I bought a {adjective} {item} {when} and it {problem}. What are my options?",
    "My name is {name}. The {item} from order {order_id} {problem} and I'd like to {wish}.",
)
USER_FOLLOWUPS = (
    "Okay, thanks. Can you also {action}?",
    "That works for me. What happens with the {thing} now?",
    "Can you double check the address? I moved to {street} Street in {city} recently.",
    "How long will that take exactly?",
    "Is there a fee for that? I'd rather not pay for shipping twice.",
    "Actually, I'd prefer store credit instead of a refund to my card.",
    "My email is {email}, in case you need it.",
    "Please go ahead. And could you {action} as well?",
    "Hmm, the tracking page still says {status}. Is that normal?",
    "Thanks. One more thing: I also have a {item} in the same order that {problem}.",
)
ASSISTANT_REPLIES = (
    "I've checked order {order_id}: it is {status} with {carrier}. {next_step}",
    "Thanks, {first}. I can {action} for you. {next_step}",
    "Here is what I found: the {item} is covered for {days} days, so {next_step_lc}",
    "I'm sorry about the {item}. I've created ticket {ticket} and {next_step_lc}",
    "Done: the {thing} is updated. You'll get a confirmation email {timeframe}.",
    "According to our policy, {condition}, so I can {action}. {next_step}",
)
NEXT_STEPS = (
    "You'll receive a prepaid return label by email within the hour.",
    "The refund will show on your statement within five business days.",
    "A replacement ships as soon as the return is scanned by the carrier.",
    "I'll keep the ticket open until the carrier confirms the investigation.",
    "Is there anything else on this order I can help with?",
    "Let me know if you'd like me to schedule a callback instead.",
)
WISHES = ("get a replacement", "return it", "get a refund", "exchange it for another size",
          "talk to someone about it")
ARTICLE_TITLES = ("How returns work", "Shipping times by region", "Warranty coverage",
                  "Caring for {adjective} gear", "Price adjustment policy",
                  "Loyalty points and rewards", "Gift orders and receipts")

TOOL_SPECS: tuple[tuple[str, str, tuple[tuple[str, str], ...], str], ...] = (
    # name, what it does, parameters (name, kind), result kind
    ("get_order", "Look up one order by its number and return its items, status and totals",
     (("order_id", "order_id"), ("include_history", "boolean")), "order"),
    ("search_orders", "Find the orders of a customer, newest first, optionally by status",
     (("customer_id", "customer_id"), ("status", "status"), ("limit", "integer")), "orders"),
    ("get_customer", "Return the profile of a customer: contact details, addresses, tier",
     (("customer_id", "customer_id"), ("email", "email")), "customer"),
    ("track_shipment", "Return the carrier events of a shipment, oldest first",
     (("tracking_number", "tracking"), ("carrier", "carrier")), "tracking"),
    ("update_shipping_address", "Change the delivery address of an order that has not shipped",
     (("order_id", "order_id"), ("street", "street"), ("city", "city"), ("zip", "zip"),
      ("reason", "text")), "ok"),
    ("create_return", "Open a return for items of a delivered order and email a label",
     (("order_id", "order_id"), ("item_ids", "item_ids"), ("reason", "reason"),
      ("refund_method", "refund_method")), "return"),
    ("issue_refund", "Refund an amount to the original payment method or as store credit",
     (("order_id", "order_id"), ("amount", "amount"), ("refund_method", "refund_method"),
      ("note", "text")), "ok"),
    ("check_inventory", "Return stock levels of a product at the warehouse and nearby stores",
     (("sku", "sku"), ("city", "city"), ("radius_km", "integer")), "inventory"),
    ("search_knowledge_base", "Search the help-center articles and return matching passages",
     (("query", "text"), ("max_results", "integer")), "articles"),
    ("create_ticket", "Open a support ticket for follow-up by a specialist team",
     (("customer_id", "customer_id"), ("category", "category"), ("summary", "text"),
      ("priority", "priority")), "ticket"),
    ("schedule_callback", "Book a phone callback from a human agent",
     (("customer_id", "customer_id"), ("phone", "phone"), ("preferred_time", "datetime")),
     "ok"),
    ("apply_promotion", "Apply a promotion code or price adjustment to an order",
     (("order_id", "order_id"), ("code", "promo")), "ok"),
    ("escalate_to_human", "Hand the conversation to a human agent with a summary",
     (("summary", "text"), ("priority", "priority")), "ok"),
)
ENUMS: dict[str, tuple[str, ...]] = {
    "status": STATUSES, "carrier": CARRIERS,
    "reason": ("damaged", "wrong_item", "wrong_size", "not_as_described", "late", "other"),
    "refund_method": ("original_payment", "store_credit", "gift_card"),
    "category": ("shipping", "returns", "billing", "warranty", "account", "other"),
    "priority": ("low", "normal", "high", "urgent"),
}


# --------------------------------------------------------------------------- text

class Text:
    """Sentences and values from the vocabulary, drawn from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def pick(self, options: tuple[str, ...]) -> str:
        return options[self.rng.randrange(len(options))]

    def order_id(self) -> str:
        return f"NW{self.rng.randrange(1_000_000, 9_999_999)}"

    def customer_id(self) -> str:
        return f"cus_{self.rng.randrange(16**10):010x}"

    def name(self) -> str:
        return f"{self.pick(FIRST)} {self.pick(LAST)}"

    def email(self) -> str:
        return f"{self.pick(FIRST).lower()}.{self.pick(LAST).lower()}{self.rng.randrange(100)}" \
               "@example.com"

    def fill(self, template: str) -> str:
        rng = self.rng
        action = self.pick(ACTIONS)
        values = {
            "condition": self.pick(CONDITIONS), "condition2": self.pick(CONDITIONS),
            "action": action, "action_ing": _gerund(action), "actor": self.pick(ACTORS),
            "thing": self.pick(THINGS), "timeframe": self.pick(TIMEFRAMES),
            "tone": self.pick(TONES), "tone2": self.pick(TONES), "item": self.pick(ITEMS),
            "adjective": self.pick(ADJECTIVES), "amount": str(rng.choice((15, 25, 50, 150,
                                                                           250, 500))),
            "days": str(rng.choice((14, 30, 45, 60, 90, 365))), "carrier": self.pick(CARRIERS),
            "team": self.pick(("claims", "logistics", "billing", "repairs", "fraud")),
            "when": self.pick(WHEN), "problem": self.pick(PROBLEMS),
            "order_id": self.order_id(), "name": self.name(), "first": self.pick(FIRST),
            "wish": self.pick(WISHES), "street": self.pick(STREETS), "city": self.pick(CITIES),
            "email": self.email(), "status": self.pick(STATUSES).replace("_", " "),
            "ticket": f"T-{rng.randrange(100_000, 999_999)}",
        }
        step = self.pick(NEXT_STEPS)
        values["next_step"] = step
        values["next_step_lc"] = step[0].lower() + step[1:]
        sentence = template.format(**values)
        return sentence[0].upper() + sentence[1:]

    def paragraph(self, sentences: int) -> str:
        return " ".join(self.fill(self.pick(POLICY_TEMPLATES)) for _ in range(sentences))

    def prose(self, chars: int) -> str:
        parts: list[str] = []
        total = 0
        while total < chars:
            paragraph = self.paragraph(self.rng.randint(2, 5))
            parts.append(paragraph)
            total += len(paragraph) + 2
        return "\n\n".join(parts)


def _gerund(action: str) -> str:
    verb, _, rest = action.partition(" ")
    stem = verb[:-1] if verb.endswith("e") and not verb.endswith("ee") else verb
    return f"{stem}ing {rest}".strip()


def system_prompt(text: Text) -> str:
    """About 2,500 tokens of policy prose under headings (not one repeated line)."""
    rng = text.rng
    intro = (f"You are {AGENT}, the customer support agent of {COMPANY}, an outdoor gear "
             "retailer. You help customers in chat with orders, deliveries, returns, refunds "
             "and warranty questions. Follow the policies below exactly, even when a customer "
             "asks for an exception, and use the tools for every fact about an order.")
    sections = [intro]
    topics = list(TOPICS)
    rng.shuffle(topics)
    for topic in topics[:13]:
        paragraphs = [text.paragraph(rng.randint(3, 5)) for _ in range(rng.randint(1, 3))]
        bullets = [f"- {text.fill(rng.choice(POLICY_TEMPLATES))}"
                   for _ in range(rng.randint(0, 3))]
        sections.append("\n\n".join([f"# {topic}", *paragraphs, *(["\n".join(bullets)]
                                                                    if bullets else [])]))
    return "\n\n".join(sections)


def tools(text: Text) -> list[Json]:
    out: list[Json] = []
    for name, what, params, _result in TOOL_SPECS:
        properties: Json = {}
        for param, kind in params:
            properties[param] = _param_schema(text, param, kind)
        required = [param for param, kind in params
                    if kind not in ("boolean", "integer", "text")] or [params[0][0]]
        description = f"{what}. {text.fill(text.pick(POLICY_TEMPLATES))}"
        out.append({"type": "function", "function": {
            "name": name, "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required,
                           "additionalProperties": False}}})
    return out


def _param_schema(text: Text, param: str, kind: str) -> Json:
    label = param.replace("_", " ")
    if kind in ENUMS:
        return {"type": "string", "enum": list(ENUMS[kind]), "description": f"The {label}."}
    if kind == "boolean":
        return {"type": "boolean", "description": f"Whether to return the {label}.",
                "default": False}
    if kind in ("integer", "amount"):
        kind_type = "integer" if kind == "integer" else "number"
        return {"type": kind_type, "minimum": 0, "description": f"The {label}; "
                f"{text.pick(ACTIONS)} first if unsure."}
    if kind == "item_ids":
        return {"type": "array", "items": {"type": "string", "pattern": "^itm_[0-9a-f]{8}$"},
                "minItems": 1, "description": "The line items concerned."}
    patterns = {"order_id": "^NW[0-9]{7}$", "customer_id": "^cus_[0-9a-f]{10}$",
                "zip": "^[0-9]{5}$", "sku": "^[A-Z]{3}-[0-9]{4}$"}
    schema: Json = {"type": "string", "description": f"The {label}, as given by "
                    f"{text.pick(ACTORS)} or found with another tool."}
    if kind in patterns:
        schema["pattern"] = patterns[kind]
    if kind == "datetime":
        schema["format"] = "date-time"
    return schema


def tool_arguments(text: Text, spec: tuple[tuple[str, str], ...], ids: Json) -> Json:
    rng = text.rng
    args: Json = {}
    for param, kind in spec:
        if kind in ENUMS:
            args[param] = text.pick(ENUMS[kind])
        elif kind == "boolean":
            args[param] = rng.random() < 0.5
        elif kind == "integer":
            args[param] = rng.choice((5, 10, 20, 25, 50))
        elif kind == "amount":
            args[param] = round(rng.uniform(5, 400), 2)
        elif kind == "order_id":
            args[param] = ids["order_id"]
        elif kind == "customer_id":
            args[param] = ids["customer_id"]
        elif kind == "email":
            args[param] = ids["email"]
        elif kind == "item_ids":
            args[param] = [f"itm_{rng.randrange(16**8):08x}" for _ in range(rng.randint(1, 3))]
        elif kind == "tracking":
            args[param] = f"1Z{rng.randrange(10**15, 10**16)}"
        elif kind == "street":
            args[param] = f"{rng.randint(10, 9999)} {text.pick(STREETS)} Street"
        elif kind == "city":
            args[param] = text.pick(CITIES)
        elif kind == "zip":
            args[param] = f"{rng.randint(10000, 99999)}"
        elif kind == "sku":
            args[param] = f"NWO-{rng.randint(1000, 9999)}"
        elif kind == "phone":
            args[param] = f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
        elif kind == "datetime":
            args[param] = f"2025-03-{rng.randint(4, 28):02d}T{rng.randint(9, 17):02d}:00:00Z"
        elif kind == "promo":
            args[param] = f"TRAIL{rng.randint(10, 40)}"
        else:
            args[param] = text.fill(text.pick(POLICY_TEMPLATES))
    return args


def _line_item(text: Text) -> Json:
    rng = text.rng
    return {"item_id": f"itm_{rng.randrange(16**8):08x}",
            "sku": f"NWO-{rng.randint(1000, 9999)}",
            "name": f"{text.pick(ADJECTIVES).capitalize()} {text.pick(ITEMS)}",
            "quantity": rng.randint(1, 3), "unit_price": round(rng.uniform(9, 480), 2),
            "status": text.pick(STATUSES)}


def _skewed_count(rng: random.Random, small: int, large: int) -> int:
    """Mostly a few, sometimes many: tool results of very different lengths."""
    return rng.randint(1, small) if rng.random() < 0.8 else rng.randint(small, large)


def tool_result(text: Text, kind: str, ids: Json) -> Json | str:
    rng = text.rng
    if kind == "order":
        return {"order_id": ids["order_id"], "customer_id": ids["customer_id"],
                "status": text.pick(STATUSES), "placed_at": f"2025-02-{rng.randint(1, 28):02d}",
                "items": [_line_item(text) for _ in range(_skewed_count(rng, 3, 12))],
                "shipping": {"carrier": text.pick(CARRIERS), "city": text.pick(CITIES)},
                "total": round(rng.uniform(20, 1500), 2), "currency": "USD"}
    if kind == "orders":
        return {"orders": [{"order_id": text.order_id(), "status": text.pick(STATUSES),
                            "total": round(rng.uniform(20, 900), 2),
                            "items": rng.randint(1, 6)}
                           for _ in range(_skewed_count(rng, 4, 40))], "has_more": False}
    if kind == "customer":
        return {"customer_id": ids["customer_id"], "name": ids["name"], "email": ids["email"],
                "tier": text.pick(("basic", "silver", "gold", "summit")),
                "addresses": [{"street": f"{rng.randint(10, 9999)} {text.pick(STREETS)} St",
                               "city": text.pick(CITIES)} for _ in range(rng.randint(1, 3))],
                "notes": text.paragraph(rng.randint(0, 2))}
    if kind == "tracking":
        return {"carrier": text.pick(CARRIERS), "events": [
            {"at": f"2025-02-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
                   f"{rng.randint(0, 59):02d}:00Z", "city": text.pick(CITIES),
             "status": text.pick(STATUSES)} for _ in range(_skewed_count(rng, 5, 30))]}
    if kind == "inventory":
        return {"stores": [{"city": text.pick(CITIES), "in_stock": rng.randint(0, 40)}
                           for _ in range(_skewed_count(rng, 4, 25))]}
    if kind == "articles":
        count = _skewed_count(rng, 2, 6)
        return "\n\n".join(f"## {text.fill(text.pick(ARTICLE_TITLES))}\n"
                           f"{text.prose(rng.choice((300, 600, 1200, 2500)))}"
                           for _ in range(count))
    if kind == "return":
        return {"return_id": f"RMA-{rng.randint(100000, 999999)}", "label_url":
                f"https://returns.example.com/l/{rng.randrange(16**12):012x}",
                "refund_estimate": round(rng.uniform(10, 400), 2)}
    if kind == "ticket":
        return {"ticket_id": f"T-{rng.randint(100000, 999999)}", "queue": text.pick(THINGS)}
    return {"ok": True, "message": text.fill(text.pick(ASSISTANT_REPLIES))}


# --------------------------------------------------------------------------- sessions

@dataclass
class Session:
    """One conversation: its messages serialized once, and the requests still to send."""

    sid: bytes
    pattern: str | None
    messages: list[bytes]  # messages[0] is the system prompt
    cuts: list[int]  # request i sends messages[:cuts[i]]
    times: list[datetime]
    tool_orders: list[bytes]  # tools bytes per request
    system_variants: list[bytes]  # system message bytes per request
    sent: int = 0
    body: bytes = b""  # b",".join(messages[1:cuts[sent - 1]])
    body_end: int = 1
    window_start: int = 1  # first message after the system prompt a truncating client sends


def build_session(text: Text, number: int, start: datetime, pattern: str | None,
                  system: str, tools_list: list[Json]) -> Session:
    rng = text.rng
    dumps = orjson.dumps
    name = text.name()
    ids: Json = {"order_id": text.order_id(), "customer_id": text.customer_id(),
                 "name": name, "email": text.email()}
    messages: list[Json] = [{"role": "system", "content": system},
                            {"role": "user", "content": text.fill(text.pick(USER_OPENERS))}]
    cuts: list[int] = []
    requests = rng.randint(*REQUESTS_PER_SESSION)
    calls = 0
    while len(cuts) < requests:
        cuts.append(len(messages))  # the assistant answers here
        if rng.random() < 0.7:  # a tool call (sometimes two in parallel) and its results
            chosen = [TOOL_SPECS[rng.randrange(len(TOOL_SPECS))]
                      for _ in range(1 if rng.random() < 0.85 else 2)]
            tool_calls = []
            results = []
            for spec in chosen:
                calls += 1
                call_id = f"call_{rng.randrange(16**24):024x}"
                arguments = dumps(tool_arguments(text, spec[2], ids)).decode()
                tool_calls.append({"id": call_id, "type": "function",
                                   "function": {"name": spec[0], "arguments": arguments}})
                result = tool_result(text, spec[3], ids)
                content = result if isinstance(result, str) else dumps(result).decode()
                results.append({"role": "tool", "tool_call_id": call_id, "content": content})
            messages.append({"role": "assistant", "content": None, "tool_calls": tool_calls})
            messages.extend(results)
        else:  # a text answer, then the user's next message
            messages.append({"role": "assistant",
                             "content": text.fill(text.pick(ASSISTANT_REPLIES))})
            messages.append({"role": "user", "content": text.fill(text.pick(USER_FOLLOWUPS))})
    times = []
    moment = start
    for _ in cuts:
        times.append(moment)
        moment += timedelta(seconds=rng.randint(*TURN_GAP_S))
    encoded = [dumps(message) for message in messages]
    tools_bytes = dumps(tools_list)
    tool_orders = [tools_bytes] * len(cuts)
    system_variants = [encoded[0]] * len(cuts)
    if pattern == "timestamp-in-system":
        system_variants = [dumps({"role": "system", "content":
                                  f"Current date and time: {sent:%Y-%m-%d %H:%M:%S} UTC\n\n"
                                  f"{system}"}) for sent in times]
    elif pattern == "tools-reordered":
        for index in range(1, len(cuts)):
            if rng.random() < 0.5:
                shuffled = list(tools_list)
                rng.shuffle(shuffled)
                tool_orders[index] = dumps(shuffled)
    elif pattern == "whitespace-drift":
        drifted = dumps({"role": "system",
                         "content": system.replace(".\n\n#", ". \n\n#", 3) + "\n"})
        system_variants = [drifted if index and rng.random() < 0.5 else encoded[0]
                           for index in range(len(cuts))]
    return Session(sid=f"sess-{number:06d}".encode(), pattern=pattern, messages=encoded,
                   cuts=cuts, times=times, tool_orders=tool_orders,
                   system_variants=system_variants)


def request_line(session: Session) -> bytes:
    """The next request of ``session`` as one JSONL line (advances the session)."""
    index = session.sent
    cut = session.cuts[index]
    messages = session.messages
    if session.pattern == "history-truncated" and cut - 1 > TRUNCATION_WINDOW:
        # The client keeps the system prompt and the newest turns, from a user message on
        # (the window only moves forward; it waits for a user message to move to).
        start = next((i for i in range(max(cut - TRUNCATION_WINDOW, session.window_start), cut)
                      if messages[i].startswith(b'{"role":"user"')), session.window_start)
        session.window_start = start
        body = b",".join(messages[start:cut])
    else:
        if cut > session.body_end:
            added = b",".join(messages[session.body_end:cut])
            session.body = session.body + b"," + added if session.body else added
            session.body_end = cut
        body = session.body
    session.sent += 1
    stamp = session.times[index].strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return b"".join((b'{"timestamp":"', stamp, b'","request":{"model":"', MODEL.encode(),
                     b'","messages":[', session.system_variants[index], b",", body,
                     b'],"tools":', session.tool_orders[index],
                     b',"temperature":0.2},"meta":{"session":"', session.sid, b'"}}\n'))


@dataclass
class Stats:
    bytes: int = 0
    records: int = 0
    sessions: int = 0
    patterns: dict[str, int] = field(default_factory=dict)


def pattern_for(number: int) -> str | None:
    if number < PATTERN_EVERY:
        if number in EARLY_PATTERN_SESSIONS:
            return PATTERNS[EARLY_PATTERN_SESSIONS.index(number)]
        return None
    if number % PATTERN_EVERY == PATTERN_EVERY // 2:
        return PATTERNS[(number // PATTERN_EVERY) % len(PATTERNS)]
    return None


def generate(out: Path, megabytes: float, seed: int = DEFAULT_SEED,
             progress: Callable[[Stats], None] | None = None) -> Stats:
    """Write the log to ``out`` (atomically) and return what it holds."""
    target = int(megabytes * 1_000_000)
    rng = random.Random(seed)
    text = Text(rng)
    system = system_prompt(text)
    tools_list = tools(text)
    stats = Stats()
    heap: list[tuple[datetime, int, Session]] = []
    next_start = START
    partial = out.with_name(out.name + ".partial")
    with partial.open("wb", buffering=1 << 20) as handle:
        while stats.bytes < target:
            # Start every session due before the next pending request, then send that one.
            while not heap or next_start <= heap[0][0]:
                pattern = pattern_for(stats.sessions)
                session = build_session(text, stats.sessions, next_start, pattern, system,
                                        tools_list)
                if pattern is not None:
                    stats.patterns[pattern] = stats.patterns.get(pattern, 0) + 1
                heapq.heappush(heap, (session.times[0], stats.sessions, session))
                stats.sessions += 1
                next_start += timedelta(seconds=round(rng.expovariate(1 / MEAN_SESSION_GAP_S)))
            _moment, order, session = heapq.heappop(heap)
            line = request_line(session)
            handle.write(line)
            stats.bytes += len(line)
            stats.records += 1
            if session.sent < len(session.cuts):
                heapq.heappush(heap, (session.times[session.sent], order, session))
            if progress is not None and stats.records % 2000 == 0:
                progress(stats)
    partial.replace(out)
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=10.0, help="target size (1 MB = 1e6 bytes)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--stats", type=Path, help="also write what the log holds, as JSON")
    args = parser.parse_args()
    began = time.perf_counter()
    stats = generate(args.out, args.mb, args.seed)
    patterns = ", ".join(f"{name} {count}" for name, count in sorted(stats.patterns.items()))
    print(f"{args.out}: {stats.bytes:,} bytes, {stats.records:,} requests, "
          f"{stats.sessions:,} sessions (with a pattern: {patterns}), "
          f"{time.perf_counter() - began:.1f} s", file=sys.stderr)
    if args.stats is not None:
        args.stats.write_text(json.dumps({"bytes": stats.bytes, "records": stats.records,
                                          "sessions": stats.sessions, "seed": args.seed,
                                          "patterns": stats.patterns}), "utf-8")


if __name__ == "__main__":
    main()
