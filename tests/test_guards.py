"""The guards apply checks before removing anything: the share of a show's episodes one run may
remove, `protect: true` (remembered in podsync.lock), --allow-destroy, and --no-delete.

Planner tests build their inputs by hand; the end-to-end ones drive the CLI against the
emulator and check that a refused apply changed nothing, in the account or in the lock.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from podsync.client import ZenMicClient
from podsync.errors import UnsafePlan
from podsync.executor import PollPolicy
from podsync.lock import Lock, read_lock, serialize
from podsync.model import Desired, Live, Safety, Show
from podsync.operations import check_safe, execute, load_inputs, read_and_plan
from podsync.plan import Plan
from podsync.planner import plan
from podsync.render import render
from tests.conftest import TEST_KEY, Cli, Emulator
from tests.test_planner import episode, published, show, topic

# planner


def many(count: int) -> Show:
    return show(*(episode(f"e{n}") for n in range(count)))


def kinds(p: Plan) -> list[tuple[str, str, str | None]]:
    return [(g.kind, g.target, g.flag) for g in p.guards]


@pytest.mark.parametrize(
    ("live", "removed", "trips"),
    [(10, 4, True), (10, 3, False), (9, 4, False), (20, 7, True), (20, 6, False)],
)
def test_share_guard_trips_above_30_percent_of_a_show_of_at_least_10(
    live: int, removed: int, trips: bool
) -> None:
    before = many(live)
    lock, state = published(before)
    p = plan(Desired((replace(before, episodes=before.episodes[removed:]),)), lock, state)
    assert sum(c.action == "remove" for c in p.episodes) == removed
    if trips:
        assert kinds(p) == [("mass-removal", "show 'tw'", "--allow-mass-removal")]
        assert p.guards[0].message in p.warnings
        assert f"{removed} of the {live} live episodes of show 'tw'" in p.guards[0].message
        with pytest.raises(UnsafePlan, match="--allow-mass-removal"):
            check_safe(p)
        check_safe(p, allow_mass_removal=True)
    else:
        assert p.guards == ()
        check_safe(p)


def test_replaces_count_towards_the_share_as_they_remove_the_live_episode() -> None:
    before = many(10)
    lock, state = published(before)
    eps = list(before.episodes[2:])
    eps[0] = replace(eps[0], title="Retitled")  # same audio, re-published
    eps[1] = replace(eps[1], source=topic("a new angle"))  # new audio
    p = plan(Desired((replace(before, episodes=tuple(eps)),)), lock, state)
    assert sorted(c.action for c in p.episodes) == ["remove", "remove", "replace", "replace"]
    assert kinds(p) == [("mass-removal", "show 'tw'", "--allow-mass-removal")]
    assert "4 of the 10 live episodes" in p.guards[0].message


@pytest.mark.parametrize(
    ("safety", "live", "removed", "trips", "let_through"),
    [
        (Safety(max_removal_share=0.5), 10, 4, False, True),
        (Safety(max_removal_share=0.5), 10, 6, True, False),
        (Safety(max_removal_share=0.5), 10, 3, False, False),
        (Safety(min_episodes=3), 5, 2, True, False),
        (Safety(min_episodes=20), 10, 9, False, True),
        (Safety(min_episodes=20), 9, 9, False, False),
        (Safety(max_removal_share=0.0, min_episodes=0), 1, 1, True, False),
    ],
)
def test_share_and_minimum_come_from_the_project_settings(
    safety: Safety, live: int, removed: int, trips: bool, let_through: bool
) -> None:
    """Settings looser than the default guard still let a reviewer see what they let through."""
    before = many(live)
    lock, state = published(before)
    after = replace(before, episodes=before.episodes[removed:])
    p = plan(Desired((after,), safety), lock, state)
    assert [g.kind for g in p.guards] == (["mass-removal"] if trips else [])
    warned = [w for w in p.warnings if "podsync.yaml's safety: lets it through" in w]
    assert len(warned) == let_through
    if let_through:
        assert warned[0].startswith(f"{removed} of the {live} live episodes of show 'tw'")
        check_safe(p)


def test_protected_episode_gone_from_the_manifest_is_refused_by_its_lock_record() -> None:
    s = show(episode("a"), episode("b"))
    lock, state = published(s)
    lock = lock.with_protection("tw", "b", True)
    p = plan(Desired((show(episode("a")),)), lock, state)
    assert [(c.action, c.key) for c in p.episodes] == [("remove", "b")]
    assert kinds(p) == [("protected", "episode 'tw/b'", None)]
    assert "put it back with `protect: false`, apply, then remove it" in p.warnings[-1]
    with pytest.raises(UnsafePlan, match="episode 'tw/b' is protected"):
        check_safe(p, allow_destroy=True, allow_mass_removal=True)


def test_protect_changes_are_lock_only_updates() -> None:
    s = show(episode("a"), episode("b"))
    lock, state = published(s)
    lock = lock.with_protection("tw", "b", True)
    wanted = show(replace(episode("a"), protect=True), episode("b"))
    p = plan(Desired((replace(wanted, protect=True),)), lock, state)
    assert not p.has_changes and p.guards == ()
    assert p.protect == (("tw", None, True), ("tw", "a", True), ("tw", "b", False))
    assert plan(Desired((s,)), Lock(), state).protect == ()


def test_new_and_re_added_episodes_get_their_protection_recorded_after_publishing() -> None:
    s = show(replace(episode("a"), protect=True))
    lock, state = published(s)
    lock = lock.with_protection("tw", "a", True)
    gone = replace(state, shows=(replace(state.shows[0], episodes=()),))  # removed by hand
    p = plan(Desired((s,)), lock, gone)
    assert [(c.action, c.key) for c in p.episodes] == [("add", "a")]
    assert p.protect == (("tw", "a", True),)  # the add writes a fresh, unprotected record
    fresh = plan(Desired((s,)), Lock(), Live(()))
    assert fresh.protect == (("tw", "a", True),)


def test_protected_episode_is_not_replaced_while_the_manifest_or_lock_protects_it() -> None:
    s = show(episode("a"))
    lock, state = published(s)
    retitled = replace(episode("a"), title="New title")
    p = plan(Desired((show(replace(retitled, protect=True)),)), lock, state)
    assert kinds(p) == [("protected", "episode 'tw/a'", None)]
    assert "set `protect: false` and run `apply --no-delete` first" in p.guards[0].message
    # protect: false in the manifest, but not applied yet: the lock still protects it
    lock = lock.with_protection("tw", "a", True)
    p = plan(Desired((show(retitled),)), lock, state)
    assert kinds(p) == [("protected", "episode 'tw/a'", None)]
    assert "its `protect: false` is not recorded yet" in p.guards[0].message
    # ... and --no-delete records it, holding the re-publish back
    p = plan(Desired((show(retitled),)), lock, state, no_delete=True)
    assert (p.guards, p.episodes, p.protect) == ((), (), (("tw", "a", False),))


def test_protected_show_refuses_deletion_even_with_allow_destroy() -> None:
    s = show(episode("a"))
    lock, state = published(s)
    p = plan(Desired(()), lock.with_protection("tw", None, True), state)
    assert kinds(p) == [
        ("destroy", "show 'tw'", "--allow-destroy"),
        ("protected", "show 'tw'", None),
    ]
    with pytest.raises(UnsafePlan) as refused:
        check_safe(p, allow_destroy=True)
    assert refused.value.reasons == [p.guards[1].message]
    assert "even with --allow-destroy" in refused.value.reasons[0]


def test_deleting_a_show_would_remove_its_protected_episodes_so_it_is_refused() -> None:
    s = show(episode("a"), episode("b"))
    lock, state = published(s)
    p = plan(Desired(()), lock.with_protection("tw", "b", True), state)
    assert kinds(p)[1] == ("protected", "show 'tw'", None)
    assert "protected 1 episode (b;" in p.guards[1].message


def test_every_tripped_guard_is_named_in_the_refusal() -> None:
    big = many(10)
    lock, state = published(big)
    other = show(episode("x"), key="old", title="Old")
    other_lock, other_state = published(other, show_id="old-1")
    lock = lock.with_show("old", other_lock.shows["old"]).with_protection("tw", "e0", True)
    state = replace(state, shows=state.shows + other_state.shows)
    p = plan(Desired((replace(big, episodes=big.episodes[4:]),)), lock, state)
    assert sorted(g.kind for g in p.guards) == ["destroy", "mass-removal", "protected"]
    with pytest.raises(UnsafePlan) as refused:
        check_safe(p)
    assert len(refused.value.reasons) == 3
    with pytest.raises(UnsafePlan) as refused:
        check_safe(p, allow_destroy=True, allow_mass_removal=True)
    assert [r.split(" is ")[0] for r in refused.value.reasons] == ["episode 'tw/e0'"]


def test_no_delete_holds_back_removals_replaces_and_deletions_and_says_so() -> None:
    s = show(episode("a"), episode("b"), episode("c"))
    lock, state = published(s)
    other = show(episode("x"), key="old", title="Old")
    other_lock, other_state = published(other, show_id="old-1")
    lock = lock.with_show("old", other_lock.shows["old"])
    state = replace(state, shows=state.shows + other_state.shows)
    after = show(
        replace(episode("a"), title="Retitled"),
        replace(episode("b"), source=topic("new angle")),
        episode("d"),
    )
    full = plan(Desired((after,)), lock, state)
    assert sorted((c.action, c.key) for c in full.episodes) == [
        ("add", "d"),
        ("remove", "c"),
        ("replace", "a"),
        ("replace", "b"),
    ]
    held = plan(Desired((after,)), lock, state, no_delete=True)
    assert [(c.action, c.key) for c in held.episodes] == [("add", "d")]
    assert held.shows == () and held.guards == ()
    assert [(j.action, j.episode) for j in held.audio] == [("generate", "d")]
    assert held.warnings[-1] == (
        "--no-delete holds back 4 changes that would remove something live: "
        "replace episode 'tw/a' (title changed), replace episode 'tw/b' (source changed), "
        "remove episode 'tw/c', delete show 'old' (old-1); apply without --no-delete to make them"
    )
    assert not any("re-published" in w for w in held.warnings)


def test_a_guarded_plan_renders_in_full_with_the_guard_as_a_warning() -> None:
    before = many(10)
    lock, state = published(before)
    p = plan(Desired((replace(before, episodes=before.episodes[4:]),)), lock, state)
    message = p.guards[0].message
    text = render(p, "text")
    assert text.count("  - remove episode") == 4 and f"  ! {message}" in text
    document = json.loads(render(p, "json"))
    assert document["guards"] == [
        {
            "kind": "mass-removal",
            "target": "show 'tw'",
            "message": message,
            "flag": "--allow-mass-removal",
        }
    ]
    assert message in document["warnings"]
    markdown = render(p, "markdown")
    assert markdown.count("| remove |") == 4
    assert "> - 4 of the 10 live episodes of show 'tw' (40%)" in markdown


def test_protect_changes_render_as_lock_only_lines() -> None:
    p = Plan(protect=(("tw", None, True), ("tw", "a", False)))
    text = render(p, "text")
    assert "Recorded in podsync.lock only (no API request):\n" in text
    assert "  * show tw: protect: true\n  * episode tw/a: protect: false\n" in text
    assert "- episode tw/a: protect: false" in render(p, "markdown")
    assert json.loads(render(p, "json"))["protect"] == [
        {"show": "tw", "episode": None, "protect": True},
        {"show": "tw", "episode": "a", "protect": False},
    ]


def test_lock_records_protection_only_when_true(tmp_path: Path) -> None:
    s = show(episode("a"))
    lock, _ = published(s)
    plain = serialize(lock)
    assert "protected" not in plain
    protected = lock.with_protection("tw", None, True).with_protection("tw", "a", True)
    text = serialize(protected)
    assert text.count('"protected": true') == 2
    path = tmp_path / "podsync.lock"
    path.write_text(text)
    assert read_lock(path) == protected
    assert (
        serialize(protected.with_protection("tw", "a", False).with_protection("tw", None, False))
        == plain
    )


# end to end


def ep(n: int, **fields: Any) -> dict[str, Any]:
    return {"key": f"e{n}", "title": f"Episode {n}", "source": {"topic": f"Topic {n}"}, **fields}


def write_show(root: Path, episodes: list[dict[str, Any]], **fields: Any) -> None:
    data = {"show": "big", "title": "Big Show", **fields, "episodes": episodes}
    (root / "shows").mkdir(parents=True, exist_ok=True)
    (root / "shows" / "big.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def published_project(cli: Cli, tmp_path: Path, episodes: list[dict[str, Any]]) -> Path:
    root = tmp_path / "big"
    write_show(root, episodes)
    applied = cli("apply", str(root), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    return root


def refused_without_change(cli: Cli, emulator: Emulator, root: Path, *flags: str) -> str:
    """Run apply, expect exit 1, and check that neither the account nor the lock moved."""
    account, lock = emulator.account(), (root / "podsync.lock").read_bytes()
    refused = cli("apply", str(root), "--auto-approve", *flags)
    assert refused.exit_code == 1, refused.output
    assert "refusing to apply" in refused.output
    assert emulator.account() == account
    assert (root / "podsync.lock").read_bytes() == lock
    return refused.output


def test_share_guard_end_to_end(cli: Cli, emulator: Emulator, tmp_path: Path) -> None:
    root = published_project(cli, tmp_path, [ep(n) for n in range(10)])
    write_show(root, [ep(n) for n in range(4, 10)])

    planned = cli("plan", str(root))
    assert planned.exit_code == 0, planned.output
    assert "4 to remove" in planned.output
    assert "would be removed or re-published in one run" in planned.output
    assert cli("plan", str(root), "--detailed-exitcode").exit_code == 2
    document = json.loads(cli("plan", str(root), "--format", "json").stdout)
    assert [g["kind"] for g in document["guards"]] == ["mass-removal"]
    assert "--allow-mass-removal" in cli("plan", str(root), "--format", "markdown").output

    output = refused_without_change(cli, emulator, root, "--allow-destroy")
    assert "show 'big' (40%)" in output and "--allow-mass-removal" in output
    allowed = cli("apply", str(root), "--auto-approve", "--allow-mass-removal")
    assert allowed.exit_code == 0, allowed.output
    assert emulator.stats()["episodes"] == 6


def test_share_setting_in_podsync_yaml(cli: Cli, emulator: Emulator, tmp_path: Path) -> None:
    root = published_project(cli, tmp_path, [ep(n) for n in range(10)])
    write_show(root, [ep(n) for n in range(4, 10)])
    (root / "podsync.yaml").write_text("safety:\n  max_removal_share: 0.5\n")
    comment = cli("plan", str(root), "--format", "markdown")
    assert "the default safety limit of 30% would refuse this" in comment.output
    applied = cli("apply", str(root), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "podsync.yaml's safety: lets it through (max_removal_share 50%" in applied.output
    assert emulator.stats()["episodes"] == 6


def test_protected_episode_stays_until_unprotected_and_applied(
    cli: Cli, emulator: Emulator, tmp_path: Path
) -> None:
    root = published_project(cli, tmp_path, [ep(0, protect=True), ep(1), ep(2)])
    recorded = read_lock(root / "podsync.lock").shows["big"].episodes
    assert (recorded["e0"].protected, recorded["e1"].protected) == (True, False)

    write_show(root, [ep(1), ep(2)])  # the entry, and its protect: true, are gone
    planned = cli("plan", str(root), "--format", "json")
    assert [g["kind"] for g in json.loads(planned.stdout)["guards"]] == ["protected"]
    output = refused_without_change(cli, emulator, root, "--allow-destroy", "--allow-mass-removal")
    assert "episode 'big/e0' is protected" in output

    write_show(root, [ep(0, protect=False), ep(1), ep(2)])
    unprotect = cli("plan", str(root))
    assert "No changes" in unprotect.output and "episode big/e0: protect: false" in unprotect.output
    account = emulator.account()
    assert cli("apply", str(root), "--auto-approve").exit_code == 0
    assert emulator.account() == account
    assert not read_lock(root / "podsync.lock").shows["big"].episodes["e0"].protected

    write_show(root, [ep(1), ep(2)])
    removed = cli("apply", str(root), "--auto-approve")
    assert removed.exit_code == 0, removed.output
    assert emulator.stats()["episodes"] == 2


def test_protected_show_is_not_deleted_even_with_allow_destroy(
    cli: Cli, emulator: Emulator, tmp_path: Path
) -> None:
    root = tmp_path / "big"
    write_show(root, [ep(0)], protect=True)
    assert cli("apply", str(root), "--auto-approve").exit_code == 0
    assert read_lock(root / "podsync.lock").shows["big"].protected
    (root / "shows" / "big.yaml").unlink()
    planned = cli("plan", str(root))
    assert planned.exit_code == 0 and "will be DELETED" in planned.output
    output = refused_without_change(cli, emulator, root, "--allow-destroy")
    assert "show 'big' is protected" in output and "even with --allow-destroy" in output
    assert emulator.stats()["shows"] == 1


def test_no_delete_applies_all_but_removals_as_planned(
    cli: Cli, emulator: Emulator, tmp_path: Path
) -> None:
    root = published_project(cli, tmp_path, [ep(0), ep(1), ep(2)])
    write_show(root, [ep(0, title="Episode 0, renamed"), ep(1), ep(3)])

    planned = cli("plan", str(root), "--no-delete")
    assert planned.exit_code == 0
    assert "1 episode to add, 0 to replace, 0 to remove" in planned.output
    assert "--no-delete holds back 2 changes" in planned.output
    applied = cli("apply", str(root), "--auto-approve", "--no-delete")
    assert applied.exit_code == 0, applied.output
    assert applied.output.startswith(planned.output)

    show_id = read_lock(root / "podsync.lock").shows["big"].show_id
    with emulator.api() as api:
        live = api.get(f"/podcasts/{show_id}/episodes").json()["data"]
    assert sorted(e["title"] for e in live) == [f"Episode {n}" for n in range(4)]
    rest = json.loads(cli("plan", str(root), "--format", "json").stdout)["summary"]["episodes"]
    assert rest == {"add": 0, "replace": 1, "remove": 1}


def test_saved_no_delete_plan_is_applied_without_removals(
    cli: Cli, emulator: Emulator, tmp_path: Path
) -> None:
    root = published_project(cli, tmp_path, [ep(0), ep(1)])
    write_show(root, [ep(1), ep(2)])
    out = tmp_path / "plan.json"
    assert cli("plan", str(root), "--no-delete", "--out", str(out)).exit_code == 0
    applied = cli("apply", str(out))
    assert applied.exit_code == 0, applied.output
    assert emulator.stats()["episodes"] == 3


def test_executor_never_removes_a_protected_episode_even_if_a_plan_says_so(
    cli: Cli, emulator: Emulator, tmp_path: Path
) -> None:
    """Defence in depth: a plan with its guards stripped still removes nothing protected."""
    root = published_project(cli, tmp_path, [ep(0, protect=True), ep(1, protect=True)])
    write_show(root, [ep(1, title="Retitled", protect=True)])

    async def unguarded_apply() -> list[tuple[str, str]]:
        async with ZenMicClient(emulator.url, TEST_KEY) as client:
            planned = await read_and_plan(load_inputs(root), client)
            assert len(planned.plan.guards) == 2  # the removal and the replace
            stripped = replace(planned, plan=replace(planned.plan, guards=()))
            outcome = await execute(stripped, client, poll=PollPolicy(first=0.01))
        return outcome.not_started

    not_started = asyncio.run(unguarded_apply())
    assert sorted(label for label, _ in not_started) == ["episode big/e0", "episode big/e1"]
    assert all("protected" in reason for _, reason in not_started)
    assert emulator.stats()["episodes"] == 2
    assert set(read_lock(root / "podsync.lock").shows["big"].episodes) == {"e0", "e1"}
