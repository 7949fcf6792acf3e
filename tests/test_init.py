"""`podsync init`: from an empty folder to a project that validates, applies locally and then
plans no changes; it never overwrites a file."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner, Result

from podsync.cli import main
from tests.conftest import EXAMPLES

LOCAL = {
    "ZENMIC_API_URL": "local",
    "ZENMIC_API_KEY": "",
    "ZENMIC_EMULATOR_JOB_SECONDS": "0",
    "NO_COLOR": "1",
}


def podsync(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=LOCAL, catch_exceptions=False)


def test_init_from_an_empty_folder_then_validate_apply_and_plan_no_changes(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "My Podcasts"
    made = podsync("init", str(folder))
    assert made.exit_code == 0, made.output
    written = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert written == [
        ".gitignore",
        "docs/about.md",
        "manifest.schema.json",
        "podsync.yaml",
        "project.schema.json",
        "scripts/behind-the-scenes.yaml",
        "shows/my-podcasts.yaml",
    ]
    assert ".podsync/" in (folder / ".gitignore").read_text().splitlines()
    show = (folder / "shows/my-podcasts.yaml").read_text()
    assert show.startswith("# yaml-language-server: $schema=../manifest.schema.json\n")
    sources = [set(e["source"]) for e in yaml.safe_load(show)["episodes"]]
    assert sources == [
        {"topic", "duration_minutes"},
        {"document", "topic"},
        {"style_prompt", "dialogue"},
        {"dialogue_file"},
    ]
    quoted = f"'{folder}'"  # as a shell reads it
    assert made.output.endswith(
        "Next:\n"
        f"  podsync validate {quoted}                    # check the manifests, offline\n"
        f"  ZENMIC_API_URL=local podsync apply {quoted}  # publish to a local emulator, free\n"
        f"  podsync plan {quoted}                        "
        "# with ZENMIC_API_KEY set: what your account would get\n"
    )

    assert podsync("validate", str(folder)).output == "1 show, 4 episodes: valid.\n"
    applied = podsync("apply", str(folder), "--auto-approve", "--poll-interval=0.05")
    assert applied.exit_code == 0, applied.output
    assert "Apply finished: 9 done, 0 failed, 0 not started." in applied.output
    again = podsync("plan", str(folder), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.output


def test_init_refuses_to_overwrite_anything_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "shows").mkdir()
    (tmp_path / "shows/demo.yaml").write_text("mine\n")
    refused = podsync("init", str(tmp_path), "--show", "demo")
    assert refused.exit_code == 1
    assert refused.output == (
        f"Error: {tmp_path}/shows/demo.yaml already exists; podsync init never overwrites a "
        "file, so nothing was written (move it away, or init another folder)\n"
    )
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["demo.yaml", "shows"]
    assert (tmp_path / "shows/demo.yaml").read_text() == "mine\n"


def test_init_refuses_a_file_where_a_folder_of_it_goes(tmp_path: Path) -> None:
    (tmp_path / "shows").write_text("not a folder\n")
    refused = podsync("init", str(tmp_path))
    assert refused.exit_code == 1
    assert refused.output.startswith(f"Error: {tmp_path}/shows already exists;")
    assert [p.name for p in tmp_path.iterdir()] == ["shows"]


def test_init_github_writes_the_example_workflow(tmp_path: Path) -> None:
    assert podsync("init", str(tmp_path), "--github").exit_code == 0
    workflow = tmp_path / ".github/workflows/podsync.yml"
    assert workflow.read_text() == (EXAMPLES / "workflows/podsync.yml").read_text()


def test_init_refuses_a_show_key_podsync_would_reject(tmp_path: Path) -> None:
    refused = podsync("init", str(tmp_path), "--show", "My Show")
    assert refused.exit_code == 1
    assert "must match [a-z0-9][a-z0-9._-]*" in refused.output
    assert list(tmp_path.iterdir()) == []
