"""Score the requests that arrive together in one vectorised call, off the request's critical path.

The content models and the account scorers are vectorised (numpy over a batch
of texts and a frame of any height), so instead of scoring each request on its
own a request *submits* its work and gets a future. The batch is scored once
the event loop has taken in everything that is ready, which under load is many
requests, and at low load is one request with no added wait.

Submitting does not wait: the gateway submits, forwards the request upstream,
and awaits the score only before it releases the answer. The scoring then runs
while the model server works, instead of before it starts.

A request is scored by every turn its client wrote (``Observation.turns``: system and developer
messages, each user turn, each text part whatever its type, tool descriptions), as the scan scores the
logged request: one score per detector, the largest over its turns, so a request counts once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from distillshield.features.content.turns import pair_turns
from distillshield.respond.online import Observation, OnlineScorer, Score, Snapshot

Scored = tuple[Observation, Score]


@dataclass
class _Job:
    account_id: str
    snapshot: Snapshot
    obs: Observation  # content still empty
    done: asyncio.Future[Scored]


class ScoringBatcher:
    def __init__(self, scorer: OnlineScorer, *, max_batch: int = 64) -> None:
        self.scorer = scorer
        self.max_batch = max_batch
        self._jobs: list[_Job] = []
        self._scheduled = False

    def submit(self, account_id: str, snapshot: Snapshot, obs: Observation) -> asyncio.Future[Scored]:
        """A future of the observation with its content scores filled in, and the account's score."""
        loop = asyncio.get_running_loop()
        job = _Job(account_id, snapshot, obs, loop.create_future())
        self._jobs.append(job)
        if len(self._jobs) >= self.max_batch:
            self._flush()
        elif not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return job.done

    def _flush(self) -> None:
        jobs, self._jobs, self._scheduled = self._jobs, [], False
        if not jobs:
            return
        try:
            # Every turn the client wrote, as the scan reads it: one request, one score per detector (max over turns).
            turns = [j.obs.turns or pair_turns(j.obs.system, j.obs.user) for j in jobs]
            contents = self.scorer.content_many([j.obs.system for j in jobs], [j.obs.user for j in jobs], turns)
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
