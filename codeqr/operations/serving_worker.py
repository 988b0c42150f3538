"""The worker ``codeqr serve`` runs: one thread at a time takes connections and answers
them itself, other threads stand in for it when a request is slow, and reading a request
has deadlines.

Gunicorn's sync worker answers a short link fast (nothing passes between threads), but
one slow client or one long page stops it, and it closes every connection. Gunicorn's
threaded worker keeps connections alive, but hands every request from its main loop to
a pool and back, and its threads answering at once contend for Python's lock: it served
the redirect a fifth slower (BENCHMARKS.md, "codeqr serve").

Here one thread of the worker at a time, the *taker*, waits for a new connection or for
the next request on a kept-alive one, and answers it itself. When it has spent longer
than ``patience_seconds`` on one connection (a client still sending, a long export), the
worker's main thread makes another thread the taker, which carries on while the first
finishes. A worker whose threads are all busy takes nothing, and a new client goes to a
worker that can answer it now. A new connection whose request has not begun, and a
kept-alive one between requests, wait without a thread (closed after ``header_seconds``
and gunicorn's ``keepalive`` seconds).

A client that drips its headers or body (a byte a second) would keep its thread for as
long as it likes. Here a request's headers must have arrived ``header_seconds`` after
the taker began reading them, and its body ``body_seconds`` after the headers; past
that, the main thread shuts the reading side of the socket: the read ends as if the
client had closed (headers: the connection is dropped; body: the app answers 400), and
the thread is free. Answers are never cut while the client takes them; one that takes
none of an answer for ``send_seconds`` (it stopped reading) is dropped, freeing the thread.
"""

import errno
import os
import select
import socket
import struct
import threading
import time
from datetime import datetime

from gunicorn import http, util
from gunicorn.http import wsgi
from gunicorn.workers.base import Worker

#: How often the main thread looks for a taker to replace.
_TICK_SECONDS = 0.01
#: How long a thread waits for a connection, or for its turn, before it looks whether the
#: worker is stopping.
_LOOK_SECONDS = 0.5
#: How long the unread rest of a body may take to arrive before a kept-alive connection
#: is closed instead.
_DRAIN_SECONDS = 5.0


class _Poller:
    """Waits for a new connection or a kept one's next request. Only the taker waits here,
    so one thread at a time. On Linux a new connection wakes one worker, not all of them
    (``EPOLLEXCLUSIVE``); elsewhere, every worker's taker looks."""

    def __init__(self):
        self.epoll = getattr(select, "epoll", None)
        self.poll = self.epoll() if self.epoll else select.poll()

    def add(self, fd: int, listening: bool = False) -> None:
        if self.epoll:
            self.poll.register(fd, select.EPOLLIN | (select.EPOLLEXCLUSIVE if listening else 0))
        else:
            self.poll.register(fd, select.POLLIN)

    def remove(self, fd: int) -> None:
        try:
            self.poll.unregister(fd)
        except (OSError, KeyError, ValueError):
            pass  # gone already

    def ready(self, seconds: float) -> list[int]:
        """The first file descriptor ready, waiting up to ``seconds``."""
        events = self.poll.poll(seconds, 1) if self.epoll else self.poll.poll(seconds * 1000)
        return [fd for fd, _ in events[:1]]


class Connection:
    """A client's connection, kept between its requests."""

    __slots__ = ("address", "idle_until", "parser", "server", "sock")

    def __init__(self, sock, address, server):
        self.sock, self.address, self.server = sock, address, server
        self.parser = None
        self.idle_until = 0.0


class ThreadedSyncWorker(Worker):
    """Threads taking turns to take connections (deadlines set by ``worker_class``)."""

    header_seconds: float = 10.0
    body_seconds: float = 60.0
    send_seconds: float = 60.0
    patience_seconds: float = 0.02

    def init_process(self):
        #: client socket → monotonic time by which what it is reading must have arrived
        self.deadlines: dict = {}
        self.kept: dict[int, Connection] = {}  # file descriptor → a connection waiting for its next request
        self.turn = threading.Condition()
        self.taker: int | None = None  # the thread taking connections
        self.taken_at: float | None = None  # when it took up the connection it answers now
        super().init_process()

    def run(self):
        self.poller = _Poller()
        self.listeners = {listener.fileno(): listener for listener in self.sockets}
        for listener in self.sockets:
            listener.setblocking(False)
            self.poller.add(listener.fileno(), listening=True)
        threads = [threading.Thread(target=self.answer_connections, name=f"codeqr-http-{number}", daemon=True)
                   for number in range(self.cfg.threads)]
        for thread in threads:
            thread.start()
        next_look = 0.0
        while self.alive:
            time.sleep(_TICK_SECONDS)
            self.replace_a_slow_taker()
            if time.monotonic() >= next_look:
                next_look = time.monotonic() + 1.0
                self.notify()
                self.cut_late_reads()
                self.close_idle_connections()
                if self.ppid != os.getppid():
                    self.log.info("Parent changed, shutting down: %s", self)
                    self.alive = False
        with self.turn:
            self.turn.notify_all()  # the threads finish what they answer, and take nothing more
        stop_by = time.monotonic() + self.cfg.graceful_timeout
        for thread in threads:
            while thread.is_alive() and time.monotonic() < stop_by:
                self.notify()
                self.cut_late_reads()
                thread.join(timeout=min(1.0, max(0.0, stop_by - time.monotonic())))
        self.close_idle_connections(every=True)

    # -- taking turns

    def answer_connections(self):
        me = threading.get_ident()
        try:
            while self.alive:
                if self.taker != me and not self.wait_for_the_turn(me):
                    continue
                connection = self.next_connection()
                if connection is None:
                    continue
                with self.turn:
                    if self.taker == me:
                        self.taken_at = time.monotonic()
                try:
                    self.answer(connection)
                finally:
                    with self.turn:
                        if self.taker == me:
                            self.taken_at = None
        except Exception:
            # A thread that died holding the turn would leave the worker taking nothing while
            # it still looks alive: stop it, and gunicorn starts a new one.
            self.log.exception("A thread of this worker failed; the worker stops and is replaced")
            self.alive = False

    def wait_for_the_turn(self, me: int) -> bool:
        with self.turn:
            if self.taker is not None:
                self.turn.wait(_LOOK_SECONDS)
            if self.taker is not None or not self.alive:
                return False
            self.taker = me
            return True

    def replace_a_slow_taker(self):
        with self.turn:
            if self.taken_at is not None and time.monotonic() - self.taken_at > self.patience_seconds:
                self.taker = self.taken_at = None
                self.turn.notify()

    def next_connection(self) -> Connection | None:
        """A new connection, or a kept one whose next request has begun; None after a moment."""
        for fd in self.poller.ready(_LOOK_SECONDS):
            listener = self.listeners.get(fd)
            if listener is None:
                connection = self.kept.pop(fd, None)  # None: closed as idle meanwhile
                if connection is not None:
                    self.poller.remove(fd)
                return connection
            try:
                client, address = listener.accept()
            except OSError as error:
                if error.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.ECONNABORTED):
                    return None  # another worker took it, or the client left
                if error.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # Out of files (many clients at once): the connection waits in the
                    # backlog until some close.
                    self.log.warning("Cannot take a connection now: %s", error)
                    time.sleep(_LOOK_SECONDS)
                    return None
                raise
            client.setblocking(True)
            # The kernel's own send timeout: each write that moves nothing for this long fails
            # (reads keep no timeout: their deadlines are cut_late_reads').
            # (At least a millisecond: a zero timeval would mean no timeout at all.)
            whole, part = divmod(max(self.send_seconds, 0.001), 1)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", int(whole), int(part * 1e6)))
            connection = Connection(client, address, listener.getsockname())
            try:
                client.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            except BlockingIOError:  # nothing sent yet: wait for it on the poller, not in a thread
                self.keep(connection, self.header_seconds)
                return None
            except OSError:
                pass  # answer() finds what is wrong
            return connection
        return None

    # -- answering

    def answer(self, connection: Connection) -> None:
        """Answer the connection's requests that have arrived; keep it for the next or close it."""
        req, keep = None, False
        try:
            while True:
                self.deadlines[connection.sock] = time.monotonic() + self.header_seconds
                if connection.parser is None:
                    connection.parser = http.get_parser(self.cfg, connection.sock, connection.address)
                req = next(connection.parser)
                keep = (self.handle_request(connection, req)
                        and connection.parser.finish_body(deadline=time.monotonic() + _DRAIN_SECONDS))
                self.deadlines.pop(connection.sock, None)
                # The next request may already be read (as gunicorn's threaded worker looks too).
                if not keep or not connection.parser.unreader.buf.getvalue():
                    break
        except http.errors.NoMoreData as error:
            self.log.debug("Ignored premature client disconnection. %s", error)
        except StopIteration as error:
            self.log.debug("Closing connection. %s", error)
        except OSError as error:
            if error.errno in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN):
                self.log.debug("Client went away: %s", error)
            elif error.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                self.log.debug("Client stopped reading its answer: %s", error)
            else:
                self.log.exception("Socket error processing request.")
        except Exception as error:
            self.handle_error(req, connection.sock, connection.address, error)
        finally:
            self.deadlines.pop(connection.sock, None)
            if keep and self.alive:
                self.keep(connection, self.cfg.keepalive)
            else:
                util.close_graceful(connection.sock)

    def handle_request(self, connection: Connection, req) -> bool:
        """Run the app for one request; whether the connection may carry another."""
        # The headers are in; the body, if any, is read by the app from here on.
        self.deadlines[connection.sock] = time.monotonic() + self.body_seconds
        environ: dict = {}
        resp = None
        try:
            self.cfg.pre_request(self, req)
            started = datetime.now()
            resp, environ = wsgi.create(req, connection.sock, connection.address, connection.server, self.cfg)
            environ["wsgi.multithread"] = True
            self.nr += 1
            if self.nr >= self.max_requests and self.alive:
                self.log.info("Autorestarting worker after current request.")
                self.alive = False
            if not self.alive or not self.cfg.keepalive or len(self.kept) >= self.cfg.worker_connections:
                resp.force_close()
            answer = self.wsgi(environ, resp.start_response)
            try:
                # A file too is written a block at a time, never with sendfile: Python's
                # socket.sendfile waits, without a timeout of its own, for a client that stopped
                # reading, where each send honours the send timeout.
                for chunk in answer:
                    resp.write(chunk)
                resp.close()
            finally:
                self.log.access(resp, req, environ, datetime.now() - started)
                if hasattr(answer, "close"):
                    answer.close()
            return not resp.should_close()
        except OSError:
            raise  # the connection's trouble: answer() says so
        except (Exception, SystemExit):
            if resp and resp.headers_sent:
                # Part of the answer is out: a 500 written after it would corrupt it.
                self.log.exception("Error handling request")
                raise StopIteration() from None
            raise
        finally:
            try:
                self.cfg.post_request(self, req, environ, resp)
            except Exception:
                self.log.exception("Exception in post_request hook")

    # -- what the main thread looks after

    def keep(self, connection: Connection, seconds: float) -> None:
        """Wait for the connection's next request on the poller, closing it after ``seconds``
        (at once when gunicorn's ``worker_connections`` wait already)."""
        if len(self.kept) >= self.cfg.worker_connections:
            util.close(connection.sock)
            return
        connection.idle_until = time.monotonic() + seconds
        fd = connection.sock.fileno()
        self.kept[fd] = connection
        self.poller.add(fd)  # the taker takes it off when its next request begins

    def close_idle_connections(self, every: bool = False) -> None:
        now = time.monotonic()
        for fd, connection in list(self.kept.items()):  # threads add and remove meanwhile
            if (every or connection.idle_until < now) and self.kept.pop(fd, None) is connection:
                self.poller.remove(fd)
                util.close(connection.sock)

    def cut_late_reads(self) -> None:
        now = time.monotonic()
        for client, deadline in list(self.deadlines.items()):  # threads add and remove meanwhile
            if deadline < now:
                self.deadlines.pop(client, None)
                try:
                    client.shutdown(socket.SHUT_RD)
                except OSError:
                    pass  # closed meanwhile


def worker_class(header_seconds: float, body_seconds: float, send_seconds: float) -> type[ThreadedSyncWorker]:
    """The worker class with these deadlines (gunicorn builds each worker from a class)."""
    return type("CodeQRWorker", (ThreadedSyncWorker,),
                {"header_seconds": header_seconds, "body_seconds": body_seconds, "send_seconds": send_seconds})
