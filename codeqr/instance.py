"""The instance folder (config.py, the SQLite database, images, the secret key): made
private to its owner (0700) when CodeQR creates it or first uses a checkout's, refused
in one line when it cannot be."""

import os

from .errors import ConfigurationError


class InstanceFolderError(ConfigurationError):
    """The instance path cannot be the instance folder; ``problem`` says why, without
    the setting that chose it (the ``codeqr`` command names its ``--instance`` instead)."""

    def __init__(self, problem: str):
        super().__init__(f"{problem}; choose another with CODEQR_INSTANCE_PATH")
        self.problem = problem


#: What a checkout's ``instance/`` holds until CodeQR first uses it: git made it, with
#: git's modes, so CodeQR makes it private as if it had created it.
CHECKOUT_FILES = frozenset({"README.md", ".gitignore"})


def prepare_instance_folder(path: str) -> None:
    """Make sure ``path`` is a folder CodeQR can write, creating it (0700) if needed."""
    if os.path.isdir(path):
        if not os.access(path, os.W_OK | os.X_OK):
            raise InstanceFolderError(f"the instance folder {path} cannot be written (permission denied)")
        if set(os.listdir(path)) == CHECKOUT_FILES and os.stat(path).st_uid == os.getuid():
            os.chmod(path, 0o700)
        return
    if os.path.lexists(path):
        raise InstanceFolderError(f"the instance path {path} is a file, not a folder")
    try:
        os.makedirs(path, mode=0o700)  # the mode is the last folder's: the ones above may be shared
    except FileExistsError:  # another process made it meanwhile
        prepare_instance_folder(path)
    except NotADirectoryError:
        raise InstanceFolderError(f"the instance path {path} is inside a file, not a folder") from None
    except OSError as error:
        raise InstanceFolderError(f"the instance folder {path} cannot be created ({error.strerror})") from None
