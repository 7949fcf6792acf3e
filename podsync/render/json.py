"""The plan as a JSON document, for machines: CI steps and scripts.

The document itself (plan_file.plan_to_dict) is serialised with sorted keys, so the same plan
always produces the same bytes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from podsync.plan import Plan
from podsync.plan_file import plan_to_dict
from podsync.safe_text import escape_json

if TYPE_CHECKING:  # the executor imports render: only its type is needed here
    from podsync.executor import Outcome


def render_json(plan: Plan) -> str:
    """Deterministic text of `plan_to_dict(plan)`: sorted keys, 2-space indent, final newline.

    Control and bidi characters a live title may carry are written as `\\uXXXX` escapes: the
    data is the same, but a terminal or CI log showing the document is not steered by it."""
    text = json.dumps(plan_to_dict(plan), sort_keys=True, indent=2, ensure_ascii=False)
    return escape_json(text) + "\n"


def render_apply_json(plan: Plan, outcome: Outcome) -> str:
    """`apply --format json`: the plan as `plan --format json` writes it and how the apply
    ended (done, failed, not started: the closing table's rows), as one document."""
    ended = {
        "ok": outcome.ok,
        "interrupted": outcome.interrupted,
        "done": outcome.done,
        "failed": [{"change": label, "reason": reason} for label, reason in outcome.failed],
        "not_started": [
            {"change": label, "reason": reason} for label, reason in outcome.not_started
        ],
        "warnings": outcome.warnings,
    }
    document = {"plan": plan_to_dict(plan), "outcome": ended}
    return escape_json(json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False)) + "\n"
