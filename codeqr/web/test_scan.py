"""A QR Code's link options in words, and its "Test a scan" box: where a visitor described
by hand (a device, a country, a language, a referrer, the scanned link's ``utm_*``, a
moment) would go, decided as the redirect decides (``links.decide``).

The box is a GET form: without a script it re-renders the detail page with its answer
(its fields start with ``PREFIX``, so the page's analytics take them for none of theirs);
its script asks ``qrcode_test_scan`` for JSON with the same fields and answers in place.
Asking changes nothing, so a GET needs no CSRF token; every signed-in person may read.
"""

from dataclasses import dataclass, field, replace

from flask import abort, jsonify, request

from ..contents.registry import shows_page
from ..domain import qrcodes
from ..errors import InvalidInput, InvalidInputs
from ..links.decide import Decision, LinkRouting, decide
from ..links.describe import Sentence, describe
from ..links.utm import UTM_FIELDS
from ..links.visitors import moment_of, visitor_of
from ..scans.routes import decided_as_stored
from ..state import app_state
from . import bp, countries, current_actor
from .timezone import known_zone, reader_zone

#: What the box's fields' names start with (``test-country`` …); the rest is the API's name.
PREFIX = "test-"
#: Devices to choose from: value -> (label, a user agent of it). "custom" reads ``userAgent``.
DEVICES = {
    "iphone": ("iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                         "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"),
    "android": ("Android phone", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                                 "Chrome/125.0.0.0 Mobile Safari/537.36"),
    "windows": ("Windows PC", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                              "Chrome/125.0.0.0 Safari/537.36"),
    "mac": ("Mac", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                   "Version/17.5 Safari/605.1.15"),
    "custom": ("Another user agent…", ""),
}
#: Why a visitor goes where they go, by the step that decided (a rule's says its number).
_WHY = {"expired": "the QR Code has expired", "geo": "decided by their country",
        "ios": "decided by the target for iPhones and iPads", "android": "decided by the target for Android phones",
        "url": "decided by the QR Code's own URL"}


@dataclass
class TestScan:
    """The box's state: the values typed (by field name without ``PREFIX``), the answer as a
    sentence, or the problems, a sentence by field."""

    values: dict[str, str] = field(default_factory=dict)
    answer: Sentence | None = None
    problems: dict[str, str] = field(default_factory=dict)
    decision: Decision | None = None


@dataclass(frozen=True)
class Target:
    """What decides a QR Code's scans: its link options (``link``), and whether its own
    URL is a page of its content rather than a redirect (``page``)."""

    link: LinkRouting
    page: bool


def target_of(qr_id: str) -> Target | None:
    """The ``Target`` of a QR Code as stored; None when it has no short link (static). 404
    when the signed-in person does not see it (``folders``)."""
    row = qrcodes.row_of(qr_id, current_actor())
    if row is None:
        abort(404)
    if row.static:
        return None
    return Target(decided_as_stored(row), shows_page(row.type, row.use_display_page))


def asked(args) -> bool:
    """Whether the page's address holds a question of the box."""
    return any(name.startswith(PREFIX) for name in args)


def scan_box(target: Target | None, args, zone: str, answer: bool = True) -> TestScan:
    """The box answering ``args`` (the page's query, blank fields unknown, the device an
    iPhone), local times read in ``zone``; only its values unless ``answer``."""
    values = {name.removeprefix(PREFIX): value for name, value in args.items() if name.startswith(PREFIX)}
    box = TestScan(values)
    if target is None or not answer:
        return box
    device = values.get("device", "iphone")
    agent = values.get("userAgent", "") if device == "custom" else DEVICES.get(device, DEVICES["iphone"])[1]
    try:
        visitor = visitor_of(values | {"userAgent": agent}, app_state().agents)
        moment = moment_of(values.get("at"), zone, app_state().clock())
    except InvalidInput as error:
        problems = error.problems if isinstance(error, InvalidInputs) else [error]
        box.problems = {problem.field or "": problem.sentence for problem in problems}
        return box
    visitor = replace(visitor, unlocked=bool(values.get("unlocked")))
    box.decision = decide(target.link, visitor, moment)
    box.answer = _said(box.decision, target.page)
    return box


def _said(decision: Decision, page: bool) -> Sentence:
    if decision.step == "password":
        return (("words", "This visitor would see the password page."),)
    if decision.gone:
        return (("words", "This visitor would see the “expired” page (410)."),)
    if decision.step == "url" and page:
        return (("words", "This visitor would see the QR Code's own page, with its content."),)
    if decision.step == "rule":
        why = f"decided by rule {decision.rule}" + (f", variant {decision.variant}" if decision.variant else "")
    else:
        why = _WHY[decision.step]
    return (("words", "This visitor would go to "), ("url", decision.destination or ""), ("words", f" ({why})."))


# A file name: the JSON is no page of the UI (the pages' tests leave such routes out).
@bp.get("/qrcodes/<qr_id>/test-scan.json")
def qrcode_test_scan(qr_id: str):
    """The box's answer as JSON: ``answer`` (the sentence's parts), ``step``,
    ``destination``, ``rule``, ``variant``; or ``problems`` by field, with a 422."""
    zone = known_zone(request.args.get("timezone")) if request.args.get("timezone") else reader_zone()
    target = target_of(qr_id)
    box = scan_box(target, request.args, zone)
    if box.problems:
        return jsonify(problems=box.problems), 422
    if box.decision is None:
        return jsonify(problems={"": "This QR Code has no short link: scans of it are not decided here."}), 422
    decision = box.decision
    return jsonify(answer=[{"kind": kind, "text": text} for kind, text in box.answer or ()],
                   step=decision.step, destination=decision.destination, rule=decision.rule,
                   variant=decision.variant)


def detail_context(qr_id: str) -> dict:
    """What the detail page shows of the link options: ``link_summary`` (None for a static
    code) and ``test_scan``, the box (its answer when the address asks)."""
    target = target_of(qr_id)
    return {"link_summary": describe(target.link, app_state().clock(), countries.name, target.page) if target else None,
            "test_scan": scan_box(target, request.args, reader_zone(), answer=asked(request.args))}


@bp.app_template_global()
def test_scan_choices() -> dict:
    """What the box offers, for ``_test_scan.html`` wherever it is included."""
    return {"prefix": PREFIX, "devices": {value: label for value, (label, _) in DEVICES.items()},
            "countries": sorted(countries.names().items(), key=lambda item: item[1]), "utm": UTM_FIELDS,
            "zone": reader_zone()}
