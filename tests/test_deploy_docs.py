"""docs/deploy.md: its systemd units and journald settings are valid, its Prometheus blocks
are YAML with a scrape and alert rules over metrics CodeQR exports, every ``codeqr`` command
it names exists. The LICENSE is the one setup.cfg names; the CHANGELOG's dates are the
history's."""

import configparser
import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from codeqr.commandline.cli import main

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = (ROOT / "docs" / "deploy.md").read_text()
#: ``codeqr`` run as a command (not the user, the folder or the unit of that name), with the
#: command and the word after it.
COMMAND = re.compile(r"(?:(?<=[\s`'(])|(?<=/bin/)|^)(?<!-[ugo] )codeqr(?:\s+--instance\s+\S+)?"
                     r"[ \t]+([a-z][a-z-]*)(?:[ \t]+([a-z][a-z-]*))?", re.MULTILINE)


def _blocks(language: str) -> list[tuple[str, str]]:
    """Each ``language`` code block of deploy.md, with the file the text names before it."""
    found = []
    for match in re.finditer(rf"```{language}\n(.*?)```", DEPLOY, re.DOTALL):
        named = re.findall(r"`(/etc/[^`\s]+)`", DEPLOY[:match.start()])
        found.append((named[-1] if named else "", textwrap.dedent(match.group(1))))
    return found


def _ini(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, comment_prefixes=("#",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string(text)
    return parser


def _units() -> dict[str, str]:
    return {Path(name).name: text for name, text in _blocks("ini") if name.startswith("/etc/systemd/system/")}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        reason = f"{name} not found: the check of the documented units needs it"
        if os.environ.get("CODEQR_TEST_REQUIRE_SERVICES"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def test_the_server_the_backup_and_the_geoip_update_have_units_and_each_timer_its_service():
    units = _units()
    assert {"codeqr.service", "codeqr-backup.service", "codeqr-backup.timer"} <= set(units)
    timers = [name for name in units if name.endswith(".timer")]
    assert len(timers) >= 2
    for name, text in units.items():
        sections = set(_ini(text).sections())
        assert sections <= {"Unit", "Service", "Timer", "Install"} and "Unit" in sections, name
        kind = name.rsplit(".", 1)[1]
        assert kind.capitalize() in sections, f"{name} has no [{kind.capitalize()}]"
    for timer in timers:
        assert timer.replace(".timer", ".service") in units
        assert _ini(units[timer])["Timer"].get("OnCalendar"), timer
    assert "codeqr backup" in units["codeqr-backup.service"]


def test_systemd_accepts_the_units(tmp_path):
    analyze = _tool("systemd-analyze")
    for name, text in _units().items():
        (tmp_path / name).write_text(text)
    result = subprocess.run([analyze, "verify", "--man=no", *sorted(str(path) for path in tmp_path.iterdir())],
                            capture_output=True, text=True, timeout=60, check=False)
    # The programs live on the server they are written for, not here.
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if line.strip() and "is not executable" not in line and "has a bad unit file setting" not in line
                and "will not be started" not in line]
    assert problems == []
    bad = tmp_path / "bad.service"  # the check sees what matters: % not doubled in a command line
    bad.write_text("[Unit]\nDescription=x\n[Service]\nExecStart=/bin/sh -c 'date +%F'\n")
    checked = subprocess.run([analyze, "verify", "--man=no", str(bad)], capture_output=True, text=True, timeout=60,
                             check=False)
    assert "Failed to resolve unit specifiers" in checked.stderr


def test_the_journald_settings_are_ones_journald_has():
    documented = [(name, text) for name, text in _blocks("ini") if name.startswith("/etc/systemd/journald")]
    assert documented
    shipped = Path("/etc/systemd/journald.conf")
    if not shipped.exists():
        pytest.skip("no /etc/systemd/journald.conf here to read journald's settings from")
    known = set(re.findall(r"^#?(\w+)=", shipped.read_text(), re.MULTILINE))
    analyze = _tool("systemd-analyze")
    for _name, text in documented:
        journal = _ini(text)["Journal"]
        assert set(journal) <= known
        for key in ("MaxRetentionSec", "MaxFileSec"):
            if key in journal:
                span = subprocess.run([analyze, "timespan", journal[key]], capture_output=True, text=True, check=False)
                assert span.returncode == 0, span.stderr


def test_the_prometheus_blocks_are_yaml_with_a_scrape_of_metrics_a_probe_of_readyz_and_two_alerts():
    documents = [yaml.safe_load(text) for _name, text in _blocks("yaml")]
    jobs = {job["job_name"]: job for document in documents for job in document.get("scrape_configs", [])}
    assert jobs["codeqr"]["metrics_path"] == "/metrics"
    probe = jobs["codeqr-readyz"]
    assert probe["metrics_path"] == "/probe"
    assert all(target.endswith("/readyz") for config in probe["static_configs"] for target in config["targets"])
    alerts = [rule for document in documents for group in document.get("groups", []) for rule in group["rules"]]
    assert len(alerts) >= 2
    for alert in alerts:
        assert alert["alert"] and alert["expr"] and alert["for"] and alert["annotations"]["summary"]
    assert any("probe_success" in alert["expr"] and "codeqr-readyz" in alert["expr"] for alert in alerts)
    assert any('status=~"5..' in alert["expr"] for alert in alerts)


def test_the_alerts_read_metrics_and_labels_codeqr_exports(client):
    client.get("/no-such-key")  # one answer counted, so the labelled counters have a sample
    samples = {sample.name: set(sample.labels)
               for family in text_string_to_metric_families(client.get("/metrics").get_data(as_text=True))
               for sample in family.samples}
    exprs = [rule["expr"] for _name, text in _blocks("yaml") for group in yaml.safe_load(text).get("groups", [])
             for rule in group["rules"]]
    used = re.findall(r"(codeqr_\w+)(?:\{([^}]*)\})?", "\n".join(exprs))
    assert used
    for name, selector in used:
        assert name in samples, name
        labels = set(re.findall(r"(\w+)\s*[=!]~?", selector)) - {"job", "instance"}  # added by Prometheus
        assert labels <= samples[name], (name, labels)


def test_every_codeqr_command_in_the_deploy_guide_exists(runner):
    named = {match.groups() for match in COMMAND.finditer(DEPLOY)}
    assert {("create-user", None), ("backup", None), ("restore", None)} <= {(cmd, None) for cmd, _ in named}
    for command, word in sorted(named, key=str):
        result = runner.invoke(main, [command, "--help"])
        assert result.exit_code == 0, f"codeqr {command}: {result.output}"
        if word and "Commands:" in result.output:  # a group: the word is its command
            assert runner.invoke(main, [command, word, "--help"]).exit_code == 0, f"codeqr {command} {word}"
    assert runner.invoke(main, ["no-such-command", "--help"]).exit_code != 0  # the check can fail


def test_every_setting_the_deploy_guide_names_exists():
    from codeqr.config import DEFAULTS
    from codeqr.pluginmanager import build_plugin_manager, plugin_defaults

    known = DEFAULTS | plugin_defaults(build_plugin_manager((), [])) | {"CODEQR_INSTANCE_PATH": None}
    named = set(re.findall(r"CODEQR_[A-Z0-9_]*[A-Z0-9]", DEPLOY))
    assert "CODEQR_SETUP_TOKEN" in named and named <= set(known), named - set(known)


def test_the_licence_file_is_the_one_setup_cfg_names():
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    metadata = setup["metadata"]
    assert metadata["license"] == "MIT"
    assert metadata["license_files"].split() == ["LICENSE"]
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License\n\nCopyright (c) ")
    assert re.search(r"^Copyright \(c\) \d{4} CodeQR contributors$", licence, re.MULTILINE)
    assert "Permission is hereby granted, free of charge" in licence and 'PROVIDED "AS IS"' in licence


def test_the_changelog_dates_are_dates_of_the_history():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog
    if not (ROOT / ".git").exists():
        pytest.skip("no git history here to compare the dates with")
    days = set(subprocess.run(["git", "-C", str(ROOT), "log", "--format=%ad", "--date=short"], capture_output=True,
                              text=True, check=True).stdout.split())
    dated = re.findall(r"^###? .*?(\d{4}-\d{2}-\d{2})", changelog, re.MULTILINE)
    assert dated and set(dated) <= days
