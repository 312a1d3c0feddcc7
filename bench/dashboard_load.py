"""The dashboard benchmark's load: replayed callback requests, one client or many.

Each request is one of the `/_dash-update-component` bodies a real browser sent, posted
with that browser's session cookie. A request fails when it raises or its status is not
200 or 204 (204 is Dash's "no update").
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Tally:
    """Latencies (seconds) of successful requests and descriptions of failed ones."""

    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) * 1000 if self.latencies else float("nan")


def post(url: str, body: str, cookie: str, tally: Tally) -> bytes | None:
    """Posts one callback request, adding its latency or its failure to `tally`."""
    request = urllib.request.Request(
        url, data=body.encode(), method="POST",
        headers={"Content-Type": "application/json", "Cookie": cookie},
    )  # fmt: skip
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = response.read()
            if response.status not in (200, 204):
                raise urllib.error.HTTPError(url, response.status, "", None, None)
    except (OSError, urllib.error.HTTPError) as error:
        tally.failures.append(f"{type(error).__name__}: {error}")
        return None
    tally.latencies.append(time.perf_counter() - started)
    return payload


def get(url: str, cookie: str, tally: Tally) -> None:
    """Fetches a page the same way, for the baseline."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
    except OSError as error:
        tally.failures.append(f"{type(error).__name__}: {error}")
        return
    tally.latencies.append(time.perf_counter() - started)


def one_client(requests: list[tuple[str, str]], cookie: str, rounds: int) -> dict[str, Tally]:
    """Replays every request `rounds` times in turn; returns a tally per callback output."""
    tallies: dict[str, Tally] = {}
    for _ in range(rounds):
        for url, body in requests:
            post(url, body, cookie, tallies.setdefault(output_of(body), Tally()))
    return tallies


def many_clients(requests, cookie: str, clients: int, seconds: float, during=None) -> Tally:
    """`clients` threads replay the requests round-robin for `seconds` (or, with `during`,
    until that function returns); returns one tally for all."""
    tally, stop = Tally(), threading.Event()

    def client(offset: int) -> None:
        for url, body in itertools.islice(itertools.cycle(requests), offset, None):
            if stop.is_set():
                return
            post(url, body, cookie, tally)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    if during is None:
        time.sleep(seconds)
    else:
        during()
    stop.set()
    for thread in threads:
        thread.join()
    return tally


def output_of(body: str) -> str:
    """The callback's output spec, naming it in the results."""
    return json.loads(body)["output"]


def distinct(requests: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The requests without repeats (the same callback with the same inputs)."""
    seen, kept = set(), []
    for url, body in requests:
        key = json.dumps({k: v for k, v in json.loads(body).items() if k != "changedPropIds"})
        if key not in seen:
            seen.add(key)
            kept.append((url, body))
    return kept
