"""API key pages: create (shown once), list with last use, revoke. Everyone manages
their own keys; admins see and revoke everyone's."""

from flask import abort, flash, make_response, redirect, render_template, session, url_for
from flask_login import current_user

from ..accounts import apikeys
from ..accounts.permissions import Permission
from ..context import for_request
from ..errors import CodeQRError
from . import bp
from .forms import ApiKeyForm, ConfirmForm, show_error

#: Where a new key's secret waits for the page after the redirect; read once, then gone.
_NEW_KEY = "codeqr_new_api_key"


@bp.route("/keys", methods=["GET", "POST"])
def api_keys():
    form = ApiKeyForm()
    ctx = for_request()
    form.offer_scopes(ctx.actor.can(Permission.WRITE_QRCODES))
    if form.validate_on_submit():
        try:
            key, secret = apikeys.create(form.name.data, owner=current_user, scope=form.scope.data, ctx=ctx)
        except CodeQRError as error:
            show_error(form, error, "name")
        else:
            # Post/redirect/get: reloading the page that shows the secret creates nothing.
            session[_NEW_KEY] = {"name": key.name, "secret": secret}
            return redirect(url_for("web.api_keys"), code=303)
    created = session.pop(_NEW_KEY, None)
    response = make_response(render_template("keys.html", form=form, keys=apikeys.list_keys(ctx), created=created,
                                             everyone=ctx.actor.can(Permission.ALL_KEYS)))
    if created:
        response.headers["Cache-Control"] = "no-store"  # the secret stays out of the browser's cache
    return response


@bp.route("/keys/<int:key_id>/revoke", methods=["GET", "POST"])
def api_key_revoke(key_id: int):
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            apikeys.revoke_by_id(key_id, for_request())
        except CodeQRError as error:
            flash(error.sentence, "error")
        else:
            flash("API key revoked: requests using it are refused from now on.", "success")
        return redirect(url_for("web.api_keys"))
    key = apikeys.active_key(key_id, for_request()) or abort(404)
    return render_template("confirm.html", form=form, question=f"Revoke the key “{key.name}”?",
                           lines=[f"Programs using the key that starts with {key.prefix}… will be refused from now on. "
                                  "This cannot be undone: they will need a new key."],
                           yes="Revoke it", no="Keep it", back=url_for("web.api_keys"))
