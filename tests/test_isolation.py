"""The suite can run beside another on one machine: no test listens on, or connects to, a
port or a database named in its code; they come from CODEQR_TEST_* settings or are free."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_FILES = sorted([*ROOT.glob("tests/*.py"), *ROOT.glob("examples/*/tests/*.py")])
#: A line that reads a setting gives its default there: that is the one place a port may be written.
SETTING = re.compile(r"os\.environ\.get\(\"CODEQR_TEST_")
#: Port 0 is any free port; port 1 (tcpmux) is where nothing listens: tests of a server that is
#: away use it on purpose.
NOBODY = {"0", "1"}
#: A call that reaches a server: a port of this machine in it is one a test listens on or connects to.
#: (Elsewhere a host:port is data: a Host header, a domain, a URL a test stores.)
CONNECTS = re.compile(r"requests\.\w+\(|wait_until_answering\(|connect\(|from_url\(|urlopen\(")
FIXED = {
    "a port of this machine": re.compile(r"(?:localhost|127\.0\.0\.1|\[::1\]|0\.0\.0\.0):(\d+)"),
    "a --port argument": re.compile(r"--port[\"']\s*,\s*(?:str\()?[\"']?(\d+)"),
    "a socket address": re.compile(r"\.(?:bind|connect|connect_ex)\(\(\s*[^,()]+,\s*(\d+)\s*\)"),
    "a database name": re.compile(r"CREATE DATABASE\s+\"?([A-Za-z_]\w*)"),
}


def test_the_suite_has_files_to_check():
    assert len(TEST_FILES) > 20 and ROOT / "tests" / "conftest.py" in TEST_FILES


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_fixed_port_or_database_outside_the_settings(path):
    found = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if SETTING.search(line):
            continue
        for what, pattern in FIXED.items():
            if what == "a port of this machine" and not CONNECTS.search(line):
                continue
            for match in pattern.finditer(line):
                if match.group(1) not in NOBODY:
                    found.append(f"{path.name}:{number}: {what} ({match.group(0)}): take it from a CODEQR_TEST_* "
                                 "setting (README.md, Test it) or a free one (servers.free_port)")
    assert not found, "\n".join(found)


def test_every_test_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    names = {name for path in TEST_FILES for name in re.findall(r"CODEQR_TEST_[A-Z_]+", path.read_text())}
    assert len(names) >= 5
    for name in sorted(names):
        assert f"| `{name}` |" in readme, f"{name} is read by the tests but not in README.md's Test it table"
