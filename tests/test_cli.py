"""The command line contract: exit codes, errors without tracebacks, colour, and local mode."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from podsync.cli import main
from podsync.emulator import routes_base
from tests.conftest import TEST_KEY, Cli, Emulator
from tests.helpers import run_podsync


def test_bad_manifest_exits_1_with_positions_and_sends_nothing(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    path = project / "shows/tech-weekly.yaml"
    path.write_text(path.read_text().replace("title: Episode 1", "titel: Episode 1", 1))
    path.write_text(path.read_text().replace('title: "Episode 1', 'titel: "Episode 1', 1))
    for command in ("validate", "plan", "apply"):
        result = cli(command, str(project), *(["--auto-approve"] if command == "apply" else []))
        assert result.exit_code == 1
        assert f"{path}:7:5: unknown key 'titel' (did you mean 'title'?)" in result.stderr
        assert f"{path}:6:5: missing required key 'title'" in result.stderr
        assert "Traceback" not in result.output
    assert emulator.stats()["requests"] == 0


def test_api_error_names_the_request_and_the_show(
    cli: Cli, emulator: Emulator, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A server stricter than the limits podsync knows (validate checks those) refuses the title.
    monkeypatch.setattr(routes_base, "MAX_TITLE_CHARS", 100)
    path = project / "shows/tech-weekly.yaml"
    data = yaml.safe_load(path.read_text())
    data["title"] = "T" * 150
    path.write_text(yaml.safe_dump(data))
    result = cli("apply", str(project), "--auto-approve")
    assert result.exit_code == 1
    assert "POST /api/v2/podcasts -> 400" in result.stderr
    assert "(for show tech-weekly)" in result.stderr
    assert "not started  episode tech-weekly/ai-health: waits on show tech-weekly" in result.stderr
    assert emulator.stats()["audios"] == 0  # no audio paid for a show that does not exist


def test_missing_api_key_is_a_clear_error(project: Path) -> None:
    env = {"ZENMIC_API_URL": "", "ZENMIC_API_KEY": ""}
    result = CliRunner().invoke(main, ["plan", str(project)], env=env)
    assert result.exit_code == 1
    assert "ZENMIC_API_KEY is not set" in result.stderr


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("zenmic.com/api/v2", ", not 'zenmic.com/api/v2': the scheme is not http or https"),
        ("ftp://me:hunter2@zenmic.com/", ", not 'ftp://***@zenmic.com/': the scheme is not"),
        ("me:hunter2@zenmic.com/api", ", not '***@zenmic.com/api': the scheme is not http"),
        ("https://", ", not 'https://': it names no host"),
        ("https://me:hunter2@/api", ", not 'https://***@/api': it names no host"),
        ("https://zen mic.com/api", ": it holds a space"),
        ("https://zenmic.com:99999/api", ": port 99999 does not exist"),
        ("https://zenmic.com:api/v2", "; this one is not a valid URL (invalid port)"),
        ("https://me:hunter2zenmic.com/", "; this one is not a valid URL (invalid port)"),
    ],
    ids=[
        "no-scheme",
        "wrong-scheme",
        "password-no-scheme",
        "no-host",
        "password-no-host",
        "space",
        "port-range",
        "bad-port",
        "password-missing-at",
    ],
)
def test_an_unusable_api_url_is_refused_before_any_request(
    project: Path, url: str, expected: str
) -> None:
    env = {"ZENMIC_API_URL": url, "ZENMIC_API_KEY": TEST_KEY}
    result = CliRunner().invoke(main, ["plan", str(project)], env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: ZENMIC_API_URL must be an http(s) URL such as https://zenmic.com/api/v2, "
        "or 'local' for the embedded emulator"
    )
    assert expected in result.stderr
    assert "hunter2" not in result.output and "Traceback" not in result.output


def test_a_missing_key_error_never_shows_the_urls_password(project: Path) -> None:
    env = {"ZENMIC_API_URL": "https://me:hunter2@zenmic.test/api", "ZENMIC_API_KEY": ""}
    result = CliRunner().invoke(main, ["plan", str(project)], env=env)
    assert result.exit_code == 1
    assert "needs a ZenMic API key to read https://***@zenmic.test/api" in result.stderr
    assert "hunter2" not in result.output


def test_corrupt_lock_is_an_error_not_a_traceback(cli: Cli, project: Path) -> None:
    (project / "podsync.lock").write_text("{not json")
    result = cli("plan", str(project))
    assert result.exit_code == 1
    assert "podsync.lock:1:2: the lock is not valid JSON" in result.stderr
    assert "Traceback" not in result.output


def test_colour_only_when_asked_and_never_with_no_color(emulator: Emulator, project: Path) -> None:
    env = {"ZENMIC_API_URL": emulator.url, "ZENMIC_API_KEY": TEST_KEY}
    runner = CliRunner()
    plain = runner.invoke(main, ["plan", str(project)], env={**env, "NO_COLOR": ""})
    forced = runner.invoke(main, ["plan", str(project), "--color=always"], env=env)
    no_color = runner.invoke(main, ["plan", str(project)], env={**env, "NO_COLOR": "1"})
    assert "\x1b[" not in plain.stdout  # not a terminal
    assert "\x1b[" in forced.stdout
    assert "\x1b[" not in no_color.stdout


def test_markdown_plan(cli: Cli, project: Path) -> None:
    result = cli("plan", str(project), "--format", "markdown")
    assert result.exit_code == 0
    assert (
        "| add | `ai-health` | Episode 1 - AI in Medicine | New episode | new job, ≈ 1 min |"
    ) in result.stdout


def test_local_mode_keeps_state_between_commands_with_no_key(project: Path) -> None:
    env = {"ZENMIC_API_URL": "local", "ZENMIC_API_KEY": "", "ZENMIC_EMULATOR_JOB_SECONDS": "0"}
    applied = run_podsync("apply", str(project), "--auto-approve", env=env)
    assert applied.returncode == 0, applied.stderr
    assert "Apply finished: 9 done, 0 failed, 0 not started." in applied.stdout
    assert (project / ".podsync/emulator/state.json").is_file()
    again = run_podsync("plan", str(project), "--detailed-exitcode", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout


def test_detailed_exitcode_and_validate_in_a_real_process(
    emulator: Emulator, project: Path
) -> None:
    env = {"ZENMIC_API_URL": emulator.url, "ZENMIC_API_KEY": TEST_KEY}
    assert run_podsync("validate", str(project), env=env).stdout == "1 show, 4 episodes: valid.\n"
    assert run_podsync("plan", str(project), "--detailed-exitcode", env=env).returncode == 2
