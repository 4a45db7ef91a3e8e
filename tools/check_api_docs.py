"Check that every exported class and function of seemore has a docstring and a docments comment for each parameter."
import dataclasses, importlib, inspect, pkgutil, sys
from fastcore.docments import docments
import seemore

def problems_of(name, obj, overrides=False):
    if not inspect.getdoc(obj): yield f'{name}: no docstring'
    if overrides: return  # the parameters are documented where the method is first defined
    if inspect.isclass(obj):
        if dataclasses.is_dataclass(obj): target = obj
        elif '__init__' in vars(obj): target = obj.__init__
        else: return  # inherited constructor (e.g. an exception class)
    else: target = obj
    try: comments = docments(target, full=True)
    except (TypeError, OSError): return
    for param, info in comments.items():
        if param in ('self', 'cls', 'return') or info['docment']: continue
        if info['anno'] is inspect._empty and param in ('args', 'kwargs'): continue
        yield f'{name}: parameter {param!r} has no docments comment'

def public_members(module):
    for name in getattr(module, '__all__', []):
        obj = getattr(module, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)) or obj.__module__ != module.__name__: continue
        yield f'{module.__name__}.{name}', obj, False
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if attr.startswith('_') or not inspect.isfunction(member): continue
                overrides = any(attr in vars(base) for base in obj.__mro__[1:])
                if attr == 'forward' and overrides and not inspect.getdoc(member): continue  # nn.Module.forward: documented by the module's docstring and show_doc
                yield f'{module.__name__}.{name}.{attr}', member, overrides

problems = []
for info in pkgutil.iter_modules(seemore.__path__):
    if info.name.startswith('_'): continue
    module = importlib.import_module(f'seemore.{info.name}')
    for name, obj, overrides in public_members(module): problems += problems_of(name, obj, overrides)
print('\n'.join(problems) or 'every exported class and function is documented')
sys.exit(1 if problems else 0)
