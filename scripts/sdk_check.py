#!/usr/bin/env python3
"""Compare the official `anthropic` Python SDK's retry decisions with ratesim's.

Run inside a virtual environment that has the `anthropic` package installed
(`scripts/sdk_check.sh` makes one). For a table of cases (retries left,
`retry-after` / `retry-after-ms` headers, status, `x-should-retry`, and the
SDK's `random()` draw fixed to `u`), this script

1. asks the installed SDK itself: `Anthropic._should_retry(response)` and
   `Anthropic._calculate_retry_timeout(remaining_retries, options, headers)`
   with `anthropic._base_client.random` patched to return `u`;
2. replays the SDK's own retry loop (`client.messages.create` against a mock
   transport that always answers with the case's response, `time.sleep`
   recorded) for the cases with few retries, to check that the loop calls
   those two functions the way step 1 assumes;
3. runs ratesim's `examples/sdk_retry_delays.rs` on the same table;

and compares the decisions (delays equal within 1e-9 s). It prints the table
and exits 1 naming every case that differs (2 if the SDK's internals are not
what this script knows how to call).

Standard library only, apart from `anthropic` (and the HTTP library it uses).
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parent.parent
TOLERANCE_S = 1e-9
# The SDK's retry loop is replayed for cases with at most this many retries.
LOOP_MAX_RETRIES = 5
NO_NETWORK = "http://127.0.0.1:9"  # never contacted: every request goes to a mock transport

# --- the table ---------------------------------------------------------------

# (label, retry-after-ms, retry-after): only whole numbers, which is all
# ratesim's simulated server sends (`retry-after` whole seconds on a 429) or
# its client reads.
HEADERS = [
    ("no retry-after", None, None),
    ("retry-after 0", None, "0"),
    ("retry-after 1", None, "1"),
    ("retry-after 60", None, "60"),
    ("retry-after 61", None, "61"),
    ("retry-after 120", None, "120"),
    ("retry-after 4294967", None, "4294967"),
    ("retry-after 4294968", None, "4294968"),
    ("retry-after-ms 1500", "1500", None),
    ("retry-after-ms 0", "0", None),
    ("retry-after-ms 60000", "60000", None),
    ("retry-after-ms 60001", "60001", None),
    ("retry-after-ms 1500 + retry-after 30", "1500", "30"),
    ("retry-after-ms 0 + retry-after 30", "0", "30"),
    ("retry-after-ms 90000 + retry-after 2", "90000", "2"),
]
# (max_retries, remaining_retries): retries taken 0, 1 (the default two
# retries), 2, 3, 4, and large ones around the SDK's 1000 cap on the exponent.
RETRIES = [(2, 2), (2, 1), (5, 3), (5, 2), (5, 1), (2000, 1000), (1002, 1), (5000, 1)]
# No retry left: the SDK gives up whatever the response says.
EXHAUSTED = [(2, 0), (0, 0)]
DRAWS = [0.0, 0.5, 0.999999]
LARGEST_DRAW = math.nextafter(1.0, 0.0)  # the largest value random() can return
STATUSES = [429, 529, 500, 503, 408, 409, 400, 401, 404, 413]


def case(status, headers, retries, u, x_should_retry=None):
    label, ms, s = headers
    max_retries, remaining = retries
    xsr = "" if x_should_retry is None else f", x-should-retry {str(x_should_retry).lower()}"
    return {
        "name": f"{status} {label}{xsr}, {remaining} of {max_retries} retries left, u={u!r}",
        "max_retries": max_retries,
        "remaining_retries": remaining,
        "retry_after_ms": ms,
        "retry_after": s,
        "u": u,
        "status": status,
        "x_should_retry": x_should_retry,
    }


def build_table():
    cases = []
    # Delays: every header against every retry count and draw, on a 429.
    for headers in HEADERS:
        for retries in RETRIES:
            for u in DRAWS:
                cases.append(case(429, headers, retries, u))
    for retries in RETRIES:
        cases.append(case(429, HEADERS[0], retries, LARGEST_DRAW))
        for u in DRAWS:  # the simulated 529 carries no retry-after
            cases.append(case(529, HEADERS[0], retries, u))
    for headers in (HEADERS[0], HEADERS[2], HEADERS[8]):
        for retries in EXHAUSTED:
            cases.append(case(429, headers, retries, 0.5))
    # Whether to retry: statuses against x-should-retry.
    for status in STATUSES:
        for xsr in (None, True, False):
            cases.append(case(status, HEADERS[2], (2, 1), 0.5, xsr))
            cases.append(case(status, HEADERS[0], (2, 0), 0.5, xsr))
    # The groups overlap (a 429 with retry-after 1 is in both): keep one of each.
    unique = {}
    for c in cases:
        unique.setdefault(c["name"], c)
    return list(unique.values())


# --- the SDK -------------------------------------------------------------------


class SetupError(Exception):
    """The installed SDK is not shaped the way this script calls it."""


def expect_parameters(fn, names):
    """`fn` takes exactly `names` (any further parameter must have a default)."""
    signature = inspect.signature(fn)
    params = list(signature.parameters.values())
    extra_required = [p.name for p in params[len(names) :] if p.default is inspect.Parameter.empty]
    if [p.name for p in params[: len(names)]] != names or extra_required:
        raise SetupError(f"{fn.__qualname__}{signature}: expected the parameters {names}")


class Sdk:
    def __init__(self):
        try:
            import anthropic
            from anthropic import _base_client
            from anthropic._models import FinalRequestOptions
        except ImportError as e:
            raise SetupError(f"cannot import the SDK: {e}") from e
        self.anthropic = anthropic
        self.base = _base_client
        self.version = anthropic.__version__
        # 2.x talks through `httpx2`, 0.x through `httpx`: use whichever the SDK imported.
        self.http = getattr(_base_client, "httpx2", None) or getattr(_base_client, "httpx", None)
        if self.http is None:
            raise SetupError("anthropic._base_client imports neither httpx2 nor httpx")
        # `from random import random` in `_base_client`: the name to patch.
        import random as stdlib_random

        if getattr(_base_client, "random", None) is not stdlib_random.random:
            raise SetupError("anthropic._base_client.random is not random.random; the jitter is drawn elsewhere")
        cls = anthropic.Anthropic
        expect_parameters(cls._calculate_retry_timeout, ["self", "remaining_retries", "options", "response_headers"])
        expect_parameters(cls._should_retry, ["self", "response"])
        self.options = FinalRequestOptions(method="post", url="/v1/messages")
        self.clients = {}

    def client(self, max_retries):
        if max_retries not in self.clients:
            self.clients[max_retries] = self.anthropic.Anthropic(
                api_key="x", base_url=NO_NETWORK, max_retries=max_retries
            )
        return self.clients[max_retries]

    def headers(self, c):
        h = {}
        if c["retry_after_ms"] is not None:
            h["retry-after-ms"] = c["retry_after_ms"]
        if c["retry_after"] is not None:
            h["retry-after"] = c["retry_after"]
        if c["x_should_retry"] is not None:
            h["x-should-retry"] = "true" if c["x_should_retry"] else "false"
        return h

    def response(self, c):
        request = self.http.Request("POST", f"{NO_NETWORK}/v1/messages")
        body = {"type": "error", "error": {"type": "rate_limit_error", "message": "sdk_check"}}
        return self.http.Response(c["status"], headers=self.headers(c), json=body, request=request)

    def decide(self, c):
        """The SDK's decision for one case, from its two methods."""
        client = self.client(c["max_retries"])
        response = self.response(c)
        should_retry = client._should_retry(response)
        # The retry loop's condition (`remaining_retries > 0 and _should_retry(...)`).
        retry = c["remaining_retries"] > 0 and should_retry
        delay, draws = None, []
        if retry:

            def draw():
                draws.append(c["u"])
                return c["u"]

            with mock.patch.object(self.base, "random", draw):
                delay = client._calculate_retry_timeout(c["remaining_retries"], self.options, response.headers)
        return {"should_retry": should_retry, "retry": retry, "delay_s": delay, "draws_random": bool(draws)}

    def loop_sleeps(self, c):
        """The sleeps of the SDK's own retry loop when every attempt gets this case's response."""
        attempts = []

        def handler(request):
            attempts.append(request)
            return self.response(c)

        http_client = self.http.Client(transport=self.http.MockTransport(handler))
        client = self.anthropic.Anthropic(
            api_key="x", base_url=NO_NETWORK, max_retries=c["max_retries"], http_client=http_client
        )
        sleeps = []
        with (
            mock.patch.object(self.base, "random", lambda: c["u"]),
            mock.patch.object(time, "sleep", sleeps.append),
        ):
            try:
                client.messages.create(
                    model="claude-sonnet-4-5", max_tokens=1, messages=[{"role": "user", "content": "hi"}]
                )
            except self.anthropic.APIStatusError:
                pass
            else:
                raise SetupError(f"case {c['name']!r}: the mock's error response did not raise")
        client.close()
        if len(attempts) != len(sleeps) + 1:
            raise SetupError(f"case {c['name']!r}: {len(attempts)} attempts but {len(sleeps)} sleeps")
        return sleeps

    def close(self):
        for client in self.clients.values():
            client.close()


# --- ratesim -------------------------------------------------------------------


def ratesim(command, sdk_version, cases):
    table = json.dumps({"sdk_version": sdk_version, "cases": cases})
    run = subprocess.run(command, input=table, capture_output=True, text=True, cwd=REPO)
    if run.returncode != 0:
        sys.stderr.write(run.stderr)
        raise SetupError(f"{' '.join(command)} exited with {run.returncode}")
    out = json.loads(run.stdout)
    if out.get("sdk_version") != sdk_version or len(out.get("results", [])) != len(cases):
        raise SetupError(f"{' '.join(command)}: unexpected output for {len(cases)} cases")
    return out["results"]


# --- comparison ------------------------------------------------------------------


def same(a, b):
    for key in ("should_retry", "retry", "draws_random"):
        if a[key] != b[key]:
            return False
    da, db = a["delay_s"], b["delay_s"]
    if da is None or db is None:
        return da is None and db is None
    return abs(da - db) <= TOLERANCE_S


def show(d):
    if not d["retry"]:
        return "give up" if not d["should_retry"] else "give up (no retry left)"
    rnd = " (random)" if d["draws_random"] else ""
    return f"retry in {d['delay_s']:.9f} s{rnd}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--expect",
        choices=["current", "legacy"],
        required=True,
        help="the ratesim SdkVersion the installed SDK should match",
    )
    parser.add_argument(
        "--ratesim",
        nargs="+",
        default=["cargo", "run", "--quiet", "--locked", "--example", "sdk_retry_delays"],
        help="command that runs examples/sdk_retry_delays.rs (default: cargo run)",
    )
    parser.add_argument("--write-table", type=Path, help="also write the table of cases to this JSON file")
    parser.add_argument("--quiet", action="store_true", help="print only mismatches and the summary")
    args = parser.parse_args()

    cases = build_table()
    if args.write_table:
        args.write_table.write_text(json.dumps({"sdk_version": args.expect, "cases": cases}, indent=1) + "\n")
    try:
        sdk = Sdk()
        print(f"anthropic {sdk.version} ({sdk.http.__name__}) against ratesim's SdkVersion::{args.expect.title()}")
        theirs = [sdk.decide(c) for c in cases]
        loops = {}
        for c, t in zip(cases, theirs):
            if c["max_retries"] > LOOP_MAX_RETRIES:
                continue
            key = tuple(v for k, v in c.items() if k not in ("name", "remaining_retries"))
            if key not in loops:
                loops[key] = sdk.loop_sleeps(c)
            sleeps = loops[key]
            taken = c["max_retries"] - c["remaining_retries"]
            in_loop = sleeps[taken] if taken < len(sleeps) else None
            if in_loop != t["delay_s"]:
                raise SetupError(
                    f"case {c['name']!r}: the SDK's retry loop slept {in_loop} before that retry, "
                    f"but _calculate_retry_timeout/_should_retry said {t['delay_s']}"
                )
        sdk.close()
        ours = ratesim(args.ratesim, args.expect, cases)
    except SetupError as e:
        print(f"sdk_check: {e}", file=sys.stderr)
        return 2

    mismatches = []
    width = max(len(c["name"]) for c in cases)
    if not args.quiet:
        print(f"{'case':<{width}}  {'anthropic ' + sdk.version:<36}  {'ratesim':<36}")
    for c, t, o in zip(cases, theirs, ours):
        if o["name"] != c["name"]:
            print(f"sdk_check: ratesim answered {o['name']!r} for case {c['name']!r}", file=sys.stderr)
            return 2
        ok = same(t, o)
        if not ok:
            mismatches.append(c["name"])
        if not ok or not args.quiet:
            print(f"{c['name']:<{width}}  {show(t):<36}  {show(o):<36}  {'ok' if ok else 'MISMATCH'}")
    print(
        f"{len(cases)} cases compared (and the SDK's retry loop replayed {len(loops)} times): "
        f"{len(cases) - len(mismatches)} agree, {len(mismatches)} differ"
    )
    for name in mismatches:
        print(f"MISMATCH: {name}", file=sys.stderr)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
