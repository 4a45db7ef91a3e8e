"""On a GPU: `fit` (what `seemore train` runs) eager and with `TrainConfig(compile=True)` (torch.compile with CUDA graphs), on the embedded
data with the default model and with seeMoE: samples/s, the losses of both, and the CUDA graphs inductor skipped. Run on a machine with a GPU:
`python tools/cuda_train.py --out nbs/benchmarks/cuda-h200-train.json` (about two minutes on an H200). Each call adds a recording to the list
in --out (run it twice in a row: the first compiles with inductor's cache empty, the second finds the code cached). `--device cpu --steps 4`
tries it out on a CPU."""
import argparse, json, statistics, tempfile, time, warnings
from dataclasses import replace
from pathlib import Path
import torch
from torch._dynamo.utils import counters
from seemore.benchmarks import machine_info
from seemore.data import load_splits
from seemore.synthetic import default_dataset_path
from seemore.tracking import Tracker
from seemore.training import TrainConfig, DEFAULT_MODEL, fit
from seemore.vlm import VisionLanguageModel

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument('--out', default='cuda-train.json')
parser.add_argument('--steps', type=int, default=200)
parser.add_argument('--device', default='cuda')
args = parser.parse_args()
warnings.filterwarnings('ignore')
dev = torch.device(args.device)

class Speeds(Tracker):
    "Keeps the samples/s of every logged window."
    def __init__(self): self.rows = []
    def log_metrics(self, metrics, step):
        if 'samples_per_s' in metrics: self.rows.append((step, metrics['samples_per_s']))

train_rows, valid_rows, tok = load_splits(default_dataset_path(), DEFAULT_MODEL.img_size, DEFAULT_MODEL.block_size)
if dev.type == 'cuda': train_rows, valid_rows = train_rows.to(dev), valid_rows.to(dev)
out_file = Path(args.out)
recordings = json.loads(out_file.read_text())["recordings"] if out_file.exists() else []
results = dict(machine=machine_info(dev), steps=args.steps, runs={},
               note='fit on the embedded data (the default dataset, DEFAULT_MODEL; seeMoE: moe=True), TrainConfig defaults but steps, log_every=10 and one '
                    'validation at the end; samples_per_s: median of the logged 10-step windows after the first two (compiling); seconds: the whole fit, '
                    'compiling and the final validation included')
recordings.append(results)
def save(): out_file.write_text(json.dumps({'recordings': recordings}, indent=1) + '\n')
for name, config in {'dense': DEFAULT_MODEL, 'seeMoE': replace(DEFAULT_MODEL, moe=True)}.items():
    for compile in (False, True):
        counters.clear(); torch._dynamo.reset(); torch.manual_seed(0)   # each run compiles afresh (from inductor's cache, when it has the code)
        model, speeds, started = VisionLanguageModel(config, tok).to(dev), Speeds(), time.perf_counter()
        cfg = TrainConfig(steps=args.steps, log_every=min(10, args.steps), eval_every=args.steps, checkpoint_every=args.steps, compile=compile, device=args.device)
        with tempfile.TemporaryDirectory() as out: history = fit(model, train_rows, valid_rows, cfg, out, speeds, quiet=True)
        results['runs'][f"{name}, {'compiled' if compile else 'eager'}"] = dict(
            seconds=time.perf_counter() - started, samples_per_s=statistics.median(s for _, s in speeds.rows[2:] or speeds.rows),
            windows_samples_per_s=[s for _, s in speeds.rows], losses=[l for _, l in history['train']], exact_match=history['final']['exact_match'],
            cudagraph_skips=dict(counters['inductor']).get('cudagraph_skips', 0), dynamo_graphs=counters['stats']['unique_graphs'])
        print(name, compile, {k: v for k, v in results['runs'][f"{name}, {'compiled' if compile else 'eager'}"].items() if k not in ('losses', 'windows_samples_per_s')}, flush=True)
        save()
for name in ('dense', 'seeMoE'):
    eager, compiled = (results['runs'][f'{name}, {m}'] for m in ('eager', 'compiled'))
    results[f'{name}: compiled vs eager samples/s'] = compiled['samples_per_s'] / eager['samples_per_s']
    results[f'{name}: largest loss difference'] = max(abs(a - b) for a, b in zip(eager['losses'], compiled['losses']))
save()
print(json.dumps({k: v for k, v in results.items() if k not in ('machine', 'runs')}, indent=1))
