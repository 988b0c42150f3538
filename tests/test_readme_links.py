"""The README's "What a scan does" says what the redirect does: every step and every rule
attribute named, and its UTM example answered by a real scan as written there."""

import re
from typing import get_args

from codeqr.links.decide import Step
from codeqr.links.rules import ATTRIBUTES
from test_readme import README

SECTION = README[README.index("### What a scan does"):]
SECTION = SECTION[:SECTION.index("\n### ", 1)]


def _first_column(header: str) -> set[str]:
    """The code names in the first column of the section's table whose header starts so."""
    table = SECTION[SECTION.index(header):].split("\n\n", 1)[0]
    cells = re.findall(r"^\| ([^|]+) \|", table, re.M)[1:]  # below the header (its rule has no spaces)
    return {name for cell in cells for name in re.findall(r"`(\w+)`", cell)}


def test_every_step_and_every_attribute_is_documented():
    assert _first_column("| step |") == set(get_args(Step))
    assert _first_column("| attribute |") == set(ATTRIBUTES)


def test_the_utm_example_is_what_a_scan_gets(api, client):
    body = {"url": "https://shop.example/spring?ref=qr&utm_source=old#top", "utm_source": "flyer",
            "utm_campaign": "spring"}
    plain = "https://shop.example/spring?ref=qr&utm_source=flyer&utm_campaign=spring#top"
    forwarded = "https://shop.example/spring?ref=qr&utm_source=mail&utm_campaign=spring&lang=fr#top"
    flat = " ".join(SECTION.split())
    assert all(text in flat for text in ('"utm_source": "flyer"', f"`{plain}`", f"`{forwarded}`",
                                         "`/{key}?utm_source=mail&lang=fr`"))
    key = api.post("/api/qrcodes", json=body).get_json()["key"]
    assert client.get(f"/{key}").headers["Location"] == plain
    forwarding = api.post("/api/qrcodes", json=body | {"forwardQuery": True}).get_json()["key"]
    assert client.get(f"/{forwarding}?utm_source=mail&lang=fr").headers["Location"] == forwarded
