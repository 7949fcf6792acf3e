"""The planner is pure: these tests build its three inputs by hand and read the plan."""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

import pytest

from podsync.errors import PlanError
from podsync.lock import CachedAudio, Lock, LockedEpisode, LockedShow
from podsync.model import Desired, Episode, Live, LiveEpisode, LiveShow, Show, Source
from podsync.plan import (
    AddEpisode,
    AdoptEpisode,
    AdoptShow,
    DeleteShow,
    EpisodeChange,
    ForgetEpisode,
    ForgetShow,
    Plan,
    ReplaceEpisode,
    ReuseAudio,
    UpdateShow,
    WarningCode,
)
from podsync.planner import audio_to_verify, live_show_ids_to_read, plan
from podsync.render.phrases import warning_text

K = TypeVar("K")


def the(kind: type[K], change: object) -> K:
    """`change` as the kind of change the test planned: one of another kind fails the test
    here, before a field it does not have is read."""
    assert isinstance(change, kind), f"expected {kind.__name__}, got {change!r}"
    return change


def episode_id(change: EpisodeChange) -> str:
    """The live episode a change concerns; an add has none yet, so it fails the test."""
    assert not isinstance(change, AddEpisode), f"expected a live episode, got {change!r}"
    return change.episode_id


def said(p: Plan) -> list[str]:
    """The plan's warnings as a reviewer reads them."""
    return [warning_text(w) for w in p.warnings]


def topic(text: str, minutes: int | None = None) -> Source:
    return Source(kind="topic", topic=text, duration_minutes=minutes)


def episode(key: str, title: str | None = None, source: Source | None = None) -> Episode:
    return Episode(key, title or key.title(), f"about {key}", source or topic(f"topic {key}"))


def show(*episodes: Episode, key: str = "tw", title: str = "Tech Weekly") -> Show:
    return Show(key, title, "desc", tuple(episodes))


def published(desired: Show, show_id: str = "tw-1") -> tuple[Lock, Live]:
    """The lock and live state right after a clean apply of `desired`."""
    lock = Lock().with_show(desired.key, LockedShow(show_id, desired.title, desired.description))
    live_eps = []
    for n, ep in enumerate(desired.episodes):
        mic = f"mic-{ep.key}"
        lock = lock.with_audio(ep.source.digest, CachedAudio(mic, "succeeded", "u"))
        lock = lock.with_episode(
            desired.key,
            ep.key,
            LockedEpisode(str(n), mic, ep.source.digest, ep.title, ep.description),
        )
        live_eps.append(LiveEpisode(str(n), mic, ep.title, ep.description))
    live = Live((LiveShow(show_id, desired.title, desired.description, None, tuple(live_eps)),))
    return lock, live


def test_new_project_creates_show_generates_audio_and_adds_in_order() -> None:
    s = show(episode("a"), episode("b"))
    p = plan(Desired((s,)), Lock(), Live(()))
    assert [(c.action, c.key, c.reason) for c in p.shows] == [("create", "tw", "new")]
    assert [j.action for j in p.audio] == ["generate", "generate"]
    assert [(c.action, c.key, the(AddEpisode, c).position) for c in p.episodes] == [
        ("add", "a", 0),
        ("add", "b", 1),
    ]
    assert p.summary()["audio"] == {"generate": 2, "reuse": 0}


def test_no_change_after_apply() -> None:
    s = show(episode("a"), episode("b"))
    lock, live = published(s)
    p = plan(Desired((s,)), lock, live)
    assert not p.has_changes
    assert p.summary() == {
        "shows": {"create": 0, "update": 0, "delete": 0},
        "episodes": {"add": 0, "replace": 0, "remove": 0},
        "audio": {"generate": 0, "reuse": 0},
    }


def test_topic_edit_needs_exactly_one_new_audio_job() -> None:
    before = show(episode("a"), episode("b"))
    lock, live = published(before)
    after = show(episode("a"), episode("b", source=topic("a new angle")))
    p = plan(Desired((after,)), lock, live)
    assert [(j.action, j.episode) for j in p.audio] == [("generate", "b")]
    assert [(c.action, c.key, c.reason, the(ReplaceEpisode, c).republish) for c in p.episodes] == [
        ("replace", "b", "source_changed", False)
    ]


def test_title_edit_republishes_same_audio_without_a_job() -> None:
    before = show(episode("a"))
    lock, live = published(before)
    after = show(episode("a", title="A better title"))
    p = plan(Desired((after,)), lock, live)
    assert p.summary()["audio"] == {"generate": 0, "reuse": 1}
    (only,) = p.episodes
    change = the(ReplaceEpisode, only)
    assert (change.action, change.reason, change.republish) == ("replace", "title_changed", True)
    assert change.episode_id == "0"
    assert p.warnings == ()  # the replace itself says it is re-published, once


def test_episode_removed_by_hand_is_re_added_from_cached_audio() -> None:
    s = show(episode("a"), episode("b"))
    lock, live = published(s)
    live_show = live.shows[0]
    live = Live(
        (LiveShow(live_show.show_id, s.title, s.description, None, (live_show.episodes or ())[:1]),)
    )
    p = plan(Desired((s,)), lock, live)
    assert [(c.action, c.key, c.reason) for c in p.episodes] == [("add", "b", "drift_removed")]
    assert [(j.action, the(ReuseAudio, j).mic_id) for j in p.audio] == [("reuse", "mic-b")]


def test_show_edited_by_hand_is_set_back_as_drift() -> None:
    s = show(episode("a"))
    lock, live = published(s)
    edited = LiveShow("tw-1", "Hacked", s.description, None, live.shows[0].episodes)
    p = plan(Desired((s,)), lock, Live((edited,)))
    (only,) = p.shows
    change = the(UpdateShow, only)
    assert (change.action, change.reason, change.before) == (
        "update",
        "drift_changed",
        {"title": "Hacked"},
    )


def test_show_title_edited_in_manifest_is_an_update_not_drift() -> None:
    s = show(episode("a"))
    lock, live = published(s)
    renamed = show(episode("a"), title="Tech Monthly")
    (change,) = plan(Desired((renamed,)), lock, live).shows
    assert (change.action, change.reason) == ("update", "title_changed")


def test_episode_removed_from_manifest_is_removed_live() -> None:
    s = show(episode("a"), episode("b"))
    lock, live = published(s)
    p = plan(Desired((show(episode("a")),)), lock, live)
    assert [(c.action, c.key, episode_id(c)) for c in p.episodes] == [("remove", "b", "1")]
    assert p.has_deletes


def test_unmanaged_live_episodes_are_reported_and_left_alone() -> None:
    s = show(episode("a"))
    lock, live = published(s)
    extra = LiveEpisode("99", "mic-x", "Hand made", "")
    episodes = (*(live.shows[0].episodes or ()), extra)
    live = Live((LiveShow("tw-1", s.title, s.description, None, episodes),))
    p = plan(Desired((s,)), lock, live)
    assert not p.has_changes
    assert [(u.episode_id, u.title) for u in p.unmanaged] == [("99", "Hand made")]


def test_removed_manifest_deletes_show_with_a_warning() -> None:
    s = show(episode("a"))
    lock, live = published(s)
    p = plan(Desired(()), lock, live)
    assert [(c.action, c.key, the(DeleteShow, c).show_id) for c in p.shows] == [
        ("delete", "tw", "tw-1")
    ]
    assert p.guards[0].flag == "--allow-destroy"


def test_lost_lock_adopts_live_show_and_episodes_instead_of_duplicating() -> None:
    s = show(episode("a"), episode("b"))
    _, live = published(s)
    p = plan(Desired((s,)), Lock(), live)
    assert [(c.action, the(AdoptShow, c).show_id) for c in p.shows] == [("adopt", "tw-1")]
    assert [(c.action, c.key, the(AdoptEpisode, c).mic_id) for c in p.episodes] == [
        ("adopt", "a", "mic-a"),
        ("adopt", "b", "mic-b"),
    ]
    assert p.summary()["audio"]["generate"] == 0


def test_lost_lock_with_two_same_titled_shows_stops_and_says_how_to_adopt() -> None:
    s = show(episode("a"))
    live = Live((LiveShow("x-1", s.title, "", None, ()), LiveShow("x-2", s.title, "", None, ())))
    with pytest.raises(PlanError, match="show_id: <one of them>"):
        plan(Desired((s,)), Lock(), live)


def test_show_deleted_by_hand_is_recreated_and_episodes_re_added_from_cache() -> None:
    s = show(episode("a"))
    lock, _ = published(s)
    p = plan(Desired((s,)), lock, Live(()))
    assert [(c.action, c.reason) for c in p.shows] == [("create", "drift_deleted")]
    assert [(c.action, c.key) for c in p.episodes] == [("add", "a")]
    assert [j.action for j in p.audio] == ["reuse"]


def test_failed_job_is_generated_again_and_queued_job_is_resumed() -> None:
    a, b = episode("a"), episode("b")
    lock = (
        Lock()
        .with_audio(a.source.digest, CachedAudio("m1", "failed", error="boom"))
        .with_audio(b.source.digest, CachedAudio("m2", "queued"))
    )
    p = plan(Desired((show(a, b),)), lock, Live(()))
    assert [(j.episode, j.action, getattr(j, "mic_id", None)) for j in p.audio] == [
        ("a", "generate", None),
        ("b", "resume", "m2"),
    ]
    assert p.summary()["audio"] == {"generate": 1, "reuse": 1}


def test_same_source_in_two_episodes_is_one_job() -> None:
    same = topic("shared")
    p = plan(
        Desired((show(episode("a", source=same), episode("b", source=same)),)), Lock(), Live(())
    )
    assert len(p.audio) == 1
    assert len(p.episodes) == 2


def test_adopts_episode_whose_add_answer_was_lost() -> None:
    """An add that reached the API but whose answer never came back is adopted, not re-added."""
    s = show(episode("a"))
    lock, live = published(s)
    lock = lock.without_episode("tw", "a")
    p = plan(Desired((s,)), lock, live)
    assert [(c.action, c.key, episode_id(c)) for c in p.episodes] == [("adopt", "a", "0")]


def test_reads_episodes_of_managed_shows_and_adoption_candidates_only() -> None:
    s = show(episode("a"))
    other = show(key="other", title="Other")
    lock, _ = published(s)
    live = [LiveShow("tw-1", "x", ""), LiveShow("o-1", "Other", ""), LiveShow("n-1", "Nope", "")]
    assert live_show_ids_to_read(Desired((s, other)), lock, live) == {"tw-1", "o-1"}


def test_lock_entries_gone_from_manifest_and_account_are_forgotten_silently() -> None:
    s = show(episode("a"), episode("b"))
    lock, live = published(s)
    lock = lock.with_show("gone", LockedShow("g-1", "Gone", ""))
    live_show = live.shows[0]
    live = Live((LiveShow("tw-1", s.title, s.description, None, (live_show.episodes or ())[:1]),))
    p = plan(Desired((show(episode("a")),)), lock, live)
    assert not p.has_changes
    assert set(p.forget) == {ForgetEpisode("tw", "b"), ForgetShow("gone")}


def test_key_renamed_with_show_id_moves_the_lock_entry_and_deletes_nothing() -> None:
    s = show(episode("a"))
    lock, live = published(s)
    renamed = Show("tech", s.title, s.description, s.episodes, show_id="tw-1")
    p = plan(Desired((renamed,)), lock, live)
    assert [(c.action, c.key, the(AdoptShow, c).renamed_from) for c in p.shows] == [
        ("adopt", "tech", "tw")
    ]
    assert not p.episodes and not p.audio


def test_key_renamed_without_show_id_is_recognised_by_title() -> None:
    s = show(episode("a"))
    lock, live = published(s)
    renamed = show(episode("a"), key="tech")
    p = plan(Desired((renamed,)), lock, live)
    assert [(c.action, c.reason) for c in p.shows] == [("adopt", "renamed")]
    assert not p.episodes


def test_show_id_already_managed_by_another_manifest_is_refused() -> None:
    s = show(episode("a"))
    lock, live = published(s)
    thief = Show("other", "Other", "", (), show_id="tw-1")
    with pytest.raises(PlanError, match="managed by show 'tw' already"):
        plan(Desired((s, thief)), lock, live)


def test_recorded_show_gone_but_same_title_live_is_adopted_not_duplicated() -> None:
    s = show(episode("a"))
    lock, _ = published(s, show_id="elsewhere-1")
    _, live = published(s, show_id="here-1")
    p = plan(Desired((s,)), lock, live)
    assert [(c.action, the(AdoptShow, c).show_id) for c in p.shows] == [("adopt", "here-1")]


def test_hand_made_episode_with_a_manifest_title_is_not_adopted_in_a_managed_show() -> None:
    s = show(episode("a"))
    lock, live = published(s)
    hand = LiveEpisode("99", "mic-hand", "New one", "")
    episodes = (*(live.shows[0].episodes or ()), hand)
    live = Live((LiveShow("tw-1", s.title, s.description, None, episodes),))
    p = plan(Desired((show(episode("a"), episode("n", title="New one")),)), lock, live)
    assert [(c.action, c.key) for c in p.episodes] == [("add", "n")]
    assert [j.action for j in p.audio] == ["generate"]
    assert [u.episode_id for u in p.unmanaged] == ["99"]


def test_adoption_sets_a_differing_description_right_in_the_same_plan() -> None:
    s = show(episode("a"))
    _, live = published(s)
    edited = show(Episode("a", "A", "a new description", s.episodes[0].source))
    p = plan(Desired((edited,)), Lock(), live)
    assert [(c.action, c.key, getattr(c, "republish", False)) for c in p.episodes] == [
        ("adopt", "a", False),
        ("replace", "a", True),
    ]
    # the live value is what gets recorded
    assert the(AdoptEpisode, p.episodes[0]).description == "about a"


def test_cached_audio_the_account_does_not_have_is_generated_again() -> None:
    a, b = episode("a"), episode("b")
    lock = (
        Lock()
        .with_audio(a.source.digest, CachedAudio("m1", "succeeded"))
        .with_audio(b.source.digest, CachedAudio("m2", "queued"))
    )
    live = Live((), audio={"m1": "missing", "m2": "succeeded"})
    p = plan(Desired((show(a, b),)), lock, live)
    assert [(j.episode, j.action) for j in p.audio] == [("a", "generate"), ("b", "reuse")]


def test_cached_audio_to_verify_is_what_the_plan_would_reuse_or_resume() -> None:
    a, b, c = episode("a"), episode("b"), episode("c")
    lock = (
        Lock()
        .with_audio(a.source.digest, CachedAudio("m1", "succeeded"))
        .with_audio(b.source.digest, CachedAudio("m2", "running"))
    )
    assert audio_to_verify(Desired((show(a, b, c),)), lock, Live(())) == {"m1", "m2"}


def test_warns_when_the_feed_cannot_follow_manifest_order() -> None:
    s = show(episode("b"), episode("c"))
    lock, live = published(s)
    p = plan(Desired((show(episode("a"), episode("b"), episode("c")),)), lock, live)
    assert any(
        "will list episodes newest first as a, c, b, not in manifest order (newest first: c, b, a)"
        in w
        for w in said(p)
    )
    swapped = plan(Desired((show(episode("c"), episode("b")),)), lock, live)
    assert not swapped.has_changes
    assert any("not in manifest order (newest first: b, c)" in w for w in said(swapped))


def test_deleting_a_show_warns_about_episodes_podsync_did_not_create() -> None:
    s = show(episode("a"))
    lock, live = published(s)
    hand = LiveEpisode("99", "mic-hand", "Hand made", "")
    episodes = (*(live.shows[0].episodes or ()), hand)
    live = Live((LiveShow("tw-1", s.title, s.description, None, episodes),))
    p = plan(Desired(()), lock, live)
    assert dict(p.guards[0].params) == {"show_id": "tw-1", "episodes": 2, "foreign": 1}


def two_shows() -> tuple[Show, Show, Lock, Live]:
    a = show(episode("a1"), key="a", title="Alpha")
    b = show(episode("b1"), key="b", title="Beta")
    lock_a, live_a = published(a, show_id="alp-1")
    lock_b, live_b = published(b, show_id="bet-1")
    lock = Lock(shows={**lock_a.shows, **lock_b.shows}, audio={**lock_a.audio, **lock_b.audio})
    return a, b, lock, Live(live_a.shows + live_b.shows)


def test_show_id_moving_to_a_removed_manifests_show_takes_it_over_and_deletes_nothing() -> None:
    a, b, lock, live = two_shows()
    moved = Show("a", "Alpha", "desc", b.episodes, show_id="bet-1")
    p = plan(Desired((moved,)), lock, live)
    assert [
        (c.action, c.key, the(AdoptShow, c).show_id) for c in p.shows if c.action != "update"
    ] == [("adopt", "a", "bet-1")]
    assert the(AdoptShow, p.shows[0]).renamed_from == "b"
    assert not any(c.action == "delete" for c in p.shows)
    assert any("alp-1 and its 1 episode stay in the account" in w for w in said(p))


def test_explicit_show_id_wins_over_title_adoption_in_the_same_plan() -> None:
    hand = LiveShow("han-1", "Hand", "", None, ())
    by_title = Show("a", "Hand", "", ())
    by_id = Show("z", "Zed", "", (), show_id="han-1")
    p = plan(Desired((by_title, by_id)), Lock(), Live((hand,)))
    assert [
        (c.action, c.key, getattr(c, "show_id", None)) for c in p.shows if c.action != "update"
    ] == [
        ("create", "a", None),
        ("adopt", "z", "han-1"),
    ]


def test_lock_from_another_account_still_adopts_same_titled_episodes() -> None:
    s = show(episode("a"))
    foreign_lock, _ = published(s, show_id="elsewhere-1")
    _, live = published(s, show_id="here-1")
    live = Live(live.shows, audio={"mic-a": "missing"})
    p = plan(Desired((s,)), foreign_lock, live)
    assert [(c.action, c.key) for c in p.episodes] == [("adopt", "a")]
    assert not p.audio


def test_episode_removed_by_hand_is_re_added_from_its_published_audio_without_cache() -> None:
    s = show(episode("a"))
    lock, live = published(s)
    lock = Lock(shows=lock.shows)  # adopted episodes have no cache entry
    gone = Live((LiveShow("tw-1", s.title, s.description, None, ()),))
    p = plan(Desired((s,)), lock, gone)
    assert [(j.action, the(ReuseAudio, j).mic_id) for j in p.audio] == [("reuse", "mic-a")]
    assert audio_to_verify(Desired((s,)), lock, gone) == {"mic-a"}


def test_renamed_show_deleted_by_hand_is_created_and_the_old_key_forgotten() -> None:
    s = show(episode("a"))
    lock, _ = published(s)
    renamed = show(episode("a"), key="tech")
    p = plan(Desired((renamed,)), lock, Live(()))
    assert [(c.action, c.key) for c in p.shows] == [("create", "tech")]
    assert p.forget == (ForgetShow("tw"),)


def test_renamed_shows_that_swap_titles_are_not_guessed_and_a_hint_is_given() -> None:
    a, b, lock, live = two_shows()
    a2 = Show("a2", "Beta", "desc", a.episodes)
    b2 = Show("b2", "Alpha", "desc", b.episodes)
    p = plan(Desired((a2, b2)), lock, live)
    assert sorted((c.action, c.key) for c in p.shows) == [
        ("create", "a2"),
        ("create", "b2"),
        ("delete", "a"),
        ("delete", "b"),
    ]
    assert WarningCode.RENAME_HINT in [w.code for w in p.warnings]


def test_renaming_an_episode_key_keeps_the_live_episode() -> None:
    before = show(episode("a"), episode("b"))
    lock, live = published(before)
    b = before.episodes[1]
    after = show(episode("a"), Episode("bee", b.title, b.description, b.source))
    p = plan(Desired((after,)), lock, live)
    assert [
        (c.action, c.key, the(AdoptEpisode, c).renamed_from, episode_id(c)) for c in p.episodes
    ] == [("adopt", "bee", "b", "1")]
    assert not p.audio and not p.forget


def test_a_renamed_key_with_a_new_title_is_republished_with_the_same_audio() -> None:
    before = show(episode("a"), episode("b"))
    lock, live = published(before)
    b = before.episodes[1]
    after = show(episode("a"), Episode("bee", "Better title", b.description, b.source))
    p = plan(Desired((after,)), lock, live)
    assert [(c.action, c.key, c.reason) for c in p.episodes] == [
        ("adopt", "bee", "renamed"),
        ("replace", "bee", "title_changed"),
    ]
    assert [(j.action, the(ReuseAudio, j).mic_id) for j in p.audio] == [("reuse", "mic-b")]


def test_two_new_keys_with_the_removed_source_are_no_rename() -> None:
    before = show(episode("a"), episode("b"))
    lock, live = published(before)
    b = before.episodes[1]
    after = show(
        episode("a"),
        Episode("b1", "B one", "", b.source),
        Episode("b2", "B two", "", b.source),
    )
    p = plan(Desired((after,)), lock, live)
    assert sorted((c.action, c.key) for c in p.episodes) == [
        ("add", "b1"),
        ("add", "b2"),
        ("remove", "b"),
    ]


def test_a_republish_whose_add_answer_was_lost_is_adopted_not_added_again() -> None:
    # An adopted episode (no audio cache) re-published for a new description: the old live
    # episode was removed and the new one added, but the lock still holds the old record.
    s = show(episode("a"))
    lock, _ = published(s)
    lock = Lock(shows=lock.shows)  # adopted: nothing in the audio cache
    readded = LiveEpisode("9", "mic-a", "A", "about a")
    live = Live((LiveShow("tw-1", "Tech Weekly", "desc", None, (readded,)),))
    p = plan(Desired((s,)), lock, live)
    assert [(c.action, c.key, episode_id(c)) for c in p.episodes] == [("adopt", "a", "9")]
    assert not p.audio


def test_unmanaged_copies_of_managed_shows_and_episodes_are_named_as_possible_duplicates() -> None:
    """Issue 9: a create re-sent after a lost answer can leave a second copy; the plan names
    it (a show by title, an episode by title or audio), and leaves unrelated ones alone."""
    s = show(episode("a"), episode("b"))
    lock, live = published(s)
    [managed] = live.shows
    assert managed.episodes is not None
    copies = (
        LiveEpisode("90", "mic-x", "A", ""),  # the title of 'a'
        LiveEpisode("91", "mic-b", "Renamed", ""),  # the audio of 'b'
        LiveEpisode("92", "mic-y", "Someone else's", ""),
    )
    live = Live(
        (
            LiveShow(managed.show_id, s.title, s.description, None, managed.episodes + copies),
            LiveShow("tw-2", s.title, ""),
            LiveShow("other", "Another show", ""),
        )
    )
    p = plan(Desired((s,)), lock, live)
    assert not p.has_changes
    duplicates = [w for w in said(p) if w.startswith("possible duplicate")]
    assert duplicates == [
        "possible duplicate in show 'tw': live episode 'A', id 90, not managed by podsync; if "
        "an apply published it twice, remove the extra one by hand",
        "possible duplicate in show 'tw': live episode 'Renamed', id 91, not managed by "
        "podsync; if an apply published it twice, remove the extra one by hand",
        "possible duplicate of show 'tw': live show 'Tech Weekly', id tw-2, not managed by "
        "podsync; if an apply created it twice, delete the extra one by hand",
    ]


def test_a_retired_old_version_still_live_is_removed_naming_the_republish() -> None:
    s = show(episode("a"), episode("b"))
    lock, live = published(s)
    old = LiveEpisode("old-a", "mic-a", "An older title", "about a")
    live = Live((replace(live.shows[0], episodes=(*(live.shows[0].episodes or ()), old)),))
    lock = lock.with_retired("tw", "old-a", "a").with_retired("tw", "gone", "b")
    p = plan(Desired((s,)), lock, live)
    assert [(c.action, c.key, episode_id(c), c.reason) for c in p.episodes] == [
        ("remove", "a", "old-a", "republished_old_version")
    ]
    assert p.unmanaged == ()  # podsync's own, not someone else's
    assert p.warnings == ()
    held = plan(Desired((s,)), lock, live, no_delete=True)
    assert not held.has_changes
    assert "remove the old version of episode 'tw/a'" in said(held)[-1]


def test_a_republish_killed_before_its_lock_write_is_finished_not_repeated() -> None:
    before = show(episode("a"), episode("b"))
    lock, live = published(before)
    after = show(episode("a", title="A better title"), episode("b"))
    added = LiveEpisode("new-a", "mic-a", "A better title", "about a")  # live, not in the lock
    live = Live((replace(live.shows[0], episodes=(*(live.shows[0].episodes or ()), added)),))
    p = plan(Desired((after,)), lock, live)
    assert [(c.action, c.key, episode_id(c)) for c in p.episodes] == [
        ("adopt", "a", "new-a"),
        ("remove", "a", "0"),
    ]
    assert p.audio == ()  # nothing published again, nothing paid
    # Someone else's episode that differs in audio is not taken for podsync's new version.
    other = replace(added, mic_id="mic-someone-else")
    live = Live((replace(live.shows[0], episodes=(*(live.shows[0].episodes or ())[:2], other)),))
    p = plan(Desired((after,)), lock, live)
    assert [(c.action, c.key) for c in p.episodes] == [("replace", "a")]
    assert [u.episode_id for u in p.unmanaged] == ["new-a"]
