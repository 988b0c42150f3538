"""Light, dark or automatic (the device's choice): remembered in a cookie, so every
page is drawn in it from the first paint, with or without the page's script."""

from flask import redirect, request

from . import bp
from .account import open_to_everyone, safe_next

THEMES = {"auto": "Automatic", "light": "Light", "dark": "Dark"}
_COOKIE = "codeqr_theme"
_A_YEAR = 365 * 24 * 3600


@bp.app_context_processor
def _theme() -> dict:
    chosen = request.cookies.get(_COOKIE)
    return {"theme": chosen if chosen in THEMES else "auto", "themes": THEMES}


@open_to_everyone
@bp.post("/theme")
def set_theme():
    """Remember the theme chosen (the app's CSRF protection has checked the form's token)."""
    response = redirect(safe_next(request.form.get("next")), code=303)
    if request.form.get("theme") in THEMES:
        response.set_cookie(_COOKIE, request.form["theme"], max_age=_A_YEAR, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    return response
