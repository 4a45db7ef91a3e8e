#!/bin/bash
# The CUDA numbers of `seemore bench`, one section per process (a section that fails or runs out of time costs only itself),
# merged into one JSON. Run on a machine with a GPU, from the repository root, with seemore importable:
#   OUT=out bash tools/cuda_record.sh [checks] [section ...]   (default: checks, then every section)
# DEVICE and BENCH_ARGS (e.g. DEVICE=cpu BENCH_ARGS=--tiny to try it here) change what `seemore bench` is given.
# Writes $OUT/log and $OUT/cuda.json (the sections' results, `machine` and `settings` from the first section run; a cuda.json
# already in $OUT is merged into, so sections measured by separate calls end in one file).
OUT=${OUT:-cuda-out}; mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
steps=("$@"); [ ${#steps[@]} -eq 0 ] && steps=(checks captioning training moe_layer ablation scaling data)
declare -A limit=([checks]=110 [captioning]=150 [training]=200 [moe_layer]=40 [ablation]=60 [scaling]=60 [data]=40)
for s in "${steps[@]}"; do
  [ -n "${limit[$s]:-}" ] || { echo "unknown step $s; choose from ${!limit[*]}"; exit 2; }
done
for s in "${steps[@]}"; do
  start=$(date +%s)
  if [ "$s" = checks ]; then timeout "${limit[$s]}" python3 tools/cuda_checks.py; status=$?
  else timeout "${limit[$s]}" python3 -c 'import sys; from seemore.benchmarks import bench_main; sys.exit(bench_main())' \
         --device "${DEVICE:-cuda}" ${BENCH_ARGS:-} --sections "$s" --out "$OUT/part-$s.json" 2>&1 | grep -v Warning | tail -25
       status=${PIPESTATUS[0]}
  fi
  echo "== $s: exit $status in $(( $(date +%s) - start )) s"
  if [ "$s" = checks ] && [ "$status" != 0 ]; then echo "the checks failed: nothing measured"; break; fi
done 2>&1 | tee -a "$OUT/log"
python3 - "$OUT" "${steps[@]}" <<'PY'
import json, sys, pathlib
out, order = pathlib.Path(sys.argv[1]), sys.argv[2:]
merged = json.loads((out / 'cuda.json').read_text()) if (out / 'cuda.json').exists() else {}   # an earlier call's sections are kept
merged.pop('targets', None)
for s in order:   # in the order they ran: `machine` and `settings` from the first
    part = out / f'part-{s}.json'
    if not part.exists(): continue
    r = json.loads(part.read_text()); r.pop('targets', None)
    for k, v in r.items():
        if k not in ('machine', 'settings') or k not in merged: merged[k] = v
    if s not in merged['settings']['sections']: merged['settings']['sections'].append(s)
    part.unlink()
if merged:
    from seemore.benchmarks import check_targets
    merged['targets'] = check_targets(merged)
    (out / 'cuda.json').write_text(json.dumps(merged, indent=1) + '\n')
    print('merged', merged['settings']['sections'], 'into', out / 'cuda.json')
PY
