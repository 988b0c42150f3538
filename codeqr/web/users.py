"""The users page (admins): add people, change their role, deactivate or reactivate
them, and set someone's new password on a page of its own."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_user

from ..accounts import users
from ..accounts.permissions import ROLES, Permission
from ..context import for_request
from ..errors import CodeQRError
from . import bp, requires
from .forms import ConfirmForm, PasswordForm, RoleForm, UserForm, show_error


@bp.route("/users", methods=["GET", "POST"])
@requires(Permission.USERS)
def user_list():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = users.create(form.email.data or "", form.password.data or "", form.role.data,
                                ctx=for_request())
        except CodeQRError as error:
            show_error(form, error, "email")
        else:
            flash(f"{user.email} can now sign in as {user.role}.", "success")
            return redirect(url_for("web.user_list"))
    return render_template("users.html", form=form, users=users.list_users(for_request()),
                           roles=ROLES, confirm=ConfirmForm(), min_password=users.MIN_PASSWORD)


def _done(action, success: str):
    """Run a change from the list and come back to it, saying how it went."""
    try:
        user = action()
    except CodeQRError as error:
        flash(error.sentence, "error")
    else:
        flash(success.format(email=user.email, role=user.role), "success")
    return redirect(url_for("web.user_list"))


@bp.post("/users/<int:user_id>/role")
@requires(Permission.USERS)
def user_role(user_id: int):
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Choose a role.", "error")
        return redirect(url_for("web.user_list"))
    return _done(lambda: users.set_role(user_id, form.role.data, for_request()), "{email} is now {role}.")


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@requires(Permission.USERS)
def user_deactivate(user_id: int):
    form = ConfirmForm()
    if form.validate_on_submit():
        return _done(lambda: users.set_active(user_id, False, for_request()),
                     "{email} is deactivated: they cannot sign in, and their API keys stop working.")
    user = users.by_id(user_id, for_request()) or abort(404)
    if user.deactivated_at:
        flash(f"{user.email} is deactivated already.", "success")
        return redirect(url_for("web.user_list"))
    return render_template("confirm.html", form=form, question=f"Deactivate {user.email}?",
                           lines=["They will not be able to sign in, and their API keys stop working. "
                                  "Their QR Codes stay. You can reactivate them later."],
                           yes="Deactivate", no="Cancel", back=url_for("web.user_list"))


@bp.post("/users/<int:user_id>/reactivate")
@requires(Permission.USERS)
def user_reactivate(user_id: int):
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("web.user_list"))
    return _done(lambda: users.set_active(user_id, True, for_request()), "{email} can sign in again.")


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@requires(Permission.USERS)
def user_password(user_id: int):
    """A new password for one person, on a page of its own; a refused one is said beside
    the field, and what was typed is asked again."""
    user = users.by_id(user_id, for_request()) or abort(404)
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            changed = users.reset_password(user_id, form.password.data, for_request())
        except CodeQRError as error:
            show_error(form, error, "password")
        else:
            if changed.id != current_user.id:
                flash(f"{changed.email} has a new password; tell them through a channel you trust.", "success")
            else:
                login_user(changed)  # this browser stays signed in; the user's other sessions have ended
                flash("Your password is changed; you are signed out everywhere else.", "success")
            return redirect(url_for("web.user_list"))
    return render_template("user_password.html", form=form, user=user)
