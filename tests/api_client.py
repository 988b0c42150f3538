"""A test client that authenticates to the JSON API."""


def authorized_client(app, api_key: str):
    """A test client of ``app`` that sends ``api_key`` as its bearer token with every request."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_key}"
    return client
