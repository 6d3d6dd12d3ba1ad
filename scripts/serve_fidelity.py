"""Fidelity of `ratesim serve` (issue 16, part 6; results in docs/validation.md).

The same requests (scripts/fidelity-trace.csv) are
  (a) simulated: `ratesim simulate scripts/fidelity.yaml --strategy sdk_default`;
  (b) sent by the official Python SDK (default client: 2 retries, obeys
      retry-after) to `ratesim serve --scenario scripts/fidelity.yaml
      --speed SPEED --output-tokens 100`, each at its trace time.
The server's clock runs SPEED times faster than the wall, and retry-after is
in simulated seconds, so the SDK's sleeps are scaled by 1/SPEED (its own
retry code runs unchanged; only `time.sleep` inside anthropic._base_client
is replaced). Input text is 4 x input_tokens characters, so the server's
ceil(chars/4) rule charges exactly the trace's tokens.
Compared: requests, successes, failures, 429s and attempts (within
max(3, 5 %)); the p50 / p90 latency of successes (within 10 % or 1.5 s, whichever is larger: retry-after is whole seconds,
so a request near a boundary waits a second more or less, and the driver's
own scheduling adds wall-clock milliseconds that --speed multiplies).
Usage: python serve_fidelity.py BIN [SPEED]
"""

import csv
import json
import math
import subprocess
import sys
import threading
import time
import types
import urllib.request

import anthropic
import anthropic._base_client as base_client

BIN = sys.argv[1]
SPEED = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
MODEL = "claude-sonnet-4-5"


class ScaledTime(types.ModuleType):
    """The `time` module, with sleep() running SPEED times faster."""

    def __init__(self):
        super().__init__("time")

    def __getattr__(self, name):
        return getattr(time, name)

    @staticmethod
    def sleep(seconds):
        time.sleep(seconds / SPEED)


def quantile(values, q):
    """Nearest rank, as ratesim's reports use."""
    v = sorted(values)
    if not v:
        return 0.0
    rank = min(len(v), max(1, math.ceil(q * len(v))))
    return v[rank - 1]


def simulated():
    out = subprocess.run([BIN, "simulate", "scripts/fidelity.yaml", "--strategy", "sdk_default",
                          "-f", "json"], check=True, capture_output=True, text=True).stdout
    r = json.loads(out)["results"][0]
    return {
        "requests": r["requests"], "succeeded": r["succeeded"], "failed": r["failed"],
        "attempts": r["attempts"], "429": r["rate_limited"]["total"],
        "p50_ms": r["latency_ms"]["p50"], "p90_ms": r["latency_ms"]["p90"],
    }


def served():
    rows = list(csv.DictReader(open("scripts/fidelity-trace.csv")))
    proc = subprocess.Popen([BIN, "serve", "--scenario", "scripts/fidelity.yaml", "--port", "0",
                             "--speed", str(SPEED), "--output-tokens", "100", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = proc.stderr.readline().strip().split("listening on ", 1)[1]
    base_client.time = ScaledTime()
    client = anthropic.Anthropic(base_url=base, api_key="test")
    results = [None] * len(rows)
    start = time.monotonic()

    def one(i, row):
        due = start + float(row["timestamp"]) / SPEED
        time.sleep(max(0.0, due - time.monotonic()))
        n = int(row["input_tokens"])
        text = (f"{i:05d} " + "x" * (4 * n))[: 4 * n]
        try:
            client.messages.create(model=MODEL, max_tokens=int(row["max_tokens"]),
                                   messages=[{"role": "user", "content": text}])
            results[i] = ("ok", (time.monotonic() - due) * SPEED * 1000)
        except anthropic.RateLimitError:
            results[i] = ("failed", None)

    threads = [threading.Thread(target=one, args=(i, r)) for i, r in enumerate(rows)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with urllib.request.urlopen(f"{base}/ratesim/stats") as resp:
        stats = json.load(resp)
    proc.send_signal(2)
    proc.communicate(timeout=30)
    lat = [ms for status, ms in results if status == "ok"]
    totals = stats["totals"]
    return {
        "requests": len(rows), "succeeded": len(lat),
        "failed": sum(1 for r in results if r[0] == "failed"),
        "attempts": totals["attempts"], "429": sum(totals["rate_limited"].values()),
        "p50_ms": quantile(lat, 0.5), "p90_ms": quantile(lat, 0.9),
    }


def main():
    sim = simulated()
    real = served()
    bad = []
    print(f"{'':12} {'simulated':>10} {'served':>10}  tolerance")
    for k in ["requests", "succeeded", "failed", "attempts", "429", "p50_ms", "p90_ms"]:
        a, b = sim[k], real[k]
        if k.endswith("_ms"):
            tol, ok = "max(10 %, 1.5 s)", abs(a - b) <= max(0.10 * a, 1500)
        else:
            tol, ok = "max(3, 5 %)", abs(a - b) <= max(3, 0.05 * a)
        print(f"{k:12} {a:>10.0f} {b:>10.0f}  {tol}{'' if ok else '  <-- outside'}")
        if not ok:
            bad.append(k)
    if bad:
        print(f"outside tolerance: {', '.join(bad)}", file=sys.stderr)
        sys.exit(1)
    print(f"ratesim serve at --speed {SPEED:g} agrees with the simulation within tolerance")


if __name__ == "__main__":
    main()
