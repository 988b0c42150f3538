"""In one process, the redirect's cost without and with the security headers, in turn.

Each round builds a fresh SQLite instance, follows one short link 300 times to warm up,
then 3,000 times through Flask's test client; it prints microseconds per redirect and the
ratio of the two. "Without" removes the one hook ``security_headers.install`` adds.

    .venv/bin/python benchmarks/security_headers.py
"""

import tempfile
import time

from codeqr import create_app, qrcodes
from codeqr.schemas import QRCodeCreate
from codeqr.permissions import OPERATOR


def per_redirect(headers: bool, count: int = 3000) -> float:
    app = create_app({"INSTANCE_PATH": tempfile.mkdtemp(), "CODEQR_DEFAULT_DOMAIN": "localhost",
                      "CODEQR_ANALYTICS": "off", "CODEQR_ANALYTICS_WORKER": False, "CODEQR_REQUEST_LOG": False})
    if not headers:
        hooks = app.after_request_funcs[None]
        hooks[:] = [hook for hook in hooks if hook.__name__ != "add_security_headers"]
    with app.app_context():
        key = qrcodes.create(QRCodeCreate(url="https://example.com/"), actor=OPERATOR).key
    client = app.test_client()
    for _ in range(300):
        client.get("/" + key)
    start = time.perf_counter()
    for _ in range(count):
        client.get("/" + key)
    return (time.perf_counter() - start) / count * 1e6


if __name__ == "__main__":
    rounds = {False: [], True: []}
    for headers in (False, True) * 5:  # in turn: a busy machine slows both alike
        rounds[headers].append(per_redirect(headers))
        print(f"security headers {'on ' if headers else 'off'}: {rounds[headers][-1]:.0f} µs per redirect", flush=True)
    print(f"on/off (medians): {sorted(rounds[True])[2] / sorted(rounds[False])[2]:.3f}")
