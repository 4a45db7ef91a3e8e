#!/bin/bash
# The CUDA numbers of `seemore bench`, one section per process (a section that fails or runs out of time costs only itself),
# merged into one JSON. Run on a machine with a GPU, from the repository root, with seemore importable:
#   OUT=out bash tools/cuda_record.sh [checks] [section ...]   (default: checks, then every section)
# DEVICE and BENCH_ARGS (e.g. DEVICE=cpu BENCH_ARGS=--tiny to try it here) change what `seemore bench` is given.
# Writes $OUT/log and $OUT/cuda.json (the sections' results, `machine` and `settings` from the first).
OUT=${OUT:-cuda-out}; mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
steps=("$@"); [ ${#steps[@]} -eq 0 ] && steps=(checks captioning training moe_layer ablation scaling data)
declare -A limit=([checks]=110 [captioning]=150 [training]=200 [moe_layer]=40 [ablation]=60 [scaling]=60 [data]=40)
for s in "${steps[@]}"; do
  start=$(date +%s)
  if [ "$s" = checks ]; then timeout "${limit[$s]}" python3 tools/cuda_checks.py
  else timeout "${limit[$s]}" python3 -c 'import sys; from seemore.benchmarks import bench_main; sys.exit(bench_main())' \
         --device "${DEVICE:-cuda}" ${BENCH_ARGS:-} --sections "$s" --out "$OUT/part-$s.json" 2>&1 | grep -v Warning | tail -25
  fi
  echo "== $s: exit ${PIPESTATUS[0]} in $(( $(date +%s) - start )) s"
done 2>&1 | tee -a "$OUT/log"
python3 - "$OUT" <<'PY'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1]); merged = {}
for part in sorted(out.glob('part-*.json')):
    r = json.loads(part.read_text()); r.pop('targets', None)
    for k, v in r.items(): merged.setdefault(k, v)
    merged.setdefault('sections', []).append(part.stem[5:])
    part.unlink()
if merged:
    from seemore.benchmarks import check_targets
    merged['settings']['sections'] = merged.pop('sections')
    merged['targets'] = check_targets(merged)
    (out / 'cuda.json').write_text(json.dumps(merged, indent=1) + '\n')
    print('merged', merged['settings']['sections'], 'into', out / 'cuda.json')
PY
