"""The domains this instance serves (``domain.domains``): anyone with a key reads them,
admins add them, change where their root and unknown keys go, and remove those unused."""

from apiflask import APIBlueprint
from pydantic import RootModel

from ..domain import domains
from .templates import _admins_only
from .views import _ctx, auth, errors


class DomainList(RootModel[list[domains.DomainOut]]):
    pass


class Removed(RootModel[dict[str, str]]):
    pass


_ADMINS = {403: "Only admins manage the served domains"}


def add_domain_routes(bp: APIBlueprint) -> None:
    @bp.get("/domains")
    @bp.auth_required(auth)
    @bp.output(DomainList, description="Every domain served: the settings' first, the default first of all")
    @bp.doc(summary="List the served domains", tags=["Domains"], responses=errors())
    def list_domains():
        return DomainList(domains.list_all(_ctx()))

    @bp.post("/domains")
    @bp.auth_required(auth)
    @_admins_only
    @bp.input(domains.DomainCreate, arg_name="data")
    @bp.output(domains.DomainOut, status_code=201, description="The domain, served from now on")
    @bp.doc(summary="Serve a domain (admins)", tags=["Domains"], description="Point the domain's DNS at this "
            "instance too: CodeQR answers the hosts it serves and no other.",
            responses={**errors(409, writes=True), **_ADMINS, 409: "The domain is served already"})
    def create_domain(data: domains.DomainCreate):
        return domains.create(data, _ctx())

    @bp.patch("/domains/<slug>")
    @bp.auth_required(auth)
    @_admins_only
    @bp.input(domains.DomainUpdate, arg_name="data")
    @bp.output(domains.DomainOut, description="The domain after the change")
    @bp.doc(summary="Change where a domain's root and unknown keys go (admins)", tags=["Domains"],
            description="A domain keeps its name: QR Codes are printed with it. The settings' domains take "
                        "these URLs too.", responses={**errors(404, writes=True), **_ADMINS,
                                                      404: "This instance does not serve the domain"})
    def update_domain(slug: str, data: domains.DomainUpdate):
        return domains.update(slug, data, _ctx())

    @bp.delete("/domains/<slug>")
    @bp.auth_required(auth)
    @_admins_only
    @bp.output(Removed, description="The domain no longer served: `{\"slug\": …}`")
    @bp.doc(summary="Stop serving a domain (admins)", tags=["Domains"],
            responses={**errors(404, 409, writes=True), **_ADMINS, 404: "No domain of this name was added",
                       409: "QR Codes or old links use it, or it is in the settings"})
    def delete_domain(slug: str):
        return Removed(domains.delete(slug, _ctx()))
