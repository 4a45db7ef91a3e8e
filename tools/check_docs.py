"""Check the site that tools/docs.py built in `_docs/`: `python tools/check_docs.py` (exit 1 on any problem).

Static checks of every page:
- every notebook in nbs/ (not `_`-prefixed) has a page;
- every internal link, `#fragment` and image resolves;
- every API page (a notebook with `#| export` cells) shows show_doc blocks: heading, source link, signature;
- no page loads an external asset (script/link/img/iframe/... src or href, CSS url() to http(s));
  plain <a href> links to other sites are fine;
- no page shows a local path (/work/, /tmp/, /home/, /root/) or links to a local server (127.0.0.1, localhost:);
  code that readers run may name 127.0.0.1 (a test server), outputs and prose may not;
- signatures are plain code: no markdown doc links inside code blocks, no `VAR_POSITIONAL`;
- every exported dataclass documented with show_doc has a table of its fields (name, type, default, description).
Then a real headless Chromium (Debian's `chromium`, driven by Playwright) loads the home page, the first API page and
a page with maths, and a search, from `python -m http.server` on 127.0.0.1: title, navigation in sidebar.yml's order,
images loaded, maths typeset by the local MathJax, search results, screenshot not blank; any request leaving
127.0.0.1 is blocked and fails the check. Every page is also loaded 1280 px wide: no code block, table or image
scrolls sideways or sticks out of the text column.
Screenshots are kept in `_docs/_screenshots/`.
"""
import dataclasses, html, importlib, os, pkgutil, re, socket, subprocess, sys, time, urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
from docs import page_name, sidebar

DOCS, NBS, SHOTS = ROOT/'_docs', ROOT/'nbs', ROOT/'_docs/_screenshots'
CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
ASSET_TAGS = {'script', 'link', 'img', 'iframe', 'source', 'video', 'audio', 'embed', 'track', 'object', 'input'}
NOT_LOADED = {'canonical', 'alternate', 'author', 'license', 'next', 'prev', 'index', 'search', 'top'}  # <link rel=...>
SHOWDOC = re.compile(r'<h[2-6][^>]*>(.*?)<a class="headerlink".*?</h[2-6]>\s*<p><a class="sourcelink[^>]*>source</a></p>\s*'
                     r'<div class="highlight-python[^>]*><div class="highlight"><pre>(.*?)</pre>', re.S)
LOCAL_PATH = re.compile(r'(?<![\w.~-])/(?:work|tmp|home|root)/\S*')  # not the /tmp/ inside https://host/tmp/
LOCAL_SERVER = re.compile(r'(?:\b127\.0\.0\.1|\blocalhost:)\S*')
DOC_LINK_IN_CODE = re.compile(r'\[`[^`\]]+`\]\(')  # nbdev's [`name`](page.html#name), shown raw inside a code block
problems = []

class Page(HTMLParser):
    "The ids of an HTML page, the URLs it refers to as (tag, attribute, url, rel), and its text as (text, code a reader runs?): a code cell's input or a code block of the prose, not an output."
    def __init__(self, path):
        super().__init__(); self.ids, self.refs, self.text = set(), [], []
        self.divs, self.input_div, self.output_div, self.hidden = 0, None, None, 0  # div depth, depth of the code (input) and the output we are in, inside <script>/<style>
        self.feed(path.read_text(encoding='utf-8'))
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'div':
            self.divs += 1
            classes = (a.get('class') or '').split()
            if self.output_div is None and 'cell_output' in classes: self.output_div = self.divs
            code = 'cell_input' in classes or (self.output_div is None and any(c.startswith('highlight-') for c in classes))
            if self.input_div is None and code: self.input_div = self.divs
        if tag in ('script', 'style'): self.hidden += 1
        if a.get('id'): self.ids.add(a['id'])
        if tag == 'a' and a.get('name'): self.ids.add(a['name'])
        for k in ('href', 'src', 'data', 'poster'):
            if a.get(k): self.refs.append((tag, k, a[k].strip(), (a.get('rel') or '').lower()))
        for u in re.split(r',\s*', a.get('srcset') or ''):
            if u: self.refs.append((tag, 'srcset', u.split()[0], ''))
    def handle_endtag(self, tag):
        if tag == 'div':
            if self.input_div == self.divs: self.input_div = None
            if self.output_div == self.divs: self.output_div = None
            self.divs -= 1
        if tag in ('script', 'style'): self.hidden -= 1
    def handle_data(self, data):
        if not self.hidden: self.text.append((data, self.input_div is not None))

def notebooks():
    return sorted(p for p in NBS.rglob('*.ipynb') if not any(s.startswith(('_', '.')) for s in p.relative_to(NBS).parts))

def is_api(nb):
    import nbformat
    cells = nbformat.read(nb, as_version=4).cells
    return any(c.cell_type == 'code' and re.search(r'^#\|\s*exports?\s*$', c.source, re.M) for c in cells)

def context(text, m):
    "The match `m` in `text` with a little of what is around it, on one line."
    return ' '.join(text[max(0, m.start()-50):m.end()+30].split())

def local_checks(rel, page):
    "No local path anywhere on the page; no local server in prose, outputs or links (code readers run may start one)."
    text = ''.join(t for t, _ in page.text)
    shown = ''.join(t for t, code_input in page.text if not code_input)
    for m in LOCAL_PATH.finditer(text): problems.append(f'{rel}: local path {m[0]!r}: ...{context(text, m)}...')
    for m in LOCAL_SERVER.finditer(shown): problems.append(f'{rel}: local server {m[0]!r}: ...{context(shown, m)}...')
    for tag, attr, url, _ in page.refs:
        u = urlparse(url)
        if u.scheme == 'file' or u.hostname in ('127.0.0.1', 'localhost') or LOCAL_PATH.match(u.path if not u.scheme else ''):
            problems.append(f'{rel}: <{tag} {attr}="{url}"> points at this machine')

def code_checks(rel, source):
    "Code blocks are code: no markdown doc links inside them (show_doc signatures above all), no `VAR_POSITIONAL`."
    blocks = [html.unescape(re.sub(r'<[^>]+>', '', b)) for b in re.findall(r'<pre>(.*?)</pre>', source, re.S)]
    signatures = [html.unescape(re.sub(r'<[^>]+>', '', code)) for _, code in SHOWDOC.findall(source)]
    for code in blocks:
        if DOC_LINK_IN_CODE.search(code): problems.append(f'{rel}: markdown link shown raw in a code block: {code.strip()[:80]!r}...')
    for code in signatures:
        if '](' in code: problems.append(f'{rel}: link syntax in a signature: {code.strip()[:80]!r}...')
    for m in re.finditer(r'\w+:VAR_(?:POSITIONAL|KEYWORD)', html.unescape(re.sub(r'<[^>]+>', '', source))):
        problems.append(f'{rel}: signature shows {m[0]!r} (for *args/**kwargs)')

def exported_dataclasses():
    "Every dataclass the package exports (its modules' `__all__`), by name."
    sys.path.insert(0, str(ROOT))
    from nbdev.config import get_config
    pkg = importlib.import_module(get_config().lib_name)
    found = {}
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith('_'): continue
        module = importlib.import_module(f'{pkg.__name__}.{info.name}')
        for name in getattr(module, '__all__', []):
            obj = getattr(module, name, None)
            if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == module.__name__: found[name] = obj
    return found

def first_column(section):
    "The text of the first cell of each body row of the first table in `section` (HTML)."
    table = re.search(r'<table.*?</table>', section, re.S)
    cells = re.findall(r'<tr[^>]*>\s*<td[^>]*>(.*?)</td>', table[0], re.S) if table else []
    return [html.unescape(re.sub(r'<[^>]+>', '', c)).strip() for c in cells]

def dataclass_checks(pages):
    "Each exported dataclass that has a show_doc block has a table under it whose first column is its fields, in order."
    from docutils.nodes import make_id
    texts, tables = {path: path.read_text(encoding='utf-8') for path in pages}, 0
    for name, cls in exported_dataclasses().items():
        for path, source in texts.items():
            section = re.search(rf'<section id="{make_id(name)}">(.*?)</section>', source, re.S)
            if not section or 'class="sourcelink' not in section[1]: continue
            first = first_column(section[1])
            fields = [f.name for f in dataclasses.fields(cls)]
            if first != fields: problems.append(f'{path.relative_to(ROOT)}: {name}: no table of its {len(fields)} fields (first column: {first})')
            else: tables += 1
    if not tables: problems.append('no page shows a dataclass as a table of its fields')
    print(f'check: {tables} dataclasses shown as tables of their fields')

def static_checks():
    pages = {p: Page(p) for p in DOCS.rglob('*.html') if SHOTS not in p.parents}
    for nb in notebooks():
        page = DOCS/page_name(nb.relative_to(NBS))
        if page not in pages: problems.append(f'{nb.relative_to(ROOT)} has no page ({page.relative_to(ROOT)})'); continue
        if is_api(nb):
            blocks = [(h, re.sub(r'<[^>]+>', '', code)) for h, code in SHOWDOC.findall(page.read_text(encoding='utf-8'))]
            blocks = [b for b in blocks if re.search(r'\b(def|class)\s+\w+', b[1])]
            if not blocks: problems.append(f'{page.relative_to(ROOT)}: API page without show_doc output ({nb.name} exports code)')
            else: print(f'check: {page.relative_to(ROOT)}: {len(blocks)} show_doc blocks')
    dataclass_checks(pages)
    for path, page in pages.items():
        rel = path.relative_to(ROOT)
        local_checks(rel, page)
        code_checks(rel, path.read_text(encoding='utf-8'))
        for tag, attr, url, rel_ in page.refs:
            u = urlparse(url)
            if u.scheme in ('mailto', 'data', 'javascript', 'tel'): continue
            if u.scheme or url.startswith('//'):  # external
                if tag in ASSET_TAGS and not (tag == 'link' and set(rel_.split()) <= NOT_LOADED):
                    problems.append(f'{rel}: external asset <{tag} {attr}="{url}">')
                continue
            target = path if not u.path else (path.parent/unquote(u.path)).resolve()
            if target.is_dir(): target = target/'index.html'
            if not target.exists(): problems.append(f'{rel}: <{tag} {attr}="{url}"> does not resolve'); continue
            if u.fragment and tag == 'a' and target in pages and unquote(u.fragment) not in pages[target].ids:
                problems.append(f'{rel}: <a href="{url}">: no id "{u.fragment}" in {target.relative_to(ROOT)}')
    for f in list(DOCS.rglob('*.html')) + list(DOCS.rglob('*.css')):
        for m in re.finditer(r'''(?:url\(|@import)\s*['"]?((?:https?:)?//[^'")\s]+)''', f.read_text(encoding='utf-8')):
            problems.append(f'{f.relative_to(ROOT)}: external asset in CSS: {m[1]}')
    print(f'check: {len(pages)} pages, {sum(len(p.refs) for p in pages.values())} links and assets checked')

def sidebar_pages():
    "The pages sidebar.yml lists that exist, in its order (index excluded)."
    return [page_name(Path(f)) for f in sidebar(NBS) if (NBS/f).exists() and page_name(Path(f)) != 'index.html']

def browser_checks():
    from playwright.sync_api import sync_playwright
    api = next((page_name(nb.relative_to(NBS)) for nb in notebooks() if is_api(nb)), None)
    maths = next((p.name for p in sorted(DOCS.glob('*.html')) if 'class="math' in p.read_text(encoding='utf-8')), None)
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, '-m', 'http.server', '--bind', '127.0.0.1', str(port), '--directory', str(DOCS)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f'http://127.0.0.1:{port}/'
    try:
        for _ in range(50):
            try: urllib.request.urlopen(base, timeout=1); break
            except OSError: time.sleep(0.2)
        SHOTS.mkdir(exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'])
            page = browser.new_page(viewport={'width': 1280, 'height': 900})
            def route(r):
                if urlparse(r.request.url).hostname == '127.0.0.1': return r.continue_()
                problems.append(f'browser: request leaving 127.0.0.1 blocked: {r.request.url}'); r.abort()
            page.route('**/*', route)
            page.on('response', lambda r: r.status >= 400 and problems.append(f'browser: {r.status} for {r.url}'))
            page.on('pageerror', lambda e: problems.append(f'browser: JavaScript error on {page.url}: {e}'))
            for name in dict.fromkeys(n for n in ['index.html', api, maths] if n):  # home, an API page, a page with maths
                page.goto(base + name, wait_until='networkidle')
                if page.locator('.math').count():
                    page.wait_for_selector('mjx-container', timeout=10_000)  # MathJax (local copy) typeset the maths
                check_page(page, name, sidebar_pages())
                if name == api:  # search for the first name that show_doc documents
                    heads = page.locator('section:has(> p > a.sourcelink) > :is(h2, h3, h4)')
                    term = re.sub(r'\W.*', '', heads.first.inner_text().strip()) if heads.count() else 'seemore'
            every = [p.relative_to(DOCS).as_posix() for p in sorted(DOCS.rglob('*.html')) if SHOTS not in p.parents]
            for name in every:  # every page, 1280 px wide: nothing scrolls sideways or sticks out
                page.goto(base + name, wait_until='networkidle')
                check_fit(page, name)
            print(f'check: {len(every)} pages looked at 1280 px wide for code, tables and images that do not fit')
            if api:  # offline search
                page.goto(base + f'search.html?q={term}', wait_until='networkidle')
                try: page.wait_for_selector('#search-results li', timeout=10_000)
                except Exception: problems.append(f'browser: search for "{term}" found nothing')
                page.screenshot(path=SHOTS/'search.png')
                print(f'check: search "{term}": {page.locator("#search-results li").count()} results, {SHOTS/"search.png"}')
            browser.close()
    finally:
        server.terminate(); server.wait()

FIT_JS = """() => {
  const column = document.querySelector('article').getBoundingClientRect().right, found = [];
  for (const e of document.querySelectorAll('article :is(pre, table, img, svg, mjx-container, .table-wrapper, .highlight)')) {
    const scrolls = e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible';
    const sticksOut = e.getBoundingClientRect().right > column + 1;
    if (scrolls || sticksOut) found.push(`<${e.tagName.toLowerCase()}> ${scrolls ? 'scrolls sideways' : 'sticks out'}: `
                                         + (e.innerText || e.getAttribute('src') || '').trim().slice(0, 60).replace(/\\s+/g, ' '));
  }
  return found;
}"""

def check_fit(page, name):
    "Code blocks, tables, images and maths of the page fit its text column (1280 px window)."
    problems.extend(f'browser: {name}: {f}' for f in page.evaluate(FIT_JS))

def check_page(page, name, expected_nav):
    from PIL import Image, ImageStat
    title = page.title()
    nav = [a.get_attribute('href').split('#')[0] or name for a in page.locator('.sidebar-tree a.reference').all()]
    if not title.strip(): problems.append(f'browser: {name} has no title')
    if not page.locator('.sidebar-tree').is_visible() or not nav: problems.append(f'browser: {name} shows no navigation')
    if [h for h in nav if h in expected_nav] != expected_nav:
        problems.append(f'browser: {name}: navigation {nav} is not in sidebar.yml order {expected_nav}')
    broken = page.eval_on_selector_all('img', 'els => els.filter(e => !e.complete || e.naturalWidth === 0).map(e => e.src)')
    problems.extend(f'browser: {name}: image did not load: {src}' for src in broken)
    shot = SHOTS/name.replace('.html', '.png')
    page.screenshot(path=shot, full_page=True)
    img = Image.open(shot).convert('L')
    nonwhite = sum(img.histogram()[:240]) / (img.width*img.height)
    if ImageStat.Stat(img).stddev[0] < 10 or nonwhite < 0.01: problems.append(f'browser: {name}: screenshot looks blank')
    print(f'check: {name}: title "{title}", {len(nav)} nav links, {page.locator("img").count()} images, screenshot {shot}')

if __name__ == '__main__':
    if not (DOCS/'index.html').exists(): sys.exit('check: no _docs/index.html: run `python tools/docs.py` first')
    static_checks()
    browser_checks()
    for p in problems: print('FAIL', p)
    if problems: sys.exit(f'check: {len(problems)} problems in the docs')
    print('check: docs OK')
