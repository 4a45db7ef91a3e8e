"""Record what keeping freed memory in glibc's malloc gives a training step on the CPU, in fresh processes.

A training step frees and allocates the same few-megabyte tensors every time; glibc serves large blocks with fresh
pages from the system (`mmap`) and returns freed heap memory (`trim`), so each step page-faults thousands of times.
Two `mallopt` calls make it keep and reuse that memory (what jemalloc or tcmalloc do when `LD_PRELOAD`-ed).

glibc's malloc settings are process-wide and cannot be switched back to their adaptive defaults, so unlike the other
records the two settings cannot take turns step by step in one process. Instead fresh processes alternate (as glibc sets
it, then with freed memory kept, `--runs` times each); every process counts the minor page faults and kernel CPU time
of five dense training steps at the original sizes, then runs `seemore.benchmarks.bench_training` (five models and the
matmul peak, interleaved). The medians over the processes are recorded. From the repository root, with nothing else running:

    python tools/freed_memory.py                     # writes nbs/benchmarks/freed-memory-cpu.json
    python tools/freed_memory.py --runs 1 --rounds 2 --out /tmp/f.json   # a smoke test
"""
import argparse, json, statistics, subprocess, sys
from pathlib import Path
import torch
from seemore.benchmarks import machine_info

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / 'tools'))
from moe_quality import git_commit  # noqa: E402

CHILD = """
import ctypes, json, resource, torch
from seemore.benchmarks import bench_training, fixed_batch_step
torch.set_num_threads({threads})
if {keep}:   # glibc's mallopt: blocks under 32 MB from the heap (M_MMAP_THRESHOLD, -3), up to 1 GB of freed heap kept (M_TRIM_THRESHOLD, -1)
    libc = ctypes.CDLL('libc.so.6')
    assert libc.mallopt(-3, 32 << 20) and libc.mallopt(-1, 1 << 30)
# page faults and kernel time of the dense fast step alone (the original sizes, batch 16), after two untimed steps
step = fixed_batch_step()
step(); step()
before = resource.getrusage(resource.RUSAGE_SELF)
for _ in range(5): step()
after = resource.getrusage(resource.RUSAGE_SELF)
del step
print(json.dumps(dict(page_faults_per_step=(after.ru_minflt - before.ru_minflt) / 5,
                      kernel_ms_per_step=1000 * (after.ru_stime - before.ru_stime) / 5, training=bench_training(rounds={rounds}))))
"""

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--runs', type=int, default=3, help='processes per setting (default 3)')
    p.add_argument('--rounds', type=int, default=7, help='timed steps per model in each process (default 7)')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--out', default=str(REPO / 'nbs/benchmarks/freed-memory-cpu.json'))
    a = p.parse_args()
    settings = {'as glibc sets it': False, 'freed memory kept': True}
    runs = {name: [] for name in settings}
    for r in range(a.runs):
        for name, keep in settings.items():
            out = subprocess.run([sys.executable, '-c', CHILD.format(threads=a.threads, keep=keep, rounds=a.rounds)],
                                 capture_output=True, text=True, check=True).stdout
            runs[name].append(json.loads(out.splitlines()[-1]))
            t = runs[name][-1]
            print(f"round {r + 1}, {name}: {t['page_faults_per_step']:,.0f} faults/step, {t['kernel_ms_per_step']:.1f} ms kernel/step, "
                  f"dense MFU {t['training']['models']['dense, fast']['mfu']:.1%}, MoE/dense {t['training']['moe_vs_dense_step']:.3f}, "
                  f"MoE/equal active {t['training']['moe_vs_same_active_step']:.3f}", flush=True)
    med = lambda xs: statistics.median(xs)
    ratios = ('peak_tflops', 'moe_vs_dense_step', 'moe_vs_same_active_step', 'fast_vs_teaching_dense')
    summary = {}
    for name, rs in runs.items():
        models = rs[0]['training']['models']
        summary[name] = {key: med([r[key] for r in rs]) for key in ('page_faults_per_step', 'kernel_ms_per_step')}
        summary[name] |= {key: {m: med([r['training']['models'][m][key] for r in rs]) for m in models} for key in ('step_ms', 'mfu')}
        summary[name] |= {key: med([r['training'][key] for r in rs]) for key in ratios}
    record = dict(machine=machine_info(torch.device('cpu')) | {'threads': a.threads}, git_commit=git_commit(),
                  command='python tools/freed_memory.py', settings=dict(runs=a.runs, rounds=a.rounds, threads=a.threads),
                  summary=summary, runs=runs)
    Path(a.out).write_text(json.dumps(record, indent=1) + '\n')
    print('written to', a.out)

if __name__ == '__main__':
    main()
