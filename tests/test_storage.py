"""One contract every storage backend keeps, run against each registered backend."""

import pytest

from codeqr import StorageUnavailable, pluginmanager
from codeqr.context import for_operator

BACKENDS = ["filesystem", "database", "s3"]


def test_every_registered_storage_is_tested(app):
    assert set(pluginmanager.storages(app.extensions["codeqr"].pm)) == set(BACKENDS)


@pytest.fixture(params=[pytest.param(name, marks=pytest.mark.s3) if name == "s3" else name for name in BACKENDS])
def storage_app(request, make_app):
    if request.param == "s3":
        return make_app(**request.getfixturevalue("s3_settings"))
    return make_app(CODEQR_STORAGE=request.param)


def test_storage_contract(storage_app):
    storage = storage_app.extensions["codeqr"].images.storage
    with storage_app.app_context():
        assert storage.get("0123abcd.png") is None
        storage.put("0123abcd.png", b"\x89PNG first")
        assert storage.get("0123abcd.png") == b"\x89PNG first"
        storage.put("0123abcd.svg", b"<svg/>")
        assert storage.get("0123abcd.svg") == b"<svg/>"
        storage.put("0123abcd.png", b"\x89PNG first")  # same name again: content-addressed, no error
        assert storage.get("0123abcd.png") == b"\x89PNG first"
        storage.delete("0123abcd.png")
        assert storage.get("0123abcd.png") is None
        storage.delete("0123abcd.png")  # deleting a missing name is fine
        assert storage.get("0123abcd.svg") == b"<svg/>"
        big = bytes(range(256)) * 40_000
        storage.put("ffff.png", big)
        assert storage.get("ffff.png") == big


def test_storage_keeps_files_and_opens_them(storage_app, tmp_path):
    """put_file / open, as exports use them: the whole file back, seekable."""
    storage = storage_app.extensions["codeqr"].images.storage
    source = tmp_path / "export.zip"
    content = bytes(range(256)) * 30_000  # 7.7 MB: S3 uploads it in parts
    source.write_bytes(content)
    with storage_app.app_context():
        assert storage.open("export-abc.zip") is None
        storage.put_file("export-abc.zip", str(source))
        with storage.open("export-abc.zip") as handle:
            assert handle.read() == content
            handle.seek(1000)
            assert handle.read(3) == content[1000:1003]
        storage.delete("export-abc.zip")
        assert storage.open("export-abc.zip") is None


def test_images_are_served_from_each_storage(storage_app):
    from codeqr.accounts import apikeys

    client = storage_app.test_client()
    with storage_app.app_context():
        _, secret = apikeys.create("t", ctx=for_operator())
    headers = {"Authorization": f"Bearer {secret}"}
    qr = client.post("/api/qrcodes", json={"url": "https://example.com/"}, headers=headers).get_json()
    first = client.get(f"/qr/{qr['id']}.png")
    name = first.headers["ETag"].strip('"') + ".png"
    with storage_app.app_context():
        assert storage_app.extensions["codeqr"].images.storage.get(name) == first.data
    assert client.get(f"/qr/{qr['id']}.png").data == first.data
    client.delete(f"/api/qrcodes/{qr['id']}", headers=headers)
    with storage_app.app_context():
        assert storage_app.extensions["codeqr"].images.storage.get(name) is None


def test_filesystem_failure_is_reported_as_503(make_app, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the image folder should be")
    app = make_app(CODEQR_STORAGE_PATH=str(tmp_path / "images"))
    storage = app.extensions["codeqr"].images.storage
    storage.root = str(blocker)  # the disk goes away under a running app
    with pytest.raises(StorageUnavailable):
        storage.put("abcd.png", b"x")
    from codeqr.accounts import apikeys
    from codeqr.context import for_operator

    with app.app_context():
        _, secret = apikeys.create("t", ctx=for_operator())
    client = app.test_client()
    qr = client.post("/api/qrcodes", json={"url": "https://example.com/"},
                     headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert client.get(f"/qr/{qr['id']}.png").status_code == 503


def test_filesystem_refuses_names_that_leave_its_folder(make_app):
    storage = make_app().extensions["codeqr"].images.storage
    for name in ("../x.png", "a/b.png", ".hidden"):
        with pytest.raises(ValueError):
            storage.get(name)
