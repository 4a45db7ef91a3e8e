"""On a GPU, at the original sizes: where a training step's time goes (GPU busy time, kernels and host syncs per step, graph breaks), the dense
training step eager, compiled and compiled with CUDA graphs (`mode='reduce-overhead'`), and a 100-character caption with the one-token step
eager, compiled without a graph and compiled in a CUDA graph (`CUDAGraphStep`); with `--parts moe`, the seeMoE step against a dense model of
its active width, eager, compiled and with CUDA graphs, with its graph breaks and waits. Run on a machine with a GPU:
`python tools/cuda_steps.py --out nbs/benchmarks/cuda-h200-steps.json` (about two minutes on an H200). An existing --out file keeps the parts
not run; each part run replaces its own, with the machine it ran on, and the file is written after each part. The profile part now counts the
waits for the GPU (`host_syncs_per_step`), not the sync events that nbs/benchmarks/cuda-h200-steps.json recorded (see that file's notes)."""
import argparse, json, time, statistics, unittest.mock, warnings
from dataclasses import replace
from pathlib import Path
import torch
from torch.profiler import profile, ProfilerActivity
import seemore.decoder
from seemore.vlm import VisionLanguageModel, VLMConfig
from seemore.data import build_tokenizer
from seemore.training import TrainConfig, make_optimizer, train_step, caption_loss
from seemore.distributed import autocast_for
from seemore.benchmarks import caption_ids, time_interleaved, machine_info

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument('--out', default='cuda-steps.json')
parser.add_argument('--parts', nargs='+', default=['profile', 'training', 'captioning'], choices=['profile', 'training', 'captioning', 'moe'])
args = parser.parse_args()
warnings.filterwarnings('ignore')
dev = torch.device('cuda')
out = Path(args.out)
results = json.loads(out.read_text()) if out.exists() else dict(machine=machine_info(dev))   # the parts run now replace theirs; the rest is kept
def save(): out.write_text(json.dumps(results, indent=1) + '\n')
tok = build_tokenizer(['abcdefghijklmnopqrstuvwxyz '])
B, T = 16, 36
ids = torch.randint(4, tok.vocab_size, (B, T + 1), device=dev)
batch = torch.randn(B, 3, 96, 96, device=dev), ids[:, :-1], ids[:, 1:]   # inputs and next-character targets

def make(moe=False, mode='eager', dropout=0.1, wide=False):
    torch.manual_seed(0)
    cfg = replace(VLMConfig(), attention='fast', moe=moe, dropout=dropout)
    if wide: cfg = replace(cfg, decoder_mlp_mult=4 * cfg.top_k)        # a dense model as wide as the experts a seeMoE token passes through
    model = VisionLanguageModel(cfg, tok).to(dev).train()
    opt = make_optimizer(model, TrainConfig())
    m = model if mode == 'eager' else torch.compile(model, mode=mode)
    return model, lambda: train_step(m, opt, [(batch, 1.0)], caption_loss, lr=1e-4)['loss']   # no `.item()`: no wait of its own

def waits_per_step(step, n=3):
    "Kernels and waits for the GPU (`cudaStreamSynchronize`/`cudaDeviceSynchronize`) per step, from the profiler."
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for _ in range(n): step()
        torch.cuda.synchronize()
    events = prof.key_averages()
    kernels = [e for e in events if e.device_type.name == 'CUDA']
    waits = sum(e.count for e in events if e.key in ('cudaStreamSynchronize', 'cudaDeviceSynchronize')) - 1   # less the loop's last
    return dict(gpu_ms=sum(e.self_device_time_total for e in kernels) / n / 1000, kernels=sum(e.count for e in kernels) / n, waits=waits / n)

def breaks(model):
    with autocast_for(dev): ex = torch._dynamo.explain(model)(*batch)
    return dict(graphs=ex.graph_count, breaks=ex.graph_break_count, reasons=sorted({str(r.reason).splitlines()[0][:120] for r in ex.break_reasons}))

if 'profile' in args.parts:
    # 1. where a step's time goes: the profiler's GPU time, kernels and waits per step; dynamo's graph breaks
    results['profile'] = dict(machine=machine_info(dev))
    for moe in (False, True):
        for mode in ('eager', 'default'):
            model, step = make(moe, mode)
            for _ in range(3): step()
            times = []
            for _ in range(15):
                torch.cuda.synchronize(); t = time.perf_counter(); step(); torch.cuda.synchronize(); times.append(time.perf_counter() - t)
            counted = waits_per_step(step)
            results['profile'][f"{'MoE' if moe else 'dense'}, {'compiled' if mode == 'default' else 'eager'}"] = dict(
                step_ms=1000 * statistics.median(times), gpu_busy_ms=counted['gpu_ms'], kernels_per_step=counted['kernels'], host_syncs_per_step=counted['waits'])
        results['profile'][f"{'MoE' if moe else 'dense'}, graph breaks"] = breaks(make(moe)[0])
        save()

if 'training' in args.parts:
    # 2. the dense training step: eager, compiled, compiled with CUDA graphs (dropout off, so the losses can be compared)
    t0 = time.perf_counter()
    steps = {mode: make(mode=mode, dropout=0.0)[1] for mode in ('eager', 'default', 'reduce-overhead')}
    losses = {mode: [s().item() for _ in range(6)] for mode, s in steps.items()}
    sec = time_interleaved({m: (lambda s=s: s()) for m, s in steps.items()}, rounds=15, warmup=3, device=dev)
    results['training_step'] = dict(machine=machine_info(dev), step_ms={m: 1000 * s for m, s in sec.items()}, losses_first_6_steps=losses, compile_s=time.perf_counter() - t0,
                                    note='dense, fast path, original sizes, batch 16, dropout 0, bf16 autocast; medians of 15 interleaved steps')
    save()

if 'captioning' in args.parts:
    # 3. a 100-character caption: the step eager, compiled without a graph, compiled in a CUDA graph; batch 1 and 64
    torch.manual_seed(0)
    model = VisionLanguageModel(replace(VLMConfig(), attention='fast', block_size=101), tok).to(dev).eval()
    one, many = torch.randn(1, 3, 96, 96, device=dev), torch.randn(64, 3, 96, 96, device=dev)
    plain = seemore.decoder._compiled_step_function(model.decoder)   # what `CUDAGraphStep` captures, without the graph
    def compiled_no_graph(decoder, batch_size=None): return lambda t, p, c: plain(t, p, c, loops=False)
    def no_graph(x):
        with unittest.mock.patch.object(seemore.decoder, 'compiled_step', compiled_no_graph): return caption_ids(model, x, 100, compile=True)
    for x in (one, many): caption_ids(model, x, 100, compile=True); no_graph(x)
    jobs = {'batch 1, eager step': lambda: caption_ids(model, one, 100), 'batch 1, torch.compile step': lambda: no_graph(one),
            'batch 1, CUDA graph step': lambda: caption_ids(model, one, 100, compile=True),
            'batch 64, eager step': lambda: caption_ids(model, many, 100), 'batch 64, torch.compile step': lambda: no_graph(many),
            'batch 64, CUDA graph step': lambda: caption_ids(model, many, 100, compile=True)}
    sec = time_interleaved(jobs, rounds=7, warmup=1, device=dev)
    results['captioning_ms'] = {k: 1000 * s for k, s in sec.items()}
    results['captioning_machine'] = machine_info(dev)
    save()

if 'moe' in args.parts:
    # 4. seeMoE against a dense model of its active width: graph breaks, waits, and the step eager, compiled, with CUDA graphs (dropout 0)
    moe = results['moe'] = {'machine': machine_info(dev), 'graph breaks': breaks(make(moe=True)[0]), 'waits': {}, 'losses_first_6_steps': {}}
    t0, steps = time.perf_counter(), {}
    for name, kw in {'seeMoE': dict(moe=True), 'dense of active width': dict(wide=True)}.items():
        for mode in ('eager', 'default', 'reduce-overhead'):
            try:
                step = make(mode=mode, dropout=0.0, **kw)[1]
                moe['losses_first_6_steps'][f'{name}, {mode}'] = [step().item() for _ in range(6)]
                moe['waits'][f'{name}, {mode}'] = waits_per_step(step)
                steps[f'{name}, {mode}'] = step
            except Exception as e: moe.setdefault('failed', {})[f'{name}, {mode}'] = f'{type(e).__name__}: {str(e)[:300]}'
    moe['build_compile_profile_s'] = time.perf_counter() - t0; save()   # the six models built, compiled, run 6 steps and profiled
    sec = time_interleaved({n: (lambda s=s: s()) for n, s in steps.items()}, rounds=15, warmup=3, device=dev)
    moe['step_ms'] = {n: 1000 * s for n, s in sec.items()}
    moe['seeMoE_vs_dense_of_active_width'] = {m: sec[f'seeMoE, {m}'] / sec[f'dense of active width, {m}']
                                              for m in ('eager', 'default', 'reduce-overhead') if f'seeMoE, {m}' in sec and f'dense of active width, {m}' in sec}
    moe['note'] = 'original sizes, batch 16, bf16 autocast, fast path; step_ms: dropout 0, medians of 15 interleaved steps; gpu_ms, kernels and waits per step from the profiler over 3 steps'
    save()
print(json.dumps({k: v for k, v in results.items() if k != 'machine'}, indent=1))
