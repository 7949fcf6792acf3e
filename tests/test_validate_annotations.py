"""Inside GitHub Actions, manifest problems are also workflow commands, so GitHub shows each on
its line of the pull request's diff (as yamllint's github format does), and other errors one
annotation each; elsewhere the output is unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from podsync.cli import main

PROBLEM = (
    "shows/a,b.yaml:3:1: unknown key 'bad%key,' "
    "(expected one of: description, episodes, protect, show, show_id, title, vars)\n"
)


def validate(actions: str | None) -> Result:
    return CliRunner().invoke(main, ["validate", "."], env={"GITHUB_ACTIONS": actions})


def test_validation_errors_are_workflow_commands_in_github_actions(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "shows/a,b.yaml").write_text("show: x\ntitle: T\nbad%key,: 1\nepisodes: []\n")
    monkeypatch.chdir(project)  # the runner wants paths relative to the workspace, as printed
    annotated = validate("true")
    plain = validate(None)
    assert annotated.exit_code == plain.exit_code == 1
    # `:` and `,` escaped in the file property, `%` everywhere
    assert annotated.stderr == (
        PROBLEM + "::error file=shows/a%2Cb.yaml,line=3,col=1::unknown key 'bad%25key,' "
        "(expected one of: description, episodes, protect, show, show_id, title, vars)\n"
        "1 problem found; nothing was sent.\n"
    )
    assert plain.stderr == PROBLEM + "1 problem found; nothing was sent.\n"


def test_other_errors_are_one_annotation_in_github_actions(project: Path) -> None:
    def apply(actions: str | None) -> Result:
        env = {"GITHUB_ACTIONS": actions, "ZENMIC_API_URL": "local"}
        return CliRunner().invoke(main, ["apply", str(project)], env=env)

    error = "Error: apply asks for confirmation; without a terminal pass --auto-approve\n"
    assert apply("true").stderr == (
        error + "::error::apply asks for confirmation; without a terminal pass --auto-approve\n"
    )
    assert apply(None).stderr == error
