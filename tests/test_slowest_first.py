"""The suite's own schedule: each xdist worker's first share starts with its slowest tests."""

from __future__ import annotations

from tests.slowest_first import DURATIONS, read_durations, shares, slowest_first


def test_the_slowest_tests_are_dealt_to_the_heads_of_the_shares_and_the_rest_keep_their_order() -> (
    None
):
    ids = [f"tests/test_{n:02}.py::t" for n in range(20)]
    slow = {ids[3]: 40.0, ids[15]: 30.0, ids[9]: 20.0, ids[7]: 15.0, ids[18]: 10.0}
    order = slowest_first(ids, slow, 4)
    assert sorted(order) == list(range(20))
    assert shares(20, 4) == [5, 5, 5, 5]
    heads = [order[start] for start in (0, 5, 10, 15)]
    assert heads == [3, 15, 9, 7]  # one slow test at the head of each worker's share
    assert order[15:17] == [7, 18]  # the fifth joins the pile with the least slow time
    rest = [index for index in order if ids[index] not in slow]
    assert rest == sorted(rest)


def test_shares_are_the_sizes_xdist_worksteal_sends_first() -> None:
    assert shares(1037, 4) == [259, 259, 259, 260]
    assert shares(7, 3) == [2, 2, 3]


def test_the_durations_file_names_tests_that_exist() -> None:
    durations = read_durations(DURATIONS.read_text(encoding="utf-8"))
    assert len(durations) >= 10
    for test in durations:
        path, _, name = test.partition("::")
        source = (DURATIONS.parent.parent / path).read_text(encoding="utf-8")
        assert f"def {name.split('[')[0]}(" in source, test
