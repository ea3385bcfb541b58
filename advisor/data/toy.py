"""A small invented dataset for demos and tests (standard library only, deterministic).

Classification: customer-support messages in 3 classes, ``billing``, ``technical`` and ``shipping``, built from
templates and word lists with fixed seeds: 300 training examples and a separate test set of 90 (100 / 30 per
class; no test text occurs in train). Words such as "order", "account", "app" and "email" are shared between
classes, and about 8% of the messages are hard on purpose: 6% mix two topics ("I was charged for an order that
never arrived") and carry either label, 2% have a random label. So a small TextCNN learns it in a few epochs but
plateaus below 100%.

Tagging: short sentences with ``PER`` and ``LOC`` entities (names and places of one or two tokens), as IOB2 or
IOB1 tags, written as two-column CoNLL (``token tag``).

The texts are invented; nothing is taken from a real dataset. Run ``python -m advisor.data.toy DIR`` to write
``DIR/train.jsonl`` and ``DIR/test.jsonl``.
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
from pathlib import Path

from advisor.data import TaggedSentence

__all__ = [
    "LABELS",
    "toy_examples",
    "toy_tagging_sentences",
    "write_toy_conll",
    "write_toy_dataset",
]

LABELS = ("billing", "technical", "shipping")
TRAIN_SEED = 20240
TEST_SEED = 20241
AMBIGUOUS_RATE = 0.06  # two topics in one message, either label
NOISE_RATE = 0.02  # a random label

_WORDS = {
    "amount": ["$12.99", "$49", "$5", "$120", "29 euros", "$7.50", "$300", "$18", "$64.20", "15 pounds"],
    "card": ["card", "credit card", "debit card", "paypal account", "bank account", "visa", "mastercard"],
    "plan": [
        "premium plan",
        "family plan",
        "yearly subscription",
        "monthly subscription",
        "pro plan",
        "membership",
    ],
    "fee": ["fee", "charge", "service fee", "late fee", "tax", "surcharge", "extra cost"],
    "statement": ["invoice", "bill", "statement", "receipt", "bank statement"],
    "charged": ["charged", "billed", "debited", "overcharged", "invoiced"],
    "device": ["iphone", "android phone", "laptop", "tablet", "mac", "windows pc", "chromebook", "ipad"],
    "feature": [
        "login page",
        "search",
        "checkout page",
        "settings menu",
        "dashboard",
        "upload button",
        "sync",
        "profile page",
        "chat window",
    ],
    "error": [
        "error 500",
        "a blank screen",
        "an unknown error",
        "error code 42",
        "session expired",
        "a spinning wheel",
        "something went wrong",
        "access denied",
    ],
    "breaks": ["crashes", "freezes", "closes", "hangs", "stops working", "goes blank"],
    "action": [
        "open it",
        "tap save",
        "upload a photo",
        "sign in",
        "change my password",
        "update my profile",
        "switch accounts",
        "open settings",
    ],
    "item": ["package", "parcel", "box", "order", "delivery", "shipment"],
    "arrived": ["arrived", "come", "shown up", "been delivered", "reached me"],
    "product": [
        "headphones",
        "blender",
        "jacket",
        "phone case",
        "lamp",
        "desk chair",
        "coffee maker",
        "backpack",
        "kettle",
        "running shoes",
    ],
    "days": ["two weeks", "ten days", "a week", "5 days", "a month", "three weeks", "8 days"],
    "place": [
        "wrong address",
        "neighbour's house",
        "post office",
        "front desk",
        "old address",
        "back door",
        "pickup point",
    ],
    "carrier": ["courier", "driver", "ups", "fedex", "the post", "dhl", "delivery guy"],
    "when": ["yesterday", "last week", "on monday", "this morning", "two days ago", "friday", "on the 3rd"],
    "name": ["sam", "alex", "maria", "john", "li", "fatima", "peter", "noor"],
}

_TEMPLATES = {
    "billing": [
        "i was {charged} twice for my {plan}",
        "why is there an extra {fee} on my {statement}",
        "please refund the {amount} you took from my {card}",
        "my {card} was {charged} {amount} {when} but i cancelled the {plan}",
        "can i get a copy of the {statement} for my last payment",
        "the price on my {statement} does not match what i agreed to",
        "how do i update the {card} you have on file",
        "you {charged} me {amount} for the {plan} after the free trial ended",
        "i want to cancel my {plan} and get my money back",
        "there is a {fee} of {amount} that i do not recognise",
        "my payment of {amount} went through but my account still says unpaid",
        "can i switch from the {plan} to a cheaper one",
        "i was promised a discount but paid the full {amount}",
        "the {plan} renewed {when} without asking me",
        "i see two payments of {amount} on my {card}",
        "do you offer a student price for the {plan}",
    ],
    "technical": [
        "the app {breaks} every time i {action}",
        "i cannot log in to my account, it just shows {error}",
        "my {device} shows {error} since the latest update",
        "the {feature} does not work on my {device}",
        "i never get the password reset email",
        "the {feature} is extremely slow and sometimes {breaks}",
        "when i {action} the app shows {error}",
        "how do i turn off notifications on my {device}",
        "the {feature} keeps logging me out on my {device}",
        "two factor codes are not accepted, it says {error}",
        "the website will not load the {feature} in my browser",
        "after reinstalling on my {device} all my data is gone",
        "the {feature} {breaks} when i {action}",
        "my photos do not sync between my {device} and my {device}",
        "i get {error} whenever i {action}",
        "the dark mode setting resets itself {when}",
    ],
    "shipping": [
        "my {item} has not {arrived}, it has been {days}",
        "tracking has shown no update since {when}",
        "the {carrier} left my {item} at the {place}",
        "can you change the delivery address for my {item}",
        "my {product} {arrived} damaged and the {item} was open",
        "when will my {product} be shipped",
        "the {item} was delivered to the {place} instead of my home",
        "i ordered a {product} {days} ago and it has not {arrived}",
        "the {carrier} says my {item} was delivered but i have nothing",
        "do you ship to canada and how long does it take",
        "only half of my {item} {arrived}, the {product} is missing",
        "can i pick up my {product} at the {place} instead",
        "i got a {product} but i ordered a different colour",
        "the {carrier} never rang the bell {when}",
        "how do i send back the {product}, the {item} label is missing",
        "my {item} is stuck in customs for {days}",
    ],
}

# Messages that are about two topics on purpose; the label is drawn from the pair.
_AMBIGUOUS = {
    ("billing", "shipping"): [
        "i was {charged} {amount} for a {product} that never {arrived}",
        "refund me the shipping {fee}, my {item} came {days} late",
        "i paid for express delivery but my {item} is still not here",
        "my order still says pending and so does my payment",
    ],
    ("billing", "technical"): [
        "the app {charged} my {card} twice when it showed {error}",
        "the checkout page {breaks} but you still took {amount}",
        "i cannot see my {statement} because the {feature} is broken",
        "it says {error} when i try to pay with my {card}",
    ],
    ("technical", "shipping"): [
        "the tracking page shows {error} on my {device}",
        "the app will not let me change the delivery address for my {item}",
        "i never got the email with the tracking number for my {product}",
        "the tracking link {breaks} on my {device}",
    ],
}

# Shared sentences, some with another class's words, so that a class is told by its core sentence only.
_FILLERS = [
    "i have been a customer for {days}.",
    "this is the second time i am writing.",
    "i already tried calling.",
    "nobody answered my last email.",
    "my name is {name}.",
    "i need this sorted today.",
    "i am really disappointed.",
    "sorry for the long message.",
    "i mostly use the app on my {device}.",
    "i ordered from you before without problems.",
    "i paid with my {card} as usual.",
    "my account email is {name}@mail.com.",
    "your chat was closed {when}.",
]
_OPENERS = ["", "", "", "hi, ", "hello, ", "hi there, ", "good morning, ", "hey, ", "dear support, "]
_CLOSERS = [
    "",
    "",
    "",
    " thanks",
    " please help",
    " any update?",
    " thank you",
    " asap please",
    " regards, {name}",
]
_ORDER_REFS = ["", "", "", "", " (order #{n})", " - order {n}", ", account {n}"]


def _fill(template: str, rng: random.Random) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: rng.choice(_WORDS[m.group(1)]), template)


def _message(core: str, rng: random.Random) -> str:
    text = core + rng.choice(_ORDER_REFS).format(n=rng.randint(10000, 99999))
    text += "?" if core.startswith(("how ", "can ", "do ", "when ", "why ")) else rng.choice([".", ".", "!"])
    if rng.random() < 0.5:
        text = _fill(rng.choice(_FILLERS), rng) + " " + text
    if rng.random() < 0.25:
        text += " " + _fill(rng.choice(_FILLERS), rng)
    text = rng.choice(_OPENERS) + text + _fill(rng.choice(_CLOSERS), rng)
    if rng.random() < 0.5:
        text = text[0].upper() + text[1:]
    return text


def toy_examples(per_class: int, seed: int, exclude: set[str] | None = None) -> list[dict[str, str]]:
    """``per_class`` messages per label as ``{"text", "label"}`` dicts, in a seeded random order.

    About 6% mix two topics (either label) and 2% have a random label; texts in ``exclude`` are not produced.
    """
    rng = random.Random(seed)
    exclude = set(exclude or ())
    seen: set[str] = set()
    out: list[dict[str, str]] = []
    pairs = sorted(_AMBIGUOUS)
    for label in LABELS:
        made = 0
        while made < per_class:
            r = rng.random()
            if r < AMBIGUOUS_RATE:
                pair = rng.choice([p for p in pairs if label in p])
                core = _fill(rng.choice(_AMBIGUOUS[pair]), rng)
            else:
                core = _fill(rng.choice(_TEMPLATES[label]), rng)
            text = _message(core, rng)
            if text in seen or text in exclude:
                continue
            noisy = AMBIGUOUS_RATE <= r < AMBIGUOUS_RATE + NOISE_RATE
            seen.add(text)
            out.append({"text": text, "label": rng.choice(LABELS) if noisy else label})
            made += 1
    rng.shuffle(out)
    return out


def _write_lines(path: Path, lines: list[str]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    os.replace(tmp, path)


def write_toy_dataset(directory: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``train.jsonl`` (300 examples) and ``test.jsonl`` (90, disjoint texts) into ``directory``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    train = toy_examples(100, TRAIN_SEED)
    test = toy_examples(30, TEST_SEED, exclude={x["text"] for x in train})
    train_path, test_path = out / "train.jsonl", out / "test.jsonl"
    _write_lines(train_path, [json.dumps(x, ensure_ascii=False) for x in train])
    _write_lines(test_path, [json.dumps(x, ensure_ascii=False) for x in test])
    return train_path, test_path


# --------------------------------------------------------------------------- tagging

_PEOPLE = [
    "Anna Berg",
    "Tom",
    "Maria Lopez",
    "Kenji Sato",
    "Olu",
    "Priya Nair",
    "Lars",
    "Chen Wei",
    "Sofia",
    "Ivan Petrov",
]
_PLACES = ["Paris", "New York", "Lagos", "Oslo", "Cape Town", "Lima", "Hanoi", "San Diego", "Kyiv", "Perth"]
_TAG_TEMPLATES = [
    "{PER} flew to {LOC} on Monday .",
    "{PER} lives in {LOC} .",
    "Yesterday {PER} met {PER} in {LOC} .",
    "The office in {LOC} is run by {PER} .",
    "{PER} said the weather in {LOC} was cold .",
    "A new bridge opened in {LOC} this week .",
    "{PER} and {PER} moved from {LOC} to {LOC} .",
    "Nobody expected the game to end so early .",
]


def toy_tagging_sentences(n: int = 200, seed: int = 7, scheme: str = "iob2") -> list[TaggedSentence]:
    """``n`` sentences with PER and LOC entities, tagged in ``scheme`` ``"iob2"`` or ``"iob1"``."""
    if scheme not in ("iob1", "iob2"):
        raise ValueError(f"scheme must be 'iob1' or 'iob2', got {scheme!r}")
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        tokens: list[str] = []
        tags: list[str] = []
        for word in rng.choice(_TAG_TEMPLATES).split():
            if word in ("{PER}", "{LOC}"):
                etype = word[1:-1]
                name = rng.choice(_PEOPLE if etype == "PER" else _PLACES).split()
                follows_same = bool(tags) and tags[-1][2:] == etype
                for k, tok in enumerate(name):
                    first = k == 0 and (scheme == "iob2" or follows_same)
                    tokens.append(tok)
                    tags.append(("B-" if first else "I-") + etype)
            else:
                tokens.append(word)
                tags.append("O")
        out.append(TaggedSentence(tuple(tokens), tuple(tags)))
    return out


def write_toy_conll(path: str | os.PathLike[str], n: int = 200, seed: int = 7, scheme: str = "iob2") -> Path:
    """Write ``toy_tagging_sentences`` as two-column CoNLL (``token tag``) with a ``-DOCSTART-`` line."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    lines = ["-DOCSTART- O", ""]
    for sent in toy_tagging_sentences(n, seed, scheme):
        lines.extend(f"{tok} {tag}" for tok, tag in zip(sent.tokens, sent.tags, strict=True))
        lines.append("")
    _write_lines(p, lines)
    return p


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print(
            "usage: python -m advisor.data.toy DIR  (writes DIR/train.jsonl and DIR/test.jsonl)",
            file=sys.stderr,
        )
        return 2
    train, test = write_toy_dataset(args[0])
    print(f"wrote {train} (300 examples) and {test} (90 examples)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
