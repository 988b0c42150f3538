"""Review of issue 22's designs: what hostile inputs and races found (each test failed
before its fix), and what a broken design must answer."""

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from codeqr.context import for_operator
from codeqr.design import templates
from codeqr.domain import field_checks
from codeqr.domain.models import QRCode
from codeqr.errors import Conflict
from codeqr.persistence.extensions import db

URL = "https://example.com/review"


def _logo_uri() -> str:
    out = io.BytesIO()
    Image.new("RGBA", (64, 64), (200, 0, 0, 255)).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def decodes(monkeypatch):
    """Whether each scan check (``verify``) ran inside a write transaction: the real
    decode runs, only the moment is noted."""
    seen: list[bool] = []
    real = field_checks.verify

    def noting(*args, **kwargs):
        seen.append(bool(db.session.info.get("codeqr_writing")))
        return real(*args, **kwargs)

    monkeypatch.setattr(field_checks, "verify", noting)
    return seen


@pytest.mark.parametrize("existing", [False, True], ids=["creates", "updates"])
def test_an_upsert_decodes_its_image_before_its_write_transaction(api, decodes, existing):
    if existing:
        assert api.put("/api/qrcodes/upsert", json={"url": URL}).status_code == 201
        decodes.clear()
    response = api.put("/api/qrcodes/upsert", json={"url": URL, "pattern": "dots", "size": 600})
    assert response.status_code == (200 if existing else 201), response.get_json()
    assert decodes and not any(decodes)  # decoded, and never while every writer waits


def test_an_upsert_refuses_a_design_that_does_not_scan(api):
    response = api.put("/api/qrcodes/upsert", json={"url": URL, "fgColor": "#fefefe"})
    assert response.status_code == 422 and response.get_json()["error"]["errors"][0]["field"] == "fgColor"
    api.put("/api/qrcodes/upsert", json={"url": URL})
    response = api.put("/api/qrcodes/upsert", json={"url": URL, "fgColor": "#fefefe"})
    assert response.status_code == 422 and response.get_json()["error"]["errors"][0]["field"] == "fgColor"


def test_the_default_is_never_a_qr_code_that_stopped_being_a_template(app, api, monkeypatch):
    """``set_default`` checks the template, then writes: a template un-marked in between
    (another request) must not become the default."""
    template = api.post("/api/qrcodes", json={"url": URL, "useAsTemplate": True}).get_json()
    assert api.patch(f"/api/qrcodes/{template['id']}", json={"useAsTemplate": False}).status_code == 200
    monkeypatch.setattr(templates, "problems", lambda *args, **kwargs: [])  # as the check saw it before
    with app.app_context():
        with pytest.raises(Conflict):
            templates.set_default(template["id"], for_operator(app))
        assert not db.session.get(QRCode, template["id"]).default_template


@pytest.mark.parametrize("fmt", ["png", "svg", "jpg", "webp", "pdf", "eps"])
def test_a_logo_missing_from_storage_is_a_503_not_a_500(app, api, client, fmt):
    qr = api.post("/api/qrcodes", json={"url": URL, "logo": _logo_uri(), "pattern": "rounded"}).get_json()
    root = Path(app.config["CODEQR_STORAGE_PATH"])
    for file in root.rglob("*"):
        if file.is_file():
            file.unlink()  # the logo and any image drawn with it
    response = client.get(f"/qr/{qr['id']}.{fmt}")
    assert response.status_code == 503, response.get_data(as_text=True)[:300]


def test_an_import_row_decodes_its_image_before_its_write_transaction(app, decodes):
    from codeqr.jobs import csv_import

    joined = []
    with app.app_context():
        # As ``run`` calls it: the job's progress joins the row's write transaction.
        csv_import.import_row({"url": URL, "pattern": "dots"}, ctx=for_operator(app),
                              within=lambda outcome: joined.append((outcome, db.session.info.get("codeqr_writing"))))
    assert decodes and not any(decodes)
    assert joined == [("created", True)]  # the progress commits with the row, inside its transaction


def _svg_uri(body: str, defs: str = "") -> str:
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><defs>{defs}</defs>{body}</svg>'
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _deep(kind: str, n: int) -> str:
    """An SVG logo ``n`` levels deep: groups nested, ``<use>`` chained, patterns chained,
    patterns chained through a style sheet."""
    if kind == "groups":
        return _svg_uri("<g>" * n + '<rect width="5" height="5"/>' + "</g>" * n)
    if kind == "uses":
        return _svg_uri(f'<use href="#l{n - 1}"/>', '<rect id="l0" width="5" height="5"/>'
                        + "".join(f'<g id="l{i}"><use href="#l{i - 1}"/></g>' for i in range(1, n)))
    pattern = '<pattern id="p{i}" width="1" height="1"><rect {link} width="1" height="1"/></pattern>'
    if kind == "patterns":
        return _svg_uri(f'<rect width="10" height="10" fill="url(#p{n - 1})"/>', "".join(
            pattern.format(i=i, link=f'fill="url(#p{i - 1})"' if i else "") for i in range(n)))
    sheet = "<style>" + "".join(f".c{i}{{fill:url(#p{i})}}" for i in range(n)) + "</style>"
    return _svg_uri(f'<rect class="c{n - 1}" width="10" height="10"/>', sheet + "".join(
        pattern.format(i=i, link=f'class="c{i - 1}"' if i else "") for i in range(n)))


@pytest.mark.parametrize("kind", ["groups", "uses", "patterns", "style sheet"])
def test_an_svg_logo_nested_hundreds_deep_is_refused_not_a_crashed_process(api, kind):
    """resvg recurses into each level and overflows its stack (a segfault: the worker dies)."""
    response = api.post("/api/qrcodes", json={"url": URL, "logo": _deep(kind, 400)})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]["errors"][0]
    assert error["field"] == "logo" and "levels deep" in error["message"]


def test_an_svg_logo_a_few_levels_deep_with_css_gradients_is_taken(api):
    gradients = "".join(f'<linearGradient id="g{i}"><stop offset="0"/><stop offset="1" stop-color="#b00"/>'
                        f"</linearGradient>" for i in range(40))
    sheet = "<style>" + "".join(f".c{i}{{fill:url(#g{i})}}" for i in range(40)) + "</style>"
    body = "<g>" * 20 + "".join(f'<rect class="c{i}" x="{i % 10}" width="1" height="10"/>' for i in range(40)) + \
        "</g>" * 20 + f'<use href="#u"/><g id="u">{"<g>" * 10}<rect width="3" height="3"/>{"</g>" * 10}</g>'
    response = api.post("/api/qrcodes", json={"url": URL, "logo": _svg_uri(body, sheet + gradients)})
    assert response.status_code == 201, response.get_json()
