"""The templates page: every template with its picture, the instance's default marked;
admins choose the default there (``design.templates``)."""

from flask import flash, redirect, render_template, request, url_for

from ..accounts.permissions import Permission
from ..context import for_request
from ..design import templates
from ..errors import CodeQRError
from . import bp, requires
from .forms import ConfirmForm
from .qrcodes import display_format


@bp.get("/templates")
def template_list():
    choices, default = templates.for_picker(for_request(), display_format())
    return render_template("templates.html", choices=choices, default=default, form=ConfirmForm())


@bp.post("/templates/default")
@requires(Permission.SETTINGS)
def template_default():
    """Make the template posted (``template_id``; blank: none) the instance's default."""
    if not ConfirmForm().validate_on_submit():
        flash("The form expired: choose again.", "error")
        return redirect(url_for("web.template_list"))
    try:
        chosen = templates.set_default(request.form.get("template_id") or None, for_request())
    except CodeQRError as error:
        flash(error.sentence, "error")
    else:
        flash("New QR Codes sent without a design take the default template's." if chosen
              else "There is no default template: new QR Codes start with the plain design.", "success")
    return redirect(url_for("web.template_list"))
