"""Which QR Codes may have which link options: what a field alone cannot tell."""

from collections.abc import Collection, Mapping
from typing import Any

from ..contents import TYPES
from ..errors import InvalidInput

#: Link options that choose or change a destination URL: only a code that redirects to one has them.
ROUTING_OPTIONS = ("ios", "android", "geo", "rules", "utm_source", "utm_medium", "utm_campaign", "utm_term",
                   "utm_content", "forward_query")
#: The types whose scan redirects to a URL of the owner's choice.
REDIRECTING_TYPES = ("url",)
#: Types scanned through a resolver of their own that decides on no link option yet (a gs1
#: code's Digital Link, ``scans.resolver``): they take none.
WITHOUT_LINK_OPTIONS = ("gs1",)


def _set(value: Any) -> bool:
    return value is not None and value is not False and value != {} and value != []


def link_problems(fields: Mapping[str, Any], api_names: Mapping[str, str], link_fields: Collection[str],
                  refused: Collection[str] = ()) -> list[InvalidInput]:
    """Every link option ``fields`` (attribute names) set where it cannot work: on a static
    code (no short link to scan) or a gs1 one (its Digital Link decides on none), and a
    routing option on a code that shows a page or opens an app rather than a URL. Fields in
    ``refused`` (API names) are left out."""
    given = [name for name in link_fields if _set(fields.get(name)) and api_names[name] not in refused]
    if not given or "type" in refused or "static" in refused:
        return []
    if fields.get("static"):
        return [InvalidInput("a static QR Code has no short link: it cannot expire, ask for a password or route "
                             "scans", api_names[name],
                             sentence="A static QR Code holds its content itself and has no short link to scan: "
                                      "make it dynamic to use this.") for name in given]
    kind = TYPES[fields["type"]]
    if kind.name in WITHOUT_LINK_OPTIONS:
        return [InvalidInput(f"not for a QR Code of type {kind.name}: its GS1 Digital Link does not apply link options",
                             api_names[name], sentence=f"A {kind.label} QR Code opens its GS1 Digital Link, which "
                                                       "does not use this: leave it empty.") for name in given]
    if kind.name in REDIRECTING_TYPES:
        return []
    return [InvalidInput(f"only for a QR Code that opens a URL (type url; this one is {kind.name})",
                         api_names[name],
                         sentence=f"A {kind.label} QR Code does not open a web address, so this has nothing to "
                                  "change: leave it empty.") for name in given if name in ROUTING_OPTIONS]
