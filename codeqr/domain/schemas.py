"""The one definition of a QR Code: its API fields, defaults, bounds and help texts.

``QRCodeCreate`` is written out field by field. The update body, the output model,
the web form, the CSV columns and the API names are all derived from it, so a new
plain field is one line here (plus its column and migration). A new design field is
one line marked ``DESIGN``, with a default: it joins ``Design``, stored in the JSON
``design`` column (rows from before read the default: no migration), the image hash,
the form's design group and the export manifest.

Plugins add design fields of their own (the ``codeqr_design_fields`` hook): each app
then has its own ``QRCodeSchemas``, whose classes are subclasses of the core ones here
with those fields added. Services and views take the classes from the app
(``ctx.schemas``); the module-level classes are the core's, for types and for apps no
plugin extends.
"""

import functools
import json
import logging
import operator
from collections.abc import Mapping, Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import datetime
from types import GenericAlias
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    RootModel,
    StrictBool,
    ValidationError,
    computed_field,
    create_model,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError, PydanticUndefined

from .. import contents
from ..contents import PAYLOADS, TYPES
from ..contents.values import Url, check_text
from ..design import values as design
from ..errors import MAX_LISTED, listed
from ..links import options as link_options
from ..links.rules import Rules, never_matching
from .rendering import Picture, short_link
from .timeutil import isoformat

log = logging.getLogger(__name__)

MAX_BULK = 100


@dataclass(frozen=True)
class UI:
    """How people meet a field: its label in the web form (None: not in the form), a
    widget when the type does not tell (``url``, ``color``), the labels of a select's
    values, and more column names the CSV import accepts."""

    label: str | None = None
    widget: str | None = None
    choices: dict[str, str] = field(default_factory=dict)
    csv_aliases: tuple[str, ...] = ()


class _Automatic:
    """Marks a field whose null or absence on create means "pick the default"
    (a random key, the default domain, level M or H). Such a field is never
    stored as null, so an update may not send null for it."""

    def __repr__(self) -> str:
        return "AUTOMATIC"


AUTOMATIC = _Automatic()


class _Design:
    """Marks a field of the design: how the image looks, not what it encodes. The
    marked fields make ``Design``, stored as one value; the image hash covers it."""

    def __repr__(self) -> str:
        return "DESIGN"


DESIGN = _Design()


class _Link:
    """Marks a link option: what a scan of the short link does (``links``). The marked
    fields are kept in the one JSON ``link`` column (``links.options``)."""

    def __repr__(self) -> str:
        return "LINK"


LINK = _Link()


class _Secret:
    """Marks a field that is written, kept (as a hash) and never answered: ``password``."""

    def __repr__(self) -> str:
        return "SECRET"


SECRET = _Secret()


class _Content:
    """Marks a payload field: what a content type holds (``contents.PAYLOADS``). Only the
    field of the QR Code's ``type`` is set; the forms and the CSV spread its keys out."""

    def __repr__(self) -> str:
        return "CONTENT"


CONTENT = _Content()


class _InputOnly:
    """Marks a field of the bodies only: it says how to make or change a QR Code
    (``templateId``), it is no part of one. Never stored, never in an answer."""

    def __repr__(self) -> str:
        return "INPUT_ONLY"


INPUT_ONLY = _InputOnly()


def ui_of(info) -> UI:
    """The ``UI`` of a model field (an empty one when it has none)."""
    return next((item for item in info.metadata if isinstance(item, UI)), UI())


def bounds_of(info) -> dict:
    """The ``ge``/``le`` bounds of a model field, those it has: ``{"ge": 64, "le": 4096}``."""
    return {kind: getattr(item, kind) for item in info.metadata for kind in ("ge", "le") if hasattr(item, kind)}


def value_type(info):
    """The Python type of a field's values: ``Annotated[int | None, …]`` -> ``int``."""
    return _plain(_without_none(info.annotation))


# -- value types --------------------------------------------------------------


Color = design.Color
Key = Annotated[
    str,
    Field(
        min_length=1,
        max_length=190,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
        description="letters, digits, - and _; may not start with - or _ nor shadow an app route",
    ),
]
Domain = Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")]
ExternalId = Annotated[
    str, Field(min_length=1, max_length=255, pattern=r"^[^/\x00-\x1f\x7f]+$", description="no / nor control characters")
]
Title = Annotated[str, Field(max_length=1000), AfterValidator(check_text)]
Level = Literal["L", "M", "Q", "H"]
TemplateId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$",
                                   description="the id of a template (a QR Code with useAsTemplate)")]
FrameText = Annotated[str, Field(max_length=design.MAX_FRAME_TEXT), AfterValidator(check_text)]
#: The id of a tag or a folder (``ids.new_id``).
OrganiserId = Annotated[str, Field(pattern=r"^c[a-z0-9]{24}$", description="a tag's or a folder's id")]
TagName = Annotated[str, Field(min_length=1, max_length=50), AfterValidator(check_text)]
Comments = Annotated[str, Field(max_length=10_000), AfterValidator(check_text)]
#: Most tags one QR Code carries.
MAX_TAGS = 50
TagIds = Annotated[list[OrganiserId], Field(max_length=MAX_TAGS)]
TagNames = Annotated[list[TagName], Field(max_length=MAX_TAGS)]


def _one_or_many(value):
    """CodeQR takes one tag (a string) or many (a list): the one becomes a list of one."""
    return [value] if isinstance(value, str) else value


Timestamp = Annotated[
    datetime,
    PlainSerializer(isoformat, return_type=str, when_used="json"),
    Field(json_schema_extra={"format": "date-time"}),
]


# -- the QR Code ----------------------------------------------------------------


class _Input(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _not_many_unknown(cls, data):
        # One error for many unknown fields: pydantic would make one each (200,000 take seconds).
        if isinstance(data, dict) and len(data) > len(cls.model_fields) + MAX_LISTED:
            known = {info.alias for info in cls.model_fields.values()}
            names = listed((str(name) for name in data if name not in known), ", ", "field")
            raise PydanticCustomError("extra_fields", "has fields CodeQR does not know: {names}", {"names": names})
        return data

    def given(self) -> dict:
        """Return the fields the caller sent, by attribute name. ``null`` clears a
        nullable field; for an automatic one (``domain``, ``key``, ``level`` on
        create) it means "the default", so it is left out."""
        values = {name: getattr(self, name) for name in self.model_fields_set}
        nullable = nullable_of(type(self))
        return {name: value for name, value in values.items() if value is not None or name in nullable}


#: The content types' names (``contents.TYPES``).
ContentTypeName: Any = Literal.__getitem__(tuple(TYPES))


class QRCodeCreate(_Input):
    """Body of create and upsert: ``url`` alone is enough (a link to a website). Another
    ``type`` takes its payload in the field named after it (``contents.TYPES``). Left out or
    null, ``static`` is true only for the types phones read from the code alone (wifi, pix,
    epc), ``domain`` is the instance's default domain, ``key`` 12 random letters and digits
    + ``-qr``, and ``level`` M (H with ``showLogo``)."""

    type: Annotated[ContentTypeName, UI("Type", widget="select",
                                        choices={kind.name: kind.label for kind in TYPES.values()})] = Field(
        contents.DEFAULT_TYPE, description="what the QR Code holds; its payload is in the field of that name "
                                           "(geo and latlog: latlog)")
    url: Annotated[Url | None, UI("Destination URL", widget="url")] = Field(
        None, description="where a scan goes: required for type url, the default link of type gs1")
    # The payloads: each the type the registry names (``contents.PAYLOADS``; a test checks they agree).
    text: Annotated[contents.text.Text | None, CONTENT] = None
    email: Annotated[contents.messaging.EmailMessage | None, CONTENT] = None
    phone: Annotated[contents.messaging.PhoneNumber | None, CONTENT] = Field(None, description="E.164: + and 7 to 15 digits")
    sms: Annotated[contents.messaging.Sms | None, CONTENT] = None
    facetime: Annotated[contents.messaging.Facetime | None, CONTENT] = None
    whatsapp: Annotated[contents.messaging.Whatsapp | None, CONTENT] = None
    latlog: Annotated[contents.places.LatLong | None, CONTENT] = None
    wifi: Annotated[contents.wifi.Wifi | None, CONTENT] = None
    vcard: Annotated[contents.vcard.VCard | None, CONTENT] = None
    event: Annotated[contents.events.Event | None, CONTENT] = None
    crypto: Annotated[contents.crypto.Crypto | None, CONTENT] = None
    pix: Annotated[contents.pix.Pix | None, CONTENT] = None
    epc: Annotated[contents.epc.Epc | None, CONTENT] = None
    gs1: Annotated[contents.gs1.Gs1 | None, CONTENT] = None
    static: Annotated[StrictBool | None, AUTOMATIC, UI("Static: the code holds the content itself")] = Field(
        None, description="true: the image holds the content itself (no short link, no scans counted, cannot "
                          "change once printed); default true for wifi, pix and epc only")
    use_display_page: Annotated[StrictBool, UI("Show a page with buttons (not straight to the app)")] = Field(
        True, description="dynamic phone, email and sms: a page with buttons (true) or a redirect to the "
                          "tel:, mailto: or sms: link")
    domain: Annotated[Domain | None, AUTOMATIC, UI("Domain", widget="select")] = Field(
        None, description="a domain this instance serves")
    key: Annotated[Key | None, AUTOMATIC, UI("Short link key (blank: random)")] = Field(
        None, description="the slug of the short link: letters, digits, - and _; may not start with - or _ "
                          "nor shadow an app route")
    title: Annotated[Title | None, UI("Title")] = Field(None, description="free text for people")
    external_id: ExternalId | None = Field(None, description="your own id, unique in this instance")
    use_as_template: Annotated[StrictBool, UI("Use as template")] = Field(
        False, description="a template: other QR Codes take its design with templateId (listed with "
                           "?useAsTemplate=true); it stays a QR Code of its own")
    archived: Annotated[StrictBool, UI("Archived: hidden from lists, its link still works")] = Field(
        False, description="hidden from lists and counts unless showArchived=true; it still redirects and counts scans")
    comments: Annotated[Comments | None, UI("Comments", widget="textarea")] = Field(
        None, description="notes for people; search finds them")
    folder_id: Annotated[OrganiserId | None, UI("Folder", widget="folder")] = Field(
        None, description="the folder it is in (null: none); you must be able to change the folder's QR Codes")
    tag_ids: Annotated[TagIds | None, BeforeValidator(_one_or_many), INPUT_ONLY] = Field(
        None, description="the ids of its tags (one or a list): on update they replace its tags; the answer's tags "
                          "lists them")
    tag_names: Annotated[TagNames | None, BeforeValidator(_one_or_many), INPUT_ONLY, UI("Tags", widget="tags")] = Field(
        None, description="the names of its tags, any case (one or a list); a name no tag has makes a new tag; with "
                          "tagIds, the QR Code carries both")
    template_id: Annotated[TemplateId | None, INPUT_ONLY] = Field(
        None, description="on create and update only, never stored: the id of a template (useAsTemplate) whose "
                          "design (every design field) this QR Code takes; the design fields sent win")
    keep_old_link: Annotated[StrictBool | None, INPUT_ONLY] = Field(
        None, description="on update (and an upsert that finds its QR Code) only, never stored: true keeps the old "
                          "short link working when the update changes the key or domain of a dynamic QR Code: it "
                          "becomes one of its aliases. Ignored when there is no old link to keep (a new QR Code, a "
                          "static one, key and domain unchanged)")
    # -- link options: what a scan does (``links.decide`` says in which order)
    expires_at: Annotated[link_options.ExpiresAt | None, LINK, UI("Expires at", widget="datetime")] = Field(
        None, description="when the short link expires (ISO 8601 with its offset); from then on a scan goes to "
                          "expiredUrl, or gets a 410 page")
    expired_url: Annotated[Url | None, LINK, UI("After it expires, go to", widget="url")] = Field(
        None, description="where a scan goes once expiresAt has come (null: a 410 page)")
    password: Annotated[link_options.Password | None, LINK, SECRET, UI("Password to open the link", widget="password")] = Field(
        None, description="write-only: a scan asks for it before going on (null: none); never answered, see "
                          "hasPassword")
    ios: Annotated[Url | None, LINK, UI("iPhones and iPads go to", widget="url")] = Field(
        None, description="where scans from iOS go")
    android: Annotated[Url | None, LINK, UI("Android phones go to", widget="url")] = Field(
        None, description="where scans from Android go")
    geo: Annotated[link_options.Geo | None, BeforeValidator(link_options.empty_is_none), LINK,
                   UI("Countries", widget="geo")] = None
    rules: Annotated[Rules | None, BeforeValidator(link_options.empty_is_none), LINK, UI("Rules", widget="rules")] = None
    utm_source: Annotated[link_options.UtmValue | None, LINK, UI("utm_source")] = Field(
        None, alias="utm_source", description="added to the destination's query at each scan")
    utm_medium: Annotated[link_options.UtmValue | None, LINK, UI("utm_medium")] = Field(
        None, alias="utm_medium", description="added to the destination's query at each scan")
    utm_campaign: Annotated[link_options.UtmValue | None, LINK, UI("utm_campaign")] = Field(
        None, alias="utm_campaign", description="added to the destination's query at each scan")
    utm_term: Annotated[link_options.UtmValue | None, LINK, UI("utm_term")] = Field(
        None, alias="utm_term", description="added to the destination's query at each scan")
    utm_content: Annotated[link_options.UtmValue | None, LINK, UI("utm_content")] = Field(
        None, alias="utm_content", description="added to the destination's query at each scan")
    forward_query: Annotated[StrictBool, LINK, UI("Pass the scanned link's own query on")] = Field(
        False, description="add the scanned short link's own query string to the destination")
    bg_color: Annotated[Color, DESIGN, UI("Background colour", widget="color")] = "#ffffff"
    fg_color: Annotated[Color, DESIGN, UI("Foreground colour", widget="color")] = "#000000"
    size: Annotated[int, Field(ge=64, le=4096, description="width = height in pixels"), DESIGN,
                    UI("Size in pixels")] = 1024
    level: Annotated[
        Level | None,
        AUTOMATIC,
        DESIGN,
        UI("Error correction", choices={"": "Automatic (M, or H with the logo)", "L": "L — 7% can be restored",
                                        "M": "M — 15%", "Q": "Q — 25%", "H": "H — 30%"}),
    ] = Field(None, description="error correction; showLogo needs Q or H")
    margin: Annotated[int, Field(ge=0, le=16, description="quiet zone in modules"), DESIGN,
                      UI("Margin in modules")] = 4
    show_logo: Annotated[StrictBool, DESIGN, UI("Show the logo in the centre")] = Field(
        False, description="draw a logo at the centre: the QR Code's own (logo), else the instance's")
    logo: Annotated[design.LogoSource | None, DESIGN, UI("Logo", widget="logo")] = Field(
        None, description="this QR Code's own logo: on input a data: URI or an https URL (fetched once, then "
                          "kept here) or the value an answer gave; on output where it is kept")
    width: Annotated[int | None, Field(ge=8, le=4096), DESIGN, UI("Logo width in pixels")] = Field(
        None, description="the logo's width in pixels (null: proportional, as large as the level allows)")
    height: Annotated[int | None, Field(ge=8, le=4096), DESIGN, UI("Logo height in pixels")] = Field(
        None, description="the logo's height in pixels (null: proportional)")
    excavate: Annotated[StrictBool, DESIGN, UI("Clear the modules behind the logo")] = Field(
        True, description="clear the modules behind the logo")
    pattern: Annotated[design.Pattern, DESIGN, UI("Modules", choices=design.PATTERN_LABELS)] = Field(
        "default", description="how each module is drawn")
    shape: Annotated[design.Shape, DESIGN, UI("Outline", choices=design.SHAPE_LABELS)] = Field(
        "none", description="an outline drawn around the code")
    eye_shape: Annotated[design.EyeShape, DESIGN, UI("Eyes", choices=design.EYE_LABELS)] = Field(
        "square", description="the three finder eyes, outer ring and inner ball")
    eye_color: Annotated[Color | None, DESIGN, UI("Eye colour", widget="color")] = Field(
        None, description="the eyes' colour (null: as the modules)")
    fg_gradient: Annotated[design.Gradient | None, DESIGN] = Field(
        None, description="a two-colour gradient painting the modules in place of fgColor")
    frame: Annotated[design.Frame, DESIGN, UI("Frame", choices=design.FRAME_LABELS)] = Field(
        "none", description="a frame with a caption: below (frame-1), above (frame-2), a tab (frame-3), "
                            "a badge (frame-5), top bars (frame-6)")
    frame_color: Annotated[Color, DESIGN, UI("Frame colour", widget="color")] = "#000000"
    frame_text: Annotated[FrameText | None, DESIGN, UI("Frame text")] = Field(
        None, description="the frame's caption, word-wrapped on up to 4 lines (null: \"SCAN ME\")")
    frame_text_color: Annotated[Color | None, DESIGN, UI("Frame text colour", widget="color")] = Field(
        None, description="the caption's colour (null: black or white, whichever contrasts with frameColor)")
    frame_text_styles: Annotated[design.FrameTextStyles | None, DESIGN] = Field(
        None, description="weight, style, family and size of the caption (null: normal sans, size m)")


def _without_none(annotation):
    """``X | None`` -> ``X``; anything else unchanged."""
    if get_origin(annotation) in (Union, type(int | None)):
        rest = [arg for arg in get_args(annotation) if arg is not type(None)]
        return functools.reduce(operator.or_, rest)
    return annotation


def _plain(annotation):
    """The stored Python type of an annotation: constraints and validators dropped."""
    if get_origin(annotation) is Annotated:
        return _plain(get_args(annotation)[0])
    if get_origin(annotation) in (Union, type(int | None)):
        return functools.reduce(operator.or_, (_plain(arg) for arg in get_args(annotation)))
    return annotation


#: Fields of the bodies only (``INPUT_ONLY``): never stored nor answered.
INPUT_FIELDS = tuple(name for name, info in QRCodeCreate.model_fields.items() if INPUT_ONLY in info.metadata)
#: The link options (``LINK``), kept in the one ``link`` column.
LINK_FIELDS = tuple(name for name, info in QRCodeCreate.model_fields.items() if LINK in info.metadata)
#: Fields written and kept but never answered (``SECRET``).
SECRET_FIELDS = tuple(name for name, info in QRCodeCreate.model_fields.items() if SECRET in info.metadata)
#: The API names of the link options: the keys of the ``link`` column.
LINK_API_NAMES = {name: QRCodeCreate.model_fields[name].alias or name for name in LINK_FIELDS}


def _is_automatic(name: str) -> bool:
    return AUTOMATIC in QRCodeCreate.model_fields[name].metadata if name in QRCodeCreate.model_fields else False


def nullable_of(model: type[BaseModel]) -> frozenset[str]:
    """Fields of a QR Code body ``model`` a caller may set to null (clearing them)."""
    return frozenset(name for name, info in model.model_fields.items()
                     if not _is_automatic(name) and _without_none(info.annotation) is not info.annotation)



def _drop_defaults(schema: dict[str, Any]) -> None:
    # Omitted update fields mean "leave as is", not "set to null": no default to show.
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


def _update_fields(create: type[QRCodeCreate], names) -> dict:
    fields = {}
    for name in names:
        info = create.model_fields[name]
        optional = copy(info)
        optional.default = None
        if _is_automatic(name):
            optional.annotation = _without_none(info.annotation)
        fields[name] = (optional.annotation, optional)
    return fields


class _UpdateInput(_Input):
    model_config = ConfigDict(json_schema_extra=_drop_defaults)


if TYPE_CHECKING:
    class QRCodeUpdate(_UpdateInput):
        """For mypy: the fields are made at run time, from ``QRCodeCreate``'s."""

        def __getattr__(self, name: str) -> Any: ...
else:
    QRCodeUpdate = create_model(
        "QRCodeUpdate",
        __base__=_UpdateInput,
        __doc__="Body of update: every field optional; only the fields sent change.",
        **_update_fields(QRCodeCreate, QRCodeCreate.model_fields),
    )


class _Output(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True,
                              json_schema_mode_override="serialization")


def _stored_fields(create: type[QRCodeCreate], names) -> dict:
    """The output fields of settable fields ``names`` of ``create``: as stored, never automatic."""
    fields = {}
    for name in names:
        info = create.model_fields[name]
        # Output types as stored, without the input's rules: a row stored before a rule must still read.
        annotation = _plain(_without_none(info.annotation) if _is_automatic(name) else info.annotation)
        if _plain(_without_none(info.annotation)) is datetime:  # answered as every time is (``isoformat``)
            annotation = Timestamp | None
        alias = info.alias if info.alias_priority == 2 else None  # set by hand (utm_source), not generated
        fields[name] = (annotation, Field(description=info.description, alias=alias))
    return fields


class _QRCodeId(_Output):
    id: str = Field(pattern=r"^c[0-9a-z]{24}$", description="generated, read-only")


if TYPE_CHECKING:
    class _QRCodeStored(_QRCodeId):
        """For mypy: the fields are made at run time, from ``QRCodeCreate``'s."""

        def __getattr__(self, name: str) -> Any: ...
else:
    _QRCodeStored = create_model(
        "_QRCodeStored",
        __base__=_QRCodeId,
        **_stored_fields(QRCodeCreate, [name for name in QRCodeCreate.model_fields
                                        if name not in INPUT_FIELDS and name not in SECRET_FIELDS]),
    )

#: Fields of what a QR Code holds: its type, url and payloads, static or not.
CONTENT_FIELDS = ("type", "url", *PAYLOADS, "static", "use_display_page")


def content_of(row: Any) -> dict[str, Any]:
    """The content fields of a stored QR Code (``models.QRCode``), by attribute name."""
    return ({"type": row.type, "static": row.static, "use_display_page": row.use_display_page}
            | contents.stored_payloads(row.type, row.url, row.content))


def link_of_row(row: Any, names=LINK_FIELDS) -> dict[str, Any]:
    """The link option fields ``names`` of a stored QR Code (``models.QRCode``), by attribute name."""
    return link_options.link_fields(row.link, LINK_API_NAMES, names)


#: Fields of the design: how the image looks (not what it encodes).
DESIGN_FIELDS = tuple(name for name, info in QRCodeCreate.model_fields.items() if DESIGN in info.metadata)
#: Design fields whose value is a model of its own (fg_gradient, frame_text_styles): the form,
#: the CSV import and the export manifest spread their keys out, as they do a payload's.
NESTED_DESIGN: dict[str, type[BaseModel]] = {
    name: kind for name in DESIGN_FIELDS
    if isinstance(kind := value_type(QRCodeCreate.model_fields[name]), type) and issubclass(kind, BaseModel)}


class _DesignBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    #: the shape of the stored JSON: bump it, and migrate the rows, when a field changes meaning
    version: Literal[1] = 1

    def canonical(self) -> str:
        """The design as one JSON text, the same for equal designs (what the image hash covers).
        Fields at their default are left out, so adding a field renders no stored image anew."""
        return json.dumps(self.model_dump(mode="json", exclude_defaults=True), sort_keys=True, separators=(",", ":"))

    def stored(self) -> dict:
        """The JSON value kept in the ``design`` column."""
        return self.model_dump(mode="json")

    @classmethod
    def of_stored(cls, stored: Mapping[str, Any]) -> "_DesignBase":
        """The design kept as ``stored``: a field it lacks (added since) reads its default, and
        a field this app does not know (a plugin's, since disabled) is left out of it. A value
        its field now refuses (a plugin's type narrowed since) reads the default, logged: one
        such value must not make every list and image fail."""
        values = {name: value for name, value in stored.items() if name in cls.model_fields}
        try:
            return cls.model_validate(values, strict=False)  # JSON holds the values as JSON types
        except ValidationError as error:
            refused = {str(item["loc"][0]) for item in error.errors() if item["loc"]}
            if not refused - {"version"} or refused & set(DESIGN_FIELDS):
                raise  # the core's own design is broken: not a value to guess
            log.warning("stored design values no longer valid, read as their defaults: %s", ", ".join(sorted(refused)))
            return cls.model_validate({name: value for name, value in values.items() if name not in refused},
                                      strict=False)

    def field_values(self) -> dict[str, Any]:
        """Every design field's value by name (the version left out)."""
        return {name: getattr(self, name) for name in type(self).model_fields if name != "version"}


def _design_fields(create: type[QRCodeCreate], names) -> dict:
    fields = {}
    for name in names:
        info = copy(create.model_fields[name])
        info.alias = info.validation_alias = info.serialization_alias = info.alias_priority = None
        if _is_automatic(name):  # chosen on create, then stored: never null
            info.annotation, info.default = _without_none(info.annotation), PydanticUndefined
        fields[name] = (info.annotation, info)
    return fields


#: A QR Code's design, one value built from the ``DESIGN`` fields of ``QRCodeCreate`` (as
#: they are stored: never null), stored as one JSON column.
Design = create_model(
    "Design",
    __base__=_DesignBase,
    __doc__="How a QR Code's image looks: the DESIGN fields, stored as one versioned value.",
    **_design_fields(QRCodeCreate, DESIGN_FIELDS),
)


class TagOut(_Output):
    """A tag (``QRCodeOut.tags``, ``/api/tags``)."""

    id: str
    name: str
    color: str = Field(description="one of red, yellow, green, blue, purple, pink, brown")


class AliasOut(_Output):
    """An old short link of a QR Code (``QRCodeOut.aliases``)."""

    domain: str
    key: str
    short_link: str = Field(description="the old short link: {scheme}://{domain}/{key}")
    created_at: Timestamp = Field(description="when it became an alias")


class QRCodeOut(_QRCodeStored):
    """A QR Code as the API shows it and every service returns it."""

    scans: int = Field(description="scans counted")
    last_scanned_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp = Field(description="moves only when something changed")
    has_password: bool = Field(description="read-only: a scan asks for a password (set with password)")
    tags: list[TagOut] = Field(default_factory=list, description="its tags, by name (set with tagIds or tagNames)")
    user_id: int | None = Field(description="read-only: the id of the person who made it (null: made at the "
                                            "machine, or before CodeQR kept it)")
    aliases: list[AliasOut] = Field(default_factory=list, description="read-only: old short links that still "
                                    "redirect here and count as this QR Code's (made by keepOldLink), oldest first")
    #: the app's ``Design`` and its fields (a plugin's design fields make a subclass with theirs)
    design_model: ClassVar[type[_DesignBase]] = Design
    design_fields: ClassVar[tuple[str, ...]] = DESIGN_FIELDS
    #: the app's settings the links are made of: the validation context's ``config`` (``of_row``)
    _config: Mapping[str, Any] | None = PrivateAttr(default=None)

    @classmethod
    def of_row(cls, row: Any, config: Mapping[str, Any], aliases: Sequence[Any] = (),
               tags: Sequence[Any] = ()) -> "QRCodeOut":
        """The QR Code stored in ``row``, its links made with ``config`` (the app's settings);
        ``aliases``: its rows of ``models.Alias``; ``tags``: of ``models.Tag``."""
        values = {name: getattr(row, name) for name in cls.model_fields
                  if name not in cls.design_fields and name not in CONTENT_FIELDS and name not in LINK_FIELDS
                  and name not in ("has_password", "aliases", "tags")}
        values["tags"] = [{"id": tag.id, "name": tag.name, "color": tag.color} for tag in tags]
        values |= content_of(row) | cls.design_model.of_stored(row.design).field_values()
        values |= link_of_row(row, (name for name in LINK_FIELDS if name not in SECRET_FIELDS))
        values["has_password"] = link_options.has_password(row.link)
        values["aliases"] = [{"domain": alias.domain, "key": alias.key, "created_at": alias.created_at,
                              "short_link": short_link(config, alias.domain, alias.key)} for alias in aliases]
        return cls.model_validate(values, context={"config": config})

    def model_post_init(self, context: Any, /) -> None:
        self._config = context.get("config") if isinstance(context, dict) else None

    def _settings(self) -> Mapping[str, Any]:
        if self._config is None:
            raise RuntimeError("a QRCodeOut makes its links with the app's settings: build it with QRCodeOut.of_row")
        return self._config

    @computed_field(description="the short link a scan follows: {scheme}://{domain}/{key} (type gs1: its GS1 "  # type: ignore[prop-decorator]
                                "Digital Link on the domain); null for a static QR Code")
    @property
    def short_link(self) -> str | None:
        return link_of(self._settings(), self.type, self.static, self.payload(), self.domain, self.key)

    def payload(self) -> Any:
        """What the QR Code's type holds: its url, or its payload field's value."""
        return getattr(self, TYPES[self.type].field)

    def encoded(self) -> str:
        """The text the image holds: the content itself (static) or the short link."""
        return encoded_text(self._settings(), self.type, self.static, self.payload(), self.domain, self.key)

    @computed_field(description="read-only: rule conditions no visitor can ever match (kept as sent), each "  # type: ignore[prop-decorator]
                                "naming its rule")
    @property
    def warnings(self) -> list[str]:
        return never_matching(self.rules or [])

    @computed_field(description="absolute URL of the rendered image, fetchable without credentials")  # type: ignore[prop-decorator]
    @property
    def image(self) -> str:
        config = self._settings()
        return f"{config['CODEQR_SCHEME']}://{config['CODEQR_DEFAULT_DOMAIN']}/qr/{self.id}.{config['CODEQR_DEFAULT_FORMAT']}"

    def design(self) -> "_DesignBase":
        """Return the QR Code's ``Design``."""
        return self.design_model.model_validate({name: getattr(self, name) for name in self.design_fields})

    def picture(self) -> Picture:
        """Return what the QR Code's image shows: what it encodes, in its design."""
        return Picture(self.encoded(), self.design())

    def api(self) -> dict:
        """Return the JSON-ready API representation (what hooks receive)."""
        return self.model_dump(mode="json", by_alias=True)


# -- lists, queries and other answers ---------------------------------------------


class QRCodeList(RootModel[list[QRCodeOut]]):
    pass


class Count(RootModel[int]):
    pass


class BulkCreate(RootModel[list[Any]]):
    """Up to 100 QR Code bodies; each is validated on its own."""

    root: list[Any] = Field(max_length=MAX_BULK)


class BulkDeleteQuery(BaseModel):
    ids: str = Field(min_length=1, max_length=100 * 40, description="comma-separated ids (or ext_<externalId>)")


class Deleted(_Output):
    id: str


class DeletedCount(_Output):
    deleted_count: int


class BulkJobOut(_Output):
    """A bulk create still under way, or its answer once done (``results``)."""

    id: str
    status: Literal["queued", "running", "done", "failed"] = Field(
        description="done: `results` holds the answer the request would have given; failed: see `message`")
    total: int = Field(description="items sent")
    checked: int = Field(description="items checked so far (each image decoded)")
    created_at: Timestamp
    finished_at: Timestamp | None
    message: str | None = Field(description="why it failed")
    results: list[Any] | None = Field(description="once done: each QR Code created, or an error with the input that failed")


class FieldError(BaseModel):
    field: str | None = Field(description="the field's API name; null: a problem of the whole body")
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str = Field(description="every problem in one line")
    errors: list[FieldError] | None = Field(
        None, description="every field's problem, in one answer (422, and a 409 of a taken key or externalId); "
                          "a taken key with other problems is one of a 422's")


class Error(BaseModel):
    """Every error answer: ``{"error": {"code": …, "message": …}}``."""

    error: ErrorBody


class BulkItemError(BaseModel):
    error: ErrorBody
    qrcode: Any


class BulkResult(RootModel[list[QRCodeOut | BulkItemError]]):
    pass


# -- one app's classes ------------------------------------------------------------


def link_of(config: Mapping[str, Any], type_name: str, static: bool, payload: Any, domain: str,
            key: str) -> str | None:
    """The short link of a QR Code of these fields: None for a static one; type gs1 its GS1
    Digital Link on the domain."""
    if static:
        return None
    if type_name == "gs1":
        return contents.gs1_link(config, domain, payload)
    return short_link(config, domain, key)


def encoded_text(config: Mapping[str, Any], type_name: str, static: bool, payload: Any, domain: str,
                 key: str) -> str:
    """The text the image of a QR Code of these fields holds: the content itself (static)
    or its short link. ``QRCodeOut.encoded`` and the form's preview both draw this."""
    if static:
        return contents.encoded(type_name, payload)
    link = link_of(config, type_name, static, payload, domain, key)
    assert link is not None, "a dynamic QR Code has a short link"
    return link


@dataclass(frozen=True, eq=False)
class QRCodeSchemas:
    """The QR Code classes of one app (``ctx.schemas``): the core's, or subclasses of them
    with the design fields its plugins add. Also how a row's columns hold the fields."""

    create: type[QRCodeCreate]
    update: type[QRCodeUpdate]
    out: type[QRCodeOut]
    listing: type[RootModel]
    bulk_result: type[RootModel]

    @property
    def design(self) -> type[_DesignBase]:
        return self.out.design_model

    @property
    def design_fields(self) -> tuple[str, ...]:
        return self.out.design_fields

    @functools.cached_property
    def api_names(self) -> dict[str, str]:
        """API (camelCase) name of every field a caller may set, by attribute name."""
        return {name: info.alias or name  # every field has one: the alias generator's
                for name, info in self.create.model_fields.items()}

    @functools.cached_property
    def nullable(self) -> frozenset[str]:
        """Fields a caller may set to null (clearing them)."""
        return nullable_of(self.create)

    @functools.cached_property
    def field_groups(self) -> dict[str, tuple[str, ...]]:
        """The settable fields in the groups forms and exports show them in: the link, then the design."""
        return {"content": CONTENT_FIELDS,
                "link": tuple(name for name in self.create.model_fields if name not in self.design_fields
                              and name not in CONTENT_FIELDS and name not in INPUT_FIELDS and name not in LINK_FIELDS),
                "link_options": LINK_FIELDS,
                "design": self.design_fields}

    def fields_of(self, row: Any) -> dict[str, Any]:
        """The settable fields of a stored QR Code (``models.QRCode``), by attribute name."""
        plain = {name: getattr(row, name) for name in self.api_names if name not in self.design_fields
                 and name not in CONTENT_FIELDS and name not in INPUT_FIELDS and name not in LINK_FIELDS}
        return plain | content_of(row) | self.design.of_stored(row.design).field_values() | link_of_row(row)

    def columns(self, fields: Mapping[str, Any], kept: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The row's columns holding ``fields``: the design fields become one stored ``Design``,
        the type's payload the ``content`` column (``contents.stored_columns``). ``kept`` is the
        design stored before: the values of fields this app does not know (a disabled plugin's)
        stay in it, so nothing is lost when the plugin comes back."""
        # A field left out reads its default (a body of the core's class, in an app with plugin fields).
        design = self.design.model_validate({name: fields[name] for name in self.design_fields if name in fields})
        plain = {name: value for name, value in fields.items() if name not in self.design_fields
                 and name not in PAYLOADS and name != "url" and name not in INPUT_FIELDS and name not in LINK_FIELDS}
        if any(name in fields for name in LINK_FIELDS):
            plain["link"] = link_options.stored_link({name: fields[name] for name in LINK_FIELDS if name in fields},
                                                     LINK_API_NAMES)
        if "type" in fields:
            plain |= contents.stored_columns(fields["type"], {name: fields.get(name) for name in CONTENT_FIELDS})
        return plain | {"design": {**(kept or {}), **design.stored()}}


def qrcode_schemas(extra_design: Mapping[str, tuple[Any, Any]]) -> QRCodeSchemas:
    """The QR Code classes of an app whose plugins add the design fields ``extra_design``
    (``{name: (type, default)}``, in pydantic's ``create_model`` form); the core's without."""
    if not extra_design:
        return CORE
    names = tuple(extra_design)
    added: dict[str, Any] = {name: (Annotated[kind, DESIGN], default) for name, (kind, default) in extra_design.items()}
    create = create_model("QRCodeCreate", __base__=QRCodeCreate, __doc__=QRCodeCreate.__doc__, **added)
    update = create_model("QRCodeUpdate", __base__=QRCodeUpdate, __doc__=QRCodeUpdate.__doc__,
                          **_update_fields(create, names))
    design = create_model("Design", __base__=Design, __doc__=Design.__doc__, **_design_fields(create, names))
    out = create_model("QRCodeOut", __base__=QRCodeOut, __doc__=QRCodeOut.__doc__, **_stored_fields(create, names))
    out.design_model, out.design_fields = design, DESIGN_FIELDS + names
    return QRCodeSchemas(create, update, out, *_answers(out))


def _answers(out: type[QRCodeOut]) -> tuple[type[RootModel], type[RootModel]]:
    """The list and the bulk answer made of ``out`` (``list[out]`` spelt as a call: ``out`` is a value here)."""
    qrcodes: Any = GenericAlias(list, (out,))
    results: Any = GenericAlias(list, (out | BulkItemError,))
    return (create_model("QRCodeList", __base__=RootModel, root=(qrcodes, ...)),
            create_model("BulkResult", __base__=RootModel, root=(results, ...)))


#: The core's classes: an app no plugin gives design fields uses them as they are.
CORE = QRCodeSchemas(QRCodeCreate, QRCodeUpdate, QRCodeOut, QRCodeList, BulkResult)


def inline_schema(model: type[BaseModel]) -> dict:
    """Return the JSON schema of ``model`` with nested models written in place (no ``$defs``)."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def resolve(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(definitions[node["$ref"].rsplit("/", 1)[1]])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return resolve(schema)
