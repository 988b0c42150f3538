"""A clock to give an app (``create_app(clock=)``) in place of the real time."""

import threading
from datetime import timedelta

from codeqr.domain.timeutil import utcnow


class Clock:
    """Starts at the real time and ticks one millisecond (the timestamps' precision) at
    each reading, so that moments read one after the other always differ; ``set`` and
    ``advance`` move it at once."""

    def __init__(self):
        self._moment = utcnow()
        self._lock = threading.Lock()  # the request and job threads read it too

    def __call__(self):
        with self._lock:
            self._moment += timedelta(milliseconds=1)
            return self._moment

    def set(self, moment) -> None:
        """Read ``moment`` (and a millisecond more at each reading) from now on."""
        with self._lock:
            self._moment = moment

    def advance(self, **delta) -> None:
        with self._lock:
            self._moment += timedelta(**delta)
