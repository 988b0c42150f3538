"""Where a scan of a QR Code would go for a visitor described by hand: the API's
``GET /api/qrcodes/{id}/explain`` (and the form's "Test a scan" box). It asks
``links.decide`` with the routing the redirect itself decides on (``scans.routes``);
nothing is counted."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from ..contents.values import check_line
from ..context import Context
from ..links import options as link_options
from ..links.decide import LinkRouting, Step, Visitor, decide
from ..links.rules import device_of, never_matching
from ..scans.counter import Routing
from ..scans.routes import link_routing
from ..scans.visit import continent_of
from .qrcodes import row_or_not_found

#: As the redirect reads a user agent (``scans.visit``).
MAX_AGENT = 1024
_Line = Annotated[str, AfterValidator(check_line)]
_Utm = Annotated[link_options.UtmValue | None, Field(description="the scanned link's own, as utm_* of its query")]


class ExplainQuery(BaseModel):
    """A visitor, described by hand: what the redirect would read of a scan. Each left out
    is unknown (a rule on it does not match; ``not_equals`` does)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    user_agent: _Line | None = Field(None, max_length=MAX_AGENT, description="the scanning browser's User-Agent: "
                                     "its system gives device and os, its family browser")
    country: str | None = Field(None, pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2 code, such as DE")
    city: _Line | None = Field(None, max_length=100, description="the city's English name")
    region: str | None = Field(None, pattern=r"^[A-Za-z0-9]{1,3}$",
                               description="ISO 3166-2 subdivision code without its country, such as BY")
    continent: str | None = Field(None, pattern=r"^[A-Za-z]{2}$",
                                  description="AF, AN, AS, EU, NA, OC or SA (left out: the country's)")
    language: str | None = Field(None, pattern=r"^[A-Za-z]{2,3}$", description="primary subtag, such as de")
    referrer: str | None = Field(None, max_length=253, pattern=r"^[^/:?#@\\\s]+$",
                                 description="the host of the page the visitor came from, such as google.com")
    utm_source: _Utm = Field(None, alias="utm_source")
    utm_medium: _Utm = Field(None, alias="utm_medium")
    utm_campaign: _Utm = Field(None, alias="utm_campaign")
    utm_term: _Utm = Field(None, alias="utm_term")
    utm_content: _Utm = Field(None, alias="utm_content")
    query: _Line | None = Field(None, max_length=2048, description="the scanned link's whole query string, "
                                "without ?: what forwardQuery passes on")
    at: link_options.ExpiresAt | None = Field(None, description="when the scan happens, ISO 8601 with its offset "
                                              "(left out: now)")
    unlocked: bool = Field(False, description="true: the visitor gave the QR Code's password")


class Explanation(BaseModel):
    """What a scan would get (``links.decide.Decision``)."""

    step: Step = Field(description="what decided: password, expired, rule, geo, ios, android or url")
    destination: str | None = Field(description="where the visitor would go, UTM parameters added; null: the "
                                                "password page, or the 410 page of an expired QR Code")
    rule: int | None = Field(description="the rule that decided, by position from 1")
    variant: int | None = Field(description="the variant of the rule's split, by position from 1 (a visitor "
                                            "described by hand has no identity: it is drawn anew each time)")
    gone: bool = Field(description="true: expired without expiredUrl, the scan gets a 410 page")
    warnings: list[str] = Field(description="what may surprise: rule values that never match, a static QR Code")


def explain(ref: str, query: ExplainQuery, ctx: Context) -> Explanation:
    """Where a scan of the QR Code ``ref`` by the visitor ``query`` describes would go."""
    qr = row_or_not_found(ref)
    routing = Routing(qr.id, qr.url, qr.type, qr.content, qr.use_display_page, qr.link)
    link = link_routing(routing) or LinkRouting(url=qr.url, key=qr.id)
    agent = ctx.state.agents.describe(query.user_agent)
    country = query.country.upper() if query.country else None
    visitor = Visitor(
        device=device_of(agent.os), os=agent.os, browser=agent.browser, country=country, city=query.city,
        region=query.region, continent=query.continent.upper() if query.continent else continent_of(country),
        language=query.language.lower() if query.language else None, referrer=query.referrer,
        utm_source=query.utm_source, utm_medium=query.utm_medium, utm_campaign=query.utm_campaign,
        utm_term=query.utm_term, utm_content=query.utm_content, query=query.query or "", unlocked=query.unlocked)
    decision = decide(link, visitor, query.at or ctx.state.clock())
    warnings = never_matching(list(link.rules))
    if qr.static:
        warnings.append("This QR Code is static: its image holds the content itself, so scans never reach "
                        "CodeQR and none of this applies.")
    return Explanation(step=decision.step, destination=decision.destination, rule=decision.rule,
                       variant=decision.variant, gone=decision.gone, warnings=warnings)
