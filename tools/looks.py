"""Record how the default settings caption scenes of another look, in distribution: dense and seeMoE.

Writes scenes of a look of `seemore.synthetic` (default: `LIGHT_LOOK`, 128-pixel light scenes with six colours, four
shapes and other words) into a training file (`--seed`) and a test file of new scenes (`--seed + 1`), trains with
`seemore train` on the training file (default settings, plus `--moe` for seeMoE, plus any options passed after `--`),
and reports `seemore.grounding.grounding_report` on the test file: exact match, how often each word is right, the most
frequent confusions. Each run's time is measured from launch to saved model. The numbers go to a JSON file that the
training notebook (nbs/08_training.ipynb) shows. From the repository root, with nothing else running:

    OMP_NUM_THREADS=2 python tools/looks.py                      # writes nbs/benchmarks/looks.json
    OMP_NUM_THREADS=2 python tools/looks.py --runs earlier_defaults   # adds the model settings of before 2026-12-03
    python tools/looks.py --n-train 200 --n-test 20 --runs dense --out /tmp/looks.json -- --steps 4   # a smoke test
"""
import argparse, dataclasses, json, subprocess, sys, tempfile, time
from pathlib import Path
from seemore.data import write_caption_csv
from seemore.synthetic import make_synthetic_scenes, DEFAULT_LOOK, LIGHT_LOOK
from seemore.vlm import VisionLanguageModel
from seemore.grounding import grounding_report
from seemore.benchmarks import machine_info
from seemore.distributed import pick_device

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / 'tools'))
from moe_quality import git_commit  # noqa: E402

LOOKS = {'light': LIGHT_LOOK, 'default': DEFAULT_LOOK}
RUNS = {'dense': [], 'moe': ['--moe'], 'earlier_defaults': ['--no-colour-stream', '--no-patch-norm', '--word-swap', '0']}   # the last: the model settings before 2026-12-03

def main():
    argv = sys.argv[1:]
    extra = argv[argv.index('--') + 1:] if '--' in argv else []
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--look', choices=LOOKS, default='light', help='which look of seemore.synthetic to draw')
    p.add_argument('--seed', type=int, default=21, help='seed of the training scenes; the test scenes use seed + 1')
    p.add_argument('--n-train', type=int, default=3000); p.add_argument('--n-test', type=int, default=300)
    p.add_argument('--runs', default='dense,moe', help=f'comma-separated, from {list(RUNS)}; runs of the same look and seed already in --out are kept')
    p.add_argument('--out', default=str(REPO / 'nbs/benchmarks/looks.json'))
    args = p.parse_args(argv[:argv.index('--')] if '--' in argv else argv)
    look = LOOKS[args.look]
    result = {'what': f'in-distribution captions of scenes of the {args.look} look: trained with seemore train on {args.n_train} scenes (seed {args.seed}), tested on {args.n_test} new scenes (seed {args.seed + 1})',
              'look_name': args.look, 'look': dataclasses.asdict(look), 'seed': args.seed, 'n_train': args.n_train, 'runs': {}}
    before = json.loads(Path(args.out).read_text()) if Path(args.out).exists() else {}
    if all(before.get(k) == result[k] for k in ('look_name', 'seed', 'n_train')): result['runs'] = before['runs']
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        train_file = write_caption_csv(d / 'train.csv', make_synthetic_scenes(args.n_train, args.seed, look=look))
        test_file = write_caption_csv(d / 'test.csv', make_synthetic_scenes(args.n_test, args.seed + 1, look=look))
        for name in args.runs.split(','):
            command = ['seemore', 'train', '--data', str(train_file), '--out', str(d / name), '--no-mlflow', '--quiet', *RUNS[name], *extra]
            started = time.perf_counter()
            subprocess.run(command, check=True)
            minutes = (time.perf_counter() - started) / 60
            model = VisionLanguageModel.load(d / name / 'model')
            report = grounding_report(model, test_file, look=look)
            steps = max(int(c.name.split('-')[1]) for c in (d / name / 'checkpoints').glob('step-*'))   # the last checkpoint: the run's end
            result['runs'][name] = {'train_command': ['seemore', 'train', *RUNS[name], *extra], 'train_minutes': minutes, 'steps': steps,
                                    'validation': json.loads((d / name / 'metrics.json').read_text()), 'model': vars(model.config),
                                    **{k: report[k] for k in ('n', 'exact_match', 'word_accuracy', 'confusions')}}
            print(f"{name}: exact match {report['exact_match']:.1%} on {report['n']} new scenes, {minutes:.1f} min; confusions {report['confusions'][:3]}", flush=True)
            result['runs'][name].update(git_commit=git_commit(), machine=machine_info(pick_device('auto')))
    Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print('->', args.out)

if __name__ == '__main__': main()
