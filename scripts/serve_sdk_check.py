"""The official Python SDK against `ratesim serve` (run by serve_sdk_check.sh).

Starts `ratesim serve --scenario scripts/serve-sdk.yaml --port 0 --record
FILE`, points `anthropic.Anthropic(base_url=...)` at it and checks: a
non-streaming call, a call through the SDK's stream helper (text and final
usage), count_tokens against the usage charged, models.list, and a burst
over the RPM limit that ends in RateLimitError carrying the headers after
the SDK's retries. Then it reads the record: the x-stainless-retry-count
sequence 0, 1, 2 and that each retry came at least retry-after after the
429 it answered. Exit 1 on any mismatch.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading

import anthropic

BIN = sys.argv[1]
MODEL = "claude-sonnet-4-5"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def main():
    tmp = tempfile.mkdtemp(prefix="ratesim-serve-")
    record = os.path.join(tmp, "calls.jsonl")
    proc = subprocess.Popen(
        [BIN, "serve", "--scenario", "scripts/serve-sdk.yaml", "--port", "0",
         "--output-tokens", "40", "--record", record, "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    first = proc.stderr.readline().strip()
    check(first.startswith("listening on http://127.0.0.1:"), f"first stderr line: {first!r}")
    base = first.split("listening on ", 1)[1]
    try:
        run(base)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    print(out)
    check(proc.returncode == 0, f"serve exits 0 after Ctrl-C (got {proc.returncode}; {err[-300:]})")
    check("requests by retries" in out, "the summary shows the client's retry pattern")
    check_record(record)


def run(base):
    client = anthropic.Anthropic(base_url=base, api_key="test")

    models = client.models.list()
    check(any(m.id == MODEL for m in models.data), "models.list names the scenario's model")

    msgs = [{"role": "user", "content": "Say something about rate limits."}]
    counted = client.messages.count_tokens(model=MODEL, messages=msgs)
    # 32 characters -> ceil(32 / 4) = 8 tokens.
    check(counted.input_tokens == 8, f"count_tokens = 8 (got {counted.input_tokens})")

    m = client.messages.create(model=MODEL, max_tokens=100, messages=msgs)
    check(m.usage.input_tokens == counted.input_tokens, "usage.input_tokens == count_tokens")
    check(m.usage.output_tokens == 40, f"non-streaming output_tokens 40 (got {m.usage.output_tokens})")
    check(len(m.content[0].text.split()) == 40, "non-streaming text has 40 words")
    check(m.stop_reason == "end_turn", f"stop_reason end_turn (got {m.stop_reason})")

    pieces = []
    with client.messages.stream(model=MODEL, max_tokens=100, messages=[
            {"role": "user", "content": "Stream, please."}]) as stream:
        for text in stream.text_stream:
            pieces.append(text)
        final = stream.get_final_message()
    streamed = "".join(pieces)
    check(len(pieces) > 1, f"the stream came in pieces ({len(pieces)})")
    check(final.content[0].text == streamed, "final message text == streamed text")
    check(final.usage.output_tokens == 40, f"streamed output_tokens 40 (got {final.usage.output_tokens})")
    check(final.usage.input_tokens == 4, f"streamed input_tokens 4 (got {final.usage.input_tokens})")

    # A burst of 6 distinct requests at 1 RPS with a one-request bucket: the
    # SDK retries twice after retry-after (1 s) each; some must give up.
    results = [None] * 6

    def one(i):
        try:
            client.messages.create(model=MODEL, max_tokens=10, messages=[
                {"role": "user", "content": f"burst {i}"}])
            results[i] = "ok"
        except anthropic.RateLimitError as e:
            results[i] = e

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors = [r for r in results if isinstance(r, anthropic.RateLimitError)]
    check(len(errors) >= 1, f"the burst ends in RateLimitError for some ({len(errors)} of 6)")
    check(results.count("ok") >= 2, f"the SDK's retries got some through ({results.count('ok')} of 6)")
    if errors:
        e = errors[0]
        h = e.response.headers
        check(e.status_code == 429, "RateLimitError is a 429")
        check(h.get("retry-after") == "1", f"retry-after 1 (got {h.get('retry-after')})")
        check(h.get("x-should-retry") == "true", "x-should-retry: true")
        check(h.get("anthropic-ratelimit-requests-limit") == "60", "requests-limit header 60")
        check(h.get("anthropic-ratelimit-requests-remaining") == "0", "requests-remaining 0")
        check(e.request_id == h.get("request-id") and e.request_id.startswith("req_"),
              "the exception carries the request-id")
        check(e.body["error"]["type"] == "rate_limit_error", "error type rate_limit_error")
        check("requests per minute" in e.message, "the message names the RPM limit")


def check_record(path):
    rows = [json.loads(line) for line in open(path)]
    check(len(rows) >= 6 + 3, f"the record has every attempt ({len(rows)} lines)")
    chains = {}
    for r in rows:
        chains.setdefault(r["attempt"]["body_hash"], []).append(r)
    gave_up = [c for c in chains.values() if all(a["attempt"]["status"] == 429 for a in c)]
    check(len(gave_up) >= 1, "a request that failed is in the record")
    for c in gave_up:
        seq = [a["attempt"]["retry_count"] for a in c]
        check(seq == [0, 1, 2], f"x-stainless-retry-count 0, 1, 2 (got {seq})")
    waits_ok = True
    n = 0
    for c in chains.values():
        for prev, nxt in zip(c, c[1:]):
            if prev["attempt"]["status"] == 429:
                n += 1
                wait = nxt["timestamp"] - prev["timestamp"]
                if wait + 0.05 < prev["attempt"]["retry_after"]:
                    waits_ok = False
                    print(f"  waited {wait:.3f} s < retry-after {prev['attempt']['retry_after']}")
    check(n >= 2 and waits_ok, f"every retry waited retry-after ({n} retries checked)")
    check(all(r["model"] == MODEL and "input_tokens" in r for r in rows), "rows are trace rows")


if __name__ == "__main__":
    main()
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        sys.exit(1)
    print("the official Python SDK works against ratesim serve")
