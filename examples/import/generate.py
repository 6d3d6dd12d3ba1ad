#!/usr/bin/env python3
"""Writes the synthetic example inputs of `ratesim import` (all four formats,
in the documented shapes). Deterministic: `python3 generate.py` rewrites the
same bytes. The numbers are made up; the shapes follow the Admin API usage
report, OTLP/JSON GenAI spans, LiteLLM_SpendLogs and the Rate Limits API."""
import csv, io, json, math, random

rnd = random.Random(18)
T0 = 1793779200  # 2026-11-02T09:00:00Z

def iso(t):
    import datetime
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

# --- A: usage report, two pages of 60 one-minute buckets, by model and tier
def bucket(i):
    t = T0 + 60 * i
    wave = 1.0 + 0.35 * math.sin(i / 120 * 2 * math.pi) + (0.5 if 70 <= i < 76 else 0.0)
    res = []
    for model, base_in, base_out, read_share in [
        ("claude-sonnet-4-5-20250929", 52000, 17000, 0.55),
        ("claude-haiku-4-5-20251001", 30000, 6000, 0.0),
    ]:
        f = wave * rnd.uniform(0.85, 1.15)
        total_in = int(base_in * f / (1 - read_share))
        read = int(total_in * read_share)
        write = int(total_in * 0.04) if read_share else 0
        res.append({
            "uncached_input_tokens": total_in - read - write,
            "cache_creation": {"ephemeral_5m_input_tokens": write, "ephemeral_1h_input_tokens": 0},
            "cache_read_input_tokens": read,
            "output_tokens": int(base_out * f),
            "server_tool_use": {"web_search_requests": 0},
            "model": model, "workspace_id": None, "api_key_id": None,
            "service_tier": "standard", "context_window": None,
        })
    if i % 30 == 5:  # a nightly-style batch burst on Haiku
        res.append({
            "uncached_input_tokens": 400000, "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            "cache_read_input_tokens": 0, "output_tokens": 60000, "server_tool_use": {"web_search_requests": 0},
            "model": "claude-haiku-4-5-20251001", "workspace_id": None, "api_key_id": None,
            "service_tier": "batch", "context_window": None,
        })
    return {"starting_at": iso(t), "ending_at": iso(t + 60), "results": res}

for page in range(2):
    data = [bucket(i) for i in range(60 * page, 60 * page + 60)]
    doc = {"data": data, "has_more": page == 0, "next_page": "page_2" if page == 0 else None}
    with open(f"usage-report/usage-{page + 1}.json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")

# --- D: the organisation's limits
limits = {"data": [
    {"id": "rl_sonnet", "type": "rate_limit", "group": {"type": "model_group", "id": "sonnet-4", "display_name": "Claude Sonnet 4.x"},
     "group_type": "model_group", "models": ["claude-sonnet-4-5", "claude-sonnet-4-6", "claude-sonnet-4-0"],
     "limits": [{"type": "requests_per_minute", "value": 200}, {"type": "input_tokens_per_minute_cache_aware", "value": 200000},
                {"type": "output_tokens_per_minute", "value": 40000}, {"type": "tokens_per_day", "value": 200000000}]},
    {"id": "rl_haiku", "type": "rate_limit", "group": {"type": "model_group", "id": "haiku-4-5", "display_name": "Claude Haiku 4.5"},
     "group_type": "model_group", "models": ["claude-haiku-4-5"],
     "limits": [{"type": "requests_per_minute", "value": 400}, {"type": "input_tokens_per_minute_cache_aware", "value": 100000},
                {"type": "output_tokens_per_minute", "value": 20000}]},
    {"id": "rl_opus", "type": "rate_limit", "group": {"type": "model_group", "id": "opus-4", "display_name": "Claude Opus 4.x"},
     "group_type": "model_group", "models": ["claude-opus-4-7", "claude-opus-4-6"],
     "limits": [{"type": "requests_per_minute", "value": 50}, {"type": "input_tokens_per_minute", "value": 30000},
                {"type": "output_tokens_per_minute", "value": 8000}]},
    {"id": "rl_batch", "type": "rate_limit", "group": {"type": "batch", "id": "batch", "display_name": "Message Batches"},
     "group_type": "batch", "models": None,
     "limits": [{"type": "requests_per_minute", "value": 1000}, {"type": "batch_requests_in_queue", "value": 200000}]},
    {"id": "rl_count", "type": "rate_limit", "group": {"type": "token_count", "id": "token_count", "display_name": "Token counting"},
     "group_type": "token_count", "models": None, "limits": [{"type": "requests_per_minute", "value": 2000}]},
], "next_page": None}
with open("rate_limits.json", "w") as f:
    json.dump(limits, f, indent=1)
    f.write("\n")

# --- per-request records shared by B and C: one hour of a support bot
def requests():
    out = []
    t = T0 * 10**9
    for i in range(240):
        t += int(rnd.expovariate(4 / 60) * 1e9)
        model = "claude-sonnet-4-5-20250929" if rnd.random() < 0.8 else "claude-haiku-4-5-20251001"
        uncached = int(rnd.lognormvariate(math.log(900), 0.5))
        read = 2600 if (model.startswith("claude-sonnet") and i > 0 and rnd.random() < 0.9) else 0
        write = 2600 if (model.startswith("claude-sonnet") and read == 0) else 0
        out.append(dict(t=t, model=model, uncached=uncached, read=read, write=write,
                        output=int(rnd.lognormvariate(math.log(250), 0.6)), max_tokens=1024,
                        status="ok" if i % 60 != 17 else "429", team="support" if i % 3 else "sales"))
    return out

reqs = requests()

# --- B: OTLP/JSON (semantic-convention names: input_tokens includes the cache)
def attr(k, v):
    if isinstance(v, int):
        return {"key": k, "value": {"intValue": str(v)}}
    return {"key": k, "value": {"stringValue": v}}

def span(r, i):
    a = [attr("gen_ai.provider.name", "anthropic"), attr("gen_ai.operation.name", "chat"),
         attr("gen_ai.request.model", r["model"][:-9]), attr("gen_ai.request.max_tokens", r["max_tokens"])]
    s = {"traceId": f"{i:032x}", "spanId": f"{i:016x}", "name": f"chat {r['model'][:-9]}", "kind": 3,
         "startTimeUnixNano": str(r["t"]), "endTimeUnixNano": str(r["t"] + 4 * 10**9), "attributes": a, "status": {}}
    if r["status"] == "429":
        a.append(attr("error.type", "429"))
        s["status"] = {"code": 2, "message": "rate_limit_error"}
        return s
    a += [attr("gen_ai.response.model", r["model"]),
          attr("gen_ai.usage.input_tokens", r["uncached"] + r["read"] + r["write"]),
          attr("gen_ai.usage.output_tokens", r["output"]),
          attr("gen_ai.usage.cache_read.input_tokens", r["read"]),
          attr("gen_ai.usage.cache_creation.input_tokens", r["write"])]
    return s

spans = [span(r, i + 1) for i, r in enumerate(reqs)]
other = {"traceId": "f" * 32, "spanId": "e" * 16, "name": "chat gpt-4o", "startTimeUnixNano": str(T0 * 10**9 + 5 * 10**9),
         "endTimeUnixNano": str(T0 * 10**9 + 6 * 10**9), "attributes": [attr("gen_ai.provider.name", "openai"),
         attr("gen_ai.request.model", "gpt-4o"), attr("gen_ai.usage.input_tokens", 500), attr("gen_ai.usage.output_tokens", 80)]}
http = {"traceId": "d" * 32, "spanId": "c" * 16, "name": "GET /tickets", "startTimeUnixNano": str(T0 * 10**9),
        "endTimeUnixNano": str(T0 * 10**9 + 10**8), "attributes": [attr("http.request.method", "GET")]}

def export(sp):
    return {"resourceSpans": [{"resource": {"attributes": [attr("service.name", "support-bot")]},
                               "scopeSpans": [{"scope": {"name": "opentelemetry.instrumentation.anthropic"}, "spans": sp}]}]}

with open("otel/traces.json", "w") as f:
    json.dump(export(spans[:120] + [other, http] + spans[120:]), f, indent=1)
    f.write("\n")
with open("otel/traces.jsonl", "w") as f:
    for k in range(0, len(spans), 80):
        f.write(json.dumps(export(spans[k:k + 80])) + "\n")

# --- C: LiteLLM spend logs (prompt_tokens includes the cache)
def spend(r, i):
    provider = "anthropic" if i % 25 != 3 else "bedrock"
    meta = {"usage_object": {"cache_read_input_tokens": r["read"], "cache_creation_input_tokens": r["write"]}}
    status = "success"
    if r["status"] == "429":
        status = "failure"
        meta = {"error_information": {"error_code": "429", "error_class": "RateLimitError"}}
    return {"request_id": f"chatcmpl-{i:05d}", "call_type": "acompletion",
            "startTime": iso(r["t"] // 10**9).replace("Z", f".{(r['t'] // 10**6) % 1000:03d}Z"),
            "endTime": iso(r["t"] // 10**9 + 4), "model": r["model"], "model_group": "claude-sonnet" if "sonnet" in r["model"] else "claude-haiku",
            "custom_llm_provider": provider, "prompt_tokens": r["uncached"] + r["read"] + r["write"] if status == "success" else 0,
            "completion_tokens": r["output"] if status == "success" else 0,
            "total_tokens": r["uncached"] + r["read"] + r["write"] + r["output"] if status == "success" else 0,
            "spend": 0.0, "status": status, "metadata": json.dumps(meta), "api_key": "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b",
            "team_id": r["team"], "end_user": "", "request_tags": "[]"}

rows = [spend(r, i) for i, r in enumerate(reqs)]
with open("litellm/spend_logs.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(rows)
with open("litellm/spend_logs.json", "w") as f:
    json.dump(rows, f, indent=1)
    f.write("\n")
