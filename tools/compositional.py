"""Record how well captions follow the image on attribute pairs never seen in training (a compositional split).

Writes a compositional split of the synthetic scenes (`seemore.synthetic.write_compositional_split`: some colour × shape
and shape × position pairs never occur in training), trains with `seemore train` (default settings unless options are
passed after `--`) on its training file, and reports `seemore.grounding.grounding_report` on scenes of seen combinations and on scenes of each kind
of held-out pair: exact match, how often each word of the caption (size, colour, shape, position) is right, the most
frequent confusions ("blue triangle" written as "blue square") and every caption written. The numbers go to a JSON file that the grounding notebook
(nbs/09a_grounding.ipynb) shows. From the repository root:

    OMP_NUM_THREADS=2 python tools/compositional.py --seed 7                 # writes nbs/benchmarks/compositional.json
    OMP_NUM_THREADS=2 python tools/compositional.py --seed 0 --alphas 0,0.5,1,2,4 --out /tmp/tune.json   # tuning: another seed
    OMP_NUM_THREADS=2 python tools/compositional.py --look light --seed 31 --out nbs/benchmarks/compositional-light.json   # the second look
    python tools/compositional.py --n-train 200 --n-test 20 --out /tmp/c.json -- --steps 4   # a smoke test
"""
import argparse, json, subprocess, sys, tempfile, time
from pathlib import Path
from seemore.synthetic import write_compositional_split, held_out_pairs, DEFAULT_LOOK, LIGHT_LOOK
from seemore.vlm import VisionLanguageModel
from seemore.grounding import grounding_report, contrastive_captions, visual_probe
from seemore.benchmarks import machine_info
from seemore.distributed import pick_device

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / 'tools'))
from moe_quality import git_commit  # noqa: E402
from grounding_candidates import with_words  # noqa: E402

def main():
    argv = sys.argv[1:]
    extra = argv[argv.index('--') + 1:] if '--' in argv else []
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seed', type=int, default=7, help='seed of the held-out pairs and the scenes (tuning must not use it)')
    p.add_argument('--look', choices=['default', 'light'], default='default', help='which look of seemore.synthetic to draw the scenes in')
    p.add_argument('--n-colour-shape', type=int, default=3, help='colour × shape pairs to hold out (at most one per shape)')
    p.add_argument('--n-train', type=int, default=3000)
    p.add_argument('--n-test', type=int, default=300)
    p.add_argument('--alphas', default='0', help='comma-separated weights of visual contrastive decoding to evaluate (0: greedy)')
    p.add_argument('--out', default=str(REPO / 'nbs/benchmarks/compositional.json'))
    p.add_argument('--work', help='folder to write the split and the run to, and keep (default: a temporary folder)')
    p.add_argument('--reuse', action='store_true', help="with --work: measure the run already there instead of training again (its time is taken from --out)")
    args = p.parse_args(argv[:argv.index('--')] if '--' in argv else argv)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(args.work or tmp)
        look = LIGHT_LOOK if args.look == 'light' else DEFAULT_LOOK
        split = write_compositional_split(d / 'split', args.seed, args.n_train, args.n_test, held_out_pairs(args.seed, args.n_colour_shape, look=look), look)
        if args.reuse: minutes = json.loads(Path(args.out).read_text())['train_minutes']
        else:
            started = time.perf_counter()
            subprocess.run(['seemore', 'train', '--data', str(split['train']), '--out', str(d / 'run'), '--no-mlflow', '--quiet', *extra], check=True)
            minutes = (time.perf_counter() - started) / 60
        model = with_words(VisionLanguageModel.load(d / 'run' / 'model'), split['train'])
        alphas = [float(a) for a in args.alphas.split(',')]
        tested = {name: path for name, path in split.items() if name.startswith('test')}
        reports = {a: {name: grounding_report(model, path, decode=(lambda m, x, a=a: contrastive_captions(m, x, a, known_words=False)) if a else None, known_words=False, look=look)   # spelling freely
                         for name, path in tested.items()} for a in alphas}
        tests = reports[alphas[0]]
        known_words = {name: grounding_report(model, path, known_words=True, look=look) for name, path in tested.items()}
        probe = visual_probe(model, split['train'], tested, look=look)
        pairs = json.loads(split['held-out'].read_text())
    result = {'what': 'captions of scenes whose colour × shape or shape × position pair never occurred in training, against scenes of seen combinations',
              'look_name': args.look, 'seed': args.seed, 'held_out': pairs, 'n_train': args.n_train, 'train_command': ['seemore', 'train', *extra],
              'train_minutes': minutes, 'model': vars(model.config), 'tests': tests,
              'probe_shape': probe, 'tests_known_words': known_words,
              'contrastive_decoding': {str(a): {name: {k: r[k] for k in ('exact_match', 'word_accuracy', 'confusions')} for name, r in rs.items()} for a, rs in reports.items()},
              'git_commit': git_commit(), 'machine': machine_info(pick_device('auto'))}
    Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False))
    for a, rs in reports.items(): print(f'alpha {a}:', json.dumps({k: round(v['exact_match'], 3) for k, v in rs.items()}))
    print('known words:', json.dumps({k: round(v['exact_match'], 3) for k, v in known_words.items()}))
    print('->', args.out)

if __name__ == '__main__': main()
