"""The s3 storage on a real S3-compatible server (SeaweedFS): redirects, outages, recovery, config."""

import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from codeqr import StorageUnavailable
from codeqr.accounts import apikeys
from codeqr.context import for_operator
from decode import decode
from s3server import BUCKET, SeaweedServer


def _api_headers(app) -> dict:
    with app.app_context():
        _, secret = apikeys.create("s3-tests", ctx=for_operator())
    return {"Authorization": f"Bearer {secret}"}


def _create(app, headers, url="https://example.com/s3") -> dict:
    response = app.test_client().post("/api/qrcodes", json={"url": url}, headers=headers)
    assert response.status_code == 201, response.data
    return response.get_json()


@pytest.mark.s3
def test_redirect_mode_answers_302_to_a_presigned_url(make_app, s3_server, s3_settings):
    app = make_app(**s3_settings, CODEQR_S3_SERVE="redirect", CODEQR_S3_PRESIGN_SECONDS=120)
    client = app.test_client()
    qr = _create(app, _api_headers(app))

    first = {}
    for fmt, media_type in (("png", "image/png"), ("svg", "image/svg+xml")):
        response = first[fmt] = client.get(f"/qr/{qr['id']}.{fmt}")
        assert response.status_code == 302
        location = response.headers["Location"]
        assert location.startswith(f"{s3_server.endpoint_url}/{BUCKET}/{s3_settings['CODEQR_S3_PREFIX']}")
        assert "X-Amz-Signature=" in location and "X-Amz-Expires=120" in location
        assert response.headers["Cache-Control"] == "no-store"  # the URL expires: never cache the redirect
        with urllib.request.urlopen(location, timeout=10) as fetched:
            assert fetched.headers["Content-Type"] == media_type
            data = fetched.read()
        assert decode(data, media_type) == [qr["shortLink"]]

    # A second request redirects to the same stored object, and 304 still works.
    again = client.get(f"/qr/{qr['id']}.png")
    assert again.status_code == 302 and again.headers["ETag"] == first["png"].headers["ETag"]
    assert urlsplit(again.headers["Location"]).path == urlsplit(first["png"].headers["Location"]).path
    assert client.get(f"/qr/{qr['id']}.png", headers={"If-None-Match": again.headers["ETag"]}).status_code == 304

    # The server checks the signature: a tampered URL is refused.
    tampered = again.headers["Location"].replace("X-Amz-Signature=", "X-Amz-Signature=0")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(tampered, timeout=10)
    assert refused.value.code == 403


@pytest.mark.s3
def test_proxy_mode_stores_with_the_media_type(make_app, s3_server, s3_settings):
    app = make_app(**s3_settings)
    qr = _create(app, _api_headers(app))
    response = app.test_client().get(f"/qr/{qr['id']}.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    key = s3_settings["CODEQR_S3_PREFIX"] + response.headers["ETag"].strip('"') + ".svg"
    head = s3_server.client().head_object(Bucket=BUCKET, Key=key)
    assert head["ContentType"] == "image/svg+xml"
    assert head["ContentLength"] == len(response.data)


@pytest.mark.s3
@pytest.mark.parametrize("serve", ["proxy", "redirect"])
def test_storage_down_answers_503_then_recovers_without_restart(make_app, s3_server, tmp_path, serve):
    # A server of its own: stopping the session's server would break the other tests.
    server = SeaweedServer(s3_server.executable, tmp_path / "weed")
    server.start()
    try:
        app = make_app(**server.settings(CODEQR_S3_SERVE=serve, CODEQR_S3_TIMEOUT_SECONDS=2))
        client = app.test_client()
        headers = _api_headers(app)
        qr = _create(app, headers)
        before = client.get(f"/qr/{qr['id']}.png")
        assert before.status_code == (302 if serve == "redirect" else 200)

        server.stop()
        down = client.get(f"/qr/{qr['id']}.png")
        assert down.status_code == 503
        assert down.mimetype == "text/html"  # image routes answer a page, not the API's JSON
        assert b"Temporarily unavailable" in down.data
        with app.app_context(), pytest.raises(StorageUnavailable, match="S3 storage: get .* failed"):
            app.extensions["codeqr"].images.storage.get("0123abcd.png")
        # The API does not need the storage: it keeps working, in its own error shape.
        assert client.get(f"/api/qrcodes/{qr['id']}", headers=headers).status_code == 200
        missing = client.get("/api/qrcodes/cmissing0000000000000000", headers=headers)
        assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"

        server.start()  # same ports, same data folder; the app is not rebuilt
        after = client.get(f"/qr/{qr['id']}.png")
        if serve == "redirect":
            assert after.status_code == 302
            with urllib.request.urlopen(after.headers["Location"], timeout=10) as fetched:
                assert decode(fetched.read(), "image/png") == [qr["shortLink"]]
        else:
            assert after.status_code == 200 and after.data == before.data
    finally:
        server.stop()


@pytest.mark.s3
def test_server_errors_are_not_taken_for_missing_images(make_app, s3_server, s3_settings):
    wrong_bucket = make_app(**{**s3_settings, "CODEQR_S3_BUCKET": "no-such-bucket"}).extensions["codeqr"].images.storage
    with pytest.raises(StorageUnavailable, match="NoSuchBucket"):
        wrong_bucket.get("0123abcd.png")
    wrong_secret = make_app(**{**s3_settings, "CODEQR_S3_SECRET_ACCESS_KEY": "wrong"}).extensions["codeqr"].images.storage
    for call in (lambda: wrong_secret.get("0123abcd.png"), lambda: wrong_secret.put("0123abcd.png", b"x"),
                 lambda: wrong_secret.delete("0123abcd.png")):
        with pytest.raises(StorageUnavailable, match="SignatureDoesNotMatch"):
            call()


@pytest.mark.s3
def test_start_up_needs_no_server(make_app, s3_server):
    closed = SeaweedServer(s3_server.executable, s3_server.folder / "never-started")
    app = make_app(**closed.settings(CODEQR_S3_TIMEOUT_SECONDS=1))
    qr = _create(app, _api_headers(app))
    assert app.test_client().get(f"/qr/{qr['id']}.png").status_code == 503


@pytest.mark.parametrize("settings, named", [
    ({"CODEQR_STORAGE": "s3"}, "CODEQR_S3_BUCKET"),
    ({"CODEQR_STORAGE": "s3", "CODEQR_S3_BUCKET": "b", "CODEQR_S3_SERVE": "stream"}, "CODEQR_S3_SERVE"),
    ({"CODEQR_STORAGE": "s3", "CODEQR_S3_BUCKET": "b", "CODEQR_S3_ACCESS_KEY_ID": "k"}, "CODEQR_S3_SECRET_ACCESS_KEY"),
    ({"CODEQR_STORAGE": "s3", "CODEQR_S3_BUCKET": "b", "CODEQR_S3_PRESIGN_SECONDS": 0}, "CODEQR_S3_PRESIGN_SECONDS"),
    ({"CODEQR_STORAGE": "s3", "CODEQR_S3_BUCKET": "b", "CODEQR_S3_PRESIGN_SECONDS": 8 * 86400},
     "CODEQR_S3_PRESIGN_SECONDS"),
    ({"CODEQR_STORAGE": "s3", "CODEQR_S3_BUCKET": "b", "CODEQR_S3_TIMEOUT_SECONDS": "soon"},
     "CODEQR_S3_TIMEOUT_SECONDS"),
])
def test_bad_configuration_stops_the_app(make_app, settings, named):
    with pytest.raises(RuntimeError, match=named):
        make_app(**settings)


def test_s3_settings_are_ignored_by_other_storages(make_app):
    assert make_app(CODEQR_S3_SERVE="stream").extensions["codeqr"].images.storage.name == "filesystem"
