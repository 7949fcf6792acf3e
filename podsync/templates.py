"""Manifest templates: Jinja2 over the project's `vars`, in a sandbox with hard limits.

A manifest arrives in a pull request, possibly from a stranger, so its templates are untrusted
code: they run in Jinja's sandbox, undefined names are errors (a typo must not publish an empty
title), and output size and arithmetic are bounded so a template cannot exhaust memory.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

MAX_RENDERED_CHARS = 100_000


class TemplateProblem(Exception):
    """A template that cannot be rendered; the message is for the user, without a traceback."""


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox, plus limits on `*` and `**`: `{{ 'x' * 10**10 }}` would otherwise
    exhaust memory before any output limit could apply."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator: str, left: object, right: object) -> object:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise SecurityError("exponent too large")
        if operator == "*" and (_repeats_too_much(left, right) or _repeats_too_much(right, left)):
            raise SecurityError("repetition too large")
        return super().call_binop(context, operator, left, right)


def _repeats_too_much(seq: object, count: object) -> bool:
    if isinstance(seq, (str, list, tuple)) and isinstance(count, int):
        return len(seq) * count > MAX_RENDERED_CHARS
    return False


_ENV = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def render_template(source: str, variables: Mapping[str, object]) -> str:
    """Render one manifest string in the sandbox; raise TemplateProblem with a readable reason."""
    try:
        template = _ENV.from_string(source)
        chunks: list[str] = []
        size = 0
        for chunk in template.generate(dict(variables)):
            size += len(chunk)
            if size > MAX_RENDERED_CHARS:
                raise TemplateProblem(f"template output exceeds {MAX_RENDERED_CHARS:,} characters")
            chunks.append(chunk)
        return "".join(chunks)
    except TemplateProblem:
        raise
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"template syntax error: {exc.message}") from None
    except UndefinedError as exc:
        raise TemplateProblem(_undefined_message(source, variables, exc)) from None
    except SecurityError as exc:
        raise TemplateProblem(f"unsafe template: {str(exc).rstrip('.')}") from None
    # A template is user code: whatever it raises is a problem in the manifest, not a crash.
    except Exception as exc:
        raise TemplateProblem(f"template error: {type(exc).__name__}: {exc}") from None


def _undefined_message(source: str, variables: Mapping[str, object], exc: UndefinedError) -> str:
    names = sorted(meta.find_undeclared_variables(_ENV.parse(source)))
    unknown = [n for n in names if n not in variables and n not in _ENV.globals]
    if not unknown:
        return f"template error: {exc.message}"
    close = difflib.get_close_matches(unknown[0], [str(k) for k in variables], n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"undefined template variable '{unknown[0]}'{hint}"
