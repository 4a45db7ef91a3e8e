"""Record how well seeMoE captions the default data, with and without the load-balancing loss.

Trains `VLMConfig(moe=True)` at the training notebook's default sizes (`DEFAULT_MODEL`) on the embedded synthetic dataset
for 900 steps, twice: with the load-balancing loss at its default weight (0.01) and without it (0.0). For each run it
records the held-out exact match and character accuracy, each MoE layer's share of the validation tokens per expert,
the steps and the wall time; and where, when and with what the numbers were taken. The mixture-of-experts notebook
(nbs/09_moe.ipynb) shows the file. From the repository root:

    OMP_NUM_THREADS=2 python tools/moe_quality.py                     # writes nbs/benchmarks/moe-default.json
    python tools/moe_quality.py --steps 5 --out /tmp/moe-smoke.json   # a smoke test of the script
"""
import argparse, json, subprocess, sys, tempfile, time, warnings
from dataclasses import asdict, replace
from pathlib import Path
from seemore.training import train, TrainConfig, DEFAULT_MODEL
from seemore.benchmarks import machine_info
from seemore.distributed import pick_device

REPO = Path(__file__).resolve().parent.parent
RUNS = {'with_load_balancing': 0.01, 'without_load_balancing': 0.0}

def git_commit() -> str:
    "The checked-out commit, with '+dirty' when the working tree has uncommitted changes; 'unknown' outside git."
    try:
        commit = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'], cwd=REPO, capture_output=True, text=True).stdout.strip()
        return commit + ('+dirty' if dirty else '')
    except (OSError, subprocess.CalledProcessError): return 'unknown'

def run(load_balance_weight:float, steps:int, device:str) -> dict:
    "Train seeMoE once, as `seemore train --moe --steps <steps>` does (without MLflow), and return its final validation numbers."
    model_config = replace(DEFAULT_MODEL, moe=True, load_balance_weight=load_balance_weight)
    cfg = TrainConfig(steps=steps, eval_every=300, device=device)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out, warnings.catch_warnings():
        warnings.simplefilter('ignore')
        model, history = train(out_dir=out, cfg=cfg, model_config=model_config, tracking=False, quiet=True)
    final = history['final']
    return dict(load_balance_weight=load_balance_weight, exact_match=final['exact_match'], char_accuracy=final['char_accuracy'],
                n=final['n'], expert_utilization=final['expert_utilization'], steps=steps, stopped_early=history['stopped_early'],
                wall_minutes=(time.perf_counter() - start) / 60, device=str(model.device),
                model_config=asdict(model_config), train_config=asdict(cfg))

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--steps', type=int, default=900, help='optimiser steps per run (default: 900)')
    parser.add_argument('--out', type=Path, default=REPO / 'nbs' / 'benchmarks' / 'moe-default.json', help='JSON file to write')
    parser.add_argument('--device', default='auto', help="torch device to train on (default: 'auto', as `seemore train`)")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    recorded = dict(machine=machine_info(pick_device(args.device)), git_commit=git_commit(), command=' '.join(['python', 'tools/moe_quality.py', *argv]),
                    settings=dict(steps=args.steps, data='default', device=args.device), runs={})
    for name, weight in RUNS.items():
        recorded['runs'][name] = result = run(weight, args.steps, args.device)
        print(f"{name}: exact match {result['exact_match']:.1%}, character accuracy {result['char_accuracy']:.1%}, "
              f"least-used expert {min(map(min, result['expert_utilization'])):.1%}, {result['wall_minutes']:.1f} min", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(recorded, indent=1) + '\n')
    print(f'wrote {args.out}')

if __name__ == '__main__': main()
