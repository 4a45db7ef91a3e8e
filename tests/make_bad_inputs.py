"""Write the corpus of bad inputs that seemore must survive: `python tests/make_bad_inputs.py OUT_DIR`.

Everything is generated here, from Pillow and a few hand-written bytes, so nothing binary is committed.
`make_corpus(out_dir)` writes, for every case in `CASES`:

- `OUT_DIR/<case>.csv`: a CSV in the original format (`b64string_images,caption`) holding `N_GOOD` good rows,
  with the bad row at row `BAD_ROW` (for the table cases, the whole file is the bad input);
- `OUT_DIR/files/<case>.<ext>`: the bad image on its own, for `seemore caption` (image cases only);

and `OUT_DIR/good.csv` with only the good rows, `OUT_DIR/files/good.png`, and `OUT_DIR/folder/`: an image folder whose `metadata.csv` lists good files, every bad image file and a file that does not exist.
"""
import base64, csv, io, struct, sys, zlib
from pathlib import Path

import numpy as np
from PIL import Image

N_GOOD, BAD_ROW = 8, 3  # good rows in each CSV; position of the bad row among them

def _encoded(img, fmt='PNG', **kwargs) -> bytes:
    buf = io.BytesIO(); img.save(buf, format=fmt, **kwargs); return buf.getvalue()

def _png_chunk(kind:bytes, data:bytes) -> bytes:
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))

def bomb_png(width:int=100_000, height:int=100_000) -> bytes:
    "A PNG whose header claims `width`×`height` RGB pixels (valid CRCs), followed by almost no pixel data."
    return (b'\x89PNG\r\n\x1a\n' + _png_chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0))
            + _png_chunk(b'IDAT', zlib.compress(b'\x00' * 64)) + _png_chunk(b'IEND', b''))

def truncated_png() -> bytes:
    "A noisy 32×32 PNG cut off two thirds of the way: the header is whole, the pixels are not."
    png = _encoded(Image.fromarray(np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8)))
    return png[:len(png) * 2 // 3]

def cmyk_jpeg() -> bytes:
    "A CMYK JPEG, pure red (no cyan, full magenta and yellow)."
    return _encoded(Image.new('CMYK', (16, 16), (0, 255, 255, 0)), 'JPEG', quality=95)

def sixteen_bit_png() -> bytes:
    "A 16-bit greyscale PNG: a horizontal ramp from 0 to 65535."
    return _encoded(Image.fromarray(np.tile(np.linspace(0, 65535, 16).astype(np.uint16), (16, 1))))

def palette_transparent_png() -> bytes:
    "A palette PNG whose left half is palette entry 0, fully transparent, and right half opaque red."
    img = Image.new('P', (16, 16), 0)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    img.paste(1, (8, 0, 16, 16))
    return _encoded(img, transparency=0)

def grey_alpha_png() -> bytes:
    "A grey image with an alpha channel (mode LA), half transparent."
    return _encoded(Image.new('LA', (16, 16), (0, 128)))

def animated_gif() -> bytes:
    "A two-frame animated GIF: red, then blue."
    frames = [Image.new('RGB', (16, 16), c) for c in ((255, 0, 0), (0, 0, 255))]
    return _encoded(frames[0], 'GIF', save_all=True, append_images=frames[1:], duration=100, loop=0)

def exif_rotated_jpeg() -> bytes:
    "A JPEG stored 16 wide and 8 high (left half red, right half blue) whose EXIF says: rotate 90° clockwise to show it."
    img = Image.new('RGB', (16, 8), (255, 0, 0)); img.paste((0, 0, 255), (8, 0, 16, 8))
    exif = Image.Exif(); exif[0x0112] = 6  # Orientation: the 0th row is the visual right side
    return _encoded(img, 'JPEG', quality=95, exif=exif.tobytes())

def one_pixel_png() -> bytes: return _encoded(Image.new('RGB', (1, 1), (0, 255, 0)))
def html_as_png() -> bytes: return b'<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>Not Found</body></html>\n'

# name: (kind, image bytes or None, caption or None, what the file is)
# kind 'image': the row's image is bad (or unusual); 'caption': the row's caption is; 'table': the whole file is
CASES = {
    'invalid_base64':    ('image',   None, None, 'the image field is not base64'),
    'truncated_png':     ('image',   truncated_png(), None, 'a PNG cut off in the middle of its pixels'),
    'zero_bytes':        ('image',   b'', None, 'an image file of 0 bytes'),
    'html_as_png':       ('image',   html_as_png(), None, 'an HTML error page saved as .png'),
    'one_pixel':         ('image',   one_pixel_png(), None, 'a 1×1 image'),
    'bomb_png':          ('image',   bomb_png(), None, 'a PNG header claiming 100000×100000 pixels (a decompression bomb)'),
    'cmyk_jpeg':         ('image',   cmyk_jpeg(), None, 'a CMYK JPEG'),
    'sixteen_bit_png':   ('image',   sixteen_bit_png(), None, 'a 16-bit greyscale PNG'),
    'palette_alpha_png': ('image',   palette_transparent_png(), None, 'a palette PNG with a transparent colour'),
    'grey_alpha_png':    ('image',   grey_alpha_png(), None, 'a grey PNG with an alpha channel'),
    'animated_gif':      ('image',   animated_gif(), None, 'an animated GIF (2 frames)'),
    'exif_rotated_jpeg': ('image',   exif_rotated_jpeg(), None, 'a JPEG with EXIF orientation 6 (rotate 90°)'),
    'emoji_caption':     ('caption', None, 'a red 🟥 square 👍🏽', 'a caption with emoji'),
    'control_caption':   ('caption', None, 'a red\x00 square\x1b[31m\tat\r\nthe top\x7f', 'a caption with control characters (NUL, ESC, tab, CR LF, DEL)'),
    'whitespace_caption':('caption', None, ' \t\u3000\u00a0 ', 'a caption of only whitespace'),
    'long_caption':      ('caption', None, 'a very long caption ' * 500, 'a caption of 10,000 characters'),
    'missing_column':    ('table',   None, None, 'a CSV without the caption column'),
    'empty_csv':         ('table',   None, None, 'an empty CSV file (0 bytes)'),
    'header_only_csv':   ('table',   None, None, 'a CSV with a header and no rows'),
    'no_usable_rows':    ('table',   None, None, 'a CSV in which every row is bad'),
}
EXTENSIONS = {'cmyk_jpeg': 'jpg', 'exif_rotated_jpeg': 'jpg', 'animated_gif': 'gif'}

def good_rows(n:int=N_GOOD) -> list:
    "`n` good `(png_bytes, caption)` rows: synthetic scenes."
    from seemore.synthetic import make_synthetic_scenes
    return make_synthetic_scenes(n, seed=7)

def _write_csv(path:Path, rows:list, header=('b64string_images', 'caption')):
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f, lineterminator='\n'); writer.writerow(header); writer.writerows(rows)

def make_corpus(out_dir, # Folder to write the corpus into (created if needed)
               ) -> Path:
    "Write every case of `CASES` into `out_dir`, as described in this module's docstring."
    out = Path(out_dir); (out/'files').mkdir(parents=True, exist_ok=True)
    good = good_rows()
    b64 = lambda data: base64.b64encode(data).decode('ascii')
    rows = [[b64(png), caption] for png, caption in good]
    for name, (kind, data, caption, _) in CASES.items():
        if kind == 'table': continue
        bad = ['this is not base64!' if name == 'invalid_base64' else b64(data if data is not None else good[0][0]),
               caption if caption is not None else good[0][1]]
        _write_csv(out/f'{name}.csv', rows[:BAD_ROW] + [bad] + rows[BAD_ROW:])
        if data is not None: (out/'files'/f'{name}.{EXTENSIONS.get(name, "png")}').write_bytes(data)
    _write_csv(out/'missing_column.csv', [[b64(png), caption] for png, caption in good], header=('b64string_images', 'text'))
    (out/'empty_csv.csv').write_bytes(b'')
    _write_csv(out/'header_only_csv.csv', [])
    _write_csv(out/'no_usable_rows.csv', [['not base64!', 'a caption'], [rows[0][0], '   ']])
    _write_csv(out/'good.csv', rows)
    (out/'files'/'good.png').write_bytes(good[0][0])
    folder = out/'folder'; folder.mkdir(exist_ok=True)
    listed = []
    for i, (png, caption) in enumerate(good):
        (folder/f'good_{i}.png').write_bytes(png); listed.append((f'good_{i}.png', caption))
    for f in sorted((out/'files').iterdir()):
        if f.name != 'good.png': (folder/f.name).write_bytes(f.read_bytes()); listed.append((f.name, f'the file {f.stem}'))
    listed.append(('missing.png', 'a file that is not there'))
    _write_csv(folder/'metadata.csv', listed, header=('file_name', 'caption'))
    return out

if __name__ == '__main__':
    if len(sys.argv) != 2: sys.exit(f'usage: python {sys.argv[0]} OUT_DIR')
    print(f'wrote the bad-input corpus to {make_corpus(sys.argv[1])}')
