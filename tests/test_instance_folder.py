"""The checkout's instance/: a README saying what goes there, and a .gitignore that keeps it out of git."""

import shutil
import subprocess
from pathlib import Path

from codeqr.instance import CHECKOUT_FILES

INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def test_the_checkout_holds_instance_with_only_its_readme_and_gitignore_tracked(tmp_path):
    repository = tmp_path / "checkout"
    (repository / "instance" / "images").mkdir(parents=True)
    for name in CHECKOUT_FILES:
        shutil.copy(INSTANCE / name, repository / "instance" / name)
    for name in ("config.py", "codeqr.db", "codeqr.db-wal", "secret_key", ".migrate.lock", "images/a1b2.png"):
        (repository / "instance" / name).write_text("instance data")
    subprocess.run(["git", "init", "-q", str(repository)], check=True)
    listed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=repository,
                            capture_output=True, text=True, check=True).stdout
    assert sorted(line.split()[-1] for line in listed.splitlines()) == ["instance/.gitignore", "instance/README.md"]


def test_the_instance_readme_names_what_goes_there():
    readme = (INSTANCE / "README.md").read_text()
    for held in ("config.py", "codeqr.db", "secret_key", "images/", "metrics/", "tmp/", "codeqr backup"):
        assert f"`{held}" in readme, held
