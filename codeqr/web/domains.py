"""The Domains page (admins): the domains this instance serves, where each one's root and
unknown keys go; add one, change its URLs, stop serving one no QR Code uses."""

from flask import abort, flash, redirect, render_template, request, url_for
from pydantic import ValidationError

from ..accounts.permissions import Permission
from ..context import for_request
from ..domain import domains
from ..errors import CodeQRError
from . import bp, requires
from .forms import ConfirmForm, DomainForm, show_error

_URLS = ("target", "not_found_url", "placeholder")
#: The form's field of each API name.
_NAMES = {"slug": "slug", "target": "target", "notFoundUrl": "not_found_url", "placeholder": "placeholder"}


@bp.route("/admin/domains", methods=["GET", "POST"])
@requires(Permission.SETTINGS)
def domain_list():
    form = DomainForm()
    if form.validate_on_submit():
        try:
            added = domains.create(domains.DomainCreate.model_validate(form.body("slug", *_URLS)), for_request())
        except (CodeQRError, ValidationError) as error:
            show_error(form, error, "slug", _NAMES)
        else:
            flash(f"{added.slug} is served from now on: point its DNS at this server.", "success")
            return redirect(url_for("web.domain_list"))
    return render_template("domains.html", form=form, domains=domains.list_all(for_request()), confirm=ConfirmForm())


@bp.route("/admin/domains/<slug>", methods=["GET", "POST"])
@requires(Permission.SETTINGS)
def domain_edit(slug: str):
    ctx = for_request()
    try:
        domain = domains.get(slug, ctx)
    except CodeQRError:
        abort(404)
    form = DomainForm(data=domain.model_dump()) if request.method == "GET" else DomainForm()
    if form.validate_on_submit():
        try:
            domains.update(slug, domains.DomainUpdate.model_validate(form.body(*_URLS)), ctx)
        except (CodeQRError, ValidationError) as error:
            show_error(form, error, "target", _NAMES)
        else:
            flash(f"{domain.slug} is changed.", "success")
            return redirect(url_for("web.domain_list"))
    return render_template("domain_edit.html", form=form, domain=domain)


@bp.route("/admin/domains/<slug>/remove", methods=["GET", "POST"])
@requires(Permission.SETTINGS)
def domain_remove(slug: str):
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            domains.delete(slug, for_request())
        except CodeQRError as error:
            flash(error.sentence, "error")
        else:
            flash(f"{slug} is no longer served.", "success")
        return redirect(url_for("web.domain_list"))
    return render_template("confirm.html", form=form, question=f"Stop serving {slug}?",
                           lines=["Its short links would lead nowhere. CodeQR refuses while a QR Code or an old "
                                  "link uses it."], yes="Stop serving", no="Cancel", back=url_for("web.domain_list"))
