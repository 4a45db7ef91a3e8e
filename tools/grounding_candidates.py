"""Try a candidate fix for captions that follow the language prior, and record what it gives on a compositional split.

Trains the default model (with the model and training settings given as `name=value`) on the training file of
`seemore.synthetic.write_compositional_split(seed)`, optionally with one of the training-side candidates below, then records
on scenes of seen combinations and of held-out colour × shape pairs: exact match and word accuracy of greedy captions and of
`contrastive_captions` at each `--alphas` weight, spelling freely (`known_words=False`), and of greedy captions spelling only known words (`known_words`, seemore's default), and how well a linear probe (`seemore.grounding.visual_probe`) reads the
shape from the visual tokens. Results are added to a JSON file (one entry per candidate and seed) that the grounding notebook shows.
Tune on seeds other than the one `tools/compositional.py` records (7). From the repository root:

    OMP_NUM_THREADS=2 python tools/grounding_candidates.py baseline --seed 0
    OMP_NUM_THREADS=2 python tools/grounding_candidates.py patch-norm --seed 0 patch_norm=True
    OMP_NUM_THREADS=2 python tools/grounding_candidates.py word-mask --seed 0 --word-mask 0.3 patch_norm=True
    OMP_NUM_THREADS=2 python tools/grounding_candidates.py patch-norm-word-swap --seed 0 patch_norm=True word_swap=0.3

Training-side candidates (patches applied to the model for this run only; none became part of seemore):
- `--image-dropout P`: the visual tokens of a fraction P of the training rows are zeroed, so the decoder also learns to
  caption without the image: the "without" model that contrastive decoding subtracts (classifier-free guidance's recipe).
- `--word-mask P`: each word of a caption's input is replaced by `<unk>` characters with probability P (the targets stay),
  so the next word must come from the image more often than from the words before it.
- `--prefix-lm`: in the decoder, the visual tokens attend to each other both ways (the text stays causal), as in PaliGemma.
- `--two-stream`: the ViT reads only the patterns of `NormalisedPatchEmbeddings` (it is colour-blind) and each patch's
  colour statistics become visual tokens of their own, after the pattern tokens.
- `--two-stream-added`: the same, but each patch's colour token is added to its pattern token (36 visual tokens, not 72).
  It became `VLMConfig.colour_stream`, a default since 2026-12-03: with today's defaults, run it as `colour_stream=False --two-stream-added`.
- `--look light`: the split is drawn in `seemore.synthetic.LIGHT_LOOK` instead of the default look.
"""
import argparse, json, time
from dataclasses import replace
from pathlib import Path
import torch
from torch import nn
from seemore.synthetic import write_compositional_split, DEFAULT_LOOK, LIGHT_LOOK
from seemore.tokenizer import CharTokenizer
from seemore.data import build_tokenizer, read_captioned_images
from seemore.training import train, TrainConfig, DEFAULT_MODEL
from seemore.grounding import grounding_report, contrastive_captions, visual_probe, expert_choices
from seemore.benchmarks import machine_info
from seemore.distributed import pick_device
import seemore.vlm as V, seemore.patches as P, seemore.attention as A

REPO = Path(__file__).resolve().parent.parent

def value(text): # 'True' → True, '1200' → 1200, '2e-3' → 0.002, other text stays text
    try: return json.loads(text.replace('True', 'true').replace('False', 'false'))
    except json.JSONDecodeError: return text

def patch_training(image_dropout:float, word_mask:float):
    "Zero the visual tokens of some rows and mask some input words, in training forward passes only."
    def forward(self, images, tokens, targets=None):
        visual = self.encode_images(images)
        if self.training and image_dropout:
            visual = visual * (torch.rand(len(visual), 1, 1, device=visual.device) >= image_dropout).to(visual.dtype)
        if self.training and word_mask:
            tok, space = self.tokenizer, self.tokenizer.stoi[' ']
            word = (tokens == space).long().cumsum(1)                                  # word number of each character
            chosen = (torch.rand(tokens.shape[0], tokens.shape[1] + 1, device=tokens.device) < word_mask).gather(1, word)
            tokens = tokens.masked_fill(chosen & (tokens > tok.unk_id) & (tokens != space), tok.unk_id)
        return self.decoder(tokens, visual, targets)
    V.VisionLanguageModel.forward = forward

def patch_prefix_lm():
    "Causal attention in which the first `num_visual_tokens` positions also see each other (a prefix LM)."
    causal_mask, forward = A.causal_mask, A.Attention.forward
    prefix = {}
    def prefix_mask(T, S, device):        # T queries, the last T of S keys
        mask = causal_mask(T, S, device)
        query = torch.arange(S - T, S, device=device)[:, None]
        return mask | ((query < prefix['V']) & (torch.arange(S, device=device)[None] < prefix['V']))
    def attention_forward(self, x, key_padding_mask=None, kv_cache=None, queries=None):
        if self.causal and key_padding_mask is None:   # make Attention build the mask (SDPA's own causal path knows no prefix)
            key_padding_mask = torch.zeros(x.shape[0], x.shape[1] + (kv_cache.len if kv_cache is not None else 0), dtype=torch.bool, device=x.device)
        return forward(self, x, key_padding_mask, kv_cache, queries)
    A.causal_mask, A.Attention.forward = prefix_mask, attention_forward
    return prefix

def patch_two_stream(added=False):
    "A colour-blind ViT over the patterns, plus one colour token per patch (needs patch_norm=True); `added`: each added to its pattern token."
    if not added: V.VLMConfig.num_visual_tokens = property(lambda self: 2 * (self.img_size // self.patch_size) ** 2)
    P.NormalisedPatchEmbeddings.forward = lambda self, x: P.PatchEmbeddings.forward(self, self.patterns(x)[0])
    init = V.VisionLanguageModel.__init__
    def init_two_stream(self, config, tokenizer):
        init(self, config, tokenizer)
        self.colour_tokens = nn.Sequential(nn.Linear(6, config.n_embd), nn.GELU(), nn.Linear(config.n_embd, config.n_embd))
    def encode_images(self, images):
        statistics = self.vision_encoder.patch_embedding.patterns(images)[1]
        patterns, colours = self.projector(self.vision_encoder(images, output='patches')), self.colour_tokens(statistics)
        return patterns + colours if added else torch.cat([patterns, colours], dim=1)
    V.VisionLanguageModel.__init__, V.VisionLanguageModel.encode_images = init_two_stream, encode_images

def with_words(model, train_file): # a model trained before tokenizers kept their words gets the words of its training file
    if model.tokenizer.words is None:
        model.tokenizer = CharTokenizer(model.tokenizer.chars, build_tokenizer(read_captioned_images(train_file)).words)
    return model

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('name', help='name of the candidate in the results')
    p.add_argument('settings', nargs='*', metavar='NAME=VALUE', help='VLMConfig or TrainConfig settings that differ from the defaults')
    p.add_argument('--seed', type=int, default=0, help='seed of the split and its held-out pairs (not 7: that one is for the record)')
    p.add_argument('--look', choices=['default', 'light'], default='default', help='which look of seemore.synthetic to draw the scenes in')
    p.add_argument('--n-train', type=int, default=3000); p.add_argument('--n-test', type=int, default=200)
    p.add_argument('--alphas', default='0,2', help='contrastive decoding weights to evaluate (0: greedy)')
    p.add_argument('--beta', type=float, default=0.001, help='plausibility of contrastive decoding')
    p.add_argument('--image-dropout', type=float, default=0.0); p.add_argument('--word-mask', type=float, default=0.0)
    p.add_argument('--two-stream', action='store_true'); p.add_argument('--two-stream-added', action='store_true'); p.add_argument('--prefix-lm', action='store_true')
    p.add_argument('--out', default=str(REPO / 'nbs/benchmarks/grounding-candidates.json'))
    p.add_argument('--work', default='/tmp/grounding-candidates', help='where splits and runs go')
    p.add_argument('--reuse', action='store_true', help='measure the model a previous run of this candidate and seed left in --work instead of training again')
    a = p.parse_intermixed_args()
    model_settings, train_settings = {}, {}
    for setting in a.settings:
        k, v = setting.split('=', 1)
        (model_settings if hasattr(DEFAULT_MODEL, k) else train_settings)[k] = value(v)
    if a.image_dropout or a.word_mask: patch_training(a.image_dropout, a.word_mask)
    if a.two_stream or a.two_stream_added: patch_two_stream(a.two_stream_added)
    if a.prefix_lm: patch_prefix_lm()['V'] = replace(DEFAULT_MODEL, **model_settings).num_visual_tokens
    work = Path(a.work)
    look, at = (LIGHT_LOOK, f'light-{a.seed}') if a.look == 'light' else (DEFAULT_LOOK, f'{a.seed}')
    split = write_compositional_split(work / f'split-{at}', a.seed, a.n_train, a.n_test, look=look)
    run, out = work / f'run-{a.name}-{at}', Path(a.out)
    if a.reuse:
        model = with_words(V.VisionLanguageModel.load(run), split['train'])
        previous = [c for c in (json.loads(out.read_text())['candidates'] if out.exists() else []) if (c['name'], c['seed'], c.get('look', 'default')) == (a.name, a.seed, a.look)]
        minutes = previous[0]['train_minutes'] if previous else None
    else:
        started = time.perf_counter()
        model, _ = train(split['train'], run, TrainConfig(**train_settings), replace(DEFAULT_MODEL, **model_settings), tracking=False, quiet=True)
        minutes = (time.perf_counter() - started) / 60
    tests = {k: split[k] for k in ('test-seen', 'test-unseen-colour-shape')}
    result = {'name': a.name, 'seed': a.seed, 'look': a.look, 'settings': {**model_settings, **train_settings},
              'image_dropout': a.image_dropout, 'word_mask': a.word_mask, 'two_stream': a.two_stream, 'two_stream_added': a.two_stream_added, 'prefix_lm': a.prefix_lm, 'train_minutes': minutes,
              'probe_shape': visual_probe(model, split['train'], tests, look=look), 'decoding': {}}
    print(a.name, 'probe', result['probe_shape'], f'{minutes or 0:.1f} min', flush=True)
    if model.config.moe:   # which expert each word's characters go to first, per layer, on scenes of seen combinations
        result['expert_choices'] = [{kind: {v: [round(float(x), 4) for x in share] for v, share in values.items()}
                                     for kind, values in expert_choices(model, split['test-seen'], layer, look).items()} for layer in range(model.config.n_layer)]
    for alpha in [float(x) for x in a.alphas.split(',')]:
        decode = (lambda m, x, alpha=alpha: contrastive_captions(m, x, alpha, a.beta, known_words=False)) if alpha else None   # spelling freely
        reports = {name: grounding_report(model, path, decode=decode, known_words=False, look=look) for name, path in tests.items()}
        result['decoding'][f'{alpha:g}'] = {name: {k: r[k] for k in ('exact_match', 'word_accuracy', 'confusions')} for name, r in reports.items()}
        print(a.name, f'alpha {alpha:g}', {n: (round(r['exact_match'], 3), r['confusions'][:2]) for n, r in reports.items()}, flush=True)
    reports = {name: grounding_report(model, path, known_words=True, look=look) for name, path in tests.items()}
    result['decoding']['known_words'] = {name: {k: r[k] for k in ('exact_match', 'word_accuracy', 'confusions')} for name, r in reports.items()}
    print(a.name, 'known words', {n: (round(r['exact_match'], 3), r['confusions'][:2]) for n, r in reports.items()}, flush=True)
    recorded = json.loads(out.read_text()) if out.exists() else {'what': __doc__.splitlines()[0], 'beta': a.beta, 'candidates': []}
    recorded['candidates'] = [c for c in recorded['candidates'] if (c['name'], c['seed'], c.get('look', 'default')) != (a.name, a.seed, a.look)] + [result]
    recorded['machine'] = machine_info(pick_device('auto'))
    out.write_text(json.dumps(recorded, indent=1, ensure_ascii=False))

if __name__ == '__main__': main()
