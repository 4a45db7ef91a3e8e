"""Draw the home page's figure: six scenes from the dataset generator, with a seed the embedded data did not use, captioned by a trained model.

    seemore train --out runs/default --no-mlflow        # the default model
    python tools/readme_figure.py runs/default/model    # writes nbs/images/captioned_examples.png
"""
import argparse, io
from pathlib import Path
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
from PIL import Image
from seemore.synthetic import make_synthetic_scenes
from seemore.vlm import VisionLanguageModel

REPO = Path(__file__).resolve().parent.parent

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('model', help='a saved model directory (OUT/model of seemore train)')
    p.add_argument('--seed', type=int, default=2026, help='seed of the scenes (the embedded data used 0)')
    p.add_argument('--out', default=str(REPO / 'nbs/images/captioned_examples.png'))
    a = p.parse_args()
    scenes = make_synthetic_scenes(6, seed=a.seed)
    images = [Image.open(io.BytesIO(png)).convert('RGB') for png, _ in scenes]
    written = VisionLanguageModel.load(a.model).caption(images)
    fig, axes = plt.subplots(1, 6, figsize=(12, 2.6))
    for ax, image, (_, true), caption in zip(axes, images, scenes, written):
        ax.imshow(image); ax.set_xticks([]); ax.set_yticks([])
        ax.set_title(caption.removeprefix('a ').replace(' at the ', '\nat the '), fontsize=9, color='green' if caption == true else 'red')
    fig.tight_layout()
    fig.savefig(a.out, dpi=80)
    print(f'{sum(c == t for c, (_, t) in zip(written, scenes))}/6 exactly right ->', a.out)

if __name__ == '__main__': main()
