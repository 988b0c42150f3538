"""UTM parameters and the scan's own query, added to where a scan goes.

The destination keeps its own query and fragment byte for byte; only a parameter given
again is replaced, where it stood. Who wins when a name is given twice, from weakest to
strongest:

1. the destination's own query (``https://shop.example/?utm_source=old``);
2. the QR Code's ``utm_*`` fields: they are what its owner set on the code itself, later
   and more deliberately than a URL pasted from elsewhere (the hosted CodeQR publishes
   no rule for this; Dub writes the fields into the URL, which has the same effect);
3. with ``forwardQuery``, the scanned link's own query: its owner chose to pass it on,
   and it says the most about this one visit (a link shared as ``…?utm_source=mail``).
"""

from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, quote_plus, unquote_plus

from ..contents.values import MAX_URL_LENGTH

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
#: The longest ``utm_*`` value kept: a field's (CodeQR's bound for a rule's value, which
#: may compare it), and a scanned link's as its event records it.
MAX_UTM = 190
# What a query may hold as it is (RFC 3986); anything else in a forwarded query is escaped.
_QUERY_SAFE = "!$&'()*+,;=:@/?%-._~"


def utm_of_query(query: str) -> dict[str, str]:
    """The ``utm_*`` values a scanned link's query string carries (the first of each;
    what rules match and events record), at most ``MAX_UTM`` characters, without NUL."""
    found: dict[str, str] = {}
    for name, value in parse_qsl(query[:MAX_URL_LENGTH], keep_blank_values=False):
        if name in UTM_FIELDS and name not in found and (kept := value.replace("\x00", "")[:MAX_UTM]):
            found[name] = kept
    return found


def with_parameters(url: str, utm: Mapping[str, str | None], forwarded_query: str = "") -> str:
    """``url`` with the QR Code's ``utm`` values (None or "" left out) and the scan's
    ``forwarded_query`` (the raw query string; "" when ``forwardQuery`` is off) added.
    A forwarded query that would make the URL longer than any the API takes is dropped."""
    pairs = [f"{name}={quote_plus(value)}" for name in UTM_FIELDS if (value := utm.get(name))]
    with_utm = _merged(url, pairs)
    forwarded = [quote(piece, safe=_QUERY_SAFE) for piece in forwarded_query.split("&") if piece]
    if not forwarded:
        return with_utm
    merged = _merged(with_utm, forwarded)
    return merged if len(merged) <= MAX_URL_LENGTH else with_utm


def _name(piece: str) -> str:
    return unquote_plus(piece.split("=", 1)[0])


def _merged(url: str, pairs: list[str]) -> str:
    """``url`` with ``pairs`` (encoded ``name=value``) in its query: a name it already
    has is replaced where it first stood (its other occurrences go), a new one appended;
    a name given twice in ``pairs`` keeps both."""
    if not pairs:
        return url
    before_fragment, hash_sign, fragment = url.partition("#")
    base, _, query = before_fragment.partition("?")
    given: dict[str, list[str]] = {}
    for pair in pairs:
        given.setdefault(_name(pair), []).append(pair)
    replaced = set(given)
    kept: list[str] = []
    for piece in query.split("&") if query else []:
        name = _name(piece)
        if name not in replaced:
            kept.append(piece)
        elif name in given:
            kept.extend(given.pop(name))
    for remaining in given.values():
        kept.extend(remaining)
    return f"{base}?{'&'.join(kept)}{hash_sign}{fragment}"
