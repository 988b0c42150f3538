"""A test client of the web UI: the CSRF token a page holds, and the first (admin) user set up."""

import re

#: The password of the admin the web tests set up.
PASSWORD = "correct horse battery"
#: In mixed case on purpose: test_web signs in again as "admin@example.com" and "ADMIN@example.com".
ADMIN_EMAIL = "Admin@Example.com"


def csrf_of(client, path) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True))
    return match.group(1)


def signed_in(app):
    """A test client of ``app`` signed in as the first (admin) user, made on the setup page."""
    client = app.test_client()
    token = csrf_of(client, "/setup")
    response = client.post("/setup", data={"email": ADMIN_EMAIL, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client
