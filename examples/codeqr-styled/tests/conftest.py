"""An app per style, built with ``codeqr.create_app`` on a temporary instance folder and SQLite file.

The plugin is not passed to the factory: it must arrive through its ``codeqr`` entry
point, as it does for users who ``pip install`` it.
"""

import pytest

import codeqr
from codeqr.accounts import apikeys
from codeqr.context import for_operator

TEST_DOMAIN = "localhost"


@pytest.fixture(scope="session")
def make_app(tmp_path_factory):
    """Return ``make(**settings)``: a new app with these settings over the test defaults."""
    apps = []

    def make(**settings):
        folder = tmp_path_factory.mktemp("instance")
        config = {
            "TESTING": True,
            "INSTANCE_PATH": str(folder),
            "CODEQR_DATABASE_URL": f"sqlite:///{folder / 'codeqr.db'}",
            "CODEQR_DEFAULT_DOMAIN": TEST_DOMAIN,
            "CODEQR_STORAGE_PATH": str(folder / "images"),
            **settings,
        }
        app = codeqr.create_app(config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            codeqr.db.engine.dispose()


class Api:
    """A test client of one app that sends an API key, and creates QR Codes."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        with app.app_context():
            _, secret = apikeys.create("t", ctx=for_operator())
        self.headers = {"Authorization": f"Bearer {secret}"}

    def create(self, **body) -> dict:
        response = self.client.post("/api/qrcodes", json={"url": "https://example.com/x", **body},
                                    headers=self.headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def image(self, qr: dict, fmt: str):
        response = self.client.get(f"/qr/{qr['id']}.{fmt}")
        assert response.status_code == 200, response.data[:200]
        return response


@pytest.fixture(scope="session")
def make_api(make_app):
    """Return ``make(**settings)``: an :class:`Api` on a new app with these settings."""
    return lambda **settings: Api(make_app(**settings))


@pytest.fixture(scope="session")
def styled_api(make_api):
    """Return ``api(modules, eyes, eye_color=None)``: one app per style, built once per session."""
    built = {}

    def api(modules: str, eyes: str, eye_color: str | None = None) -> Api:
        key = (modules, eyes, eye_color)
        if key not in built:
            built[key] = make_api(CODEQR_STYLED_MODULES=modules, CODEQR_STYLED_EYES=eyes,
                                  CODEQR_STYLED_EYE_COLOR=eye_color)
        return built[key]

    return api
