"""Checks of the CUDA paths that CI (no GPU) cannot run: the decode step captured as a CUDA graph writes the ids the uncompiled step writes,
reuses its graph, sees updated and replaced weights; a training step runs under bf16 autocast, compiled; `fit` with `compile=True` and
gradient accumulation gives the eager run's losses. Run on a machine with a GPU:
`python tools/cuda_checks.py`; it prints what it checked and exits non-zero at the first failure."""
import copy, sys, time, warnings
import torch
from torch import nn
import torch.nn.functional as F
from seemore.decoder import DecoderLanguageModel, CUDAGraphStep
from seemore.tokenizer import CharTokenizer
from seemore.vlm import VisionLanguageModel, VLMConfig
from seemore.training import TrainConfig, make_optimizer, train_step, caption_loss
from seemore.distributed import autocast_for

assert torch.cuda.is_available(), 'no CUDA device'
dev = torch.device('cuda')
print(torch.__version__, torch.cuda.get_device_name(dev))
tok = CharTokenizer.from_text('a red circle at the top left. a blue square.')
torch.manual_seed(1)
dec = DecoderLanguageModel(tok.vocab_size, n_embd=32, num_heads=4, n_layer=3, max_positions=40, dropout=0.0).to(dev).eval()
visual = torch.randn(4, 3, 32, device=dev)
never = -1
def ids(x, compile, **kw): return dec.generate(x, tok.bos_id, never, max_new_tokens=30, compile=compile, **kw)
started = time.perf_counter()
for n in (1, 4):                                                       # float32: exactly the uncompiled step's ids
    assert torch.equal(ids(visual[:n], True), ids(visual[:n], False)), f'batch {n}: compiled ids differ'
print(f'graphs captured for batches 1 and 4 in {time.perf_counter() - started:.1f} s; same ids as uncompiled')
assert sorted(k[0] for k in dec._cuda_graphs.graphs) == [1, 4], dec._cuda_graphs.graphs.keys()
first = dec._cuda_graphs.graphs[(1, False, None)]
for i in (1, 2, 0):   # other images through the same graph: each caption's prefill must reach the graph's caches
    assert torch.equal(ids(visual[i:i + 1], True), ids(visual[i:i + 1], False)), f'image {i}: ids differ in a later caption'
assert dec._cuda_graphs.graphs[(1, False, None)] is first, 'a later caption captured again'
reference = ids(visual[:1], False)
with torch.no_grad():
    dec.lm_head.bias[reference[0, 5]] += 100.0                       # in place, as an optimizer does: the graph reads the same memory
    assert torch.equal(ids(visual[:1], True), ids(visual[:1], False)) and not torch.equal(ids(visual[:1], True), reference)
    assert dec._cuda_graphs.graphs[(1, False, None)] is first, 'an in-place update captured again'
    dec.lm_head.bias[reference[0, 5]] -= 100.0
old = dec.lm_head.bias
dec.lm_head.bias = nn.Parameter(old.detach() - 100.0 * F.one_hot(reference[0, 7], tok.vocab_size))   # other memory: captured again
assert torch.equal(ids(visual[:1], True), ids(visual[:1], False)) and not torch.equal(ids(visual[:1], True), reference)
assert dec._cuda_graphs.graphs[(1, False, None)] is not first
dec.lm_head.bias = old
assert torch.equal(ids(visual[:1], True), reference)
print('in-place update seen without capturing again; replaced parameter captured again')
g = torch.Generator(dev)
a = ids(visual, True, temperature=1.0, top_k=5, generator=g.manual_seed(3))
b = ids(visual, False, temperature=1.0, top_k=5, generator=g.manual_seed(3))
assert torch.equal(a, b), 'sampled ids differ'
print('sampling: same ids')
with autocast_for(dev):                                              # bf16: fused kernels round differently, so count the agreement
    agree = (ids(visual, True) == ids(visual, False)).float().mean().item()
print(f'bf16 autocast: {agree:.0%} of ids agree with the uncompiled step')
assert agree >= 0.9 and (4, False, torch.bfloat16) in dec._cuda_graphs.graphs, 'bf16: a graph of its own, and mostly the same ids'
twin = copy.deepcopy(dec)
assert twin._cuda_graphs.graphs == {} and torch.equal(twin.generate(visual[:1], tok.bos_id, never, max_new_tokens=30, compile=True), reference)
print('a deep copy captures its own graph')
# a VLM at the original sizes: one compiled training step under bf16 autocast, then a compiled caption
torch.manual_seed(0)
model = VisionLanguageModel(VLMConfig(attention='fast'), tok).to(dev).train()
opt = make_optimizer(model, TrainConfig())
batch = (torch.randn(8, 3, 96, 96, device=dev), torch.randint(4, tok.vocab_size, (8, 20), device=dev), torch.randint(4, tok.vocab_size, (8, 20), device=dev))
compiled = torch.compile(model)
losses = [train_step(compiled, opt, [(batch, 1.0)], caption_loss, lr=1e-3) for _ in range(5)]
print('compiled training steps (bf16 autocast) ran; losses', [round(l['loss'].item(), 3) for l in losses])
model.eval()
with autocast_for(dev):
    caps = model.generate(batch[0][:2], 20, compile=True), model.generate(batch[0][:2], 20)
print('VLM captions, compiled and not:', [tok.decode(r) for r in caps[0]], [tok.decode(r) for r in caps[1]])
assert (caps[0] == caps[1]).float().mean() >= 0.9, 'VLM captions: compiled and uncompiled mostly differ'
# `fit` compiled with 2 micro-batches a step (plain torch.compile: CUDA graphs would overwrite one micro-batch's gradients with the next's)
import tempfile
from seemore.data import load_splits
from seemore.synthetic import default_dataset_path
from seemore.training import fit, DEFAULT_MODEL
rows, valid, tok = load_splits(default_dataset_path(), DEFAULT_MODEL.img_size, DEFAULT_MODEL.block_size)
rows, valid = rows.to(dev), valid.to(dev)
runs = {}
for compile in (False, True):
    torch.manual_seed(0)
    cfg = TrainConfig(steps=8, batch_size=16, grad_accum=2, log_every=1, eval_every=8, checkpoint_every=8, compile=compile, device='cuda')
    with tempfile.TemporaryDirectory() as out: runs[compile] = [l for _, l in fit(VisionLanguageModel(DEFAULT_MODEL, tok).to(dev), rows, valid, cfg, out, quiet=True)['train']]
print('fit with 2 micro-batches a step, eager and compiled:', [round(l, 4) for l in runs[False]], [round(l, 4) for l in runs[True]])
assert max(abs(a - b) for a, b in zip(*runs.values())) < 0.02, 'gradient accumulation: compiled losses differ'
print('ALL CUDA CHECKS PASSED')
