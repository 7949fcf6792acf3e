"""Manifest templates: Jinja2 over the project's `vars`, in a sandbox with hard limits.

A manifest arrives in a pull request, possibly from a stranger, so its templates are untrusted
code. Jinja's sandbox keeps them away from Python internals, but it bounds neither time nor
memory: `{{ 'a'.ljust(10**10) }}`, two nested loops of 100,000, a macro that calls itself
twice, or a namespace string doubled forty times would each hang validation or exhaust memory.
So on top of the sandbox:

- undefined names are errors (a typo must not publish an empty title);
- each render has FUEL: every loop iteration, call, filter and intercepted operator costs
  OPERATION_COST (a call CALL_COST) plus what it may build, estimated *before* it runs from
  its inputs (the product of the two largest: lengths, counts, widths, nested values counted
  in full), so `s.replace('x', s)` is refused before it allocates; an empty tank is an error.
  About 5 million units burn per second, so a render stops within half a second, and all the
  renders inside one `shared_fuel()` block (a project's validation) within a few seconds;
- no value a template builds (a call's result, a `{% set %}` block, a macro's output, the
  output itself) may exceed MAX_RENDERED_CHARS, and integers stay below MAX_INT_BITS;
- only plain data is printed, never an object's repr (`{{ self }}`, `{{ range }}`);
- `lipsum` is not offered: it builds hundreds of characters per unit of its argument.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, UndefinedError, meta, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer

MAX_RENDERED_CHARS = 100_000
MAX_INT_BITS = 100_000
FUEL = 2_000_000
PROJECT_FUEL = 25_000_000
OPERATION_COST = 20
CALL_COST = 1_000

_LOOP_FILTER = "_podsync_loop"
_CONCAT_FILTER = "_podsync_concat"
_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_FORMAT_FIELD = re.compile(r"\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}")


class TemplateProblem(Exception):
    """A template that cannot be rendered; the message is for the user, without a traceback."""


class _Tank:
    """The fuel left to one render, drawn from the shared tank it sits in, if any."""

    def __init__(self, fuel: int, shared: _Tank | None = None) -> None:
        self.left = fuel
        self.shared = shared

    def spend(self, cost: int) -> None:
        tank: _Tank | None = self
        while tank is not None:
            tank.left -= cost
            if tank.left < 0:
                raise SecurityError("the template does too much work")
            tank = tank.shared


_TANK: ContextVar[_Tank | None] = ContextVar("podsync_template_tank", default=None)


@contextmanager
def shared_fuel(fuel: int = PROJECT_FUEL) -> Iterator[None]:
    """Make every render inside the block also draw from one tank of `fuel`: a manifest can
    hold thousands of templates, so a project gets `fuel` in all, not thousands of FUELs."""
    token = _TANK.set(_Tank(fuel))
    try:
        yield
    finally:
        _TANK.reset(token)


def _spend(cost: int) -> None:
    """Charge `cost` to the current render; outside one (Jinja folding constants while it
    compiles), refuse only what a whole render could not afford."""
    tank = _TANK.get()
    if tank is not None:
        tank.spend(cost)
    elif cost > FUEL:
        raise SecurityError("the template does too much work")


def _weight(value: object, limit: int | None = None) -> int:
    """About how many characters printing `value` takes, counted up to just past `limit` (by
    default, the fuel left: counting is work too). Nested values count in full each time they
    appear, so `[s] * 1000` weighs 1000 copies of s and a list that contains itself is endless."""
    if limit is None:
        tank = _TANK.get()
        limit = tank.left if tank is not None else FUEL
    total, steps, stack = 0, 0, [value]
    while stack and total <= limit:
        steps += 1
        if steps > 2 * MAX_RENDERED_CHARS:
            raise SecurityError(f"a value exceeds {MAX_RENDERED_CHARS:,} characters")
        item = stack.pop()
        if isinstance(item, (str, range)):
            total += max(1, len(item))
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 1
            stack.extend(item)
        elif isinstance(item, dict):
            total += 1
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            total += 1
    return total


def _size(value: object) -> int:
    """How much an argument can make a call build: an integer is a count or a width."""
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value)
    return _weight(value)


def _charge(sizes: Iterable[int], base: int = OPERATION_COST) -> None:
    """Charge an operation whose inputs have these sizes: the product of the two largest
    bounds what padding, repetition, replacing or joining can build from them."""
    largest = [*sorted(sizes, reverse=True)[:2], 1, 1]
    _spend(base + largest[0] * max(1, largest[1]))


def _format_sizes(fmt: str, args: Iterable[object]) -> list[int]:
    """Sizes for `fmt % args` or `fmt.format(...)`: the widths and precisions written in `fmt`,
    and the arguments' own weight; numbers count as widths only where `fmt` takes its width
    from an argument (`%*d`, `{:{w}}`), so `'{:,}'.format(12000000)` stays cheap."""
    specs = [m.group(0) for m in _PRINTF_SPEC.finditer(fmt)] + _FORMAT_FIELD.findall(fmt)
    sizes = [int(digits) for spec in specs for digits in re.findall(r"\d+", spec)]
    width_from_args = any("*" in spec or spec.count("{") > 1 for spec in specs)
    for arg in args:
        number = isinstance(arg, int) and not isinstance(arg, bool)
        sizes.append(_size(arg) if width_from_args or not number else 1)
    return sizes


def _checked(value: Any) -> Any:
    """Refuse a value too large to be worth keeping, and charge for having looked."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_INT_BITS:
            raise SecurityError("number too large")
        return value
    weight = _weight(value, MAX_RENDERED_CHARS)
    if weight > MAX_RENDERED_CHARS:
        raise SecurityError(f"a value exceeds {MAX_RENDERED_CHARS:,} characters")
    _spend(weight)
    return value


def _printable(value: Any) -> Any:
    """Only plain data may be printed: an object's repr leaks internals, not content."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Undefined):
            str(item)  # StrictUndefined raises the usual "undefined" error here
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif item is not None and not isinstance(item, (str, int, float)):
            raise SecurityError(f"cannot print a {type(item).__name__!r} object")
    return _checked(value)


def _binop_sizes(operator: str, left: object, right: object) -> list[int]:
    ints = all(isinstance(v, int) and not isinstance(v, bool) for v in (left, right))
    if operator == "**":
        if isinstance(right, (int, float)) and abs(right) > 64:
            raise SecurityError("exponent too large")
        if ints and abs(left).bit_length() * abs(right) > MAX_INT_BITS:  # type: ignore[arg-type]
            raise SecurityError("exponent too large")
        return []
    if operator == "*":
        if ints:
            if abs(left).bit_length() + abs(right).bit_length() > MAX_INT_BITS:  # type: ignore[arg-type]
                raise SecurityError("number too large")
            return []
        if _repeats_too_much(left, right) or _repeats_too_much(right, left):
            raise SecurityError("repetition too large")
    if operator == "%" and isinstance(left, str):
        return _format_sizes(left, right if isinstance(right, tuple) else [right])
    return [] if ints else [_weight(left), _weight(right)]


def _repeats_too_much(seq: object, count: object) -> bool:
    if isinstance(seq, (str, list, tuple)) and isinstance(count, int):
        return _weight(seq, MAX_RENDERED_CHARS) * count > MAX_RENDERED_CHARS
    return False


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox, metered: calls, filters, loops and `* ** % +` spend fuel, and what they
    build is checked; see the module docstring."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _charge(_binop_sizes(operator, left, right))
        return _checked(super().call_binop(context, operator, left, right))

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        receiver = getattr(getattr(obj, "__wrapped__", obj), "__self__", None)
        values = [*args, *kwargs.values()]
        name = getattr(obj, "__name__", "")
        if name == "format_map" and len(args) == 1 and isinstance(args[0], Mapping):
            values = list(args[0].values())
        if isinstance(receiver, str) and name in ("format", "format_map"):
            _charge(_format_sizes(receiver, values), CALL_COST)
        else:
            _charge((_size(v) for v in [receiver, *values]), CALL_COST)
        return _checked(super().call(context, obj, *args, **kwargs))

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(argument, slice):
            _charge([_weight(obj)])
        return super().getitem(obj, argument)

    def bounded_buffer(self) -> _BoundedBuffer:
        """The output buffer of a macro, `{% set %}` block or filter block (see below)."""
        return _BoundedBuffer()


class _BoundedBuffer(list[str]):
    """Output captured inside a template: capped like the template's own output."""

    chars = 0

    def append(self, item: str) -> None:
        self._add(len(item))
        super().append(item)

    def extend(self, items: Iterable[str]) -> None:
        items = list(items)
        self._add(sum(len(item) for item in items))
        super().extend(items)

    def _add(self, count: int) -> None:
        _spend(count)
        self.chars += count
        if self.chars > MAX_RENDERED_CHARS:
            raise SecurityError(f"a value exceeds {MAX_RENDERED_CHARS:,} characters")


class _Meter(NodeTransformer):
    """Rewrite a parsed template so loops pay per item and `~` checks what it joins."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _filter(node.iter, _LOOP_FILTER)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _filter(nodes.List(node.nodes, lineno=node.lineno), _CONCAT_FILTER)


def _filter(node: nodes.Node, name: str) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


class _MeteredCodeGenerator(CodeGenerator):
    """Compiles the metered rewrite, with bounded buffers instead of plain lists."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        super().visit_Template(_Meter().visit(node), frame)

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.bounded_buffer()")


def _loop_items(items: Iterable[Any]) -> Iterator[Any]:
    for item in items:
        _spend(OPERATION_COST)
        yield item


def _concat(parts: list[Any]) -> str:
    _charge([sum(_weight(_printable(part)) for part in parts)])
    return str(_checked("".join(str(part) for part in parts)))


def _metered(func: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that pays before it runs; its first argument (after any context Jinja passes)
    is the value filtered, whose own number is not a count (`{{ 10**9|filesizeformat }}`)."""
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(func)
    def metered(*args: Any, **kwargs: Any) -> Any:
        value, rest = args[skip] if len(args) > skip else None, [*args[skip + 1 :]]
        rest += kwargs.values()
        if func.__name__ == "do_format" and isinstance(value, str):
            _charge(_format_sizes(value, rest))
        else:
            _charge([_weight(value), *(_size(v) for v in rest)])
        return _checked(func(*args, **kwargs))

    return metered


def _environment() -> _Sandbox:
    env = _Sandbox(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        finalize=_printable,
    )
    env.code_generator_class = _MeteredCodeGenerator
    env.globals.pop("lipsum", None)
    env.filters = {name: _metered(func) for name, func in env.filters.items()}
    env.filters[_LOOP_FILTER] = _loop_items
    env.filters[_CONCAT_FILTER] = _concat
    return env


_ENV = _environment()


def render_template(source: str, variables: Mapping[str, object]) -> str:
    """Render one manifest string in the sandbox; raise TemplateProblem with a readable reason."""
    token = _TANK.set(_Tank(FUEL, shared=_TANK.get()))
    try:
        template = _ENV.from_string(source)
        chunks: list[str] = []
        size = 0
        for chunk in template.generate(dict(variables)):
            size += len(chunk)
            if size > MAX_RENDERED_CHARS:
                raise TemplateProblem(f"template output exceeds {MAX_RENDERED_CHARS:,} characters")
            chunks.append(chunk)
        text = "".join(chunks)
        text.encode("utf-8")  # a lone surrogate ('\ud800' in a template) can't be sent
        return text
    except TemplateProblem:
        raise
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"template syntax error: {exc.message}") from None
    except UndefinedError as exc:
        raise TemplateProblem(_undefined_message(source, variables, exc)) from None
    except SecurityError as exc:
        raise TemplateProblem(f"unsafe template: {str(exc).rstrip('.')}") from None
    except RecursionError:
        raise TemplateProblem("unsafe template: macros or loops nest too deeply") from None
    except UnicodeEncodeError as exc:
        code = ord(exc.object[exc.start])
        raise TemplateProblem(f"template output contains U+{code:04X}, a lone surrogate") from None
    # A template is user code: whatever it raises is a problem in the manifest, not a crash.
    except Exception as exc:
        raise TemplateProblem(f"template error: {type(exc).__name__}: {exc}") from None
    finally:
        _TANK.reset(token)


def _undefined_message(source: str, variables: Mapping[str, object], exc: UndefinedError) -> str:
    names = sorted(meta.find_undeclared_variables(_ENV.parse(source)))
    unknown = [n for n in names if n not in variables and n not in _ENV.globals]
    if not unknown:
        return f"template error: {exc.message}"
    close = difflib.get_close_matches(unknown[0], [str(k) for k in variables], n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"undefined template variable '{unknown[0]}'{hint}"
