"""What a QR Code's link options do, as sentences for its detail page, in the order a
scan is decided (``decide``): password, expiry, rules, countries, phones, the URL, then
what is added to the destination.

A sentence is a tuple of ``Part``s: words, a URL, a value someone typed (its invisible
characters shown as their code points, so a right-to-left override cannot turn the
words around) or an instant the page shows in the reader's time zone. The page marks
each kind up; ``plain`` reads a sentence as text (instants in UTC).
"""

import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from .decide import LinkRouting
from .rules import WEEKDAYS, Rule, TimeWindow, Variant

Kind = Literal["words", "url", "value", "instant"]
Part = tuple[Kind, "str | datetime"]
Sentence = tuple[Part, ...]

CONTINENT_NAMES = {"AF": "Africa", "AN": "Antarctica", "AS": "Asia", "EU": "Europe", "NA": "North America",
                   "OC": "Oceania", "SA": "South America"}
# How a condition on each attribute reads: (when it equals, when it does not), around its value.
_CONDITIONS = {
    "device": ("whose device is", "whose device is not"),
    "os": ("whose system is", "whose system is not"),
    "browser": ("using", "not using"),
    "country": ("from", "not from"),
    "city": ("from the city of", "not from the city of"),
    "region": ("from the region", "not from the region"),
    "continent": ("from", "not from"),
    "language": ("whose browser asks first for the language", "whose browser does not ask first for the language"),
    "referrer": ("coming from", "not coming from"),
    "time": ("scanning on", "scanning outside"),
}


@dataclass(frozen=True)
class Summary:
    """The sentences of a code's link options; ``expired`` says its expiry has come."""

    sentences: tuple[Sentence, ...]
    expired: bool = False


def _country_name(code: str) -> str:
    # Imported here: the web package brings Flask, which the links package needs not.
    from ..web.countries import name

    return name(code)


def describe(link: LinkRouting, now: datetime, country_name: Callable[[str], str] = _country_name,
             own_page: bool = False) -> Summary:
    """The sentences of ``link`` at ``now`` (aware), in the order of decision; ``own_page``:
    the code's own destination is a page of its content (a contact, a text…), not its URL."""
    sentences: list[Sentence] = []
    if link.has_password:
        sentences.append((_words("Asks for a password before going on."),))
    expired = link.expires_at is not None and now >= link.expires_at
    if link.expires_at is not None:
        sentences.append(_expiry(link, expired))
    targeted = bool(link.rules or link.geo or link.ios or link.android)
    for position, rule in enumerate(link.rules, 1):
        sentences.append(_rule(position, rule, country_name))
    if link.rules and link.rules[-1].unconditional:
        # No scan gets past a rule for everyone: what follows it is kept, but never used.
        unused = [*(["the country targets"] if link.geo else []), *(["the phone targets"] if link.ios or link.android
                                                                  else []), "the QR Code's own URL"]
        listed = " and ".join([", ".join(unused[:-1]), unused[-1]] if len(unused) > 1 else unused)
        sentences.append((_words(f"Rule {len(link.rules)} takes everyone else, so {listed} "
                                 f"{'are' if len(unused) > 1 else 'is'} not used."),))
    else:
        sentences.extend(_targets(link, targeted, country_name, own_page))
    if link.utm:
        sentences.append((_words("Adds "), _value("&".join(f"{name}={value}" for name, value in link.utm.items())),
                          _words(" to the destination.")))
    if link.forward_query:
        sentences.append((_words("Passes the scanned link's own query on."),))
    return Summary(tuple(sentences), expired)


def _targets(link: LinkRouting, targeted: bool, country_name: Callable[[str], str], own_page: bool) -> list[Sentence]:
    """Countries, phones and the QR Code's own URL."""
    sentences: list[Sentence] = []
    for code, url in sorted(link.geo.items(), key=lambda item: country_name(item[0])):
        sentences.append((_words("Visitors from "), _value(country_name(code)), _words(" go to "), _url(url),
                          _words(".")))
    if link.ios:
        sentences.append((_words("iPhones and iPads go to "), _url(link.ios), _words(".")))
    if link.android:
        sentences.append((_words("Android phones go to "), _url(link.android), _words(".")))
    if own_page:
        sentences.append((_words(f"{'Everyone else sees' if targeted else 'Shows'} the QR Code's own page, with its "
                                 "content."),))
    else:
        sentences.append((_words("Everyone else goes to " if targeted else "Goes to "), _url(link.url), _words(".")))
    return sentences


def plain(sentence: Sentence) -> str:
    """A sentence as plain text (an instant as UTC, to the minute)."""
    return "".join(f"{value:%Y-%m-%d %H:%M} UTC" if isinstance(value, datetime) else value for _, value in sentence)


def visible(text: str) -> str:
    """``text`` with its invisible formatting characters (direction overrides, zero-width
    spaces…) written out as their code points: a value typed is shown as it is."""
    return "".join(f"<U+{ord(char):04X}>" if unicodedata.category(char) == "Cf" else char for char in text)


def _expiry(link: LinkRouting, expired: bool) -> Sentence:
    assert link.expires_at is not None
    after: Sentence = ((_words("goes to "), _url(link.expired_url)) if link.expired_url
                       else (_words("shows an “expired” page (410)"),))
    if expired:
        return (_words("Expired since "), ("instant", link.expires_at), _words(": every scan "), *after,
                _words(". Until then it did what follows."))
    return (_words("Until "), ("instant", link.expires_at), _words(", as follows; after that it "), *after,
            _words("."))


def _rule(position: int, rule: Rule, country_name: Callable[[str], str]) -> Sentence:
    who: Sentence = (_words("everyone else"),) if rule.unconditional else (
        _words("visitors "), *_condition(rule, country_name))
    if rule.split is not None:
        goes: Sentence = (_words(" is split: " if rule.unconditional else " are split: "), *_split(rule.split))
    else:
        goes = (_words(" go to "), _url(rule.url or ""))
    return (_words(f"Rule {position}: "), *who, *goes, _words("."))


def _condition(rule: Rule, country_name: Callable[[str], str]) -> Sentence:
    assert rule.attribute is not None and rule.value is not None
    equals = rule.operator == "equals"
    if isinstance(rule.value, TimeWindow):
        return (_words(_CONDITIONS["time"][not equals] + " "), *_window(rule.value))
    if rule.attribute.startswith("utm_"):
        verb = "has" if equals else "does not have"
        return (_words(f"whose scanned link {verb} "), _value(f"{rule.attribute}={rule.value}"))
    value = rule.value
    if rule.attribute == "country":
        value = country_name(value.upper())
    elif rule.attribute == "continent":
        value = CONTINENT_NAMES.get(value.upper(), value)
    return (_words(_CONDITIONS[rule.attribute][not equals] + " "), _value(value))


def _split(split: list[Variant]) -> Sentence:
    parts: list[Part] = []
    for number, variant in enumerate(split):
        if number:
            parts.append(_words(", "))
        parts.extend((_words(f"{variant.weight}% to "), _url(variant.url)))
    return tuple(parts)


def _window(window: TimeWindow) -> Sentence:
    until = window.until if window.until > window.start else f"{window.until} the next day"
    # A time zone is checked to be an IANA name: words, not a value typed.
    return (_words(f"{days(window.days)} from {window.start} to {until} ({window.time_zone})"),)


def days(chosen: Collection[str]) -> str:
    """Days of the week in few words: runs of three or more joined by a dash
    (``Mon–Fri``), the others listed; all seven: ``every day``."""
    if len(set(chosen)) == len(WEEKDAYS):
        return "every day"
    present = [day in chosen for day in WEEKDAYS]
    runs: list[str] = []
    index = 0
    while index < len(WEEKDAYS):
        if not present[index]:
            index += 1
            continue
        end = index
        while end + 1 < len(WEEKDAYS) and present[end + 1]:
            end += 1
        names = [WEEKDAYS[day].title() for day in range(index, end + 1)]
        runs.extend([f"{names[0]}–{names[-1]}"] if len(names) >= 3 else names)
        index = end + 1
    return ", ".join(runs)


def _words(text: str) -> Part:
    return ("words", text)


def _url(url: str | None) -> Part:
    return ("url", url or "")


def _value(text: str) -> Part:
    return ("value", visible(text))
