"""The planner is pure: these tests build its three inputs by hand and read the plan."""

from __future__ import annotations

import pytest

from podsync.errors import PlanError
from podsync.lock import CachedAudio, Lock, LockedEpisode, LockedShow
from podsync.model import Desired, Episode, Live, LiveEpisode, LiveShow, Show, Source
from podsync.planner import live_show_ids_to_read, plan


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
    assert [(c.action, c.key, c.position) for c in p.episodes] == [("add", "a", 0), ("add", "b", 1)]
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
    assert [(c.action, c.key, c.reason, c.republish) for c in p.episodes] == [
        ("replace", "b", "source changed", False)
    ]


def test_title_edit_republishes_same_audio_without_a_job() -> None:
    before = show(episode("a"))
    lock, live = published(before)
    after = show(episode("a", title="A better title"))
    p = plan(Desired((after,)), lock, live)
    assert p.summary()["audio"] == {"generate": 0, "reuse": 1}
    (change,) = p.episodes
    assert (change.action, change.reason, change.republish) == ("replace", "title changed", True)
    assert change.episode_id == "0"
    assert any("moves to the top of the feed" in w for w in p.warnings)


def test_episode_removed_by_hand_is_re_added_from_cached_audio() -> None:
    s = show(episode("a"), episode("b"))
    lock, live = published(s)
    live_show = live.shows[0]
    live = Live(
        (LiveShow(live_show.show_id, s.title, s.description, None, live_show.episodes[:1]),)
    )
    p = plan(Desired((s,)), lock, live)
    assert [(c.action, c.key, c.reason) for c in p.episodes] == [
        ("add", "b", "drift: removed outside podsync")
    ]
    assert [(j.action, j.mic_id) for j in p.audio] == [("reuse", "mic-b")]


def test_show_edited_by_hand_is_set_back_as_drift() -> None:
    s = show(episode("a"))
    lock, live = published(s)
    edited = LiveShow("tw-1", "Hacked", s.description, None, live.shows[0].episodes)
    p = plan(Desired((s,)), lock, Live((edited,)))
    (change,) = p.shows
    assert (change.action, change.reason, change.before) == (
        "update",
        "drift: changed outside podsync",
        {"title": "Hacked"},
    )


def test_show_title_edited_in_manifest_is_an_update_not_drift() -> None:
    s = show(episode("a"))
    lock, live = published(s)
    renamed = show(episode("a"), title="Tech Monthly")
    (change,) = plan(Desired((renamed,)), lock, live).shows
    assert (change.action, change.reason) == ("update", "title changed")


def test_episode_removed_from_manifest_is_removed_live() -> None:
    s = show(episode("a"), episode("b"))
    lock, live = published(s)
    p = plan(Desired((show(episode("a")),)), lock, live)
    assert [(c.action, c.key, c.episode_id) for c in p.episodes] == [("remove", "b", "1")]
    assert p.has_deletes


def test_unmanaged_live_episodes_are_reported_and_left_alone() -> None:
    s = show(episode("a"))
    lock, live = published(s)
    extra = LiveEpisode("99", "mic-x", "Hand made", "")
    live = Live((LiveShow("tw-1", s.title, s.description, None, (*live.shows[0].episodes, extra)),))
    p = plan(Desired((s,)), lock, live)
    assert not p.has_changes
    assert [(u.episode_id, u.title) for u in p.unmanaged] == [("99", "Hand made")]


def test_removed_manifest_deletes_show_with_a_warning() -> None:
    s = show(episode("a"))
    lock, live = published(s)
    p = plan(Desired(()), lock, live)
    assert [(c.action, c.key, c.show_id) for c in p.shows] == [("delete", "tw", "tw-1")]
    assert "--allow-destroy" in p.warnings[0]


def test_lost_lock_adopts_live_show_and_episodes_instead_of_duplicating() -> None:
    s = show(episode("a"), episode("b"))
    _, live = published(s)
    p = plan(Desired((s,)), Lock(), live)
    assert [(c.action, c.show_id) for c in p.shows] == [("adopt", "tw-1")]
    assert [(c.action, c.key, c.mic_id) for c in p.episodes] == [
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
    assert [(c.action, c.reason) for c in p.shows] == [("create", "drift: deleted outside podsync")]
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
    assert [(j.episode, j.action, j.mic_id) for j in p.audio] == [
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
    assert [(c.action, c.key, c.episode_id) for c in p.episodes] == [("adopt", "a", "0")]


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
    live = Live((LiveShow("tw-1", s.title, s.description, None, live_show.episodes[:1]),))
    p = plan(Desired((show(episode("a")),)), lock, live)
    assert not p.has_changes
    assert set(p.forget) == {("tw", "b"), ("gone", None)}
