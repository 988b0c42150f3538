"""The instance's default template: read it (anyone with a key), choose it (admins)."""

from apiflask import APIBlueprint
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from ..accounts.permissions import Permission
from ..design import templates
from ..domain.schemas import TemplateId
from .views import _ctx, auth, errors, refused_unless


class DefaultTemplate(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", strict=True)

    template_id: TemplateId | None = Field(
        description="the template a QR Code created without design fields takes (null: none)")


#: A member learns they may not change the instance's settings first, not what the body lacks.
_admins_only = refused_unless(Permission.SETTINGS)


def add_template_routes(bp: APIBlueprint) -> None:
    @bp.get("/templates/default")
    @bp.auth_required(auth)
    @bp.output(DefaultTemplate, description="The instance's default template")
    @bp.doc(summary="Get the default template", tags=["Templates"], responses=errors())
    def get_default_template():
        return DefaultTemplate(template_id=templates.default_id(_ctx()))

    @bp.put("/templates/default")
    @bp.auth_required(auth)
    @_admins_only
    @bp.input(DefaultTemplate, arg_name="data")
    @bp.output(DefaultTemplate, description="The instance's default template, as chosen")
    @bp.doc(summary="Choose the default template (admins)", tags=["Templates"],
            description="A QR Code created without any design field takes the default template's design. "
                        "templateId must be a QR Code with useAsTemplate; null: no default.",
            responses={**errors(writes=True), 403: "Only admins choose the default template"})
    def set_default_template(data: DefaultTemplate):
        return DefaultTemplate(template_id=templates.set_default(data.template_id, _ctx()))
