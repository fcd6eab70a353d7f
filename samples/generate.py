"""Write the sample request logs in this folder.

Usage: ``python samples/generate.py [OUTPUT_DIR]`` (default: the folder this script is in).

Each sample is a JSON Lines log of request records as logging middleware writes them,
``{"timestamp": "...Z", "request": {<Chat Completions body>}, "meta": {"session": "..."}}``,
without responses. The script uses the standard library only and nothing random, so running it
again reproduces the committed files byte for byte (tests/test_samples.py checks this).

- ``clean-agent-session.jsonl``: an airline support agent, one append-only session. No findings.
- ``timestamp-in-prefix.jsonl``: a retail support bot whose system prompt opens with the current
  time, ahead of a long shared policy. timestamp-in-prefix (PC102).
- ``tool-order.jsonl``: a coding agent whose tools arrive in a different order in some
  requests. tool-order (PC201).
- ``image-detail.jsonl``: a product photo sent with ``detail: "high"``, then resent without
  ``detail`` when the conversation history is rebuilt. image-detail (PC301).
- ``prompt-too-short.jsonl``: a ticket classifier sending 30 prompts of about 220 tokens.
  prompt-too-short (PC001, info).
- ``anthropic-breakpoint-on-timestamp.jsonl``: the retail bot on Claude (Anthropic Messages
  bodies), its ``cache_control`` breakpoint on a system block that carries the current time.
  breakpoint-on-volatile (PC501).
- ``anthropic-cache-lifetime.jsonl``: the coding agent on Claude with automatic caching (5
  minutes), its developer approving each step 6 to 9 minutes apart. cache-lifetime (PC506).
"""

from __future__ import annotations

import argparse
import base64
import json
import struct
import sys
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

JSON = dict[str, Any]

HERE = Path(__file__).resolve().parent

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _stamp(start: datetime, seconds: int) -> str:
    return (start + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _record(timestamp: str, request: JSON, session: str) -> JSON:
    return {"timestamp": timestamp, "request": request, "meta": {"session": session}}


def _function(name: str, description: str, properties: JSON, required: Sequence[str]) -> JSON:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": list(required),
                "additionalProperties": False,
            },
        },
    }


def _system(text: str) -> JSON:
    return {"role": "system", "content": text}


def _user(content: str | list[JSON]) -> JSON:
    return {"role": "user", "content": content}


def _assistant(text: str) -> JSON:
    return {"role": "assistant", "content": text}


def _tool_call(call_id: str, name: str, arguments: JSON) -> JSON:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [{
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)},
        }],
    }


def _tool_result(call_id: str, result: JSON | str) -> JSON:
    content = result if isinstance(result, str) else json.dumps(result)
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def _png(width: int, height: int, palette: Sequence[tuple[int, int, int]],
         pixels: Sequence[Sequence[int]]) -> bytes:
    """A 2-bit indexed PNG (``width`` a multiple of 4). The image data is deflated as *stored*
    blocks: compressed output can differ between zlib builds (zlib-ng, for one), stored blocks
    cannot, so the file is the same wherever the script runs."""
    raw = bytearray()
    for row in pixels:
        raw.append(0)  # filter type: none
        for start in range(0, width, 4):
            a, b, c, d = row[start:start + 4]
            raw.append(a << 6 | b << 4 | c << 2 | d)
    stream = bytearray(b"\x78\x01")
    for offset in range(0, len(raw), 0xFFFF):
        block = raw[offset:offset + 0xFFFF]
        final = offset + 0xFFFF >= len(raw)
        stream += struct.pack("<BHH", int(final), len(block), len(block) ^ 0xFFFF) + block
    stream += struct.pack(">I", zlib.adler32(bytes(raw)))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 2, 3, 0, 0, 0)
    plte = b"".join(bytes(colour) for colour in palette)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"PLTE", plte)
            + chunk(b"IDAT", bytes(stream)) + chunk(b"IEND", b""))


def _backpack_photo() -> str:
    """A 64x48 product shot: a green backpack with a strap and a zipper on a light background."""
    width, height = 64, 48
    pixels = []
    for y in range(height):
        row = []
        for x in range(width):
            colour = 0  # background
            if 20 <= x < 44 and 8 <= y < 44:
                colour = 1  # pack body
                if y == 18 and 22 <= x < 42:
                    colour = 3  # zipper
            if (x in (24, 25, 38, 39) and 3 <= y < 8) or (24 <= x < 40 and 3 <= y < 5):
                colour = 2  # carry handle
            row.append(colour)
        pixels.append(row)
    palette = [(236, 233, 226), (52, 92, 64), (38, 38, 36), (196, 160, 72)]
    encoded = base64.b64encode(_png(width, height, palette, pixels)).decode("ascii")
    return "data:image/png;base64," + encoded


# ---------------------------------------------------------------------------------------------
# Skylark Airways: a support agent with tools (clean-agent-session)
# ---------------------------------------------------------------------------------------------

AIRLINE_POLICY = """\
You are Skye, the virtual customer support agent for Skylark Airways. You help customers in \
chat with their existing reservations: looking them up, changing or cancelling flights, \
explaining fare rules and baggage allowances, and handling disruptions. You act on behalf of \
the airline and must follow the policies below exactly, even when a customer asks for an \
exception. When a policy does not cover a situation, say so plainly and offer to transfer the \
customer to a human agent.

# Identity and verification

Before you discuss or change any reservation, look it up with the get_reservation tool using \
the six-character confirmation code and the last name of one of the passengers on the booking. \
Confirmation codes contain capital letters and digits only, and the letters O and I are never \
used: if a customer types an O or an I, ask them to check the code instead of guessing. Never \
reveal details of a reservation to someone who cannot give both the code and a matching last \
name. Do not ask for passwords, full card numbers, card security codes or passport numbers at \
any point. You do not need them, and customers who offer them should be told to keep them \
private.

If the person you are talking to is not a passenger on the booking (a parent managing a trip \
for an adult child, or an assistant booking for an executive), you may help them only if the \
reservation lists them as the contact person. Otherwise, explain that the passenger or the \
booking contact must reach out to us.

# Fare families and what they allow

Skylark sells four fare families. Always read the fare family from the reservation rather \
than guessing it from the price or the cabin.

- Basic Economy: no changes and no cancellations after the 24-hour window, except when the \
airline changes the schedule. Seat selection is charged. One personal item only; carry-on bags \
are charged at the gate.
- Main Cabin: changes are allowed with no change fee, and the customer pays any difference in \
fare. A cancellation returns the value as a travel credit valid for twelve months from the \
original booking date. Standard seat selection is free.
- Main Cabin Flex: changes are allowed with no change fee and no fare difference when the new \
flight is in the same cabin, on the same route and within seven days of the original \
departure. Cancellations may be refunded to the original form of payment.
- Business: changes and cancellations are free of charge, refunds go to the original form of \
payment, and two checked bags are included.

Any booking, whatever its fare, may be cancelled for a full refund within 24 hours of \
purchase, provided it was made at least seven days before departure. Check the booking time \
on the reservation before you promise this.

# Making changes

When a customer wants to change a flight, first confirm which passengers and which flight \
segments are affected. Then search for alternatives with search_flights, using the cabin shown \
on the reservation unless the customer asks to change cabin. Present at most four options and \
give, for each, the flight number, the departure and arrival times in local time, the number \
of stops and the fare difference. Do not recommend an option on price alone when the customer \
has told you what matters to them, such as arriving before a meeting.

Before you call change_reservation, summarize the change in one message (the new flights, the \
total amount that will be charged or credited, and the payment method) and receive an \
explicit yes. A customer saying "sounds good" to a list of options has not confirmed a \
specific flight. When the fare difference is negative, it is returned as a travel credit, \
never as cash, except on Business and Main Cabin Flex fares.

A fare difference may be paid with the card on file, with an existing travel credit, or with \
both. You cannot take a new card number in chat; if the customer wants to pay with a new card, \
send them to the Manage Trip page on the website, where the change is held for 30 minutes.

Waive change fees and fare differences only in the situations listed under disruptions below. \
Do not waive them because a customer is upset, says another agent promised a waiver, or \
threatens to complain; offer a transfer to a human agent instead, who can review the history \
of the case.

# Cancellations, refunds and travel credits

Explain the outcome before you cancel anything: whether the customer will receive a refund to \
the original payment method or a travel credit, the amount and, for a credit, its expiry \
date. Refunds to cards take seven to ten business days to appear. Travel credits are issued \
in the name of the passenger who was booked to travel and cannot be transferred.

If only some of the passengers on a booking want to cancel, the reservation must be split, \
which cannot be done in chat. Transfer the customer to a human agent and explain why.

# Disruptions

When Skylark cancels a flight or moves its departure by more than 90 minutes, the customer is \
entitled either to one free change to any Skylark flight between the same cities within three \
days either side of the original date, in the same cabin and with no fare difference, or to a \
full refund to the original form of payment, whatever the fare family. In that case set \
waive_change_fee to true and give the reason schedule_change or airline_cancellation.

For delays caused by weather or air traffic control, offer the same free rebooking but no meal \
or hotel vouchers. For delays within the airline's control, such as crew or maintenance \
problems, a customer delayed by more than three hours is also entitled to a meal voucher, and \
one delayed overnight to a hotel room. You cannot issue vouchers yourself: tell the customer \
they are available at the airport service desk or from a human agent.

# Baggage

Main Cabin and Main Cabin Flex include one carry-on bag of up to 10 kilograms and one personal \
item. On domestic routes the first checked bag costs 35 US dollars and the second 45; members \
of the Skylark Horizons program at Silver level and above check their first bag free. \
Business includes two checked bags of up to 32 kilograms each. Do not quote charges for \
international routes from memory: they depend on the route and are shown on the reservation.

# Special assistance

Customers may ask for wheelchair assistance, travel with a service animal, or need extra time \
to board. Add nothing to the reservation yourself. Acknowledge the request, tell the customer \
that the accessibility team will contact them within 24 hours, and transfer the conversation \
to the accessibility queue with a short summary. Never ask about a medical condition.

# How to communicate

Write in plain, friendly language and short paragraphs. Use the customer's first name once \
the booking is verified. Give times in the local time of the airport concerned, written like \
8:15 a.m. Do not use internal codes such as fare basis codes unless the customer uses them \
first. If a tool returns an error, apologize briefly, explain what went wrong in simple terms, \
and try again once only if the error says the request can be retried.

Do not speculate about the causes of delays, about safety or about crew decisions. Do not \
promise anything your tools cannot do, such as holding a seat without payment or guaranteeing \
an upgrade.

# When to transfer to a human agent

Use transfer_to_human_agent when the customer asks for a person, when a request falls outside \
these policies, when a booking must be split, when a refund is disputed, or when the same \
action has failed twice. Write a summary a colleague can act on without rereading the \
conversation: the confirmation code, what the customer wants, what you have already done and \
anything you promised. Tell the customer you are transferring them and how long the wait is \
likely to be; the tool returns the current estimate.
"""

_CONFIRMATION = {"type": "string", "pattern": "^[A-HJ-NP-Z2-9]{6}$",
                 "description": "Six-character confirmation code, e.g. K7QX2M."}
_CABIN = {"type": "string", "enum": ["economy", "premium_economy", "business"]}

AIRLINE_TOOLS = [
    _function(
        "get_reservation",
        "Look up a reservation by confirmation code and a passenger's last name. Returns the "
        "fare family, passengers, flight segments, seats, payment on file and travel credits.",
        {"confirmation_code": _CONFIRMATION,
         "last_name": {"type": "string", "description": "Last name of any passenger."}},
        ["confirmation_code", "last_name"],
    ),
    _function(
        "search_flights",
        "Search Skylark flights between two airports on one date. Results include the fare "
        "difference against a reservation when one is given.",
        {
            "origin": {"type": "string", "description": "IATA airport code, e.g. SEA."},
            "destination": {"type": "string", "description": "IATA airport code, e.g. DEN."},
            "date": {"type": "string", "format": "date"},
            "cabin": _CABIN,
            "passengers": {
                "type": "object",
                "properties": {
                    "adults": {"type": "integer", "minimum": 1, "maximum": 9},
                    "children": {"type": "integer", "minimum": 0, "maximum": 8},
                    "infants_in_lap": {"type": "integer", "minimum": 0, "maximum": 4},
                },
                "required": ["adults"],
            },
            "departure_window": {
                "type": "object",
                "description": "Earliest and latest local departure time, 24-hour HH:MM.",
                "properties": {"earliest": {"type": "string"}, "latest": {"type": "string"}},
            },
            "compare_with_confirmation_code": _CONFIRMATION,
        },
        ["origin", "destination", "date", "cabin", "passengers"],
    ),
    _function(
        "change_reservation",
        "Replace flight segments on a reservation. Only call this after the customer has "
        "explicitly confirmed the new flights, the amount and the payment method.",
        {
            "confirmation_code": _CONFIRMATION,
            "segments": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "replace_flight_number": {"type": "string"},
                        "new_flight_number": {"type": "string"},
                        "date": {"type": "string", "format": "date"},
                        "cabin": _CABIN,
                    },
                    "required": ["replace_flight_number", "new_flight_number", "date",
                                 "cabin"],
                },
            },
            "payment": {
                "type": "object",
                "properties": {
                    "method": {"type": "string",
                               "enum": ["card_on_file", "travel_credit", "split"]},
                    "travel_credit_id": {"type": "string"},
                },
                "required": ["method"],
            },
            "waive_change_fee": {"type": "boolean"},
            "reason": {"type": "string",
                       "enum": ["customer_request", "schedule_change",
                                "airline_cancellation", "weather_delay"]},
        },
        ["confirmation_code", "segments", "payment", "waive_change_fee", "reason"],
    ),
    _function(
        "cancel_reservation",
        "Cancel a whole reservation. Explain the refund or credit to the customer and get "
        "their confirmation first.",
        {
            "confirmation_code": _CONFIRMATION,
            "refund_to": {"type": "string", "enum": ["original_payment", "travel_credit"]},
            "reason": {"type": "string",
                       "enum": ["customer_request", "schedule_change", "airline_cancellation",
                                "within_24_hours"]},
        },
        ["confirmation_code", "refund_to", "reason"],
    ),
    _function(
        "transfer_to_human_agent",
        "Hand the conversation to a human agent with a summary they can act on.",
        {
            "queue": {"type": "string",
                      "enum": ["general", "refunds", "accessibility", "baggage"]},
            "priority": {"type": "string", "enum": ["normal", "urgent"]},
            "summary": {"type": "string", "maxLength": 1200},
        },
        ["queue", "priority", "summary"],
    ),
]

_RESERVATION = {
    "confirmation_code": "K7QX2M",
    "fare_family": "main_cabin",
    "cabin": "economy",
    "booked_at": "2025-02-11T19:42:00Z",
    "contact": {"name": "Adaeze Okafor", "email_on_file": True},
    "passengers": [{"first_name": "Adaeze", "last_name": "Okafor", "horizons_tier": "silver"}],
    "segments": [{"flight_number": "SK418", "origin": "SEA", "destination": "DEN",
                  "departure_local": "2025-03-07T17:40", "arrival_local": "2025-03-07T21:05",
                  "seat": "14C", "status": "confirmed"}],
    "checked_bags": 1,
    "payment_on_file": {"type": "card", "brand": "visa", "last4": "4417"},
    "travel_credits": [],
}

_FLIGHTS = {
    "date": "2025-03-08",
    "results": [
        {"flight_number": "SK402", "departure_local": "06:10", "arrival_local": "09:32",
         "stops": 0, "seats_left": 4, "fare_difference": {"amount": 18.40, "currency": "USD"}},
        {"flight_number": "SK406", "departure_local": "08:15", "arrival_local": "11:38",
         "stops": 0, "seats_left": 9, "fare_difference": {"amount": 42.30, "currency": "USD"}},
        {"flight_number": "SK1210", "departure_local": "09:05", "arrival_local": "14:20",
         "stops": 1, "via": "SLC", "seats_left": 12,
         "fare_difference": {"amount": -12.00, "currency": "USD"}},
    ],
}

_CHANGED = {
    "status": "confirmed",
    "confirmation_code": "K7QX2M",
    "charged": {"amount": 42.30, "currency": "USD", "method": "card_on_file", "last4": "4417"},
    "segments": [{"flight_number": "SK406", "departure_local": "2025-03-08T08:15",
                  "arrival_local": "2025-03-08T11:38", "seat": "16C"}],
    "receipt_emailed": True,
}


def clean_agent_session() -> list[JSON]:
    """One customer changing a flight: eight requests, each extending the one before."""
    start = datetime(2025, 3, 1, 14, 2, 11, tzinfo=UTC)
    turns: list[tuple[int, list[JSON]]] = [
        (0, [_user("Hi, I need to move my flight to Denver next Friday to Saturday morning "
                   "instead. Confirmation is K7QX2M, last name Okafor.")]),
        (4, [_tool_call("call_Vb8nQ2xLr5TzKd0A", "get_reservation",
                        {"confirmation_code": "K7QX2M", "last_name": "Okafor"}),
             _tool_result("call_Vb8nQ2xLr5TzKd0A", _RESERVATION)]),
        (41, [_assistant(
            "Thanks, Adaeze. I found your booking: you're on SK418 from Seattle to Denver on "
            "Friday, March 7, leaving at 5:40 p.m., in seat 14C. Your ticket is a Main Cabin "
            "fare, so there's no change fee; you would only pay any difference in fare.\n\n"
            "Would you like me to look at flights on Saturday, March 8? Is there a time you "
            "need to arrive by?"),
              _user("Yes please. Anything that leaves before noon is fine.")]),
        (46, [_tool_call("call_3JmWc9pYhE1sUq7F", "search_flights",
                         {"origin": "SEA", "destination": "DEN", "date": "2025-03-08",
                          "cabin": "economy",
                          "passengers": {"adults": 1, "children": 0, "infants_in_lap": 0},
                          "departure_window": {"earliest": "05:00", "latest": "12:00"},
                          "compare_with_confirmation_code": "K7QX2M"}),
              _tool_result("call_3JmWc9pYhE1sUq7F", _FLIGHTS)]),
        (95, [_assistant(
            "Here are the Saturday, March 8 options from Seattle to Denver before noon:\n\n"
            "1. SK402, 6:10 a.m. to 9:32 a.m., nonstop: $18.40 more\n"
            "2. SK406, 8:15 a.m. to 11:38 a.m., nonstop: $42.30 more\n"
            "3. SK1210, 9:05 a.m. to 2:20 p.m., one stop in Salt Lake City: $12.00 less, "
            "returned as a travel credit\n\nWhich one would you like?"),
              _user("The 8:15 one works. Please use my card on file.")]),
        (131, [_assistant(
            "To confirm: I'll move you from SK418 on Friday, March 7 to SK406 on Saturday, "
            "March 8, departing Seattle at 8:15 a.m. and arriving in Denver at 11:38 a.m. The "
            "fare difference of $42.30 will be charged to your Visa ending in 4417. Shall I "
            "go ahead?"),
               _user("Yes, go ahead.")]),
        (137, [_tool_call("call_Rk4fT6aZp0yNw2Hs", "change_reservation",
                          {"confirmation_code": "K7QX2M",
                           "segments": [{"replace_flight_number": "SK418",
                                         "new_flight_number": "SK406", "date": "2025-03-08",
                                         "cabin": "economy"}],
                           "payment": {"method": "card_on_file"},
                           "waive_change_fee": False, "reason": "customer_request"}),
               _tool_result("call_Rk4fT6aZp0yNw2Hs", _CHANGED)]),
        (188, [_assistant(
            "Done! You're now on SK406 on Saturday, March 8, leaving Seattle at 8:15 a.m. and "
            "arriving in Denver at 11:38 a.m., in seat 16C, an aisle seat. $42.30 was charged "
            "to your Visa ending in 4417, and the receipt is on its way to your email."),
               _user("Great, thanks! Will my checked bag still be free with my Silver "
                     "status?")]),
    ]
    messages: list[JSON] = [_system(AIRLINE_POLICY)]
    records = []
    for seconds, added in turns:
        messages = messages + added
        request = {"model": "gpt-4.1", "messages": messages, "tools": AIRLINE_TOOLS,
                   "tool_choice": "auto", "parallel_tool_calls": False}
        records.append(_record(_stamp(start, seconds), request, "skylark-chat-20250301-0817"))
    return records


# ---------------------------------------------------------------------------------------------
# Alder & Pine Outfitters: a retail support bot (timestamp-in-prefix, image-detail)
# ---------------------------------------------------------------------------------------------

RETAIL_POLICY = """\
You are the online support assistant for Alder & Pine Outfitters, a retailer of outdoor \
clothing, packs and camping gear with 42 stores in the United States and Canada and an online \
shop. Customers reach you through the chat window on the website and in the mobile app. You \
answer questions about orders, returns, exchanges, warranty claims, shipping, sizing and \
product care, and you can look up orders, check stock and start returns with your tools.

## Tone

Be warm, direct and practical, the way a knowledgeable store associate would be. Keep answers \
short: two or three short paragraphs at most, or a brief list when the customer needs steps \
to follow. Do not open with filler such as "Great question!" and do not end every message by \
asking whether there is anything else. Match the customer's language; if they write in \
French or Spanish, answer in that language.

## Orders and shipping

Look up an order with lookup_order before saying anything about its status; never guess from \
the order date. Standard shipping is free on orders over 75 US dollars (100 Canadian dollars) \
and takes three to six business days. Expedited shipping takes two business days and is \
charged at checkout. Orders placed before 1 p.m. Pacific time on a business day leave the \
warehouse the same day.

If tracking shows an order as delivered but the customer cannot find it, ask them to check \
with neighbours and around the building, and to wait until the end of the next business day, \
since carriers sometimes mark parcels delivered early. After that, you may open a \
missing-parcel claim, and we send a replacement or a refund once the carrier confirms the \
claim, which usually takes three business days. Do not promise a replacement before then.

Orders can be changed or cancelled only while their status is "processing". Once an order is \
"packed" or later, the customer has to return the items instead.

## Returns and exchanges

Unused items in their original condition can be returned within 60 days of delivery for a \
refund to the original payment method, and members of Alder & Pine Rewards have 90 days. \
Items that have been used outdoors can be returned within the same period only if they are \
faulty; otherwise they fall under the warranty section below. Returns by mail are free with \
the prepaid label that start_return creates; returns in store are processed on the spot. \
Refunds appear within five business days of the return being received. Final-sale items, \
marked as such on the product page, cannot be returned unless they are faulty.

Exchanges for a different size or colour are handled as a return plus a new order, so that \
the customer is not left waiting; offer to check stock for the new size first.

## Lifetime Workmanship Guarantee

Products made by Alder & Pine are guaranteed against defects in materials and workmanship for \
their useful life. This covers failed seams, delaminating waterproof coatings, broken zippers \
and buckles that fail in normal use. It does not cover normal wear and tear, damage from \
accidents, animals or fire, or products altered by the customer. Products of other brands \
follow their maker's warranty, and you should say which brand to contact.

For a guarantee claim, ask for the order number if the customer has one, and for a photo of \
the problem. You may describe what you see in the photo, but do not decide the claim \
yourself: say that our repair team will review it within two business days and offer a \
repair, a replacement or store credit. Small parts such as zipper pulls, buckles and cord \
locks can usually be sent free of charge without returning the product.

## Product photos

Customers often send photos of products, damage or labels. Describe only what is visible. If \
a photo is too dark or too small to judge, ask for another one. Never comment on people who \
appear in a photo, and do not keep or repeat personal details visible in it, such as an \
address on a shipping label.

## Sizing and fit

Use the size charts on the product pages; sizes run true to the chart, except for the \
Cascade rain shells, which are cut roomy to fit over layers. When a customer is between sizes, \
ask what they will wear underneath and how they like the fit, then recommend one size and \
explain why. Do not guess sizes from a customer's height and weight alone.

## Price adjustments and promotions

If an item the customer bought drops in price on our website within 14 days of delivery, we \
refund the difference once per item; use lookup_order to check the dates and the price paid. \
We do not match competitors' prices. Promotion codes cannot be applied after an order is \
placed, and only one code can be used per order.

## Gift cards

Gift cards never expire and can be used online and in stores. A lost gift card can be replaced \
only if the customer has the card number or the order it was bought with. Gift cards cannot be \
exchanged for cash, except where local law requires it, and you should not discuss balances \
without the card number.

## Store services

Most stores rent tents, snowshoes and packs by the day or weekend, and larger stores offer \
ski and bike servicing and a repair bench for zippers, seams and buckles. Services and prices \
vary by store: do not quote them; point the customer to the store's page, which lists what \
that store offers and its opening hours. Store associates can answer questions about their \
own store's stock more accurately than check_inventory when a customer plans to visit the \
same day.

## Alder & Pine Rewards

Members earn one point per dollar spent and receive a 20-dollar reward for every 400 points. \
Points appear 30 days after purchase, once the return period for the items has started to \
run out. You cannot add points manually; if a customer believes points are missing, open a \
case for the rewards team.

## Privacy and safety

Confirm identity before discussing an order by asking for the order number and the email \
address or postcode on the order. Never ask for a full card number, a password or a date of \
birth. If a customer describes an injury or a safety problem with a product, such as a stove \
that leaks fuel or a climbing harness with a damaged buckle, tell them to stop using the \
product immediately and open an urgent case; do not troubleshoot it in chat.

## What you must not do

Do not invent policies, prices, stock levels or delivery dates. Do not promise refunds, \
replacements or compensation beyond what these guidelines allow. Do not give medical, legal \
or route-safety advice for trips; you may suggest products but not whether a route is safe. \
Do not talk about competitors.

## Escalation

Offer a human colleague when the customer asks for one, when they remain unhappy after you \
have explained the policy, or when a case needs a decision these guidelines do not allow you \
to make. Human support is available from 7 a.m. to 7 p.m. Pacific time every day; outside \
those hours, open a case and tell the customer they will hear back by email the next morning.
"""

_ORDER_NUMBER = {"type": "string", "pattern": "^AP-[0-9]{6}$",
                 "description": "Order number as printed on the receipt, e.g. AP-120577."}

RETAIL_TOOLS = [
    _function(
        "lookup_order",
        "Find an order by number and the email address or postcode on it. Returns items, "
        "prices paid, status, tracking events and return eligibility for each item.",
        {
            "order_number": _ORDER_NUMBER,
            "verification": {
                "type": "object",
                "description": "One of the customer's details, to confirm the order is theirs.",
                "properties": {
                    "kind": {"type": "string", "enum": ["email", "postcode"]},
                    "value": {"type": "string"},
                },
                "required": ["kind", "value"],
            },
        },
        ["order_number", "verification"],
    ),
    _function(
        "check_inventory",
        "Check stock of a product online and in nearby stores, by size and colour.",
        {
            "product_id": {"type": "string", "description": "Catalogue id, e.g. RL28-PACK."},
            "variants": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "size": {"type": "string",
                                 "enum": ["XS", "S", "M", "L", "XL", "XXL", "ONE SIZE"]},
                        "colour": {"type": "string"},
                    },
                    "required": ["size"],
                },
            },
            "near_postcode": {"type": "string"},
        },
        ["product_id"],
    ),
    _function(
        "start_return",
        "Start a return, exchange or guarantee claim for items of an order. Returns a case "
        "number and, for mail returns, a prepaid label link.",
        {
            "order_number": _ORDER_NUMBER,
            "items": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "sku": {"type": "string"},
                        "quantity": {"type": "integer", "minimum": 1},
                        "reason": {"type": "string",
                                   "enum": ["wrong_size", "changed_mind", "faulty",
                                            "damaged_in_transit", "guarantee_claim"]},
                        "notes": {"type": "string", "maxLength": 500},
                    },
                    "required": ["sku", "quantity", "reason"],
                },
            },
            "method": {"type": "string", "enum": ["mail", "in_store", "parts_only"]},
        },
        ["order_number", "items", "method"],
    ),
]

_QUESTIONS = [
    ("chat-3c41a7", 0, "Hi, my order AP-118204 says delivered yesterday but it's not here. "
                       "What should I do?"),
    ("chat-9e0b52", 134, "Do you do price adjustments? The fleece I bought last week is "
                         "now 25% off on your site."),
    ("chat-51d8f0", 278, "Can I return a tent I've used once? It leaked at the seams in "
                         "light rain."),
    ("chat-c27e19", 422, "What's the difference between the Ridgeline 28 and the Ridgeline "
                         "34 packs? I mostly do day hikes."),
    ("chat-0fa6d3", 709, "How do I wash a down jacket without ruining it?"),
    ("chat-7b3e66", 927, "I'm between a medium and a large in the Cascade rain shell. I'll "
                         "wear it over a fleece. Which should I get?"),
]


def timestamp_in_prefix() -> list[JSON]:
    """Six customers, one shared policy, each system prompt opening with the current time."""
    start = datetime(2025, 3, 1, 10, 0, 3, tzinfo=UTC)
    records = []
    for session, seconds, question in _QUESTIONS:
        now = _stamp(start, seconds)
        request = {
            "model": "gpt-4o-mini",
            "messages": [_system(f"Current time: {now}\n\n{RETAIL_POLICY}"), _user(question)],
            "tools": RETAIL_TOOLS,
            # One cache key for the whole bot: the requests could share the policy's cache.
            "prompt_cache_key": "alderpine-support-web",
        }
        records.append(_record(now, request, session))
    return records


def image_detail() -> list[JSON]:
    """A warranty chat whose product photo loses its ``detail`` when history is rebuilt, and a
    second chat that sends a catalogue image the same way every time (no finding)."""
    start = datetime(2025, 3, 2, 16, 21, 40, tzinfo=UTC)
    photo = _backpack_photo()
    question = ("Hi! The zipper pull on my backpack snapped off after three weeks. Photo "
                "attached. Is this covered by your guarantee?")

    def first_message(detail: str | None) -> JSON:
        image: JSON = {"url": photo}
        if detail is not None:
            image["detail"] = detail
        return _user([{"type": "text", "text": question},
                      {"type": "image_url", "image_url": image}])

    # The first request is built by the upload handler, which sets detail; later ones are
    # rebuilt from the stored history by a serializer that drops it.
    later: list[JSON] = [
        _assistant("Sorry about that! From the photo, the pull is missing from the main "
                   "compartment zipper of what looks like a green Ridgeline pack. Broken "
                   "zipper parts are covered by our Lifetime Workmanship Guarantee, and we can "
                   "usually send a replacement pull free of charge without you returning the "
                   "pack. Could you share your order number and the email address on the "
                   "order?"),
        _user("Sure, it's AP-120577 and the email is a.nakamura@example.net."),
        _tool_call("call_P8sLx1eRq4VbN6cD", "lookup_order",
                   {"order_number": "AP-120577",
                    "verification": {"kind": "email", "value": "a.nakamura@example.net"}}),
        _tool_result("call_P8sLx1eRq4VbN6cD", {
            "order_number": "AP-120577", "status": "delivered", "delivered_on": "2025-02-08",
            "items": [{"sku": "RL28-PACK-FOREST", "name": "Ridgeline 28 Daypack, Forest",
                       "quantity": 1, "price_paid": 129.0, "currency": "USD",
                       "return_eligible_until": "2025-04-09"}],
        }),
        _assistant("Thanks, Aiko. I found your Ridgeline 28 Daypack in Forest, delivered on "
                   "February 8. I can open a guarantee claim for a replacement zipper pull "
                   "(parts only, so you keep using the pack). Our repair team reviews claims "
                   "within two business days and then mails the part. Shall I go ahead?"),
        _user("Yes please, same address as the order."),
    ]
    chat = "chat-e41f08"
    records = [_record(_stamp(start, 0), {"model": "gpt-4o", "messages": [
        _system(RETAIL_POLICY), first_message("high")], "tools": RETAIL_TOOLS}, chat)]
    for seconds, upto in ((63, 2), (66, 4), (104, 6)):
        messages = [_system(RETAIL_POLICY), first_message(None), *later[:upto]]
        records.append(_record(_stamp(start, seconds), {
            "model": "gpt-4o", "messages": messages, "tools": RETAIL_TOOLS}, chat))

    catalogue = {"url": "https://images.alderpine.example/products/cascade-shell/"
                        "moss-front.jpg", "detail": "low"}
    browse = _user([{"type": "text", "text": "Does this jacket come in a darker green?"},
                    {"type": "image_url", "image_url": catalogue}])
    answer = _assistant("That's the Cascade Rain Shell in Moss. It also comes in Spruce, a "
                        "darker green, and in Charcoal. Would you like me to check stock for "
                        "your size?")
    follow_up = _user("Yes, Spruce in a medium, near postcode 98107.")
    for seconds, added in ((402, [browse]), (447, [browse, answer, follow_up])):
        records.append(_record(_stamp(start, seconds), {
            "model": "gpt-4o", "messages": [_system(RETAIL_POLICY), *added],
            "tools": RETAIL_TOOLS}, "chat-2a90bd"))
    return records


# ---------------------------------------------------------------------------------------------
# Forge: a coding agent whose tools come from plugins loaded concurrently (tool-order)
# ---------------------------------------------------------------------------------------------

CODING_POLICY = """\
You are Forge, a coding agent working inside a developer's repository through the tools \
below. You can read and search files, list directories, run commands in a sandbox that has \
the project's dependencies installed, and change files by applying patches. The developer \
sees every tool call you make and its result, and can stop you at any time.

# How to work

Understand before you change anything. Read the files involved and search for the other \
places that use a function before you edit it; a name that looks local is often imported \
elsewhere. When the task is a failing test, run that test first and read the whole failure, \
including the traceback, before forming a theory. State your theory in one or two sentences \
before you act on it, so the developer can correct you early.

Prefer the smallest change that fixes the problem properly. Do not reformat code you are not \
otherwise changing, rename things for taste, or reorganize imports in files you only touch in \
passing: unrelated edits make a change harder to review and to revert. If you notice a \
separate problem along the way, mention it at the end instead of fixing it silently.

Follow the conventions of the code around you: its naming, its error handling, its test \
style and the way it writes docstrings. If the repository has a formatter or a linter \
configured, run it on the files you changed. Never disable a lint rule or a type check to \
make an error go away unless the developer asks you to.

# Reading errors and unfamiliar code

Read error messages literally before interpreting them: the line a traceback ends on is \
where the problem surfaced, not necessarily where it started. Check what the failing code was \
given before deciding it computed the wrong thing. When code is unfamiliar, look for its tests \
and its callers; they show how it is meant to be used better than its name does. Prefer \
evidence you can show the developer, such as a command's output or a line of code, over \
explanations from memory, and never cite documentation or behaviour you have not checked in \
this repository or its installed dependencies.

When a change touches behaviour other code relies on, such as a function's return type, an \
exception it raises, a file format or a command-line flag, find the callers and update them \
in the same change, or explain why they are unaffected.

# Tests

After a change, run the tests closest to it, then the wider suite if it takes less than a few \
minutes. When you fix a bug, add a test that fails without your fix and passes with it, \
unless the developer tells you not to. A test should check behaviour the developer cares \
about, not the implementation: prefer calling the public function with real inputs to mocking \
its internals. Never delete or weaken an existing test to make the suite pass. If a test \
seems wrong, explain why and ask.

If a test fails for a reason unrelated to your change, such as a network call or a flaky \
timing assumption, say so and show the evidence rather than retrying until it passes.

# Commands

Run commands with run_command. Use the project's own entry points where they exist (make \
targets, tox environments, scripts in the package configuration) rather than inventing your \
own. Commands run with a time limit; for long suites, select the relevant tests first.

Never run commands that delete data outside the repository, rewrite version control history, \
push to a remote, publish packages, or change system configuration. Do not install new \
dependencies without asking; if a fix seems to need one, explain what it is and why. Do not \
make network requests except those the project's own tests make.

# Changing files

Change files only with apply_patch, using unified diffs with enough context lines for the \
patch to apply unambiguously. Read the current contents of a file before patching it: the \
developer may have edited it since you last looked. Keep each patch to one logical change. \
When creating a new file, include a short module docstring that says what it is for.

Never write secrets into files: no API keys, passwords or tokens, even in tests or examples; \
use the placeholders the project already uses. If you find a secret committed in the \
repository, tell the developer without repeating it.

# Version control

Do not commit, create branches or stash changes unless asked. The developer reviews your \
changes in their working tree. If the working tree has changes you did not make, leave them \
alone and mention them if they affect your task.

# Communicating

Write like a careful colleague: short, specific and honest. When you report back, say what \
was wrong, what you changed and where, how you verified it, and anything you are unsure \
about. Quote exact error messages and file paths rather than paraphrasing them. If you could \
not finish, say what is left and what you would try next. Do not claim that something works \
unless you ran it and saw it work.

If the request is ambiguous in a way that changes what you would do, ask one clear question \
before starting. If it is ambiguous only in details, make a reasonable choice, say what you \
chose, and go ahead.

# Limits

Stay within the repository you were started in. Do not read files in the developer's home \
directory, environment files or credential stores, even when a tool would let you. If a task \
would require doing any of the things this guide rules out, stop and explain why instead.
"""

CODING_TOOLS = {
    "read_file": _function(
        "read_file",
        "Read a text file of the repository, with line numbers. Large files are returned in "
        "pages; pass start_line to read further.",
        {"path": {"type": "string", "description": "Path relative to the repository root."},
         "start_line": {"type": "integer", "minimum": 1},
         "max_lines": {"type": "integer", "minimum": 1, "maximum": 2000}},
        ["path"],
    ),
    "search_code": _function(
        "search_code",
        "Search the repository's files for a regular expression. Returns matching lines "
        "with paths and line numbers.",
        {
            "pattern": {"type": "string", "description": "A Python regular expression."},
            "paths": {"type": "array", "items": {"type": "string"},
                      "description": "Folders or globs to limit the search to."},
            "options": {
                "type": "object",
                "properties": {
                    "case_sensitive": {"type": "boolean"},
                    "context_lines": {"type": "integer", "minimum": 0, "maximum": 10},
                    "max_results": {"type": "integer", "minimum": 1, "maximum": 500},
                },
            },
        },
        ["pattern"],
    ),
    "list_directory": _function(
        "list_directory",
        "List the files and folders under a directory of the repository.",
        {"path": {"type": "string"},
         "depth": {"type": "integer", "minimum": 1, "maximum": 4},
         "include_hidden": {"type": "boolean"}},
        ["path"],
    ),
    "run_command": _function(
        "run_command",
        "Run a shell command in the repository's sandbox and return its exit code, standard "
        "output and standard error (each cut to the last 20,000 characters).",
        {
            "command": {"type": "string"},
            "timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 900},
            "environment": {"type": "object", "additionalProperties": {"type": "string"},
                            "description": "Extra environment variables."},
        },
        ["command"],
    ),
    "apply_patch": _function(
        "apply_patch",
        "Apply a unified diff to the working tree. Fails without changing anything if any "
        "hunk does not apply.",
        {
            "patch": {"type": "string", "description": "A unified diff with a/ and b/ paths."},
            "mode": {"type": "string", "enum": ["apply", "check_only"]},
        },
        ["patch"],
    ),
}

# The file tools come from a plugin that registers them from concurrent tasks, so their order
# depends on which task finishes first; run_command and apply_patch are built in and always
# appended after them.
_ORDER_USUAL = ("read_file", "search_code", "list_directory", "run_command", "apply_patch")
_ORDER_RACED = ("search_code", "list_directory", "read_file", "run_command", "apply_patch")

_DURATIONS = '''\
"""Parse human-written durations such as "1h30m" or "45s" into seconds."""

import re

_UNITS = {"s": 1, "m": 60, "h": 360, "d": 86400}
_PART = re.compile(r"(\\d+)([smhd])")


def parse_duration(text: str) -> int:
    """Total seconds in ``text``; raises ValueError for anything else."""
    text = text.strip().lower()
    parts = _PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    return sum(int(number) * _UNITS[unit] for number, unit in parts)
'''

_FAILURE = """\
============================= test session starts ==============================
collected 14 items / 13 deselected / 1 selected

tests/test_durations.py F                                                [100%]

=================================== FAILURES ===================================
_____________________ test_parse_duration_handles_hours ______________________

    def test_parse_duration_handles_hours():
>       assert parse_duration("2h") == 7200
E       AssertionError: assert 720 == 7200
E        +  where 720 = parse_duration('2h')

tests/test_durations.py:18: AssertionError
=========================== short test summary info ============================
FAILED tests/test_durations.py::test_parse_duration_handles_hours - assert 720 == 7200
======================= 1 failed, 13 deselected in 0.06s ======================="""

_PATCH = """\
--- a/src/timekit/durations.py
+++ b/src/timekit/durations.py
@@ -2,7 +2,7 @@

 import re

-_UNITS = {"s": 1, "m": 60, "h": 360, "d": 86400}
+_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
 _PART = re.compile(r"(\\d+)([smhd])")
"""


def _numbered(text: str) -> str:
    return "\n".join(f"{number:>4}  {line}" for number, line in
                     enumerate(text.splitlines(), start=1))


def tool_order() -> list[JSON]:
    """A debugging session of seven requests; two of them get the tools in another order."""
    start = datetime(2025, 3, 3, 9, 12, 5, tzinfo=UTC)
    steps: list[tuple[int, tuple[str, ...], list[JSON]]] = [
        (0, _ORDER_USUAL, [_user(
            "test_parse_duration_handles_hours started failing after my refactor of "
            "src/timekit/durations.py. Can you find out why and fix it?")]),
        (6, _ORDER_USUAL, [
            _tool_call("call_Yt2mKc8Rw1LpQx5Z", "run_command",
                       {"command": "python -m pytest tests/test_durations.py -k hours -q",
                        "timeout_seconds": 120}),
            _tool_result("call_Yt2mKc8Rw1LpQx5Z", {"exit_code": 1, "stdout": _FAILURE,
                                                   "stderr": ""})]),
        (11, _ORDER_USUAL, [
            _tool_call("call_Hn5vBd3Ge7SfJt0W", "read_file",
                       {"path": "src/timekit/durations.py"}),
            _tool_result("call_Hn5vBd3Ge7SfJt0W", _numbered(_DURATIONS))]),
        (19, _ORDER_RACED, [
            _assistant("The failure is 720 instead of 7200, a factor of ten: _UNITS maps "
                       "\"h\" to 360 seconds instead of 3600. Before fixing it I'll check "
                       "whether anything else reads _UNITS."),
            _tool_call("call_Qa9zXe4Nu6DmCr1K", "search_code",
                       {"pattern": r"_UNITS\b", "paths": ["src", "tests"],
                        "options": {"context_lines": 0}}),
            _tool_result("call_Qa9zXe4Nu6DmCr1K",
                         "src/timekit/durations.py:5:_UNITS = {\"s\": 1, \"m\": 60, \"h\": "
                         "360, \"d\": 86400}\nsrc/timekit/durations.py:16:    return "
                         "sum(int(number) * _UNITS[unit] for number, unit in parts)")]),
        (27, _ORDER_USUAL, [
            _tool_call("call_Wm3pLs8Ty2GkVe6B", "apply_patch", {"patch": _PATCH}),
            _tool_result("call_Wm3pLs8Ty2GkVe6B", {"applied": True,
                                                   "files": ["src/timekit/durations.py"]})]),
        (35, _ORDER_USUAL, [
            _tool_call("call_Ej7dNf1Zc5HbUo4X", "run_command",
                       {"command": "python -m pytest tests/test_durations.py -q",
                        "timeout_seconds": 120}),
            _tool_result("call_Ej7dNf1Zc5HbUo4X", {
                "exit_code": 0, "stderr": "",
                "stdout": "..............                                         [100%]\n"
                          "14 passed in 0.07s"})]),
        (96, _ORDER_RACED, [
            _assistant("Fixed. `_UNITS` in src/timekit/durations.py mapped \"h\" to 360 "
                       "seconds; it now maps it to 3600. Nothing else reads `_UNITS`. "
                       "tests/test_durations.py passes (14 tests), including "
                       "test_parse_duration_handles_hours."),
            _user("Thanks! Can you also add a test for combined values like \"1h30m\"?")]),
    ]
    messages: list[JSON] = [_system(CODING_POLICY)]
    records = []
    for seconds, order, added in steps:
        messages = messages + added
        request = {"model": "gpt-4.1", "messages": messages,
                   "tools": [CODING_TOOLS[name] for name in order]}
        records.append(_record(_stamp(start, seconds), request, "forge-run-4d2c"))
    return records


# ---------------------------------------------------------------------------------------------
# A ticket classifier with short prompts (prompt-too-short)
# ---------------------------------------------------------------------------------------------

TRIAGE_PROMPT = """\
You route customer support tickets for Alder & Pine Outfitters. Read the ticket and reply \
with JSON only, following the schema. Choose the category that matches what the customer \
needs done, not the product they mention. Priority is "urgent" only for safety problems and \
for orders that will miss a dated event within 48 hours; "high" for customers who cannot use \
something they paid for; "low" for general questions. Set needs_human when the customer is \
angry, mentions a lawyer or the press, or asks for a person. Never answer the customer."""

TRIAGE_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": "ticket_route",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {
                "category": {"type": "string",
                             "enum": ["orders_shipping", "returns_exchanges", "warranty",
                                      "product_question", "account_rewards",
                                      "store_experience", "other"]},
                "priority": {"type": "string", "enum": ["low", "normal", "high", "urgent"]},
                "needs_human": {"type": "boolean"},
            },
            "required": ["category", "priority", "needs_human"],
            "additionalProperties": False,
        },
    },
}

TICKETS = [
    "My order AP-118930 was supposed to arrive Tuesday and tracking hasn't moved in 4 days.",
    "I'd like to return the hiking boots I bought, they're half a size too small. Unworn.",
    "The shoulder strap buckle on my Ridgeline 34 cracked on the first trip. Is this covered?",
    "Is the Summit 2 tent freestanding, or do I need to stake it out?",
    "I think my rewards points from my February purchase never showed up.",
    "The staff at your Portland store were incredibly helpful yesterday, please thank Marcus!",
    "My camp stove smells strongly of fuel even when it's off. Is it safe to use?",
    "Can I change the shipping address on an order I placed an hour ago?",
    "You charged me twice for the same order. I want this fixed today or I'm calling my bank.",
    "Do your merino base layers shrink in the dryer?",
    "I need the sleeping bag for a scout trip this Friday and it hasn't shipped. Order "
    "AP-119402.",
    "How do I exchange a jacket for a different colour?",
    "The waterproof coating on my Cascade shell is peeling off inside after two seasons.",
    "What's the temperature rating of the Alpine 15 sleeping bag, comfort or limit?",
    "I can't log into my account, the reset email never arrives.",
    "The parcel arrived torn open and one of the two water filters is missing.",
    "Does the Ridgeline 28 fit a 3 litre hydration bladder?",
    "I'd like to speak to a manager about how I was treated at the Denver store.",
    "Can I use two promo codes on one order? One is from the newsletter.",
    "My kid's rain pants ripped at the knee after a week at school. Warranty?",
    "Is there a store near Burlington, Vermont?",
    "I returned a pack three weeks ago and still haven't seen a refund.",
    "The price of the fleece I bought dropped $30 five days after it arrived.",
    "Do you ship to Alaska, and how long does it take?",
    "The climbing harness I received has a frayed belay loop. I haven't used it.",
    "Can you tell me what size glove I need? My hand measures 8.5 inches around.",
    "Please delete my account and all my data.",
    "I got someone else's order, a pair of kids' boots instead of my tent.",
    "Are your down jackets responsibly sourced?",
    "This is the third time I'm writing about my missing order. Nobody answers.",
]


def prompt_too_short() -> list[JSON]:
    """Thirty single tickets routed by a small model: every prompt is well under 1024 tokens."""
    start = datetime(2025, 3, 4, 7, 30, 0, tzinfo=UTC)
    records = []
    for number, ticket in enumerate(TICKETS):
        request = {
            "model": "gpt-4o-mini",
            "messages": [_system(TRIAGE_PROMPT), _user(f"Ticket #{48213 + number}:\n{ticket}")],
            "response_format": TRIAGE_FORMAT,
            "temperature": 0,
        }
        records.append(_record(_stamp(start, 37 * number), request, "triage-worker-3"))
    return records


# ---------------------------------------------------------------------------------------------
# The same applications on Claude, through Anthropic's Messages API
# ---------------------------------------------------------------------------------------------


def _claude_tool(tool: JSON) -> JSON:
    """An OpenAI function tool as Anthropic writes it: name, description, input_schema."""
    function = tool["function"]
    return {"name": function["name"], "description": function["description"],
            "input_schema": function["parameters"]}


def _text(text: str, **extra: Any) -> JSON:
    return {"type": "text", "text": text, **extra}


_EPHEMERAL = {"type": "ephemeral"}


def anthropic_breakpoint_on_timestamp() -> list[JSON]:
    """The retail bot of timestamp-in-prefix on Claude: the policy is one system block, the
    current time a second one, and the breakpoint sits on the time."""
    start = datetime(2025, 6, 2, 14, 0, 7, tzinfo=UTC)
    tools = [_claude_tool(tool) for tool in RETAIL_TOOLS]
    records = []
    for _session, seconds, question in _QUESTIONS:
        now = _stamp(start, seconds // 4)
        request = {
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "tools": tools,
            "system": [_text(RETAIL_POLICY),
                       _text(f"Current time: {now}", cache_control=_EPHEMERAL)],
            "messages": [{"role": "user", "content": question}],
        }
        # No session: each customer's chat is one request, and the bot logs none.
        records.append({"timestamp": now, "request": request})
    return records


def _tool_use(call_id: str, name: str, arguments: JSON) -> JSON:
    return {"type": "tool_use", "id": call_id, "name": name, "input": arguments}


def _tool_result_block(call_id: str, result: JSON | str) -> JSON:
    content = result if isinstance(result, str) else json.dumps(result)
    return {"type": "tool_result", "tool_use_id": call_id, "content": content}


def _claude_tool_turn(call_id: str, name: str, arguments: JSON,
                      result: JSON | str) -> list[JSON]:
    """An assistant turn calling one tool, and the user turn carrying its result."""
    return [{"role": "assistant", "content": [_tool_use(call_id, name, arguments)]},
            {"role": "user", "content": [_tool_result_block(call_id, result)]}]


def anthropic_cache_lifetime() -> list[JSON]:
    """The coding agent of tool-order on Claude, with automatic caching: each step waits for
    the developer's approval, 6 to 9 minutes, longer than the default 5-minute lifetime."""
    start = datetime(2025, 6, 3, 9, 30, 0, tzinfo=UTC)
    steps: list[tuple[int, list[JSON]]] = [
        (0, [{"role": "user", "content":
              "test_parse_duration_handles_hours started failing after my refactor of "
              "src/timekit/durations.py. Can you find out why and fix it?"}]),
        (420, _claude_tool_turn(
            "toolu_01Yt2mKc8Rw1LpQx5Z", "run_command",
            {"command": "python -m pytest tests/test_durations.py -k hours -q",
             "timeout_seconds": 120},
            {"exit_code": 1, "stdout": _FAILURE, "stderr": ""})),
        (800, _claude_tool_turn(
            "toolu_01Hn5vBd3Ge7SfJt0W", "read_file", {"path": "src/timekit/durations.py"},
            _numbered(_DURATIONS))),
        (1330, _claude_tool_turn(
            "toolu_01Wm3pLs8Ty2GkVe6B", "apply_patch", {"patch": _PATCH},
            {"applied": True, "files": ["src/timekit/durations.py"]})),
        (1750, _claude_tool_turn(
            "toolu_01Ej7dNf1Zc5HbUo4X", "run_command",
            {"command": "python -m pytest tests/test_durations.py -q", "timeout_seconds": 120},
            {"exit_code": 0, "stderr": "",
             "stdout": "..............                                         [100%]\n"
                       "14 passed in 0.07s"})),
        (2240, [
            {"role": "assistant", "content": "Fixed: `_UNITS` mapped \"h\" to 360 seconds; "
                                             "it now maps it to 3600. The tests pass."},
            {"role": "user", "content": "Thanks! Can you also add a test for \"1h30m\"?"}]),
    ]
    tools = [_claude_tool(CODING_TOOLS[name]) for name in _ORDER_USUAL]
    messages: list[JSON] = []
    records = []
    for seconds, added in steps:
        messages = messages + added
        request = {"model": "claude-sonnet-4-5", "max_tokens": 4096,
                   # Automatic caching: the breakpoint follows the last block, 5 minutes.
                   "cache_control": _EPHEMERAL,
                   "tools": tools, "system": CODING_POLICY, "messages": messages}
        records.append(_record(_stamp(start, seconds), request, "forge-run-7a1e"))
    return records


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

SAMPLES = {
    "clean-agent-session.jsonl": clean_agent_session,
    "timestamp-in-prefix.jsonl": timestamp_in_prefix,
    "tool-order.jsonl": tool_order,
    "image-detail.jsonl": image_detail,
    "prompt-too-short.jsonl": prompt_too_short,
    "anthropic-breakpoint-on-timestamp.jsonl": anthropic_breakpoint_on_timestamp,
    "anthropic-cache-lifetime.jsonl": anthropic_cache_lifetime,
}
"""File name -> the function building its records."""


def write_samples(directory: Path) -> list[Path]:
    """Write every sample into ``directory``; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in SAMPLES.items():
        lines = [json.dumps(record, ensure_ascii=False, separators=(",", ":"))
                 for record in build()]
        path = directory / name
        path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write promptcache's sample request logs.")
    parser.add_argument("output_dir", nargs="?", type=Path, default=HERE,
                        help="where to write the .jsonl files (default: %(default)s)")
    arguments = parser.parse_args(argv)
    for path in write_samples(arguments.output_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
