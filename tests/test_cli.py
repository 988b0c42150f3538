"""The codeqr command: API keys, plugins, migrations."""

import re

from codeqr.domain.ids import hash_secret
from codeqr.domain.models import ApiKey
from codeqr.persistence.extensions import db


def test_create_api_key_prints_it_once_and_stores_only_its_hash(app, runner, client):
    result = runner.invoke(args=["create-api-key", "ci"])
    assert result.exit_code == 0
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("cqr_") and len(secret) > 40
    with app.app_context():
        stored = db.session.scalars(db.select(ApiKey)).all()
        assert [(key.name, key.secret_hash) for key in stored] == [("ci", hash_secret(secret))]
        assert secret not in repr([vars(key) for key in stored])
    assert client.get("/api/qrcodes", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_revoke_and_list_api_keys(app, runner, client):
    assert runner.invoke(args=["list-api-keys"]).output == "No API keys. Make one with: codeqr create-api-key NAME\n"
    secret = runner.invoke(args=["create-api-key", "old"]).output.strip().splitlines()[-1]
    assert _table(runner.invoke(args=["list-api-keys"]).output) == [
        {"NAME": "old", "PREFIX": secret[:12] + "…", "SCOPE": "all", "OWNER": "-", "CREATED": _today(),
         "LAST USED": "never", "STATE": "active"}]
    result = runner.invoke(args=["revoke-api-key", "old"])
    assert result.exit_code == 0 and "Revoked 1 API key" in result.output
    assert client.get("/api/qrcodes", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert _table(runner.invoke(args=["list-api-keys"]).output)[0]["STATE"] == f"revoked {_today()}"
    missing = runner.invoke(args=["revoke-api-key", "old"])
    assert missing.exit_code != 0 and "no active API key" in missing.output


def _today() -> str:
    from datetime import UTC, datetime

    return f"{datetime.now(UTC):%Y-%m-%d}"


def _table(output: str) -> list[dict]:
    """Rows of a listing with a header row, read by the columns the header's names begin."""
    header, *lines = output.splitlines()
    names = re.findall(r"\S+(?: \S+)*", header)  # names are split by two spaces or more
    starts = [header.index(name) for name in names]
    ends = starts[1:] + [None]
    return [{name: line[start:end].strip() for name, start, end in zip(names, starts, ends)} for line in lines]


def test_list_api_keys_has_a_header_over_aligned_columns(runner):
    for name, scope in (("a much longer name than the header", "read_only"), ("ci", "all")):
        assert runner.invoke(args=["create-api-key", name, "--scope", scope]).exit_code == 0
    rows = _table(runner.invoke(args=["list-api-keys"]).output)
    assert {(row["NAME"], row["SCOPE"], row["STATE"]) for row in rows} == {
        ("a much longer name than the header", "read_only", "active"), ("ci", "all", "active")}


def test_create_api_key_refuses_an_empty_name(runner):
    result = runner.invoke(args=["create-api-key", "  "])
    assert result.exit_code != 0 and "name" in result.output


def test_plugins_lists_name_version_and_hooks(runner):
    lines = runner.invoke(args=["plugins"]).output.splitlines()
    rows = {line.split(" ", 1)[0]: line for line in lines}
    assert set(rows) >= {"png", "svg", "logo", "filesystem", "database"}
    assert "codeqr_register_renderers" in rows["png"]
    assert "codeqr_register_storages" in rows["database"] and "codeqr_migration_locations" in rows["database"]
    assert rows["png"].split(" ")[1].rstrip(":")[0].isdigit()


def test_db_upgrade_is_idempotent(app, runner):
    with app.app_context():  # the codeqr command (a FlaskGroup) pushes one itself
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert runner.invoke(args=["db", "current"]).exit_code == 0


def test_the_help_shows_what_an_operator_uses(runner):
    from codeqr.commandline.cli import main

    top = runner.invoke(main, ["--help"]).output
    assert "--env-file" not in top and "--app" not in top and "limiter" not in top
    assert "create-api-key" in top and "db" in top
    db = runner.invoke(args=["db", "--help"]).output
    assert "upgrade" in db and "current" in db
    assert not {"revision", "downgrade", "merge", "stamp"} & set(db.split())
    assert runner.invoke(main, ["db", "heads"]).exit_code == 0  # unlisted, still there for developers


def test_two_active_keys_of_one_owner_cannot_share_a_name(runner):
    assert runner.invoke(args=["create-api-key", "ci"]).exit_code == 0
    again = runner.invoke(args=["create-api-key", "ci"])
    assert again.exit_code != 0 and "already an active key named 'ci'" in again.output
    assert runner.invoke(args=["revoke-api-key", "ci"]).exit_code == 0
    assert runner.invoke(args=["create-api-key", "ci"]).exit_code == 0  # a revoked key frees its name


def test_the_unique_index_holds_when_the_check_is_raced(app):
    import pytest
    from sqlalchemy.exc import IntegrityError

    from codeqr.domain.models import ApiKey

    with app.app_context():
        for n in range(2):
            db.session.add(ApiKey(name="raced", prefix=f"p{n}", secret_hash=f"h{n}"))
        with pytest.raises(IntegrityError):
            db.session.commit()


def test_migration_0007_renames_active_duplicates_and_keeps_them_working(make_app):
    from sqlalchemy import text

    from schema_versions import migrate_from

    app = make_app()
    with app.app_context():
        migrate_from(
            "0006",
            "INSERT INTO api_keys (id, name, prefix, secret_hash, scope, created_at, revoked_at) VALUES "
            "(1, 'zap', 'p1', 'h1', 'all', '2026-01-01', NULL), (2, 'zap', 'p2', 'h2', 'all', '2026-01-02', NULL), "
            "(3, 'zap', 'p3', 'h3', 'all', '2026-01-03', '2026-01-04'), "
            "(4, 'zap', 'p4', 'h4', 'all', '2026-01-05', NULL)")
        names = dict(db.session.execute(text("SELECT id, name FROM api_keys ORDER BY id")).all())
        assert names == {1: "zap", 2: "zap (2)", 3: "zap", 4: "zap (4)"}
        db.session.remove()
