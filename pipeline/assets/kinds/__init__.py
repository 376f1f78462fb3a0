"""Object kinds; importing this package registers every kind with the registry.

Every module of this package is imported (sorted by name), so a new kind module registers itself
by being here: no list to edit.
"""
import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
