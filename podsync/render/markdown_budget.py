"""How much of a long plan one Markdown rendering shows: the fold limits and the budgets
render_markdown tries in turn to fit GitHub's comment limit, shared by markdown.py (which
picks a budget) and markdown_context.py (which honours it)."""

from __future__ import annotations

from dataclasses import dataclass

FOLD_ROWS = 25  # a table or list longer than this folds into <details>
FOLD_DIFF_LINES = 20
CUT_NOTE = "see the full plan in the job summary or run `podsync plan`"
CELL_CHARS = 300  # a title in a table: the API allows 255, a live one may be any length


@dataclass(frozen=True)
class Budget:
    """How much of a long plan one rendering shows; None is no limit."""

    rows: int | None  # table rows and list items in the whole document
    diff_lines: int | None  # lines of each dialogue diff
    warnings: int | None
    width: int  # characters of any one title, reason or warning


Detail = tuple[int | None, int | None, int]
# (diff_lines, warnings, width): everything, then less detail, then the least before the
# minimal document that gives counts only.
DETAIL: tuple[Detail, ...] = ((None, None, 2_000), (60, 30, 500), (10, 10, 200))


LAST_RESORT = Budget(0, 0, 0, 200)
