"""The template sandbox: hostile templates fail fast with a readable reason and bounded memory,
and ordinary ones still render.

Each attack below hung validation or allocated gigabytes before the sandbox was metered
(see podsync/templates.py); tracemalloc measures what a render allocated at its peak.
"""

from __future__ import annotations

import time
import tracemalloc

import pytest

from podsync.templates import FUEL, TemplateProblem, render_template, shared_fuel

MAX_SECONDS = 2.0
MAX_PEAK_BYTES = 50_000_000

S = "{% set s = 'x' * 99999 %}"

ATTACKS = {
    # Python internals and the environment
    "{{ ''.__class__.__mro__[1].__subclasses__() }}": "unsafe template: access to attribute",
    "{{ cycler.__init__.__globals__ }}": "unsafe template: access to attribute",
    "{{ joiner.__init__.__globals__['os'] }}": "unsafe template: access to attribute",
    "{{ self._TemplateReference__context }}": "unsafe template: access to attribute",
    "{{ ''|attr('__class__') }}": "unsafe template: access to attribute",
    "{{ lipsum.__globals__ }}": "undefined template variable 'lipsum'",
    "{{ env }}": "undefined template variable 'env'",
    "{{ os.environ }}": "undefined template variable 'os'",
    "{{ config }}": "undefined template variable 'config'",
    # object reprs are not content
    "{{ self }}": "unsafe template: cannot print a 'TemplateReference' object",
    "{{ range }}": "unsafe template: cannot print a 'function' object",
    "{{ [cycler] }}": "unsafe template: cannot print a 'type' object",
    "{{ 'by ' ~ joiner }}": "unsafe template: cannot print a 'type' object",
    # huge values
    "{{ 'x' * 10**9 }}": "unsafe template: repetition too large",
    "{{ [1] * 10**9 }}": "unsafe template: repetition too large",
    S + "{{ ([s] * 99999)|join }}": "unsafe template: repetition too large",
    S + "{{ s.replace('x', s) }}": "unsafe template: the template does too much work",
    S + "{{ s|replace('x', s) }}": "unsafe template: the template does too much work",
    "{{ 'a'.ljust(10**9) }}": "unsafe template: the template does too much work",
    "{{ 'a'.zfill(10**9) }}": "unsafe template: the template does too much work",
    "{{ (1).to_bytes(10**9, 'big') }}": "unsafe template: the template does too much work",
    "{{ 'x'|center(10**9) }}": "unsafe template: the template does too much work",
    "{{ 'x\ny'|indent(10**9) }}": "unsafe template: the template does too much work",
    "{{ [1]|batch(10**9, 0)|list }}": "unsafe template: the template does too much work",
    "{{ [1]|slice(10**9)|list }}": "unsafe template: the template does too much work",
    "{{ '%0999999999d' % 1 }}": "unsafe template: the template does too much work",
    "{{ '%*d' % (10**9, 1) }}": "unsafe template: the template does too much work",
    "{{ '%0999999999d'|format(1) }}": "unsafe template: the template does too much work",
    "{{ '{:>999999999}'.format(1) }}": "unsafe template: the template does too much work",
    "{{ '{:>{w}}'.format(1, w=10**9) }}": "unsafe template: the template does too much work",
    "{{ '{a:>{b}}'.format_map({'a': 1, 'b': 10**9}) }}": "unsafe template: the template",
    "{{ ((10**64)**64)**64 }}": "unsafe template: exponent too large",
    "{{ 2 ** 100000 }}": "unsafe template: exponent too large",
    "{% set ns = namespace(x=3) %}{% for i in range(40) %}{% set ns.x = ns.x * ns.x %}"
    "{% endfor %}{{ ns.x > 0 }}": "unsafe template: number too large",
    # values that double in a loop
    "{% set ns = namespace(x='ab') %}{% for i in range(40) %}{% set ns.x = ns.x ~ ns.x %}"
    "{% endfor %}{{ ns.x }}": "unsafe template: a value exceeds 100,000 characters",
    "{% set ns = namespace(x='ab') %}{% for i in range(40) %}{% set ns.x = ns.x + ns.x %}"
    "{% endfor %}{{ ns.x }}": "unsafe template: ",
    "{% set l = [1] %}{% for i in range(40) %}{% set _ = l.extend(l) %}{% endfor %}": (
        "unsafe template: "
    ),
    "{% set l = [] %}{% for i in range(9) %}{% set _ = l.append(l) %}{% endfor %}{{ l }}": (
        "unsafe template: "
    ),
    # output captured in macros and blocks, not only printed
    "{% macro m() %}{% for i in range(100000) %}{{ 'x' * 99999 }}{% endfor %}{% endmacro %}"
    "{{ m()|length }}": "unsafe template: a value exceeds 100,000 characters",
    "{% set x %}{% for i in range(100000) %}{{ 'x' * 99999 }}{% endfor %}{% endset %}"
    "{{ x|length }}": "unsafe template: a value exceeds 100,000 characters",
    "{% filter upper %}{% for i in range(100000) %}{{ 'x' * 99999 }}{% endfor %}"
    "{% endfilter %}": "unsafe template: a value exceeds 100,000 characters",
    # time
    "{% for i in range(10**9) %}x{% endfor %}": "unsafe template: the template does too much",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}": (
        "unsafe template: "
    ),
    S + "{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}": (
        "unsafe template: the template does too much work"
    ),
    S + "{% for i in range(99999) %}{% set t = s[1:] %}{% endfor %}": (
        "unsafe template: the template does too much work"
    ),
    "{% macro f(n) %}{% if n < 40 %}{{ f(n+1) }}{{ f(n+1) }}{% endif %}{% endmacro %}"
    "{{ f(0) }}": "unsafe template: the template does too much work",
    "{% macro f(n) %}{{ f(n+1) }}{% endmacro %}{{ f(0) }}": "unsafe template: macros or loops",
    "{% for x in [1] recursive %}{{ loop([1, 1]) }}{% endfor %}": "unsafe template: macros or",
    "{{ range(99999)|map('string')|map('center', 99999)|join }}": "unsafe template: ",
    # text that cannot be sent
    "x{{ '\\ud800' }}": "template output contains U+D800, a lone surrogate",
}


@pytest.mark.parametrize("source", list(ATTACKS))
def test_hostile_template_fails_fast_in_bounded_memory(source: str) -> None:
    tracemalloc.start()
    # CPU time of this process: the bound is on the work a template may do, and wall time
    # would also count whatever else the machine runs meanwhile.
    started = time.process_time()
    try:
        with pytest.raises(TemplateProblem) as caught:
            render_template(source, {})
        elapsed = time.process_time() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(caught.value).startswith(ATTACKS[source])
    assert elapsed < MAX_SECONDS
    assert peak < MAX_PEAK_BYTES


VARS = {
    "host": "Ada",
    "guests": ["Grace", "Linus"],
    "listeners": 12_000_000,
    "desc": "AI in medicine. " * 10,
    "data": {"b": 2, "a": 1},
}

ORDINARY = {
    "{{ host }} Weekly": "Ada Weekly",
    "{{ host | upper }}": "ADA",
    "{{ guests|join(', ') }}": "Grace, Linus",
    "{% for g in guests %}{{ g }}{% if not loop.last %} & {% endif %}{% endfor %}": "Grace & Linus",
    "{{ guests|map('lower')|join('/') }}": "grace/linus",
    "{{ '%s - %d'|format(host, 5) }}": "Ada - 5",
    "{{ 'Ep {:02d}'.format(3) }}": "Ep 03",
    "{{ '{:,}'.format(listeners) }} listeners": "12,000,000 listeners",
    "{{ '%d' % listeners }}": "12000000",
    "{{ listeners|filesizeformat }}": "12.0 MB",
    "{{ desc|truncate(20) }}": "AI in medicine....",
    "{{ desc|wordwrap(40)|length }}": "159",
    "{{ host|center(7) }}|": "  Ada  |",
    "{{ host.ljust(5) }}|": "Ada  |",
    "{{ host[:2] }}": "Ad",
    "{% macro ep(n) %}Episode {{ n }}{% endmacro %}{{ ep(2) }}": "Episode 2",
    "{% set x %}hi {{ host }}{% endset %}{{ x }}": "hi Ada",
    "{% filter upper %}{{ host }}{% endfilter %}": "ADA",
    "{{ 'x' ~ 1 ~ none }}": "x1None",
    "{{ [1, 2] }} {{ {'a': 1} }} {{ true }} {{ 3.5 }}": "[1, 2] {'a': 1} True 3.5",
    "{{ data|dictsort }}": "[('a', 1), ('b', 2)]",
    "{{ 2 ** 64 * 2 ** 64 }}": str(2**128),
    "{{ 'ab' * 3 }}": "ababab",
    "{{ ('x' * 100000)|length }}": "100000",
    "{% set ns = namespace(n=0) %}{% for g in guests %}{% set ns.n = ns.n + 1 %}{% endfor %}"
    "{{ ns.n }}": "2",
    "{% for i in range(3) %}{{ i }}{% endfor %}": "012",
}


@pytest.mark.parametrize("source", list(ORDINARY))
def test_ordinary_templates_still_render(source: str) -> None:
    assert render_template(source, VARS) == ORDINARY[source]


def test_a_long_loop_within_the_limits_renders() -> None:
    assert len(render_template("{% for i in range(20000) %}{{ i % 10 }}{% endfor %}", {})) == 20000


def test_renders_in_a_shared_block_draw_on_one_tank() -> None:
    """Thousands of templates, each just under its own limit, must not add up to a hang."""
    burner = (
        "{% macro f(n) %}{% if n < 40 %}{{ f(n+1) }}{{ f(n+1) }}{% endif %}{% endmacro %}{{ f(0) }}"
    )
    started = time.perf_counter()
    failures = []
    with shared_fuel(FUEL // 2):
        for _ in range(20):
            with pytest.raises(TemplateProblem) as caught:
                render_template(burner, {})
            failures.append(str(caught.value))
        with pytest.raises(TemplateProblem, match="too much work"):
            render_template("{{ host }}", {"host": "Ada"})
    assert failures == ["unsafe template: the template does too much work"] * 20
    assert time.perf_counter() - started < MAX_SECONDS
    assert render_template("{{ host }}", {"host": "Ada"}) == "Ada"
