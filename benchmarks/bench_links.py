"""The short links benchmarks/redirect.py measures: plain ones, and QR Codes with link options
made as the API makes them (its bulk job checks each item as ``POST /api/qrcodes`` does).

- ``plain``: no link options: the scan is counted and found by one statement.
- ``rules``: 20 smart rules, none of which matches wrk's visitors (phones, iOS or Android,
  asking for German first, from 127.0.0.1: no country, no referrer, no UTM), so every rule
  is tried before the scan goes to the code's ``url``.
- ``split``: an A/B test, one rule without a condition splitting visitors 50/50.
- ``password``: a password; wrk never gives it, so every scan gets the password page and
  nothing is counted.
"""

import http.client

SCENARIOS = ("plain", "rules", "split", "password")
#: The scenarios whose scans are counted (and answered with a 302).
COUNTED = ("plain", "rules", "split")
PASSWORD = "benchmark password"


def _time_window(operator: str) -> dict:
    # The whole week: always inside, so "not_equals" never matches (and is still computed).
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    return {"attribute": "time", "operator": operator,
            "value": {"days": days, "from": "00:00", "until": "24:00", "timeZone": "Europe/Paris"}}


def twenty_rules(url: str) -> list[dict]:
    """20 rules none of which matches wrk's visitors; each sends elsewhere than ``url``."""
    conditions = [
        ("device", "equals", "Windows"), ("device", "equals", "Linux"), ("device", "equals", "Mac OS"),
        ("os", "equals", "Chrome OS"), ("os", "equals", "Windows"), ("browser", "equals", "Firefox"),
        ("browser", "equals", "Opera"), ("language", "equals", "fr"), ("language", "equals", "es"),
        ("language", "equals", "en"), ("language", "not_equals", "de"), ("referrer", "equals", "google.com"),
        ("utm_source", "equals", "newsletter"), ("utm_campaign", "equals", "spring"), ("country", "equals", "FR"),
        ("continent", "equals", "EU"), ("region", "equals", "BY"), ("city", "equals", "Paris"),
    ]
    rules = [{"attribute": attribute, "operator": operator, "value": value, "url": f"{url}/rule-{number}"}
             for number, (attribute, operator, value) in enumerate(conditions, 1)]
    rules.append(_time_window("not_equals") | {"url": f"{url}/rule-19"})
    rules.append({"attribute": "browser", "operator": "equals", "value": "Edge", "url": f"{url}/rule-20"})
    return rules


def items(scenario: str, first: int, count: int) -> list[dict]:
    """API bodies of ``count`` QR Codes of ``scenario``, numbered from ``first``."""
    made = []
    for number in range(first, first + count):
        url = f"https://example.com/{scenario}/{number}"
        options: dict = {
            "plain": {},
            "rules": {"rules": twenty_rules(url)},
            "split": {"rules": [{"split": [{"url": f"{url}/a", "weight": 50}, {"url": f"{url}/b", "weight": 50}]}]},
            "password": {"password": PASSWORD},
        }[scenario]
        made.append({"url": url} | options)
    return made


def expected(scenario: str, url: str) -> tuple[int, set[str]]:
    """The status a scan of a QR Code of ``scenario`` whose url is ``url`` gets, and the
    Locations it may have (none for the password page)."""
    if scenario == "password":
        return 200, set()
    if scenario == "split":
        return 302, {f"{url}/a", f"{url}/b"}
    return 302, {url}


def probe(port: int, host: str, key: str, scenario: str, url: str, user_agent: str) -> None:
    """Check what a scan of ``key`` gets, with a HEAD (never counted): the benchmark measures
    what it says it does. Raises SystemExit when the answer is another."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("HEAD", f"/{key}", headers={"Host": host, "User-Agent": user_agent,
                                                   "Accept-Language": "de-DE,de;q=0.9,en;q=0.8"})
    response = connection.getresponse()
    response.read()
    status, locations = expected(scenario, url)
    location = response.getheader("Location")
    if response.status != status or (locations and location not in locations):
        raise SystemExit(f"{scenario} /{key}: got {response.status} {location}, expected {status} "
                         f"{' or '.join(sorted(locations)) or '(a page)'}")
