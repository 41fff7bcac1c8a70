"""Score the requests that arrive together in one vectorised call.

The content models cost about 410 us for one text and 60 us per text in a batch
of 8 (measured on the default install's four detectors), and the account
scorers are numpy over a frame of any height. So instead of scoring each
request on its own, a request registers its work and awaits it; the batch is
scored once the event loop has taken in everything that is ready, which under
load is many requests, and at low load is one request with no added wait.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from distillshield.respond.online import Observation, OnlineScorer, Score, Snapshot


@dataclass
class _Job:
    account_id: str
    snapshot: Snapshot
    obs: Observation  # content still empty
    done: asyncio.Future[tuple[Observation, Score]]


class ScoringBatcher:
    def __init__(self, scorer: OnlineScorer, *, max_batch: int = 64) -> None:
        self.scorer = scorer
        self.max_batch = max_batch
        self._jobs: list[_Job] = []
        self._scheduled = False

    async def score(self, account_id: str, snapshot: Snapshot, obs: Observation) -> tuple[Observation, Score]:
        """The observation with its content scores filled in, and the account's score."""
        loop = asyncio.get_running_loop()
        job = _Job(account_id, snapshot, obs, loop.create_future())
        self._jobs.append(job)
        if len(self._jobs) >= self.max_batch:
            self._flush()
        elif not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await job.done

    def _flush(self) -> None:
        jobs, self._jobs, self._scheduled = self._jobs, [], False
        if not jobs:
            return
        try:
            contents = self.scorer.content_many([j.obs.system for j in jobs], [j.obs.user for j in jobs])
            observations = [replace(j.obs, content=c) for j, c in zip(jobs, contents, strict=True)]
            scores = self.scorer.score_many([j.account_id for j in jobs], [j.snapshot for j in jobs], observations)
        except Exception as exc:  # a broken plugin fails the requests of this batch, not the event loop
            for job in jobs:
                if not job.done.done():
                    job.done.set_exception(exc)
            return
        for job, obs, score in zip(jobs, observations, scores, strict=True):
            if not job.done.done():
                job.done.set_result((obs, score))
