"""``LeaderScheduler``: the scheduler runs only while this process holds the lease, stops when
the lease is lost, and restarts with the new fence when the lease is taken again."""
from __future__ import annotations

from datetime import timedelta

from alerting.scheduler import LeaderScheduler
from models.lease import Fence, LeaderLease
from tests.models.test_state_contract import T0, Clock
from web.jobs import scheduler_for


def test_runs_only_while_holding_the_lease(runtime):
    clock = Clock(T0)
    built: list[str] = []

    def build(fence: str):
        built.append(fence)
        return scheduler_for(runtime, start_crawls=False, fence=fence)
    ours = LeaderScheduler(build, LeaderLease(runtime.state, holder="a", clock=clock,
                                             ttl=timedelta(seconds=30)))
    other = LeaderLease(runtime.state, holder="b", clock=clock, ttl=timedelta(seconds=30))
    try:
        assert ours.step() and ours.leading
        job = ours.scheduler.get_job("detect")
        assert Fence.parse(job.kwargs["fence"]).holder == "a"
        assert other.acquire() is None
        clock.at += timedelta(seconds=31)  # "a" stalled past its ttl; "b" took over
        assert other.acquire() is not None
        assert not ours.step() and not ours.leading  # "a" learns it and stands by
        other.release()
        assert ours.step()  # taken again, under a new token: a new scheduler, new fence
        assert [Fence.parse(f).token for f in built] == [1, 3]
        clock.at += timedelta(seconds=31)  # expired, nobody else took it: a new token again
        assert ours.step() and Fence.parse(built[-1]).token == 4
    finally:
        ours.close()
    assert not ours.leading and other.acquire() is not None  # released on close
