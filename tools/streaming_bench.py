"""Cache against stream, measured: how long `load_splits` takes and how much memory it needs, how soon `seemore train` takes its first step
and how much memory the whole process tree (the training process and its decoding workers) holds at its peak, and how fast the stream
loader feeds the default model compared with how fast the model trains. Writes `nbs/benchmarks/streaming.json`, shown on the data page.

    python tools/streaming_bench.py                      # the full set: up to 1,000,000 rows; about 20 minutes on 2 cores
    python tools/streaming_bench.py --quick --out /tmp/s.json   # small sizes, to try the script

Data are generated with `seemore.synthetic` into a temporary folder (or `--work`), deleted at the end. Peak memory is sampled with psutil
every 0.1 s (PSS every 0.5 s) as the sum of the resident set sizes (RSS) of the measured process and all its descendants; shared pages (the forked workers
share most of their memory with their parent) are counted once per process, so the sum overstates the memory really used. The sum of
proportional set sizes (PSS), which splits shared pages between the processes sharing them, is recorded beside it.
"""
import argparse, itertools, json, os, platform, re, shutil, statistics, subprocess, sys, tempfile, threading, time
from pathlib import Path
import psutil

ROOT = Path(__file__).resolve().parent.parent

def tree_memory(proc:psutil.Process, pss:bool=True) -> tuple:
    "(sum of RSS, sum of PSS or None) in bytes over `proc` and its descendants; PSS (reading each process's smaps) only when asked: it costs CPU."
    rss, proportional = 0, 0 if pss else None
    for p in [proc] + proc.children(recursive=True):
        try:
            info = p.memory_full_info() if pss else p.memory_info()
            rss += info.rss
            if pss: proportional += getattr(info, 'pss', info.rss)
        except (psutil.NoSuchProcess, psutil.AccessDenied): pass
    return rss, proportional

def measured(cmd:list, stop_at:str=None, timeout:float=1800, env=None) -> dict:
    "Run `cmd`, sampling its process tree's memory; stop it (and its tree) once a line matches `stop_at`. Wall time, output lines with their times, peaks."
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1, env=env)
    ps, lines, done = psutil.Process(proc.pid), [], threading.Event()
    def read():
        for line in proc.stdout:
            lines.append((time.perf_counter() - start, line.rstrip('\n')))
            if stop_at and re.search(stop_at, line): done.set()
        done.set()
    reader = threading.Thread(target=read, daemon=True); reader.start()
    peak_rss = peak_pss = 0
    for tick in itertools.count():
        if done.is_set() or proc.poll() is not None or time.perf_counter() - start > timeout: break
        rss, pss = tree_memory(ps, pss=tick % 5 == 0)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss or 0)
        time.sleep(0.1)
    wall = time.perf_counter() - start
    if proc.poll() is None:
        for p in ps.children(recursive=True) + [ps]:
            try: p.kill()
            except psutil.NoSuchProcess: pass
    proc.wait(); reader.join(5)
    return {'wall_s': wall, 'lines': lines, 'peak_rss_mb': peak_rss / 2**20, 'peak_pss_mb': peak_pss / 2**20, 'returncode': proc.returncode}

def generate(work:Path, sizes:dict) -> dict:
    "Write the data files: `sizes` maps a name to (rows, format); rows are synthetic 96-pixel scenes, drawn in chunks of 100,000 with different seeds."
    code = '''
import itertools, sys
from seemore.synthetic import make_synthetic_scenes
from seemore.data import write_caption_csv, write_caption_parquet
path, n, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = itertools.chain.from_iterable(make_synthetic_scenes(min(100_000, n - start), seed=1000 + start) for start in range(0, n, 100_000))
(write_caption_csv if kind == 'csv' else write_caption_parquet)(path, rows)
'''
    files = {}
    for name, (n, kind) in sizes.items():
        path = work / f'{name}.{kind}'
        if not path.exists(): subprocess.run([sys.executable, '-c', code, str(path), str(n), kind], check=True)   # a --work folder keeps them
        files[name] = path
        print(f'generated {path.name}: {n:,} rows, {path.stat().st_size / 2**20:.0f} MB', flush=True)
    return files

LOAD = '''
import json, sys, time
start = time.perf_counter()
from seemore.data import load_splits
train, valid, _ = load_splits(sys.argv[1], int(sys.argv[2]), 48, data_loading=sys.argv[3])
loaded = time.perf_counter() - start
held = lambda d: d.pixels.numel() if not d.streamed else d.pixels.positions.nbytes   # a stream holds a position per row in memory, the rest on disk
print(json.dumps({'load_s': loaded, 'image_mb': (held(train) + held(valid)) / 2**20, 'streamed': train.streamed, 'rows': len(train) + len(valid)}))
'''

THROUGHPUT = '''
import json, sys, time, torch
from seemore.data import load_splits
from seemore.training import DEFAULT_MODEL, TrainConfig, BatchSchedule, step_batches, train_step, caption_loss, make_optimizer
from seemore.vlm import VisionLanguageModel
cfg, steps = TrainConfig(), int(sys.argv[2])
train, _, tok = load_splits(sys.argv[1], DEFAULT_MODEL.img_size, DEFAULT_MODEL.block_size, data_loading='stream')
schedule = BatchSchedule(len(train), cfg.batch_size, cfg.seed)
batches = step_batches(train, schedule, 0, steps + 5)
for _ in range(5): next(batches)                                   # the workers start, the queue fills
start = time.perf_counter()
for _ in range(steps): next(batches)
loader = steps * cfg.batch_size / (time.perf_counter() - start)
batches.close()
torch.manual_seed(0)
model = VisionLanguageModel(DEFAULT_MODEL, tok)
optimizer = make_optimizer(model, cfg)
fixed = [((train.get_batch(schedule.indices(i))), 1.0) for i in range(3)]
for i in range(3): train_step(model, optimizer, [fixed[i]], caption_loss, cfg.lr, cfg.grad_clip)
start = time.perf_counter()
for i in range(steps // 2): train_step(model, optimizer, [fixed[i % 3]], caption_loss, cfg.lr, cfg.grad_clip)
trained = steps // 2 * cfg.batch_size / (time.perf_counter() - start)
print(json.dumps({'loader_rows_per_s': loader, 'train_rows_per_s': trained, 'workers': train.workers}))
'''

def last_json(result:dict) -> dict:
    for _, line in reversed(result['lines']):
        if line.startswith('{'): return json.loads(line)
    raise RuntimeError('no result: ' + '\n'.join(l for _, l in result['lines'][-20:]))

def seemore_train(path:Path, mode:str, steps:int, out:Path) -> dict:
    "`seemore train` with the default model, stopped once step `steps` is logged: time to the first step, training samples/s, peak memory."
    shutil.rmtree(out, ignore_errors=True)
    cmd = [str(Path(sys.executable).parent / 'seemore'), 'train', '--data', str(path), '--out', str(out), '--steps', '1000', '--log-every', '1',
           '--eval-every', '100000', '--checkpoint-every', '100000', '--no-mlflow', '--data-loading', mode, '--valid-frac', '0.002']
    result = measured(cmd, stop_at=rf'^step {steps}/')
    steps_at = [(t, line) for t, line in result['lines'] if re.match(r'step \d+/', line)]
    if not steps_at: raise RuntimeError('\n'.join(l for _, l in result['lines'][-20:]))
    speeds = [float(re.search(r'([\d.]+) samples/s', line)[1]) for _, line in steps_at[len(steps_at) // 3:]]
    said = next((line for _, line in result['lines'] if line.startswith('images:')), '')
    shutil.rmtree(out, ignore_errors=True)
    return {'first_step_s': steps_at[0][0], 'train_samples_per_s': statistics.median(speeds), 'peak_rss_mb': result['peak_rss_mb'],
            'peak_pss_mb': result['peak_pss_mb'], 'images': said.removeprefix('images: ')}

def median_of(runs:list) -> dict:
    "Each number's median over `runs`, with the runs themselves."
    keys = [k for k, v in runs[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return {**runs[0], **{k: statistics.median(r[k] for r in runs) for k in keys}, 'runs': len(runs)}

def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default=str(ROOT / 'nbs' / 'benchmarks' / 'streaming.json'))
    parser.add_argument('--work', help='folder for the generated data (default: a temporary folder, deleted at the end)')
    parser.add_argument('--quick', action='store_true', help='small sizes, one run each')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--train-repeats', type=int, default=2, help='runs of each seemore train configuration')
    parser.add_argument('--loads', help='JSON list of load results measured before (skips measuring load_splits again)')
    parser.add_argument('--threads', type=int, default=1, help='OMP_NUM_THREADS of the measured processes (default 1: on a shared machine more threads than free cores stall each other)')
    args = parser.parse_args()
    load_before = os.getloadavg()
    work = Path(args.work or tempfile.mkdtemp(prefix='seemore-streaming-'))
    work.mkdir(parents=True, exist_ok=True)
    repeats = 1 if args.quick else args.repeats
    sizes = ({'r2k': (2_000, 'csv'), 'r10k': (10_000, 'csv'), 'r20k_pq': (20_000, 'parquet')} if args.quick else
             {'r5k': (5_000, 'csv'), 'r20k': (20_000, 'csv'), 'r100k': (100_000, 'csv'), 'r1m_pq': (1_000_000, 'parquet')})
    try:
        files = generate(work, sizes)
        small, medium, large, huge = (list(files) + [None])[:4] if not args.quick else ('r2k', 'r10k', 'r10k', 'r20k_pq')
        os.environ['OMP_NUM_THREADS'] = str(args.threads)
        loads = json.load(open(args.loads)) if args.loads else []
        for name in [] if args.loads else [small, medium, large]:
            for mode in ('cache', 'stream'):
                n = 1 if name == large else repeats
                runs = []
                for _ in range(n):
                    r = measured([sys.executable, '-c', LOAD, str(files[name]), '96', mode])
                    runs.append({**last_json(r), 'peak_rss_mb': r['peak_rss_mb'], 'peak_pss_mb': r['peak_pss_mb']})
                loads.append({'file': files[name].name, 'mode': mode, **median_of(runs)})
                print('load', loads[-1], flush=True)
        trains = []
        for name, mode, n in [(large, 'cache', min(repeats, args.train_repeats)), (large, 'stream', min(repeats, args.train_repeats)),
                              (large, 'auto', min(repeats, args.train_repeats)), (huge, 'auto', 1)]:
            runs = [seemore_train(files[name], mode, 30, work / 'run') for _ in range(n)]
            trains.append({'file': files[name].name, 'rows': sizes[name][0], 'mode': mode, **median_of(runs)})
            print('train', trains[-1], flush=True)
        speed = median_of([last_json(measured([sys.executable, '-c', THROUGHPUT, str(files[large]), '40'])) for _ in range(min(repeats, args.train_repeats))])
        print('throughput', speed, flush=True)
        disk = {files[name].name: round(files[name].stat().st_size / 2**20, 1) for name in files}
    finally:
        if not args.work: shutil.rmtree(work, ignore_errors=True)
    import torch
    record = {'machine': {'cpus': os.cpu_count(), 'processor': platform.processor() or platform.machine(), 'python': platform.python_version(),
                          'torch': torch.__version__, 'memory_gb': round(psutil.virtual_memory().total / 2**30),
                          'load_average_before_after': [round(load_before[0], 1), round(os.getloadavg()[0], 1)]},
              'how': ('peak memory: psutil samples every 0.1 s of the process tree (training process and its decoding workers): the sum of RSS, '
                      'and the sum of PSS; load: load_splits at img_size 96 in a fresh process, from launch; train: seemore train with the default '
                      'model (img_size 48) on 96-pixel scenes, --valid-frac 0.002, time from launch to the log line of step 1, stopped after step 30; '
                      'throughput: the stream loader (default workers) and the training step of the default model, measured apart; '
                      f'OMP_NUM_THREADS={args.threads} (load_average_before_after: the machine was shared with other jobs)'),
              'threads': args.threads, 'quick': args.quick, 'disk_mb': disk, 'load': loads, 'train': trains, 'throughput': speed}
    Path(args.out).write_text(json.dumps(record, indent=1) + '\n')
    print(f'wrote {args.out}')

if __name__ == '__main__': main()
