#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the repo's scenarios and traces (the
# fuzzer adds its own finds there; the directory is not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p fuzz/corpus/scenario_parse fuzz/corpus/trace_parse
cp scenarios/*.yaml tests/fixtures/*.yaml tests/fixtures/validation/*.yaml \
    fuzz/corpus/scenario_parse/
cp scenarios/traces/*.csv tests/fixtures/traces/*.jsonl fuzz/corpus/trace_parse/
echo "seeded: $(ls fuzz/corpus/scenario_parse | wc -l) scenarios, $(ls fuzz/corpus/trace_parse | wc -l) traces"
