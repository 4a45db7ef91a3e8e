"""Where the training step's time goes on this machine, against the targets of issue #16 (dense MFU, seeMoE step).

Each part runs in one process, the contenders taking turns step by step (as `seemore bench` times them), at the
original sizes (batch 16, 35-character captions, the fast path), on one fixed batch. Part `dense`:

- `step`: the training step as `seemore train` runs it (forward, backward, fused AdamW);
- `products only`: every matrix product, convolution and attention product of one such step, replayed at the same
  shapes and strides on inputs of those shapes, nothing else: the step's time if everything else cost nothing;
- `without dropout`, `without GELU` (GELU replaced by the identity), `without AdamW` (forward and backward only):
  the step with one kind of work taken out, to see what that work costs inside the step;
- `GELU alone`: the forward and backward of every GELU of the step, on tensors of its shapes, outside the step;
- `matmul peak`: the 2048 x 2048 product that MFU is measured against;
- and, before the timed rounds, the rate at which the machine copies a 256 MB tensor (GB/s, reads plus writes).

Each variant's MFU is the step's FLOPs (counted as `seemore bench` counts them) over its time and the peak, so a
row reads "the MFU the step would reach if this work cost nothing". Part `moe`, on the benchmark's own data (the four
batches of `seemore bench`'s training section, in turn), each model freshly initialised:

- `seeMoE`: the seeMoE training step as it runs (padded experts through `batched_linear`);
- `seeMoE, autograd's baddbmm rule`: the same with `torch.baddbmm` itself in place of `batched_linear`, whose weight
  gradients come back transposed and are copied into the weights' layout;
- `seeMoE, padding dropped (timing only)`: the same step with every expert's block cut to the mean block length and
  the rows past it dropped: not the same computation, but what the step would cost if its blocks held no padding;
- `dense of active width`: a dense model whose decoder MLPs are as wide as the experts a token passes through;
- and how many rows the padded expert blocks hold per routed row, in the first 8 steps of a fresh seeMoE model and in
  8 steps after the timed rounds.

The parts merge into an existing `--out` file. Usage, from the repository root:

    python tools/step_budget.py --runs 3 --out nbs/benchmarks/step-budget-cpu.json
"""
import argparse, json, math, statistics, time
from pathlib import Path
import torch.nn.functional as F
from dataclasses import replace
import torch
from torch.utils._python_dispatch import TorchDispatchMode
import seemore.moe as moe
from seemore.vlm import VisionLanguageModel, VLMConfig
from seemore.data import build_tokenizer
from seemore.training import TrainConfig, make_optimizer
from seemore.benchmarks import machine_info, matmul_peak_job, model_flops, time_interleaved, _timed_step, _training_rows

aten = torch.ops.aten
PRODUCTS = {aten.mm.default, aten.addmm.default, aten.bmm.default, aten.baddbmm.default,
            aten.convolution.default, aten.convolution_backward.default}

class NoUpdate:
    "Stands in for the optimizer: no update, gradients dropped as `train_step` drops them."
    def __init__(self, model): self.params, self.param_groups = list(model.parameters()), [{}]
    def step(self): pass
    def zero_grad(self, set_to_none=True):
        for p in self.params: p.grad = None

class RecordProducts(TorchDispatchMode):
    "Records every product operator called, with the shapes, strides and dtypes of its tensor arguments."
    def __init__(self): super().__init__(); self.calls = []
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func in PRODUCTS:
            self.calls.append((func, [(a.shape, a.stride(), a.dtype) if isinstance(a, torch.Tensor) else a for a in args]))
        return func(*args, **(kwargs or {}))

def like(spec):
    "A tensor of the recorded shape, strides and dtype (random values), or the recorded non-tensor argument."
    if isinstance(spec, list): return [like(s) for s in spec]
    if not (isinstance(spec, tuple) and len(spec) == 3 and isinstance(spec[0], torch.Size)): return spec
    shape, stride, dtype = spec
    storage = torch.randn(1 + sum((n - 1) * s for n, s in zip(shape, stride)), dtype=dtype)
    return storage.as_strided(shape, stride)

def without_gelu(model):
    "Every `nn.GELU` module replaced by the identity."
    for m in list(model.modules()):
        for name, child in m.named_children():
            if isinstance(child, torch.nn.GELU): setattr(m, name, torch.nn.Identity())
    return model

def copy_rate(n=64 << 20, repeats=7):
    "GB/s of copying an n-element float32 tensor, reads plus writes (median)."
    a, b, times = torch.randn(n), torch.empty(n), []
    for _ in range(repeats):
        t = time.perf_counter(); b.copy_(a); times.append(time.perf_counter() - t)
    return 2 * 4 * n / statistics.median(times) / 1e9

def gelu_job(model, batch):
    "A job running forward and backward of every GELU of `model`'s training step on tensors of the same shapes."
    shapes = []
    hooks = [m.register_forward_hook(lambda m, i, o: shapes.append(i[0].shape)) for m in model.modules() if isinstance(m, torch.nn.GELU)]
    model(*batch)
    for h in hooks: h.remove()
    xs = [torch.randn(s, requires_grad=True) for s in shapes]
    grads = [torch.randn(s) for s in shapes]
    return lambda: [torch.autograd.grad(F.gelu(x), x, g) for x, g in zip(xs, grads)]

def unpadded_experts(ex, x, experts, position, longest):
    "Timing only: `padded_experts` with every block cut to the mean block length and the rows past it dropped."
    mean = math.ceil(len(x) / ex.num_experts)
    keep = position < mean
    slots = (experts * mean + position)[keep]
    blocks = x.new_zeros(ex.num_experts * mean, x.shape[1]).index_copy(0, slots, x[keep]).view(ex.num_experts, mean, -1)
    y = ex.dropout(moe.batched_linear(F.gelu(moe.batched_linear(blocks, ex.w1, ex.b1)), ex.w2, ex.b2)).flatten(0, 1)
    out = x.new_zeros(len(x), y.shape[1])
    out[keep] = y.index_select(0, slots)
    return out

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--rounds', type=int, default=9)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--parts', nargs='+', default=['dense', 'moe'], choices=['dense', 'moe'])
    ap.add_argument('--out', default='step-budget.json')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg, device = VLMConfig(), torch.device('cpu')
    tok = build_tokenizer(['abcdefghijklmnopqrstuvwxyz '])
    torch.manual_seed(0)
    batch = (torch.randn(16, 3, cfg.img_size, cfg.img_size),) + (torch.randint(4, tok.vocab_size, (16, 36)),) * 2

    def model(c=cfg, edit=lambda m: m, tokenizer=tok):
        torch.manual_seed(0)
        return edit(VisionLanguageModel(c, tokenizer).train())
    def step(c=cfg, edit=lambda m: m, update=True, tokenizer=tok, get_batch=lambda i: batch):
        m = model(c, edit, tokenizer)
        return _timed_step(m, make_optimizer(m, TrainConfig()) if update else NoUpdate(m), get_batch)

    peak_job, peak_flops = matmul_peak_job(device)
    out = Path(a.out)
    result = json.loads(out.read_text()) if out.exists() else {}
    result.update(threads=a.threads, runs=a.runs, rounds=a.rounds,
                  notes=[f'Original sizes, fast path; medians of {a.runs} runs of medians over {a.rounds} interleaved rounds.'])
    def timed(jobs):
        jobs = dict(jobs, **{'matmul peak': peak_job})
        runs = [time_interleaved(jobs, a.rounds, 2, device) for _ in range(a.runs)]
        seconds = {k: statistics.median(r[k] for r in runs) for k in jobs}
        return seconds, {k: [round(1000 * r[k], 1) for r in runs] for k in jobs}

    if 'dense' in a.parts:
        flops = model_flops(model(), batch)
        jobs = {'step': step(), 'without dropout': step(replace(cfg, dropout=0.0)), 'without GELU': step(edit=without_gelu),
                'without AdamW': step(update=False)}
        recorder = RecordProducts()
        jobs['step']()
        with recorder: jobs['step']()
        replay = [(f, like(args)) for f, args in recorder.calls]
        def products():
            for f, args in replay: f(*args)
        jobs['products only'] = products
        jobs['GELU alone'] = gelu_job(model(), batch)
        gb_per_s = copy_rate()
        seconds, runs_ms = timed(jobs)
        peak = peak_flops / seconds['matmul peak']
        result['dense'] = dict(machine=machine_info(device), batch='one fixed batch of 16 random images and 35 random characters',
                               copy_gb_per_s=round(gb_per_s, 1), gflops_per_step=round(flops / 1e9, 2), peak_gflops=round(peak / 1e9, 1),
                               product_calls_per_step=len(replay),
                               jobs={k: dict(ms=round(1000 * s, 1), mfu=round(flops / s / peak, 3), runs_ms=runs_ms[k])
                                     for k, s in seconds.items() if k != 'matmul peak'})
        result['dense']['jobs']['GELU alone'].pop('mfu')
        result['notes'] += ["dense: 'without dropout' sets dropout to 0 everywhere, so attention also takes "
                            "scaled_dot_product_attention's fused kernel instead of the written-out attention that drops weights.",
                            "dense: 'products only' replays the step's mm, addmm, bmm, baddbmm and convolution calls (forward "
                            'and backward) at their shapes and strides, one after the other, on inputs made for them.']
        print('dense', json.dumps({k: (v['ms'], v.get('mfu')) for k, v in result['dense']['jobs'].items()}), result['dense']['peak_gflops'], result['dense']['copy_gb_per_s'])

    if 'moe' in a.parts:
        _, bench_tok, data, _ = _training_rows(cfg, 16, 35, device)
        def bench_batch(i): return data.get_batch(torch.arange(i % 4 * 16, (i % 4 + 1) * 16))
        def bench_step(c, linear=moe.batched_linear, experts=moe.padded_experts):
            inner = step(c, tokenizer=bench_tok, get_batch=bench_batch)
            def run():                                          # with its own version of the experts' products
                saved = moe.batched_linear, moe.padded_experts
                moe.batched_linear, moe.padded_experts = linear, experts
                try: return inner()
                finally: moe.batched_linear, moe.padded_experts = saved
            return run
        def autograds(x, weight, bias): return torch.baddbmm(bias[:, None], x, weight.transpose(1, 2))
        rows = []                                               # padded rows per routed row
        def counting(ex, x, experts, position, longest):
            rows.append(ex.num_experts * longest / len(x))
            return padded(ex, x, experts, position, longest)
        padded, seemoe = moe.padded_experts, replace(cfg, moe=True)
        fresh = bench_step(seemoe, experts=counting)
        for _ in range(8): fresh()
        at_start, rows = statistics.mean(rows), []
        jobs = {'seeMoE': bench_step(seemoe), "seeMoE, autograd's baddbmm rule": bench_step(seemoe, linear=autograds),
                'seeMoE, padding dropped (timing only)': bench_step(seemoe, experts=unpadded_experts),
                'dense of active width': bench_step(replace(cfg, decoder_mlp_mult=4 * cfg.top_k))}
        seconds, runs_ms = timed(jobs)
        counted = bench_step(seemoe, experts=counting)          # a model trained as long as the timed ones were
        for _ in range(a.runs * (a.rounds + 2)): counted()
        rows = []
        for _ in range(8): counted()
        active = seconds['dense of active width']
        result['moe'] = dict(machine=machine_info(device), batch="the four batches of seemore bench's training section, in turn",
                             padded_rows_per_row_at_start=round(at_start, 3), padded_rows_per_row_after=round(statistics.mean(rows), 3),
                             steps_before_after=a.runs * (a.rounds + 2),
                             jobs={k: dict(ms=round(1000 * s, 1), vs_dense_of_active_width=round(s / active, 3), runs_ms=runs_ms[k])
                                   for k, s in seconds.items() if k != 'matmul peak'})
        print('moe', json.dumps({k: (v['ms'], v['vs_dense_of_active_width']) for k, v in result['moe']['jobs'].items()}),
              result['moe']['padded_rows_per_row_at_start'], result['moe']['padded_rows_per_row_after'])
    out.write_text(json.dumps(result, indent=1))

if __name__ == '__main__': main()
