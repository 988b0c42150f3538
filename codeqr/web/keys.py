"""API key pages: create (shown once), list with last use, revoke."""

from flask import flash, redirect, render_template, url_for

from .. import apikeys
from ..errors import CodeQRError
from . import bp
from .forms import ApiKeyForm, ConfirmForm


@bp.route("/keys", methods=["GET", "POST"])
def api_keys():
    form = ApiKeyForm()
    created = None
    if form.validate_on_submit():
        try:
            key, secret = apikeys.create(form.name.data)
        except CodeQRError as error:
            form.name.errors.append(error.detail)
        else:
            created = {"name": key.name, "secret": secret}
            form = ApiKeyForm(formdata=None)
    return render_template("keys.html", form=form, keys=apikeys.list_keys(), created=created,
                           revoke_form=ConfirmForm())


@bp.post("/keys/<int:key_id>/revoke")
def api_key_revoke(key_id: int):
    if ConfirmForm().validate_on_submit():
        try:
            apikeys.revoke_by_id(key_id)
        except CodeQRError as error:
            flash(error.message, "error")
        else:
            flash("API key revoked: requests using it are refused from now on.", "success")
    return redirect(url_for("web.api_keys"))
