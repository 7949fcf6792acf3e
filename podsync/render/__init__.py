"""Plan renderers: one per format, all fed by the same Plan so they can never disagree.

    text      a terminal, Terraform-style (podsync/render/text.py)
    json      machines, saved plans and checksums (podsync/render/json.py, schemas/plan.schema.json)
    markdown  pull-request comments (podsync/render/markdown.py + templates/plan.md.j2)

Every renderer returns a complete document ending in exactly one newline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

# The plan types only for annotations: `podsync --help` imports this package for FORMATS and
# must not pay for the plan vocabulary (tests/test_startup.py).
if TYPE_CHECKING:
    from podsync.model import Desired
    from podsync.plan import Plan
    from podsync.plan_file import plan_to_dict as plan_to_dict

FORMATS: tuple[str, ...] = ("text", "json", "markdown")


def __getattr__(name: str) -> Any:
    """`plan_to_dict` stays importable from here (its home is podsync.plan_file)."""
    if name == "plan_to_dict":
        from podsync.plan_file import plan_to_dict

        return plan_to_dict
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FORMATS", "plan_to_dict", "render"]


def render(
    plan: Plan,
    fmt: str,
    *,
    color: bool = False,
    base: Desired | None = None,
    audio_pages: Mapping[str, str] | None = None,
    verbose: bool = False,
) -> str:
    """`plan` in format `fmt` (one of FORMATS); `color` adds ANSI codes to text output only;
    `base` (the manifests at a pull request's base) adds dialogue diffs to text and Markdown,
    and to every format the source fields a replace changes since it (podsync.field_diff);
    `audio_pages` enrich Markdown only; `verbose` shows text every warning (JSON always holds
    them all)."""
    if base is not None:
        from podsync.field_diff import with_base  # deepdiff: only when there is a base

        plan = with_base(plan, base)
    # imported here: a command that renders no plan (or only text) loads no template engine
    if fmt == "text":
        from podsync.render.text import render_text

        return render_text(plan, color=color, verbose=verbose, base=base)
    if fmt == "json":
        from podsync.render.json import render_json

        return render_json(plan)
    if fmt == "markdown":
        from podsync.render.markdown import render_markdown

        return render_markdown(plan, base=base, audio_pages=audio_pages)
    raise ValueError(f"unknown plan format {fmt!r}; expected one of {', '.join(FORMATS)}")
