"""The show steps of an apply: create, adopt, update and delete."""

from __future__ import annotations

from dataclasses import replace

from podsync import failpoints
from podsync.errors import ApiError
from podsync.executor.base import ExecutorBase
from podsync.executor.records import adopt_show
from podsync.lock import LockedShow
from podsync.model import LiveShow
from podsync.plan import DeleteShow, ShowChange
from podsync.render.phrases import show_reason


class ShowSteps(ExecutorBase):
    async def _apply_show(self, change: ShowChange) -> None:
        label = f"show {change.key}"
        lock = self.store.lock
        try:
            if change.action == "create":
                live = await self._create_show(change.title, change.description)
                failpoints.reached("show-created")
                lock = self.store.lock.with_show(  # as it is now: other shows run meanwhile
                    change.key, LockedShow(live.show_id, live.title, live.description)
                )
                self.report(f"+ created {label} ({live.show_id})")
            elif change.action == "adopt":
                lock = adopt_show(lock, change)
                self.report(f"= adopted {label} ({change.show_id})")
            elif change.action == "update":
                live = await self.client.update_show(
                    change.show_id, change.title, change.description
                )
                lock = self.store.lock
                recorded = lock.shows[change.key]
                lock = lock.with_show(
                    change.key, replace(recorded, title=live.title, description=live.description)
                )
                self.report(f"~ updated {label} ({show_reason(change.reason)})")
        except ApiError as exc:
            self._fail(label, exc.for_target(label))
            self._broken_shows[change.key] = label
            return
        await self.store.commit(lock)
        self._show_ids[change.key] = lock.shows[change.key].show_id
        self.outcome.done.append(f"{change.action} {label}")

    async def _create_show(self, title: str, description: str) -> LiveShow:
        async def find() -> LiveShow | None:
            claimed = set(self._show_ids.values()) | self._existed
            shows = await self.client.list_shows()
            return next((s for s in shows if s.title == title and s.show_id not in claimed), None)

        return await self._create_once(
            lambda: self.client.create_show(title, description), find, f"show '{title}'"
        )

    async def _delete_show(self, change: DeleteShow) -> None:
        label = f"show {change.key}"
        if self._refuse_protected(change.key, None, label):
            return
        if not self.allow_destroy:
            self.outcome.not_started.append((label, "deleting a show needs --allow-destroy"))
            return
        try:
            await self.client.delete_show(change.show_id)
        except ApiError as exc:
            if exc.status != 404:  # already deleted by hand since the plan: nothing left to do
                self._fail(label, exc.for_target(label))
                return
        await self.store.commit(self.store.lock.without_show(change.key))
        self.outcome.done.append(f"delete {label}")
        self.report(f"- deleted {label} ({change.show_id})")
