"""Filesystem storage: images as files under ``CODEQR_STORAGE_PATH``, written atomically."""

import os
import shutil
import tempfile

from codeqr import PluginError, Storage, StorageUnavailable, hookimpl


class FilesystemStorage(Storage):
    name = "filesystem"

    def __init__(self, config):
        super().__init__(config)
        self.root = config["CODEQR_STORAGE_PATH"]
        try:
            os.makedirs(self.root, exist_ok=True)
        except OSError as error:
            raise PluginError(f"CODEQR_STORAGE_PATH={self.root!r}: cannot create the folder ({error.strerror})") from None

    def _path(self, name: str) -> str:
        if "/" in name or "\\" in name or name.startswith("."):
            raise ValueError(f"invalid image name {name!r}")
        # Two levels of fan-out keep directories small with millions of images.
        return os.path.join(self.root, name[:2], name)

    def get(self, name: str) -> bytes | None:
        try:
            with open(self._path(name), "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StorageUnavailable(f"cannot read {name}: {error}") from error

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd, draft = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".draft-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(draft, path)  # readers never see a half-written file
        except OSError as error:
            raise StorageUnavailable(f"cannot write {name}: {error}") from error

    def put_file(self, name: str, path: str) -> None:
        target = self._path(name)
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            fd, draft = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".draft-")
            os.close(fd)
            shutil.copyfile(path, draft)
            os.replace(draft, target)
        except OSError as error:
            raise StorageUnavailable(f"cannot write {name}: {error}") from error

    def open(self, name: str):
        try:
            return open(self._path(name), "rb")
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StorageUnavailable(f"cannot read {name}: {error}") from error

    def delete(self, name: str) -> None:
        try:
            os.remove(self._path(name))
        except FileNotFoundError:
            pass
        except OSError as error:
            raise StorageUnavailable(f"cannot delete {name}: {error}") from error


@hookimpl
def codeqr_register_storages():
    return [FilesystemStorage]
