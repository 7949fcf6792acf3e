"""The steps the operations are made of: read the three inputs, make the plan, run the
executor, report how it ended.

Each step takes an API client or an endpoint given to it; podsync.operations puts them in order
under the apply mutex. Tests drive a single step with their own client.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from dataclasses import dataclass, replace

from podsync.client import ZenMicClient
from podsync.endpoint import Endpoint
from podsync.errors import LockError, PlanError, PodsyncError, UnsafePlan
from podsync.executor import (
    Executor,
    Outcome,
    PollPolicy,
    Report,
    forget_retired,
    forget_stale,
    record_protection,
)
from podsync.gc_pause import gc_paused

# re-exported: where callers have always found them
from podsync.inputs import Inputs as Inputs
from podsync.inputs import load_desired as load_desired
from podsync.inputs import load_inputs as load_inputs
from podsync.inputs import reread_lock as reread_lock
from podsync.live import live_from_lock, read_audio_jobs, read_live
from podsync.lock import LockStore
from podsync.model import AUDIO_SUCCEEDED, Live, LiveShow
from podsync.plan import GuardCode, Plan
from podsync.planner import audio_to_verify, live_show_ids_to_read, plan
from podsync.progress import Observer
from podsync.render.phrases import guard_text


@dataclass(frozen=True, repr=False)
class Planned:
    inputs: Inputs
    live: Live
    plan: Plan

    def __repr__(self) -> str:
        # Short on purpose: asyncio.run() reprs its main task, result included, when it puts
        # back the SIGINT handler (Python 3.11's signal module formats an error message with
        # it), and the full repr of a large project's plan took a tenth of a second.
        shows, plan = len(self.inputs.desired.shows), self.plan
        changes = len(plan.shows) + len(plan.episodes) + len(plan.audio)
        return f"Planned({shows} show(s), {changes} change(s))"


async def read_and_plan(
    inputs: Inputs,
    client: ZenMicClient,
    *,
    concurrency: int = 8,
    no_delete: bool = False,
    regenerate: frozenset[str] = frozenset(),
) -> Planned:
    """Read what the plan needs (phase one, podsync.planner.reads: the show listing, the
    episodes of the shows it names, the status of the cached jobs it names), then plan once."""
    desired, lock = inputs.desired, inputs.lock

    def wanted(shows: list[LiveShow]) -> frozenset[str]:
        return live_show_ids_to_read(desired, lock, shows)

    with gc_paused():
        names = request_targets(inputs)
        live = await read_live(client, wanted, concurrency=concurrency, name=names.show)
        mic_ids = audio_to_verify(desired, lock, live)
        if mic_ids:
            jobs = await read_audio_jobs(client, mic_ids, concurrency=concurrency, name=names.audio)
            live = replace(live, audio={m: job.status for m, job in jobs.items()}, jobs=jobs)
        return Planned(
            inputs, live, plan(desired, lock, live, no_delete=no_delete, regenerate=regenerate)
        )


def plan_offline(
    inputs: Inputs, *, no_delete: bool = False, regenerate: frozenset[str] = frozenset()
) -> Planned:
    """The plan from the manifests and podsync.lock alone, sending no request: for a pull
    request from a fork, which gets no API key. It shows the manifests' changes against what
    podsync last applied; drift, hand-made episodes and expired audio only a real plan sees,
    so the plan says the account was not read (live_read False) and cannot be applied."""
    live = live_from_lock(inputs.lock)
    desired, lock = inputs.desired, inputs.lock
    with gc_paused():
        return Planned(
            inputs, live, plan(desired, lock, live, no_delete=no_delete, regenerate=regenerate)
        )


@dataclass(frozen=True)
class Targets:
    """Name the show or episode a failed read was for by its manifest key, not by an API id
    that means nothing to the person reading the error."""

    shows: dict[str, str]
    episodes: dict[str, str]

    def show(self, show_id: str) -> str:
        key = self.shows.get(show_id)
        return f"show {key} ({show_id})" if key else f"show {show_id}"

    def audio(self, mic_id: str) -> str:
        episode = self.episodes.get(mic_id)
        return f"audio for {episode} ({mic_id})" if episode else f"cached audio {mic_id}"


def request_targets(inputs: Inputs) -> Targets:
    shows = {s.show_id: key for key, s in inputs.lock.shows.items()}
    by_digest = {
        e.source.digest: f"{show.key}/{e.key}"
        for show in inputs.desired.shows
        for e in show.episodes
    }
    episodes = {
        audio.mic_id: by_digest[digest]
        for digest, audio in inputs.lock.audio.items()
        if digest in by_digest
    }
    for show in inputs.desired.shows:  # `source: {audio: mic_id}` names its job outright
        for e in show.episodes:
            if e.source.mic_id:
                episodes.setdefault(e.source.mic_id, f"{show.key}/{e.key}")
    return Targets(shows, episodes)


def check_safe(
    proposed: Plan, *, allow_destroy: bool = False, allow_mass_removal: bool = False
) -> None:
    """Refuse the whole apply, before any change, when a guard trips: a show deleted, too many
    of a show's episodes removed at once, or something protected removed. Every tripped guard
    is named, with the flag that lifts it (a protected one has none)."""
    allowed = {
        flag
        for flag, given in (
            ("--allow-destroy", allow_destroy),
            ("--allow-mass-removal", allow_mass_removal),
        )
        if given
    }
    refused = proposed.refused(frozenset(allowed))
    if refused:
        raise UnsafePlan([guard_text(g) for g in refused])


async def execute(
    planned: Planned,
    client: ZenMicClient,
    *,
    concurrency: int = 8,
    allow_destroy: bool = False,
    poll: PollPolicy | None = None,
    report: Report | None = None,
    outcome: Outcome | None = None,
    observe: Observer | None = None,
) -> Outcome:
    store = LockStore(planned.inputs.lock_path, planned.inputs.lock)
    executor = Executor(
        client,
        store,
        planned.plan,
        concurrency=concurrency,
        allow_destroy=allow_destroy,
        poll=poll,
        report=report,
        outcome=outcome,
        live=planned.live,
        observe=observe,
    )
    return await _closing(store, executor.run())


def prune_lock(planned: Planned) -> None:
    """With nothing to change live, still do the lock-only work: forget what left both the
    manifests and the account, and record `protect:` changes."""
    store = LockStore(planned.inputs.lock_path, planned.inputs.lock)
    forget_stale(store, planned.plan)
    forget_retired(store, planned.live)
    record_protection(store, planned.plan)
    store.close()


async def generate_audio(
    planned: Planned,
    client: ZenMicClient,
    *,
    concurrency: int = 8,
    poll: PollPolicy | None = None,
    report: Report | None = None,
    outcome: Outcome | None = None,
    observe: Observer | None = None,
) -> Outcome:
    """Listen before merge: get the audio of every episode the plan adds or replaces with new
    audio (submit it, or wait on a job an earlier run submitted), record each job in the
    lock's audio cache, and change nothing else: no show, no episode. The cache is keyed by the
    source, so the apply that follows reuses these jobs and pays for none of them again."""
    if not planned.plan.live_read:
        raise PlanError(
            "an offline plan cannot be previewed: it did not read the account, so the audio it "
            "would reuse is unconfirmed; plan with an API key"
        )
    stale = [g for g in planned.plan.guards if g.code is GuardCode.STALE_SCRIPT]
    if stale:  # a preview pays for audio too
        raise UnsafePlan([guard_text(g) for g in stale])
    store = LockStore(planned.inputs.lock_path, planned.inputs.lock)
    executor = Executor(
        client,
        store,
        planned.plan,
        concurrency=concurrency,
        poll=poll,
        report=report,
        outcome=outcome,
        observe=observe,
    )
    return await _closing(store, executor.run_audio())


async def _closing(store: LockStore, run: Awaitable[Outcome]) -> Outcome:
    """Run, then compact the lock: a run that ends, even by an error or Ctrl-C, leaves the
    whole lock and no journal. If the lock cannot be written then, the journal stays and the
    next run replays it; the error that stopped the run is the one raised."""
    try:
        outcome = await run
    except BaseException:
        with contextlib.suppress(LockError):
            store.close()
        raise
    store.close()
    return outcome


def audio_pages(plan: Plan, live: Live) -> dict[str, str]:
    """digest -> audio page of the plan's finished audio (after a preview, say): where a
    reviewer can listen to an episode before it is published. The page is the one the account
    gives for the job now, never one the lock or a plan comment names: a pull request can edit
    those to send a reviewer to any site, and to make any job look like the episode's."""
    pages = {}
    for job in plan.audio:
        found = live.jobs.get(getattr(job, "mic_id", ""))
        if found is not None and found.status == AUDIO_SUCCEEDED and found.audio_page_url:
            pages[job.digest] = found.audio_page_url
    return pages


@dataclass
class Applied:
    """How an apply ended: its outcome, and the error that stopped it early (a lock it cannot
    write), which the caller raises once it has reported how far the apply got."""

    outcome: Outcome
    stopped_by: PodsyncError | None = None

    def raise_if_stopped(self) -> None:
        if self.stopped_by is not None:
            raise self.stopped_by


def execute_plan(
    endpoint: Endpoint,
    planned: Planned,
    *,
    concurrency: int = 8,
    allow_destroy: bool = False,
    poll: PollPolicy | None = None,
    report: Report | None = None,
    observe: Observer | None = None,
) -> Applied:
    """Execute the plan in its own event loop, for the CLI's apply and the GitHub Action's
    alike, and always end with an Outcome: after Ctrl-C, or an error that stops the run
    midway, it is marked interrupted, so the done/failed/not-started table can still say
    where to pick up before the error is raised."""
    outcome = Outcome()
    try:
        asyncio.run(
            _execute_at(
                endpoint,
                planned,
                concurrency=concurrency,
                allow_destroy=allow_destroy,
                poll=poll,
                report=report,
                outcome=outcome,
                observe=observe,
            )
        )
    except KeyboardInterrupt:
        outcome.interrupted = True
    except PodsyncError as exc:
        outcome.interrupted = True
        return Applied(outcome, exc)
    return Applied(outcome)


async def _execute_at(
    endpoint: Endpoint,
    planned: Planned,
    *,
    concurrency: int,
    allow_destroy: bool,
    poll: PollPolicy | None,
    report: Report | None,
    outcome: Outcome,
    observe: Observer | None = None,
) -> Outcome:
    async with ZenMicClient(endpoint.url, endpoint.api_key) as client:
        return await execute(
            planned,
            client,
            concurrency=concurrency,
            allow_destroy=allow_destroy,
            poll=poll,
            report=report,
            outcome=outcome,
            observe=observe,
        )


def generate_preview_audio(
    endpoint: Endpoint,
    planned: Planned,
    *,
    concurrency: int = 8,
    poll: PollPolicy | None = None,
    report: Report | None = None,
    observe: Observer | None = None,
) -> Outcome:
    """generate_audio in its own event loop, ending with an Outcome even after Ctrl-C."""
    outcome = Outcome()

    async def run() -> Outcome:
        async with ZenMicClient(endpoint.url, endpoint.api_key) as client:
            return await generate_audio(
                planned,
                client,
                concurrency=concurrency,
                poll=poll,
                report=report,
                outcome=outcome,
                observe=observe,
            )

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        outcome.interrupted = True
    return outcome


def outcome_report(
    outcome: Outcome, what: str = "Apply", again: str = "podsync apply"
) -> tuple[str, list[str]]:
    """The closing table: a headline with the counts and, after a failure or Ctrl-C, one line
    per change saying where to pick up (a clean run needs only the counts: each step was
    reported as it happened)."""
    ended = "interrupted" if outcome.interrupted else "finished"
    rest = "; the rest of the plan was not started" if outcome.interrupted else ""
    headline = (
        f"{what} {ended}: {len(outcome.done)} done, {len(outcome.failed)} failed, "
        f"{len(outcome.not_started)} not started{rest}."
    )
    warnings = [f"  warning      {text}" for text in outcome.warnings]
    if outcome.ok:
        return headline, warnings
    details = warnings + [f"  done         {label}" for label in outcome.done]
    details += [f"  failed       {label}: {reason}" for label, reason in outcome.failed]
    details += [f"  not started  {label}: {reason}" for label, reason in outcome.not_started]
    details.append(
        f"Fix the cause and run `{again}` again: it picks up from here (audio jobs "
        "recorded in podsync.lock are waited on, not paid for again)."
    )
    return headline, details
