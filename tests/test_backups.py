"""codeqr backup / restore: a backup restored into a new instance has the same QR Codes,
scans, images and secret key; what cannot be restored is refused before anything changes."""

import tarfile

import pytest

from api_client import authorized_client
from codeqr.accounts import apikeys
from codeqr.context import for_operator

#: The backup holds a SQLite file; PostgreSQL is copied by pg_dump (the command says which).
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _instance(make_app, tmp_path, name):
    return make_app(INSTANCE_PATH=str(tmp_path / name), CODEQR_DATABASE_URL=None,
                    CODEQR_STORAGE_PATH=str(tmp_path / name / "images"))


@sqlite_only
def test_a_backup_restored_into_a_new_instance_has_the_same_codes_scans_images_and_secret(make_app, tmp_path):
    old = _instance(make_app, tmp_path, "old")
    with old.app_context():
        secret = apikeys.create("kept", ctx=for_operator())[1]
    api, client = authorized_client(old, secret), old.test_client()
    codes = [api.post("/api/qrcodes", json={"url": f"https://example.com/{n}", "showLogo": n == 1}).get_json()
             for n in range(3)]
    for qr in codes[:2]:
        client.get(f"/{qr['key']}")
    client.get(f"/{codes[0]['key']}")
    images = {qr["id"]: client.get(f"/qr/{qr['id']}.png").data for qr in codes}  # rendered and stored
    listed = api.get("/api/qrcodes?sort=createdAt&order=asc").get_json()

    archive = tmp_path / "backup.tar.gz"
    made = old.test_cli_runner().invoke(args=["backup", str(archive)])
    assert made.exit_code == 0, made.output
    assert "Backed up 3 QR Codes (3 scans), 3 images, the secret key" in made.output
    assert oct(archive.stat().st_mode & 0o777) == "0o600"  # it holds the secret key

    new = _instance(make_app, tmp_path, "new")
    restored = new.test_cli_runner().invoke(args=["restore", str(archive)])
    assert restored.exit_code == 0, restored.output
    assert "3 QR Codes, 3 scans, 3 images" in restored.output
    assert (tmp_path / "new" / "secret_key").read_text() == (tmp_path / "old" / "secret_key").read_text()
    # The stored images are back in the new storage, byte for byte, before anyone asks.
    assert sorted(p.read_bytes() for p in (tmp_path / "new" / "images").rglob("*.png")) == sorted(images.values())

    again = _instance(make_app, tmp_path, "new")  # the instance as its server starts it after the restore
    new_api = authorized_client(again, secret)  # keys are in the database: the old key works
    assert new_api.get("/api/qrcodes?sort=createdAt&order=asc").get_json() == listed
    for qr in codes:
        assert again.test_client().get(f"/qr/{qr['id']}.png").data == images[qr["id"]]
    assert again.test_client().get(f"/{codes[2]['key']}").status_code == 302
    assert new_api.get(f"/api/qrcodes/{codes[2]['id']}").get_json()["scans"] == 1


@sqlite_only
def test_a_backup_never_overwrites_and_a_restore_never_replaces_codes_unasked(make_app, tmp_path):
    app = _instance(make_app, tmp_path, "one")
    with app.app_context():
        authorized_client(app, apikeys.create("k", ctx=for_operator())[1]).post("/api/qrcodes", json={"url": "https://example.com/"})
    archive = tmp_path / "b.tar.gz"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    again = runner.invoke(args=["backup", str(archive)])
    assert again.exit_code != 0 and "exists already" in again.output
    refused = runner.invoke(args=["restore", str(archive)])
    assert refused.exit_code != 0 and "has QR Codes already" in refused.output
    assert runner.invoke(args=["restore", "--force", str(archive)]).exit_code == 0


@sqlite_only
def test_a_file_that_is_not_a_backup_is_refused_and_changes_nothing(make_app, tmp_path):
    app = _instance(make_app, tmp_path, "one")
    before = (tmp_path / "one" / "codeqr.db").read_bytes()
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    alien = tmp_path / "alien.tar.gz"
    with tarfile.open(alien, "w:gz") as archive:
        archive.add(junk, "manifest.json")
    hostile = tmp_path / "hostile.tar.gz"  # a real manifest, and an image named to escape the storage
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"format": 1, "database": "sqlite", "secretKey": false, "images": 1}')
    with tarfile.open(hostile, "w:gz") as archive:
        archive.add(manifest, "manifest.json")
        archive.add(junk, "codeqr.db")
        archive.add(junk, "images/../../secret_key")
    for source in (junk, alien, hostile):
        result = app.test_cli_runner().invoke(args=["restore", str(source)])
        assert result.exit_code != 0 and "is not a CodeQR backup" in result.output
    assert (tmp_path / "one" / "codeqr.db").read_bytes() == before


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_on_postgresql_the_commands_it_names_copy_the_database(make_app, tmp_path, postgres_database,
                                                               postgres_admin_url):
    import shlex
    import subprocess
    import uuid

    import psycopg

    old = make_app(CODEQR_DATABASE_URL=postgres_database)
    with old.app_context():
        secret = apikeys.create("kept", ctx=for_operator())[1]
    api = authorized_client(old, secret)
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/pg"}).get_json()
    old.test_client().get(f"/{qr['key']}")
    old.test_client().get(f"/qr/{qr['id']}.png")
    archive = tmp_path / "backup.tar.gz"
    made = old.test_cli_runner().invoke(args=["backup", str(archive)])
    assert made.exit_code == 0, made.output
    dump = made.output.strip().splitlines()[-1].strip()
    assert dump.startswith("pg_dump --format=custom --file=codeqr.pgdump ")
    subprocess.run(shlex.split(dump), cwd=tmp_path, check=True)

    name = f"codeqr_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"{postgres_admin_url.rsplit('/', 1)[0]}/{name}"
        new = make_app(CODEQR_DATABASE_URL=url, INSTANCE_PATH=str(tmp_path / "new"),
                       CODEQR_STORAGE_PATH=str(tmp_path / "new-images"))
        restored = new.test_cli_runner().invoke(args=["restore", str(archive)])
        assert restored.exit_code == 0, restored.output
        command = restored.output.strip().splitlines()[-1].strip()
        assert command.startswith("pg_restore --clean --if-exists --no-owner ")
        with new.app_context():
            from codeqr.persistence.extensions import db

            db.engine.dispose()
        subprocess.run(shlex.split(command), cwd=tmp_path, check=True)
        again = make_app(CODEQR_DATABASE_URL=url, INSTANCE_PATH=str(tmp_path / "new"),
                         CODEQR_STORAGE_PATH=str(tmp_path / "new-images"))
        copy = authorized_client(again, secret).get(f"/api/qrcodes/{qr['id']}").get_json()
        assert (copy["url"], copy["scans"]) == ("https://example.com/pg", 1)
        assert len(list((tmp_path / "new-images").rglob("*.png"))) == 1
    finally:
        with psycopg.connect(postgres_admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@sqlite_only
def test_a_backup_and_what_it_restores_are_their_owners_alone_and_counted_in_words(make_app, tmp_path):
    import stat

    old = _instance(make_app, tmp_path, "old")
    with old.app_context():
        api = authorized_client(old, apikeys.create("k", ctx=for_operator())[1])
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/one"}).get_json()
    old.test_client().get(f"/{qr['key']}")
    old.test_client().get(f"/qr/{qr['id']}.png")
    archive = tmp_path / "backup.tar.gz"
    made = old.test_cli_runner().invoke(args=["backup", str(archive)])
    assert made.output.splitlines()[-1] == f"Backed up 1 QR Code (1 scan), 1 image, the secret key to {archive}."
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as members:
        modes = {member.name: member.mode for member in members}
    assert set(modes) - {"codeqr.db", "secret_key", "manifest.json"} == {
        next(name for name in modes if name.startswith("images/"))}
    assert set(modes.values()) == {0o600}

    new = _instance(make_app, tmp_path, "new")
    restored = new.test_cli_runner().invoke(args=["restore", str(archive)])
    assert restored.exit_code == 0, restored.output
    assert restored.output.splitlines()[-1].endswith(": 1 QR Code, 1 scan, 1 image.")
    assert stat.S_IMODE((tmp_path / "new" / "codeqr.db").stat().st_mode) == 0o600
