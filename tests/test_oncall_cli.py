"""The CLI's shape: every subcommand listed, every flag explained, and the exit codes of
docs/oncall.md that need no Prometheus (the others: test_oncall_prometheus.py)."""

from __future__ import annotations

import argparse
import json
import tarfile

import pytest

from saas_exporter.cli import build_parser, main
from saas_exporter.oncall import bundle, commands, postmortem, preflight, triage
from tests.oncall_support import run_command, write_config

DEAD = "http://127.0.0.1:9"  # nothing listens on the loopback discard port
SUBCOMMANDS = [
    "demo",
    "simulate",
    "healthcheck",
    "preflight",
    "triage",
    "bundle",
    "postmortem",
    "silences",
]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_top_level_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    lines = out.split("commands:\n", 1)[1].splitlines()
    listed = [line.split()[0] for line in lines if line[:4] == "    " and line[4] != " "]
    assert listed == SUBCOMMANDS
    words = " ".join(out.split())
    for command in commands():
        assert f"{command.name} {command.summary}" in words


def test_every_command_and_flag_has_help():
    parser = build_parser()
    subparsers = _subparsers(parser)
    assert list(subparsers) == SUBCOMMANDS
    for name, sub in [("saas-exporter", parser), *subparsers.items()]:
        assert sub.description, name
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                assert all(choice.help for choice in action._choices_actions)
                continue
            assert action.help and action.help != argparse.SUPPRESS, (name, action.dest)


def test_on_call_commands_share_the_common_flags():
    subparsers = _subparsers(build_parser())
    for command in commands():
        flags = {s for a in subparsers[command.name]._actions for s in a.option_strings}
        assert {"--config.file", "--output", "--log.level", "--log.format"} <= flags, command.name
        assert command.parser().prog == f"saas-exporter {command.name}"


def test_flags_before_the_command_are_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--config.file", "prod.yml", "preflight"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.endswith(
        "saas-exporter: error: --config.file prod.yml: put preflight's flags after its name "
        "(saas-exporter preflight --help)\n"
    )


@pytest.mark.parametrize("run", [preflight.run, triage.run])
def test_unreadable_config_exits_2(tmp_path, run):
    missing = tmp_path / "missing.yml"
    code, out, err = run_command(run, ["--config.file", str(missing)])
    assert (code, out) == (2, "")
    assert err.endswith(f": {missing}: cannot read the config: No such file or directory\n")


@pytest.mark.parametrize("run", [bundle.run, postmortem.run])
def test_prometheus_commands_unreadable_config_exits_2(tmp_path, run):
    missing = tmp_path / "missing.yml"
    argv = ["--prometheus-url", DEAD, "--config.file", str(missing)]
    code, out, err = run_command(run, argv)
    assert (code, out) == (2, "")
    name = run.__self__.name
    assert err == (
        f"saas-exporter {name}: {missing}: cannot read the config: No such file or directory\n"
    )


def test_preflight_config_not_yaml_is_a_failed_check(tmp_path):
    config = tmp_path / "c.yml"
    config.write_text("vendors: [\n")
    code, out, _ = run_command(preflight.run, ["--config.file", str(config), "--output", "json"])
    assert code == 1
    assert json.loads(out)["checks"] == [
        {
            "vendor": "",
            "account": "",
            "check": "config",
            "status": "fail",
            "detail": f"{config}: not valid YAML at line 2, column 1: expected the node "
            "content, but found '<stream end>'",
        }
    ]


def test_bundle_that_cannot_be_written_exits_1(tmp_path):
    config = write_config(tmp_path, DEAD, vendor={"statuspage_url": DEAD})
    target = tmp_path / "no-such-dir" / "b.tar.gz"
    argv = ["--prometheus-url", DEAD, "--config.file", str(config), "--out", str(target)]
    code, out, err = run_command(bundle.run, argv)
    assert (code, out) == (1, "")
    assert err == f"saas-exporter bundle: cannot write {target}: No such file or directory\n"


def test_bundle_json_report(tmp_path):
    config = write_config(tmp_path, DEAD, vendor={"statuspage_url": DEAD})
    target = tmp_path / "b.tar.gz"
    argv = ["--prometheus-url", DEAD, "--config.file", str(config), "--out", str(target)]
    code, out, err = run_command(bundle.run, [*argv, "--output", "json"])
    assert code == 3
    report = json.loads(out)
    assert (report["file"], report["exit_code"], report["collected"], report["files"]) == (
        str(target),
        3,
        2,
        3,
    )
    assert [i["file"] for i in report["items"] if i["ok"]] == ["config.yaml", "versions.json"]
    failed = [i for i in report["items"] if not i["ok"]]
    assert len(failed) == 17  # buildinfo, 15 key series, the status page
    assert err.count("saas-exporter bundle: not collected: ") == 17
    assert failed[-1]["source"] == f"GET {DEAD}"
    assert failed[-1]["error"].startswith(
        f"GET {DEAD}/api/v2/summary.json: ConnectError: [Errno 111] Connection refused"
    )
    with tarfile.open(target) as tar:
        (member,) = [m for m in tar.getmembers() if m.name.endswith("/manifest.json")]
        manifest = json.loads(tar.extractfile(member).read())
    assert manifest["items"] == report["items"]
