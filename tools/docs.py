"""Build the documentation site offline: `python tools/docs.py` -> `_docs/` and `README.md`.

nbdev renders its site with Quarto (`nbdev_docs`), which cannot be installed here. Instead:
1. `nbdev.serve.proc_nbs` runs nbdev's own processing (show_doc, `#|` directives, doc links) into `_proc/`;
2. `convert` rewrites the Quarto-only parts of each processed notebook for Sphinx + myst-nb,
   shows each dataclass's fields as a table and signatures as plain code;
3. Sphinx (theme furo, settings in tools/sphinx/conf.py) renders the saved outputs into `_docs/`,
   with MathJax served from a local copy;
4. README.md is written from the processed index notebook, as `nbdev_readme` would.
Install the toolchain first: `bash tools/ci-docs.sh` (or tools/requirements-docs.txt + npm mathjax@3).
"""
import dataclasses, importlib, inspect, os, re, shutil, sys, time
from pathlib import Path
import nbformat, yaml
from docutils.nodes import make_id
from fastcore.docments import docments
from nbdev.config import get_config
from nbdev.serve import proc_nbs

ROOT = Path(__file__).resolve().parents[1]
MATHJAX = Path(os.environ.get('MATHJAX_DIR', Path.home()/'.cache/seemore-docs/node_modules/mathjax/es5'))
DIRECTIVE = re.compile(r'^#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$')
CALLOUT = re.compile(r'^(:{3,})\s*\{\.callout-(\w+)([^}]*)\}[ \t]*\n(.*?)\n\1[ \t]*$', re.M | re.S)  # fence, kind, attrs, body
LINK = re.compile(r'(!?)\[([^\]]*)\]\(([^)\s]+)([^)]*)\)')
SHOWDOC = re.compile(r'^-{3,}\s*\n+\[source\]\((\S+?)\)\{[^}]*\}\s*\n+(#+) (.+)\n', re.M)  # hr, source link, heading
# a whole show_doc block: (hr, source link and heading), source URL, name, signature, docstring (up to the next block)
SHOWDOC_BLOCK = re.compile(r'^(-{3,}\s*\n+\[source\]\((\S+?)\)\{[^}]*\}\s*\n+#+ (.+)\n)\s*'
                           r'(```python\n.*?\n```)[ \t]*\n(.*?)(?=^-{3,}\s*\n+\[source\]|\Z)', re.M | re.S)
CODE_LINK = re.compile(r'\[(`[^`\]]+`)\]\([^)\s]+\)')  # a doc link nbdev put in a signature: [`Attention`](attention.html#attention)

def page_name(nb_path):
    "The page nbdev gives a notebook: `01_patches.ipynb` -> `patches.html`."
    return re.sub(r'^\d+[a-zA-Z0-9]*_', '', nb_path.name.lower()).replace('.ipynb', '.html')

def directives(src):
    "Split a code cell into its leading `#|` directives and the code readers see."
    d, lines = {}, src.splitlines()
    while lines and (m := DIRECTIVE.match(lines[0])): d[m[1]] = m[2].lower(); lines.pop(0)
    return d, '\n'.join(lines)

def documented_object(src_url, name):
    "The object a show_doc block is about, from its source link (`.../blob/main/seemore/vlm.py#L30`) and heading."
    m = re.search(r'/blob/[^/]+/([\w/]+)\.py#L\d+$', src_url)
    if not m: return None
    try: obj = importlib.import_module(m[1].replace('/', '.'))
    except ImportError: return None
    for part in name.replace('\\', '').strip().split('.'): obj = getattr(obj, part, None)
    return obj

def type_name(anno):
    "An annotation as it is written in code: `int`, `Path`, `list[str]`; empty if there is none."
    if anno in (None, inspect.Parameter.empty): return ''
    return anno.__name__ if isinstance(anno, type) else str(anno).replace('typing.', '')

def table_cell(text):
    "Text that can stand in a markdown table cell."
    return ' '.join(str(text).split()).replace('|', '\\|')

def field_default(f):
    "A dataclass field's default as code: `128`, `list()` for a factory; `(required)` if it has none."
    if f.default is not dataclasses.MISSING: return f'`{f.default!r}`'
    if f.default_factory is not dataclasses.MISSING: return f'`{f.default_factory.__name__}()`'
    return '(required)'

def field_table(cls):
    "A markdown table of a dataclass's fields: name, type, default and the docments comment (with nbdev's doc links)."
    from nbdev.doclinks import NbdevLookup
    comments, linkify = docments(cls, full=True), NbdevLookup().linkify
    rows = ['| Field | Type | Default | Description |', '|---|---|---|---|']
    for f in dataclasses.fields(cls):
        info = comments.get(f.name, {})
        anno = type_name(info.get('anno', f.type))
        cells = [f'`{f.name}`', f'`{anno}`' if anno else '', field_default(f), linkify(info.get('docment') or '')]
        rows.append('| ' + ' | '.join(map(table_cell, cells)) + ' |')
    return '\n'.join(rows)

def plain_code(md):
    "Code blocks as code reads: nbdev's doc links back to their names, `*args`/`**kwargs` instead of `args:VAR_POSITIONAL`."
    def plain(m):
        code = CODE_LINK.sub(r'\1', m[0])
        return re.sub(r'\b(\w+):VAR_(POSITIONAL|KEYWORD)\b', lambda v: ('*' if v[2] == 'POSITIONAL' else '**') + v[1], code)
    return re.sub(r'^```.*?^```', plain, md, flags=re.M | re.S)

def fix_showdoc(md):
    "show_doc output: a class is a `class`; a dataclass gets a table of its fields under its docstring instead of a signature."
    def block(m):
        head, src, name, sig, doc = m.groups()
        obj = documented_object(src, name)
        if isinstance(obj, type) and dataclasses.is_dataclass(obj): return f'{head}\n{doc.strip()}\n\n{field_table(obj)}\n\n'
        if isinstance(obj, type): sig = sig.replace(f'def {obj.__name__}(', f'class {obj.__name__}(', 1)
        return f'{head}\n{sig}\n{doc}'
    md = re.sub(r'\n\n+```\n', '\n```\n', re.sub(r'```python\n\n+', '```python\n', md))  # trim show_doc's blank lines
    return SHOWDOC_BLOCK.sub(block, md)

def fix_markdown(md, depth, doc_url, gfm):
    "Callouts, show_doc blocks and links, for Sphinx pages `depth` folders deep, or for GitHub (`gfm`)."
    def link(m):
        bang, text, url, rest = m.groups()
        if re.match(r'^\w[\w+.-]*:', url) or url.startswith('#'):  # absolute URL or in-page anchor
            if gfm or not url.startswith(doc_url + '/'): return m[0]
            url = '../'*depth + url[len(doc_url)+1:]
        elif url.split('#')[0].endswith('.ipynb'):
            path, _, frag = url.partition('#')
            url = str(Path(path).with_name(page_name(Path(path)))) + (f'#{frag}' if frag else '')
            if gfm: url = f'{doc_url}/{url}'
        elif gfm and bang: url = os.path.normpath(f'nbs/{url}')  # README.md is in the repo root, images in nbs/
        elif gfm: url = f'{doc_url}/{url}'
        return f'{bang}[{text}]({url}{rest})'
    def callout(m):  # Quarto callout -> GitHub alert (as Quarto's gfm writes it) or Sphinx admonition
        fence, kind, attrs, body = m.groups()
        title = re.search(r'title="([^"]*)"', attrs)
        if gfm: return f'> [!{kind.upper()}]\n' + '\n'.join(f'> {l}' for l in body.splitlines())
        head = f'{{admonition}} {title[1]}\n:class: {kind}' if title else f'{{{kind}}}'
        return f'{fence}{head}\n{body}\n{fence}'
    def showdoc(m):  # heading with the id nbdev's doc links use (`page.html#chartokenizer.encode`), then the source link
        src, level, name = m.groups()
        nbdev_id = name.strip().lower()
        anchor = f'<div id="{nbdev_id}"></div>\n\n' if nbdev_id != make_id(name) else ''
        return f'{anchor}{level} {name}\n\n[source]({src}){{.sourcelink}}\n'
    md = CALLOUT.sub(callout, md)
    if not gfm: md = SHOWDOC.sub(showdoc, md)
    md = re.sub(r'\{target="_blank"[^}]*\}', '', md)
    return LINK.sub(link, plain_code(md))

def convert(nb, depth, doc_url, gfm=False):
    "Rewrite a notebook processed for Quarto: front matter, `#|` directives, asis outputs, markdown."
    cells = []
    for c in nb.cells:
        if c.cell_type == 'raw' and c.source.startswith('---'):  # nbdev's front matter: title, description
            fm = yaml.safe_load(c.source.strip().strip('-')) or {}
            desc = fm.get('description')
            head = f"# {fm.get('title', '')}" + (('\n\n> ' if gfm else '\n\n{.lead}\n') + desc if desc else '')
            cells.append(nbformat.v4.new_markdown_cell(head))
        elif c.cell_type == 'markdown':
            c.source = fix_markdown(c.source, depth, doc_url, gfm); cells.append(c)
        elif c.cell_type == 'code':
            d, c.source = directives(c.source)
            if d.get('include') == 'false': continue
            tags = c.metadata.setdefault('tags', [])
            if d.get('echo') == 'false': tags.append('remove-input')
            if d.get('output') in ('false', 'asis'): tags.append('remove-output')
            if d.get('echo') != 'false' or d.get('output') not in ('false', 'asis'): cells.append(c)
            if d.get('output') == 'asis':  # e.g. show_doc: its markdown output becomes part of the page
                md = ''.join(o.get('data', {}).get('text/markdown', o.get('text', '')) for o in c.outputs)
                cells.append(nbformat.v4.new_markdown_cell(fix_markdown(fix_showdoc(md), depth, doc_url, gfm)))
    nb.cells = cells
    nb.metadata.setdefault('language_info', {'name': 'python'})
    return nb

def sidebar(nbs):
    "The files sidebar.yml lists, in order (sections flattened)."
    def entries(items):
        for it in items:
            if isinstance(it, dict) and 'section' in it: yield from entries(it.get('contents', []))
            else: yield it['href'] if isinstance(it, dict) else it
    return list(entries(yaml.safe_load((nbs/'sidebar.yml').read_text())['website']['sidebar']['contents']))

def nav(nbs, pages):
    "Toctree markdown for the index page, in sidebar.yml's order, then any notebook it does not list."
    listed = []
    for f in sidebar(nbs):
        if f in pages: listed.append(f)
        else: print(f'docs: sidebar.yml lists {f}, which does not exist (yet): skipped')
    for f in pages:
        if f not in listed: listed.append(f); print(f'docs: {f} is not in sidebar.yml: added at the end')
    docs = [pages[f].removesuffix('.html') for f in listed if pages[f] != 'index.html']
    return '```{toctree}\n:hidden:\n:maxdepth: 1\n\n' + '\n'.join(docs) + '\n```'

def readme(proc, cfg, doc_url):
    "README.md from the processed index notebook, with images in README_files/ (what `nbdev_readme` does)."
    from nbconvert import MarkdownExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    nb = convert(nbformat.read(proc/cfg.readme_nb, as_version=4), 0, doc_url, gfm=True)
    exp = MarkdownExporter()
    exp.register_preprocessor(TagRemovePreprocessor(remove_input_tags={'remove-input'},
                                                    remove_all_outputs_tags={'remove-output'}), enabled=True)
    body, res = exp.from_notebook_node(nb, resources={'unique_key': 'README', 'output_files_dir': 'README_files'})
    shutil.rmtree(ROOT/'README_files', ignore_errors=True)
    for name, data in res['outputs'].items():
        (ROOT/name).parent.mkdir(exist_ok=True); (ROOT/name).write_bytes(data)
    (ROOT/'README.md').write_text(body.lstrip())

def main():
    t0 = time.time()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))  # `import seemore` in notebooks: this checkout (doc links need `pip install -e .`)
    cfg = get_config()
    doc_url = (cfg.doc_host + cfg.doc_baseurl).rstrip('/')
    if not (MATHJAX/'tex-mml-chtml.js').exists(): sys.exit(f'docs: no MathJax at {MATHJAX}: run tools/ci-docs.sh or set MATHJAX_DIR')
    try: proc = proc_nbs(force=True)  # nbdev's processing; rebuilt from scratch so deleted notebooks leave no page
    except Exception as e: sys.exit(f'docs: nbdev.serve.proc_nbs failed, as nbdev_docs would: {e}\nnbdev runs every cell '
                                    'that has an import ("Found cells containing imports" above): give imports a cell of their own.')
    readme(proc, cfg, doc_url)
    pages = {}
    for p in sorted(proc.rglob('*.ipynb')):
        rel = p.relative_to(proc)
        depth = len(rel.parts) - 1
        nb = convert(nbformat.read(p, as_version=4), depth, doc_url)
        p.unlink()
        pages[rel.as_posix()] = (rel.parent/page_name(rel)).as_posix()
        nbformat.write(nb, proc/pages[rel.as_posix()].replace('.html', '.ipynb'))
    index = proc/'index.ipynb'
    nb = nbformat.read(index, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell(nav(cfg.nbs_path, pages)))
    nbformat.write(nb, index)
    shutil.copytree(MATHJAX/'output', proc/'_static/mathjax/output')
    shutil.copy(MATHJAX/'tex-mml-chtml.js', proc/'_static/mathjax/')
    from sphinx.cmd.build import build_main
    site = proc/'_site'  # myst-nb writes images next to the output folder: keep both inside _proc/
    if build_main(['-W', '--keep-going', '-q', '-b', 'html', '-c', str(ROOT/'tools/sphinx'),
                   '-d', str(proc/'.doctrees'), str(proc), str(site)]): sys.exit('docs: sphinx-build failed')
    shutil.rmtree(cfg.doc_path, ignore_errors=True)
    shutil.move(site, cfg.doc_path)
    print(f'docs: {len(pages)} pages in {cfg.doc_path.relative_to(ROOT)}/, README.md written, {time.time()-t0:.1f}s')

if __name__ == '__main__': main()
