"""A TCP proxy in front of a real server that can refuse, go silent, or forward again:
the faults a database shows (down, hung, back), on demand."""

import socket
import threading


class FlakyProxy:
    """Forwards loopback connections on ``port`` to ``target``. ``mode`` is ``forward``,
    ``refuse`` (every connection, old and new, is closed at once) or ``silent`` (connections
    are accepted and what they send is read, but nothing ever comes back)."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.mode = "forward"
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        if mode == "refuse":
            with self._lock:
                for sock in list(self._open):
                    _close(sock)
                self._open.clear()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode == "refuse":
                _close(client)
                continue
            try:
                server = socket.create_connection(self.target)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._open.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if self.mode == "forward":
                    sink.sendall(data)
        except OSError:
            pass
        _close(source)
        _close(sink)

    def close(self) -> None:
        _close(self._listener)
        self.set_mode("refuse")


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
