"""The API's documentation page: Swagger UI served from the package, so the page asks no
other site for anything (scripts, styles, favicon, validator) and works offline.

``static/swagger-ui-bundle.js`` and ``swagger-ui.css`` are swagger-ui-dist 5.36.0 from the npm
registry (``npm pack swagger-ui-dist@5.36.0``), unchanged, with its LICENSE and NOTICE."""

from flask import Blueprint, current_app, render_template

bp = Blueprint("api_docs", __name__)


@bp.get("/api/docs")
def docs():
    return render_template("api_docs.html", title=current_app.title, version=current_app.version)
