"""First-run setup, login and logout; every other page of the UI needs a login."""

import hmac
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from ..accounts import users
from ..accounts.permissions import Role
from ..context import for_operator, for_request
from ..domain.models import User
from ..errors import CodeQRError
from ..operations.local_requests import from_this_machine
from ..persistence.extensions import login_manager
from ..state import app_state
from . import bp
from .forms import ConfirmForm, LoginForm, OwnPasswordForm, SetupForm, show_error

_OPEN_ENDPOINTS = {"web.setup", "web.login", "web.index"}


def open_to_everyone(view):
    """Let ``view`` be used without signing in (it must be registered on the blueprint)."""
    _OPEN_ENDPOINTS.add(f"web.{view.__name__}")
    return view

#: The views that check a password, each with its page and an empty form: what a
#: refused attempt (too many) is shown, without the view running.
SIGN_IN_PAGES = {
    "web.login": lambda: render_template("login.html", form=LoginForm(formdata=None)),
    "web.setup": lambda: render_template("setup.html", form=SetupForm(formdata=None)),
    "web.account_password": lambda: render_template("account_password.html", form=OwnPasswordForm(formdata=None)),
}


@login_manager.user_loader
def load_user(user_id: str):
    return users.get(user_id)


@bp.before_request
def require_login():
    if request.endpoint not in _OPEN_ENDPOINTS and not current_user.is_authenticated:
        return redirect(url_for("web.index" if not users.has_users() else "web.login", next=request.full_path))
    return None


@bp.get("/")
def index():
    state = app_state()
    host = request.host.lower()
    kept = state.served_domains.of(state.hosts.get(host) or host)
    # A domain whose root goes elsewhere (``domain.domains``) sends visitors there; people signed
    # in (the UI may live on that domain) go on to their QR Codes.
    if kept is not None and kept.target is not None and not current_user.is_authenticated:
        return redirect(kept.target)
    if not users.has_users():
        return redirect(url_for("web.setup"))
    if not current_user.is_authenticated:
        return redirect(url_for("web.login"))
    return redirect(url_for("web.qrcode_list"))


#: What a visitor from elsewhere is told while there is no account.
SETUP_REFUSED = ("CodeQR has no account yet, and its first account can only be made from the server itself: "
                 "run 'codeqr create-user YOUR-EMAIL' there, or open this page in a browser on the server. "
                 "To open it from elsewhere, set CODEQR_SETUP_TOKEN and use the link CodeQR prints when it starts.")


def may_set_up() -> bool:
    """Whether this request may make the first account: from this machine, or with the
    setup token. Otherwise the first visitor of a fresh server would become its admin.
    With CODEQR_PROXY_FIX set every request may have come through a proxy, one that adds
    no X-Forwarded-For too: none counts as this machine's."""
    if from_this_machine(request) and not current_app.config["CODEQR_PROXY_FIX"]:
        return True
    token = current_app.config["CODEQR_SETUP_TOKEN"]
    given = request.args.get("token", "")
    return bool(token) and hmac.compare_digest(given.encode(), token.encode())


def sign_in_after(form: FlaskForm, act: Callable[[], User], error_field: str, done: str) -> Response | None:
    """On a valid submission of ``form``, run ``act`` and sign its user in on this browser,
    saying ``done``: the redirect to the list. None (show the form again) when the form is not
    submitted or invalid, or ``act`` refuses (its problems then sit beside their fields, or
    ``error_field``)."""
    if not form.validate_on_submit():
        return None
    try:
        user = act()
    except CodeQRError as error:
        show_error(form, error, error_field)
        return None
    login_user(user)
    flash(done, "success")
    return redirect(url_for("web.qrcode_list"))


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    """Create the first (admin) account; gone once anyone exists."""
    if users.has_users():
        return redirect(url_for("web.login"))
    if not may_set_up():
        abort(403, description=SETUP_REFUSED)
    form = SetupForm()
    # The operator's act: only this machine or the setup token get here (may_set_up).
    signed_in = sign_in_after(form, lambda: users.create(form.email.data or "", form.password.data or "",
                                                         role=Role.ADMIN, ctx=for_operator()),
                              "email", "Welcome to CodeQR: your admin account is ready.")
    return signed_in or render_template("setup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if not users.has_users():
        return redirect(url_for("web.setup"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = users.authenticate(form.email.data, form.password.data)
        except CodeQRError as error:
            flash(error.sentence, "error")
            return render_template("login.html", form=form)
        if user is None:
            flash("Wrong email or password.", "error")
        else:
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", form=form)


@bp.post("/logout")
def logout():
    if ConfirmForm().validate_on_submit():
        # A copy of the session cookie (another browser, a stolen one) ends too.
        users.end_sessions(for_request())
        logout_user()
        flash("You are signed out.", "success")
    return redirect(url_for("web.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def account_password():
    """Change one's own password: this browser stays signed in, every other session ends."""
    form = OwnPasswordForm()
    signed_in = sign_in_after(form, lambda: users.change_own_password(form.current_password.data or "",
                                                                      form.password.data or "", for_request()),
                              "password", "Your password is changed; you are signed out everywhere else.")
    return signed_in or render_template("account_password.html", form=form)


def safe_next(target: str | None) -> str:
    """Only follow a ``next`` that is a path on this site. Browsers drop tabs and line
    breaks from a URL and read ``\\`` as ``/`` (``next=/%09/evil.example`` would
    lead to ``//evil.example``), so a target with a control character, a space or a backslash
    is refused outright; what is left must be a path with neither scheme nor host."""
    if not target or any(char <= " " or char in "\x7f\\" for char in target):
        return url_for("web.qrcode_list")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("web.qrcode_list")
    return target
