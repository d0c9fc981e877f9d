"""The disk spool on its own: merged replay in spooling order, nothing lost on a failure."""
from __future__ import annotations

import dataclasses

import pytest

from models.exceptions import StoreUnavailable
from models.store.elasticsearch.spool import DiskSpool
from tests.factories import make_review


def spooled(tmp_path, *batches):
    spool = DiskSpool(tmp_path / "spool")
    with spool.locked():
        for batch in batches:
            spool.append(batch)
    return spool


def test_small_batches_are_replayed_merged_in_spooling_order(tmp_path):
    a, b, c, d = (make_review() for _ in range(4))
    b_changed = dataclasses.replace(b, likes=b.likes + 5)
    spool = spooled(tmp_path, [a, b], [c], [b_changed, d])
    writes = []
    with spool.locked():
        assert spool.replay(writes.append, batch_size=3) == 5
    # files are merged up to batch_size; b's change comes after the write holding its old copy
    assert [[r.id for r in w] for w in writes] == [[a.id, b.id, c.id], [b.id, d.id]]
    assert (writes[0][1].likes, writes[1][0].likes) == (b.likes, b_changed.likes)
    assert spool.files() == [] and spool.pending() == 0


def test_within_one_write_the_later_copy_of_a_review_wins(tmp_path):
    a, b = make_review(), make_review()
    a_changed = dataclasses.replace(a, likes=a.likes + 1)
    spool = spooled(tmp_path, [a], [b], [a_changed])
    writes = []
    with spool.locked():
        spool.replay(writes.append, batch_size=100)
    assert len(writes) == 1 and {r.id: r.likes for r in writes[0]} == \
        {a.id: a_changed.likes, b.id: b.likes}


def test_a_failed_write_keeps_its_files_and_the_later_ones(tmp_path):
    batches = [[make_review()] for _ in range(4)]
    spool = spooled(tmp_path, *batches)
    calls = []

    def write(batch):
        calls.append(batch)
        if len(calls) == 2:
            raise StoreUnavailable("node went away")
    with spool.locked(), pytest.raises(StoreUnavailable):
        spool.replay(write, batch_size=2)
    assert spool.pending() == 2
    left = []
    with spool.locked():
        assert spool.replay(left.extend, batch_size=2) == 2
    assert [r.id for r in left] == [b[0].id for b in batches[2:]]
