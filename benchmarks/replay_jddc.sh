#!/usr/bin/env bash
# The learning figures of docs/learning.md and the README: the public JDDC sessions split in
# file order, the first 80 % (795 sessions) as the shop's library of chats, the last 20 % (199)
# replayed and scored by `huashu eval replay` (bootstrap over sessions, 1000 rounds).
# Usage: benchmarks/replay_jddc.sh [SESSIONS.jsonl] [OUT_DIR]   (run from the repository root)
set -euo pipefail
sessions="${1:-../shared/data/jddc/sessions.jsonl}"
out="${2:-index/replay}"
mkdir -p "$out"
total=$(wc -l < "$sessions")
cut=$(( total * 8 / 10 ))
head -n "$cut" "$sessions" > "$out/library.jsonl"
tail -n +"$(( cut + 1 ))" "$sessions" > "$out/test.jsonl"
python -m assistant eval replay --library "$out/library.jsonl" --sessions "$out/test.jsonl" \
    --cache "$out/embeddings.sqlite" --json > "$out/report.json"
python -c 'import json, sys; from assistant.cli.eval_replay import table; print(table(json.load(open(sys.argv[1]))))' \
    "$out/report.json"
