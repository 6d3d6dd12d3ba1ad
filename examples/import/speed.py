#!/usr/bin/env python3
"""Import speed (docs/performance.md): writes 1,000,000 GenAI spans (JSON
Lines, and one OTLP/JSON document) and 30 days of 1-minute usage-report
buckets for 5 models (30 pages), then times `ratesim import` on each and
reports peak memory (GNU time). Usage: python3 speed.py [path/to/ratesim]."""
import json, os, random, subprocess, sys, tempfile, time

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/ratesim"
T0 = 1793779200
MODELS = ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-6", "claude-sonnet-4-6", "claude-opus-4-1"]
d = tempfile.mkdtemp()
rnd = random.Random(1)

def attr(k, v):
    return {"key": k, "value": {"intValue": str(v)} if isinstance(v, int) else {"stringValue": v}}

def spans(n, start):
    out = []
    for i in range(n):
        t = (T0 * 10**9) + (start + i) * 60 * 10**9 // 400  # 400 a minute
        out.append({"traceId": "%032x" % (start + i), "spanId": "%016x" % (start + i), "name": "chat",
                    "startTimeUnixNano": str(t), "endTimeUnixNano": str(t + 10**9), "attributes": [
                        attr("gen_ai.provider.name", "anthropic"), attr("gen_ai.response.model", MODELS[i % 5]),
                        attr("gen_ai.usage.input_tokens", 3000 + i % 997), attr("gen_ai.usage.output_tokens", 200 + i % 301),
                        attr("gen_ai.usage.cache_read.input_tokens", 2000), attr("gen_ai.request.max_tokens", 1024)]})
    return out

jsonl = os.path.join(d, "spans.jsonl")
with open(jsonl, "w") as f:
    for b in range(0, 1_000_000, 1000):
        f.write(json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans(1000, b)}]}]}) + "\n")
doc = os.path.join(d, "spans.json")
with open(doc, "w") as f:
    f.write('{"resourceSpans": [{"scopeSpans": [{"spans": [\n')
    for b in range(0, 1_000_000, 1000):
        s = ",\n".join(json.dumps(x) for x in spans(1000, b))
        f.write(("," if b else "") + s)
    f.write("]}]}]}\n")
pages = []
for day in range(30):
    data = []
    for m in range(1440):
        t = T0 + (day * 1440 + m) * 60
        iso = lambda x: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(x))
        data.append({"starting_at": iso(t), "ending_at": iso(t + 60), "results": [
            {"uncached_input_tokens": 20000 + rnd.randrange(5000), "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 0},
             "cache_read_input_tokens": 30000, "output_tokens": 6000 + rnd.randrange(2000), "model": mo, "service_tier": "standard"}
            for mo in MODELS]})
    p = os.path.join(d, f"usage-{day:02}.json")
    with open(p, "w") as f:
        json.dump({"data": data, "has_more": day < 29, "next_page": None}, f)
    pages.append(p)

def timed(label, args):
    out = os.path.join(d, "out.yaml")
    t = time.time()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", BIN, "import", *args, "--out", out, "--force"],
                       capture_output=True, text=True)
    dt = time.time() - t
    rss = r.stderr.strip().splitlines()[-1]
    print(f"{label}: {dt:.1f} s, peak RSS {int(rss) / 1024:.0f} MB (exit {r.returncode})")

size = lambda p: os.path.getsize(p) / 1e6
print(f"inputs: spans.jsonl {size(jsonl):.0f} MB, spans.json {size(doc):.0f} MB, 30 usage pages {sum(map(size, pages)):.0f} MB")
timed("1,000,000 spans, JSON Lines, fitted", ["otel", jsonl])
timed("1,000,000 spans, one OTLP/JSON document, fitted", ["otel", doc])
timed("1,000,000 spans, JSON Lines, --replay", ["otel", jsonl, "--replay"])
timed("30 days x 1-minute buckets x 5 models", ["usage-report", *pages, "--mean-input-tokens", "50000"])
