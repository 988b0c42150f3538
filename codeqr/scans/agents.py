"""User agents -> device, browser, OS and bot flag, with ua-parser's maintained rules
and crawlerdetect's list of crawlers. Both cost about a millisecond per new string,
so this runs in the enrichment, and on the redirect only for a ``codeqr_redirect``
plugin's ``Visit``; it remembers what it parsed."""

import threading
from dataclasses import dataclass
from functools import lru_cache

from crawlerdetect import CrawlerDetect
from ua_parser import parse

DEVICES = ("mobile", "tablet", "desktop", "bot", "other")
_DESKTOP_SYSTEMS = {"Windows", "Mac OS X", "Linux", "Ubuntu", "Chrome OS", "ChromeOS", "Fedora", "Debian",
                    "FreeBSD", "OpenBSD", "Solaris"}


@dataclass(frozen=True)
class Agent:
    device: str
    browser: str | None
    browser_version: str | None
    os: str | None
    os_version: str | None
    bot: bool


class AgentParser:
    """Parses user agents; remembers the last 20,000 strings it saw (most scans repeat one)."""

    def __init__(self):
        self._crawlers = CrawlerDetect()  # keeps state between calls: used under the lock
        self._lock = threading.Lock()
        self.describe = lru_cache(maxsize=20_000)(self._describe)

    def _describe(self, agent: str | None) -> Agent:
        if not agent:
            return Agent("other", None, None, None, None, False)
        with self._lock:
            bot = self._crawlers.isCrawler(agent)
        result = parse(agent)
        browser, system, device = result.user_agent, result.os, result.device
        bot = bot or (device is not None and device.family == "Spider")
        return Agent(
            device=_device(agent, system.family if system else None, device, bot),
            browser=browser.family[:50] if browser else None,
            browser_version=browser.major[:20] if browser and browser.major else None,
            os=system.family[:50] if system else None,
            os_version=system.major[:20] if system and system.major else None,
            bot=bot,
        )


def _device(agent: str, system: str | None, device, bot: bool) -> str:
    if bot:
        return "bot"
    family = device.family if device else ""
    brand = (device.brand or "") if device else ""
    if family == "iPad" or "Tablet" in brand or "Tablet" in family or (system == "Android" and "Mobile" not in agent):
        return "tablet"
    if system in ("iOS", "Android") or "Mobile" in agent:
        return "mobile"
    if system in _DESKTOP_SYSTEMS:
        return "desktop"
    return "other"
