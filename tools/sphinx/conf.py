"Sphinx settings for the offline docs build: `tools/docs.py` renders the converted `_proc/` notebooks with them."
import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ini = configparser.ConfigParser(interpolation=None)
ini.read(ROOT/'settings.ini')
cfg = ini['DEFAULT']

project, author, copyright, release = cfg['title'], cfg['author'], cfg['copyright'], cfg['version']
html_title = project
html_baseurl = cfg['doc_host'] + cfg['doc_baseurl'] + '/'
root_doc = 'index'

extensions = ['myst_nb', 'sphinx.ext.mathjax', 'sphinx.ext.githubpages']
source_suffix = {'.ipynb': 'myst-nb'}  # only notebooks are pages
exclude_patterns = ['_site', 'jupyter_execute', '_static', '**/.ipynb_checkpoints']

nb_execution_mode = 'off'  # render the outputs saved in the notebooks, never re-run them
nb_render_markdown_format = 'myst'  # markdown outputs (result tables) as MyST, so their tables are tables, not pipe text
myst_enable_extensions = ['dollarmath', 'colon_fence', 'attrs_block', 'attrs_inline']
myst_all_links_external = True  # docs.py already made nbdev's links site-relative; check_docs.py checks them
suppress_warnings = ['myst.header']  # show_doc headings are H3/H4 right under the page title

html_theme = 'furo'
html_static_path = ['_static', str(ROOT/'_proc/_static')]  # our CSS; MathJax copied there by docs.py
html_css_files = ['seemore.css']
html_copy_source = html_show_sourcelink = False
mathjax_path = 'mathjax/tex-mml-chtml.js'  # a local copy: nothing is fetched from a CDN
mathjax3_config = {'options': {'menuOptions': {'settings': {'explorer': False}}}}  # no speech engine download
