"""A test client that authenticates to the JSON API."""


def authorized_client(app, api_key: str):
    """A test client of ``app`` that sends ``api_key`` as its bearer token with every request."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_key}"
    return client


def person_with_key(app, role: str, scope: str = "all") -> tuple[int, str]:
    """A new person of ``role`` (``role@example.org``) and an API key of theirs: ``(user id, key)``."""
    from codeqr import db
    from codeqr.accounts import apikeys
    from codeqr.context import for_operator
    from codeqr.domain.models import User

    with app.app_context():
        person = db.session.scalar(db.select(User).where(User.email == f"{role}@example.org"))
        if person is None:
            person = User(email=f"{role}@example.org", password_hash="x", role=role)
            db.session.add(person)
            db.session.commit()
        _, secret = apikeys.create(f"{role}-{scope}", person, scope=scope, ctx=for_operator())
        return person.id, secret
