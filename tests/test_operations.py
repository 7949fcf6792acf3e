"""podsync.operations: plan, apply, preview and lock rebuild, one function each, which the CLI
and the GitHub Action both call (they keep no orchestration of their own)."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from podsync import operations
from podsync.errors import PodsyncError, UnsafePlan
from podsync.lock import read_lock
from podsync.operations import Hooks, Planned, Settings
from tests.conftest import TEST_KEY, Emulator

PACKAGE = Path(operations.__file__).resolve().parent.parent
# What only podsync.operations may put together: the apply mutex, the executor, event loops.
ORCHESTRATION = {"asyncio", "podsync.apply_mutex", "podsync.client", "podsync.operations.steps"}


def _imports(path: Path) -> set[str]:
    """What the module, or every module of the package, at `path` imports."""
    if path.is_dir():
        return set().union(*(_imports(module) for module in sorted(path.glob("*.py"))))
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("module", ["cli", "github/action.py"])
def test_the_cli_and_the_action_only_call_operations(module: str) -> None:
    imports = _imports(PACKAGE / module)
    assert "podsync.operations" in imports
    assert not imports & ORCHESTRATION
    assert "podsync.executor.Executor" not in imports
    assert importlib.util.find_spec("podsync.workflow") is None


@pytest.fixture
def live_project(project: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ZENMIC_API_URL", emulator.url)
    monkeypatch.setenv("ZENMIC_API_KEY", TEST_KEY)
    return project


def test_apply_runs_the_hooks_in_order_and_returns_what_it_did(live_project: Path) -> None:
    calls: list[str] = []

    def shown(planned: Planned) -> None:
        calls.append(f"shown {planned.plan.has_changes}")

    def check(planned: Planned) -> None:
        calls.append("check")

    def approve(planned: Planned) -> bool:
        calls.append("approve")
        return True

    def applied(planned: Planned, applied: operations.Applied | None) -> None:
        calls.append(f"applied {applied is not None}")

    hooks = Hooks(shown=shown, check=check, approve=approve, applied=applied)
    settings = Settings(poll_interval=0.05)
    inputs = operations.load_inputs(live_project)

    result = operations.apply(live_project, inputs, settings, hooks)

    assert calls == ["shown True", "check", "approve", "applied True"]
    assert result.applied is not None and result.outcome.ok and result.outcome.done
    assert read_lock(live_project / "podsync.lock").shows, "the lock records what was created"
    calls.clear()
    again = operations.apply(live_project, operations.load_inputs(live_project), settings, hooks)
    assert calls == ["shown False"], "no changes: neither checked, approved nor executed"
    assert again.applied is None and not again.planned.plan.has_changes


def test_a_refusing_check_stops_the_apply_before_any_change(
    live_project: Path, emulator: Emulator
) -> None:
    refused: list[PodsyncError] = []

    def check(planned: Planned) -> None:
        raise UnsafePlan(["the reviewer said no"])

    hooks = Hooks(check=check, refused=lambda planned, exc: refused.append(exc))
    inputs = operations.load_inputs(live_project)
    with pytest.raises(UnsafePlan):
        operations.apply(live_project, inputs, Settings(), hooks)
    assert [str(e) for e in refused] == ["refusing to apply:\n  - the reviewer said no"]
    assert emulator.account()["shows"] == 0
    assert not (live_project / "podsync.lock").exists()


def test_a_declined_approval_changes_nothing(live_project: Path, emulator: Emulator) -> None:
    inputs = operations.load_inputs(live_project)
    result = operations.apply(live_project, inputs, Settings(), Hooks(approve=lambda p: False))
    assert not result.approved and result.applied is None
    assert emulator.account()["shows"] == 0
