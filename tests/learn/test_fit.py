"""Cross-validation folds and the fit's objective, on plain items (no scan needed)."""

from __future__ import annotations

from distillshield.learn.fit import Item, Params, Rates, _splits, errors
from distillshield.settings import Settings


def _items(scans: int, campaigns: int = 6, size: int = 4, benign: int = 30) -> list[Item]:
    items = []
    for s in range(scans):
        items += [Item(s, k * size + m, True, f"{s}:C{k}") for k in range(campaigns) for m in range(size)]
        items += [Item(s, 1000 + b, False, f"{s}:b{b}") for b in range(benign)]
    return items


def test_labels_of_several_scans_leave_one_scan_out() -> None:
    items = _items(scans=2)
    splits = _splits(items, folds=3, seed=0)
    assert len(splits) == 2
    for s, (train, test) in enumerate(splits):
        assert {items[i].scan for i in test} == {s} and {items[i].scan for i in train} == {1 - s}


def test_folds_within_one_scan_keep_each_campaign_whole_and_both_classes() -> None:
    items = _items(scans=1)
    splits = _splits(items, folds=3, seed=0)
    assert len(splits) == 3
    for train, test in splits:
        held = {items[i].group for i in test}
        assert not held & {items[i].group for i in train}, "a campaign is never split across folds"
        assert {items[i].distiller for i in test} == {True, False}


def test_the_shipped_model_costs_nothing_to_keep_and_moves_cost_in_both_directions() -> None:
    base = Params.shipped(Settings())
    assert base.penalty(base) == 0.0
    halved = base.with_coordinate(0, 0.5)
    doubled = base.with_coordinate(0, 2.0)
    assert halved.penalty(base) == doubled.penalty(base) == 1.0
    assert base.with_coordinate(len(base.scales), 0.6).suspicious == 0.6
    assert base.with_coordinate(len(base.scales) + 1, 0.9).distiller == 0.9


def test_errors_weigh_each_class_equally() -> None:
    one_fp = Rates(benign=100, distillers=10, fp=1, tp=10, fp_watch=1, tp_watch=10)
    one_fn = Rates(benign=100, distillers=10, fp=0, tp=9, fp_watch=0, tp_watch=10)
    assert errors(one_fn) > errors(one_fp) > 0.0, "one of ten distillers missed outweighs one of 100 benign flagged"
