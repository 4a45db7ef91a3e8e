"""Record what each change of the compiled decode step gave, in one process: captioning one image with 100 characters.

Eight ways of writing the same caption take turns call by call (`seemore.benchmarks.time_interleaved`), against the
teaching recompute as in `seemore bench`:
- the KV cache, uncompiled (`decode_step`);
- the compiled step as it was first built (`torch.compile`, generated Python calling the kernels), guards checked at every step;
- the same with the guards checked once per caption (`torch.compiler.set_stance(skip_guard_eval_unsafe=True)` after the first step);
- the same with a C++ wrapper (`cpp_wrapper`), the products still calling into the BLAS library (`decode_step(loops=False)`);
- the same with the products written as loops at batch 1 (`matvec`), inductor left to recompute the layer norms and GELUs
  inside them (its default `realize_opcount_threshold`);
- the same, with those element-wise results stored first (`REALIZE_OPS`);
- `compiled_step` as it is now: at batch 1 on the CPU, that step exported and compiled ahead of time by AOTInductor
  (`AheadOfTimeStep`), a shared library called without torch.compile's Python wrappers.
The torch.compile rows are timed with `AHEAD_OF_TIME_UP_TO` set to 0 while they run.
All of them are checked to write the same ids first. The machine is shared, so each of `--runs` rounds is reported
and the medians are recorded. From the repository root, with nothing else running:

    python tools/decode_steps.py                       # writes nbs/benchmarks/decode-steps-cpu.json
    python tools/decode_steps.py --runs 1 --repeats 1 --out /tmp/d.json   # a smoke test
"""
import argparse, contextlib, copy, functools, json, statistics, sys, unittest.mock
from dataclasses import replace
from pathlib import Path
import torch
from seemore.vlm import VisionLanguageModel, VLMConfig
from seemore.data import build_tokenizer
from seemore.benchmarks import caption_ids, time_interleaved, machine_info
import seemore.decoder

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / 'tools'))
from moe_quality import git_commit  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default=str(REPO / 'nbs/benchmarks/decode-steps-cpu.json'))
    p.add_argument('--runs', type=int, default=3, help='rounds of interleaved timings (default: 3)')
    p.add_argument('--repeats', type=int, default=5, help='timed captions of every variant per round (default: 5)')
    p.add_argument('--new-tokens', type=int, default=100)
    p.add_argument('--threads', type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    cfg = replace(VLMConfig(), block_size=args.new_tokens + 1)
    torch.manual_seed(0)
    tok = build_tokenizer(['abcdefghijklmnopqrstuvwxyz '])
    model = VisionLanguageModel(cfg, tok).eval()
    first, guards_once, wrapper, inlined, stored = (copy.deepcopy(model) for _ in range(5))
    for m, options in ((first, {}), (guards_once, {}), (wrapper, {'cpp_wrapper': True})):   # the step with the library's products
        step = functools.partial(m.decoder.decode_step, loops=False)
        m.decoder._compiled_step = torch.compile(step, dynamic=False, fullgraph=True, options=options)
    inlined.decoder._compiled_step = torch.compile(inlined.decoder.decode_step, dynamic=False, fullgraph=True, options={'cpp_wrapper': True})
    teaching = model.with_attention('teaching').eval()
    one = torch.randn(1, 3, cfg.img_size, cfg.img_size)
    stance = torch.compiler.set_stance

    def through_torch_compile(job):   # generate's step at batch 1 from torch.compile, not AOTInductor
        def run():
            with unittest.mock.patch.object(seemore.decoder, 'AHEAD_OF_TIME_UP_TO', 0): return job()
        return run

    def guards_every_step(job):   # generate's switch to unchecked guards after the first step, turned off
        def run():
            torch.compiler.set_stance = lambda **kw: contextlib.nullcontext()
            try: return job()
            finally: torch.compiler.set_stance = stance
        return run

    n = args.new_tokens
    reference = caption_ids(model, one, n)
    jobs = {'teaching, recompute': lambda: caption_ids(teaching, one, n, use_cache=False),
            'KV cache, uncompiled': lambda: caption_ids(model, one, n),
            'compiled, guards every step': through_torch_compile(guards_every_step(lambda: caption_ids(first, one, n, compile=True))),
            'compiled, guards once': through_torch_compile(lambda: caption_ids(guards_once, one, n, compile=True)),
            'compiled, guards once, C++ wrapper': through_torch_compile(lambda: caption_ids(wrapper, one, n, compile=True)),
            'compiled, guards once, C++ wrapper, products as loops': through_torch_compile(lambda: caption_ids(inlined, one, n, compile=True)),
            'the same, layer norms and GELUs stored first': through_torch_compile(lambda: caption_ids(stored, one, n, compile=True)),
            'ahead of time, AOTInductor (now)': lambda: caption_ids(model, one, n, compile=True)}
    for name, job in list(jobs.items())[1:]: assert torch.equal(job(), reference), name
    rounds = []
    for r in range(args.runs):
        seconds = time_interleaved(jobs, args.repeats, 1)
        rounds.append({k: 1000 * s for k, s in seconds.items()})
        print(' | '.join(f'{k}: {v:.0f} ms ({rounds[-1]["teaching, recompute"] / v:.1f}x)' for k, v in rounds[-1].items()), flush=True)
    median = {k: statistics.median(r[k] for r in rounds) for k in jobs}
    vs_teaching = {k: statistics.median(r['teaching, recompute'] / r[k] for r in rounds) for k in jobs}
    out = dict(machine=machine_info(torch.device('cpu')), git_commit=git_commit(), command='python tools/decode_steps.py',
               settings=dict(new_tokens=n, batch=1, repeats=args.repeats, runs=args.runs, threads=args.threads),
               ms=median, vs_teaching_recompute=vs_teaching, ms_per_char={k: v / n for k, v in median.items()}, rounds=rounds)
    Path(args.out).write_text(json.dumps(out, indent=1) + '\n')
    print('written to', args.out)


if __name__ == '__main__':
    main()
