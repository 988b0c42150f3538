"""The worker ``codeqr serve`` runs: gunicorn's threaded worker, with a deadline on reading
each request, so that slow clients cannot hold its threads.

Gunicorn's threaded worker waits for a connection's first bytes, and for the next request
on a kept-alive connection, without a thread; but once a request has begun, a thread
reads it to the end. A client that drips its headers or body (a byte a second) would
keep that thread for as long as it likes. Here a request's headers must have arrived
``header_seconds`` after its thread took it up, and its body ``body_seconds`` after the
headers; past that, the worker's main loop (which wakes every second) shuts the reading
side of the socket: the read ends as if the client had closed (headers: the connection is
dropped; body: the app answers 400), and the thread is free. Answers are never cut.

And a worker whose threads are all busy stops accepting connections until one is free,
so that a new client goes to a worker that can answer it now (gunicorn's worker would
queue it behind slow clients).
"""

import socket
import time

from gunicorn.workers.gthread import ThreadWorker


class DeadlineWorker(ThreadWorker):
    """Gunicorn's ``gthread`` worker with read deadlines (set by ``worker_class``)."""

    header_seconds: float = 10.0
    body_seconds: float = 60.0

    def init_process(self):
        #: connection → monotonic time by which what it is reading must have arrived
        self.deadlines: dict = {}
        self.busy = 0  # connections handed to the threads (counted on the main loop only)
        super().init_process()

    def enqueue_req(self, conn):
        self.busy += 1
        super().enqueue_req(conn)
        if self.busy >= self.cfg.threads:
            super().set_accept_enabled(False)

    def finish_request(self, conn, fs):
        self.busy -= 1
        super().finish_request(conn, fs)

    def set_accept_enabled(self, enabled):
        super().set_accept_enabled(enabled and self.busy < self.cfg.threads)

    def handle(self, conn):
        self.deadlines[conn] = time.monotonic() + self.header_seconds
        try:
            return super().handle(conn)
        finally:
            self.deadlines.pop(conn, None)

    def handle_request(self, req, conn):
        # The headers are in; the body, if any, is read by the app from here on.
        self.deadlines[conn] = time.monotonic() + self.body_seconds
        return super().handle_request(req, conn)

    def murder_pending(self):
        super().murder_pending()
        now = time.monotonic()
        for conn, deadline in list(self.deadlines.items()):  # threads add and remove meanwhile
            if deadline < now:
                self.deadlines.pop(conn, None)
                try:
                    conn.sock.shutdown(socket.SHUT_RD)
                except OSError:
                    pass  # closed meanwhile


def worker_class(header_seconds: float, body_seconds: float) -> type[DeadlineWorker]:
    """The worker class with these deadlines (gunicorn builds each worker from a class)."""
    return type("CodeQRWorker", (DeadlineWorker,),
                {"header_seconds": header_seconds, "body_seconds": body_seconds})
