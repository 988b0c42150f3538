"""Where a scan of a QR Code would go for a visitor described by hand: the API's
``GET /api/qrcodes/{id}/explain`` (and the form's "Test a scan" box). It asks
``links.decide`` with the routing the redirect itself decides on (``scans.routes``);
nothing is counted."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError, core_schema

from ..contents.values import check_line
from ..context import Context
from ..links import options as link_options
from ..links.decide import Step, decide
from ..links.rules import never_matching
from ..links.visitors import described
from ..scans.routes import decided_as_stored
from ..scans.visit import MAX_AGENT
from .qrcodes import row_or_not_found


@dataclass(frozen=True)
class _Shaped:
    """Text matching ``pattern``, refused with ``said`` (a sentence, not a regular expression)."""

    pattern: str
    said: str

    def _check(self, value: str) -> str:
        if not re.fullmatch(self.pattern, value):
            raise PydanticCustomError("shape", self.said)
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        return handler(schema) | {"pattern": f"^{self.pattern}$"}


def _iso_time(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("time", "must be an ISO 8601 time with its offset, such as "
                                              "2027-01-31T18:00:00Z") from None
    return value


_Agent = Annotated[str, StringConstraints(max_length=MAX_AGENT), AfterValidator(check_line)]
_City = Annotated[str, StringConstraints(max_length=100), AfterValidator(check_line)]
_Query = Annotated[str, StringConstraints(max_length=2048), AfterValidator(check_line)]
_Country = Annotated[str, _Shaped("[A-Za-z]{2}", "must be an ISO 3166-1 alpha-2 country code, such as DE")]
_Region = Annotated[str, _Shaped("[A-Za-z0-9]{1,3}", "must be an ISO 3166-2 subdivision code without its country, "
                                                     "such as BY")]
_Continent = Annotated[str, _Shaped("[A-Za-z]{2}", "must be one of AF, AN, AS, EU, NA, OC, SA")]
_Language = Annotated[str, _Shaped("[A-Za-z]{2,3}", "must be a language's two- or three-letter code, such as de")]
_Host = Annotated[str, _Shaped(r"[^/:?#@\\\s]{1,253}", "must be the host of the page the visitor came from, such as "
                                                     "google.com, not a URL")]
_Utm = Annotated[link_options.UtmValue | None, Field(description="the scanned link's own, as utm_* of its query")]


class ExplainQuery(BaseModel):
    """A visitor, described by hand: what the redirect would read of a scan. Each left out
    is unknown (a rule on it does not match; ``not_equals`` does)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    user_agent: _Agent | None = Field(None, description="the scanning browser's User-Agent: its system gives "
                                                        "device and os, its family browser")
    country: _Country | None = Field(None, description="ISO 3166-1 alpha-2 code, such as DE")
    city: _City | None = Field(None, description="the city's English name")
    region: _Region | None = Field(None, description="ISO 3166-2 subdivision code without its country, such as BY")
    continent: _Continent | None = Field(None, description="AF, AN, AS, EU, NA, OC or SA (left out: the country's)")
    language: _Language | None = Field(None, description="the first language the browser asks for, such as de")
    referrer: _Host | None = Field(None, description="the host of the page the visitor came from, such as google.com")
    utm_source: _Utm = Field(None, alias="utm_source")
    utm_medium: _Utm = Field(None, alias="utm_medium")
    utm_campaign: _Utm = Field(None, alias="utm_campaign")
    utm_term: _Utm = Field(None, alias="utm_term")
    utm_content: _Utm = Field(None, alias="utm_content")
    query: _Query | None = Field(None, description="the scanned link's whole query string, without ?: what "
                                                   "forwardQuery passes on")
    at: Annotated[link_options.ExpiresAt, BeforeValidator(_iso_time)] | None = Field(
        None, description="when the scan happens, ISO 8601 with its offset (left out: now)")
    unlocked: bool = Field(False, description="true: the visitor gave the QR Code's password")


class Explanation(BaseModel):
    """What a scan would get (``links.decide.Decision``)."""

    step: Step = Field(description="what decided: password, expired, rule, geo, ios, android or url")
    destination: str | None = Field(description="where the visitor would go, UTM parameters added; null: the "
                                                "password page, or the 410 page of an expired QR Code")
    rule: int | None = Field(description="the rule that decided, by position from 1")
    variant: int | None = Field(description="the variant of the rule's split, by position from 1 (the same "
                                            "description always lands on the same variant)")
    gone: bool = Field(description="true: expired without expiredUrl, the scan gets a 410 page")
    warnings: list[str] = Field(description="what may surprise: rule values that never match, a static QR Code")


def explain(ref: str, query: ExplainQuery, ctx: Context) -> Explanation:
    """Where a scan of the QR Code ``ref`` by the visitor ``query`` describes would go
    (``NotFound`` when ``ctx.actor`` does not see it)."""
    qr = row_or_not_found(ref, ctx.actor)
    link = decided_as_stored(qr)
    country = query.country.upper() if query.country else None
    visitor = described(
        query.user_agent, ctx.state.agents, country=country, city=query.city, region=query.region,
        continent=query.continent.upper() if query.continent else None,
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
