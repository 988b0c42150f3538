"""A QR Code's design is one versioned value: stored as one JSON column, hashed whole."""

import json
from typing import Literal, get_args, get_origin

from pydantic import BaseModel
from sqlalchemy import text

from codeqr import db
from codeqr.domain.rendering import Picture, design_hash
from codeqr.domain.schemas import Design, bounds_of, ui_of, value_type
from codeqr.persistence.extensions import alembic
from schema_versions import downgrade_schema

LINK = "https://go.example.org/k1"
#: The design fields added with per-code designs: at their defaults unless sent.
DESIGN_22 = ("logo", "width", "height", "excavate", "pattern", "shape", "eye_shape", "eye_color", "fg_gradient", "frame",
             "frame_color", "frame_text", "frame_text_color", "frame_text_styles")
NESTED_EXAMPLES = {"fg_gradient": {"colors": ["#000000", "#1d4ed8"]}, "frame_text_styles": {"weight": "bold"}}
PLAIN = Design(bg_color="#ffffff", fg_color="#000000", size=1024, level="M", margin=4, show_logo=False)


def _another_value(name: str, value):
    """A value of the Design field ``name`` other than ``value``, found from its schema."""
    info = Design.model_fields[name]
    kind = value_type(info)
    if kind is bool:
        return not value
    if kind is int:
        if value is None:
            return bounds_of(info).get("ge", 0) + 1
        return value - 1 if value == bounds_of(info).get("le") else value + 1
    if get_origin(kind) is Literal:
        return next((other for other in get_args(kind) if other != value), value + 1 if isinstance(value, int) else None)
    if ui_of(info).widget == "color":
        return "#123456" if value != "#123456" else "#654321"
    if kind is str:
        return "another" if value != "another" else "other"
    if isinstance(kind, type) and issubclass(kind, BaseModel):  # nested values: a valid one unlike the default
        return kind.model_validate(NESTED_EXAMPLES[name]) if value is None else None
    raise AssertionError(f"this test knows no other value for the Design field {name!r}: teach it one")


def test_every_design_field_changes_the_image_hash(app):
    images = app.extensions["codeqr"].images
    renderer, overlay = images.renderers["png"], images.overlay
    logo = PLAIN.model_copy(update={"show_logo": True, "level": "H"})
    for design in (PLAIN, logo):
        base = design_hash(Picture(LINK, design), renderer, overlay)
        for name in Design.model_fields:
            changed = design.model_copy(update={name: _another_value(name, getattr(design, name))})
            assert design_hash(Picture(LINK, changed), renderer, overlay) != base, name


def test_the_hash_covers_the_encoded_text_and_the_renderers_version(app):
    images = app.extensions["codeqr"].images
    renderer = images.renderers["png"]
    newer = type("NewerPng", (type(renderer),), {"version": renderer.version + ".1"})(renderer.config)
    base = design_hash(Picture(LINK, PLAIN), renderer, None)
    assert design_hash(Picture(LINK + "x", PLAIN), renderer, None) != base
    assert design_hash(Picture(LINK, PLAIN), newer, None) != base
    assert design_hash(Picture(LINK, Design(**PLAIN.model_dump())), renderer, None) == base  # equal designs, one name


def test_the_design_is_stored_as_one_versioned_json_value(app, api):
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/", "fgColor": "#1D4ED8", "showLogo": True}).get_json()
    with app.app_context():
        stored = db.session.execute(text("SELECT design FROM qrcodes WHERE id = :id"), {"id": qr["id"]}).scalar_one()
        db.session.remove()
    stored = stored if isinstance(stored, dict) else json.loads(stored)  # SQLite answers the text
    assert stored == {"version": 1, "bg_color": "#ffffff", "fg_color": "#1d4ed8", "size": 1024, "level": "H",
                      "margin": 4, "show_logo": True} | {name: Design.model_fields[name].default for name in DESIGN_22}


def test_migration_0009_keeps_every_design_down_and_up_again(app, api):
    bodies = [{"url": "https://example.com/a"},
              {"url": "https://example.com/b", "fgColor": "#7c2d12", "bgColor": "#fef3c7", "size": 333, "level": "Q",
               "margin": 0, "showLogo": True}]
    made = [api.post("/api/qrcodes", json=body).get_json() for body in bodies]
    with app.app_context():
        downgrade_schema("0008")
        columns = db.session.execute(text("SELECT bg_color, fg_color, size, level, margin, show_logo FROM qrcodes "
                                          "WHERE id IN (:a, :b) ORDER BY url"),
                                     {"a": made[0]["id"], "b": made[1]["id"]}).all()
        assert [tuple(row) for row in columns] == [("#ffffff", "#000000", 1024, "M", 4, False),
                                                   ("#fef3c7", "#7c2d12", 333, "Q", 0, True)]
        db.session.remove()
        alembic.upgrade()
        db.session.remove()
    for before in made:
        after = api.get(f"/api/qrcodes/{before['id']}").get_json()
        assert after == before


def test_a_row_written_before_a_design_field_existed_reads_its_default(app, api):
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/", "margin": 9}).get_json()
    with app.app_context():
        db.session.execute(text("UPDATE qrcodes SET design = :design WHERE id = :id"), {
            "id": qr["id"], "design": json.dumps({"version": 1, "bg_color": "#ffffff", "fg_color": "#000000",
                                                  "size": 1024, "level": "M", "show_logo": False})})
        db.session.commit()
    assert api.get(f"/api/qrcodes/{qr['id']}").get_json()["margin"] == 4
