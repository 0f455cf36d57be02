"""``leafloaf chat``: a terminal conversation with the assistant, as one shopper of a data set."""

from __future__ import annotations

import sys
from typing import TextIO

from leafloaf.agents.assistant import Assistant
from leafloaf.agents.compiler import cart_text
from leafloaf.engine import GraphitiPersonalizationEngine
from leafloaf.errors import ValidationError
from leafloaf.progress import step

__all__ = ["run_chat"]

_PROMPT = "you> "


def run_chat(
    data: str | None,
    fmt: str | None = None,
    user: str | None = None,
    max_users: int | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> None:
    """Learn a data folder, then answer each line typed as the chosen shopper."""
    from leafloaf.datasets import check_layout
    from leafloaf.demo import find_data, load

    path = find_data(data)
    fmt = check_layout(path, fmt)  # quick: a mistake fails before any output
    out = stdout or sys.stdout
    with step(f"loading {path}"):
        dataset = load(path, fmt, max_users)
    users = dataset.users
    if user is not None and user not in set(users):
        raise ValidationError("user", user, f"is not a shopper of {path} (try {users[0]})")
    shopper = user or users[0]
    # the data's own time: "what am I running out of" is asked as of the shopper's next order
    now = dataset.next_order_at.get(shopper) or max(e.ts for e in dataset.events)
    with step("learning"):
        engine = GraphitiPersonalizationEngine(dataset.catalog, clock=lambda: now)
        engine.record_many(dataset.events)
        assistant = Assistant(engine)
        assistant.warm()
    print(f"Chatting as shopper {shopper} ({len(dataset.catalog):,} products). "
          "/cart, /user ID, /quit.", file=out, flush=True)  # fmt: skip
    try:
        _loop(assistant, shopper, users, stdin or sys.stdin, out)
    finally:
        engine.close()  # waits for a background refit a checkout may have started


def _loop(assistant: Assistant, shopper: str, users: list[str], source: TextIO,
          out: TextIO) -> None:  # fmt: skip
    session: str | None = None
    while True:
        try:
            if source is sys.stdin and out is sys.stdout:
                line = input(_PROMPT)
            else:
                out.write(_PROMPT)
                out.flush()
                line = source.readline()
                if not line:
                    raise EOFError
        except EOFError:
            print("", file=out)
            return
        line = line.strip()
        if not line:
            continue
        if line in ("/quit", "/exit"):
            return
        if line == "/cart":
            print(f"leafloaf> {cart_text(assistant.orders.cart(shopper))}", file=out, flush=True)
            continue
        if line.startswith("/user"):
            wanted = line.split(maxsplit=1)[1] if " " in line else ""
            if wanted not in set(users):
                print(f"leafloaf> {wanted!r} is not a shopper here.", file=out, flush=True)
                continue
            shopper, session = wanted, None
            print(f"leafloaf> Now chatting as shopper {shopper}.", file=out, flush=True)
            continue
        reply = assistant.reply(shopper, line, session=session)
        session = reply.session
        took = reply.timings.get("total", 0.0)
        print(f"leafloaf> {reply.text.strip()}", file=out)
        print(f"          [{', '.join(i.value for i in reply.intents)}; {took:.1f} ms]",
              file=out, flush=True)  # fmt: skip
