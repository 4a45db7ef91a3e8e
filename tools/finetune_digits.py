"""Record how much a trained model helps on new data: fine-tuning the shapes model on handwritten digits against training from scratch.

Trains the default model (`DEFAULT_MODEL`, `TrainConfig()` defaults) on the embedded shapes dataset, then trains on
scikit-learn's handwritten digits ("a handwritten seven") twice for the same steps, validating every `--every` steps:
from scratch, and from the shapes model (`train(init_from=...)`: its sizes and weights; the digits' new characters join
its vocabulary). Records the validation exact match of both runs at every validation step, the step at which each first
reaches the scratch run's final accuracy, the wall times, and where and with what the numbers were taken. The training
notebook (nbs/08_training.ipynb) shows the file. From the repository root:

    OMP_NUM_THREADS=2 python tools/finetune_digits.py                       # writes nbs/benchmarks/finetune-digits.json
    python tools/finetune_digits.py --steps 4 --every 2 --shapes-steps 2 --out /tmp/ft-smoke.json   # a smoke test
"""
import argparse, json, sys, tempfile, time
from pathlib import Path
from seemore.training import train, TrainConfig
from seemore.synthetic import write_digits_csv
from seemore.benchmarks import machine_info
from seemore.distributed import pick_device

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / 'tools'))
from moe_quality import git_commit  # noqa: E402  (one definition of "which commit made these numbers")

def curve(data, out_dir, cfg, init_from=None) -> dict:
    "Train on `data`; the validation exact match at every validation step, and the wall time."
    started = time.perf_counter()
    _, history = train(data, out_dir, cfg, init_from=init_from, tracking=False, quiet=True)
    return {'exact_match': [[step, m['exact_match']] for step, m in history['valid']], 'held_out_rows': history['final']['n'],
            'minutes': (time.perf_counter() - started) / 60}

def first_step(points, target) -> int:
    "The first validation step whose exact match reaches `target` (None if none does)."
    return next((step for step, acc in points if acc >= target - 1e-9), None)

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--steps', type=int, default=300, help='steps of each digits run')
    p.add_argument('--every', type=int, default=25, help='validate every this many steps')
    p.add_argument('--shapes-steps', type=int, default=TrainConfig().steps, help='steps of the shapes model')
    p.add_argument('--out', default=str(REPO / 'nbs/benchmarks/finetune-digits.json'))
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        digits = write_digits_csv(d / 'digits.csv')
        shapes = curve(None, d / 'shapes', TrainConfig(steps=args.shapes_steps))
        cfg = TrainConfig(steps=args.steps, eval_every=args.every, checkpoint_every=args.steps, warmup_steps=min(100, args.steps // 3))
        runs = {'scratch': curve(digits, d / 'scratch', cfg), 'from_shapes': curve(digits, d / 'tuned', cfg, init_from=d / 'shapes' / 'model')}
    target = runs['scratch']['exact_match'][-1][1]
    for r in runs.values(): r['first_step_at_scratch_final'] = first_step(r['exact_match'], target)
    result = {'what': 'validation exact match on handwritten digits (held-out rows of 1,797), training from scratch vs from the shapes model',
              'shapes_model': {'steps': args.shapes_steps, 'exact_match': shapes['exact_match'][-1][1], 'minutes': shapes['minutes']},
              'digits_steps': args.steps, 'settings': {'steps': cfg.steps, 'eval_every': cfg.eval_every,
                                                        'warmup_steps': cfg.warmup_steps, 'lr': cfg.lr, 'batch_size': cfg.batch_size},
              'runs': runs, 'git_commit': git_commit(), 'machine': machine_info(pick_device('auto'))}
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(json.dumps({k: (v['exact_match'][-1], v['first_step_at_scratch_final']) for k, v in runs.items()}), '->', args.out)

if __name__ == '__main__': main()
