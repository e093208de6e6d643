"""``python -m census.translations``: compile the catalogues (``make install`` runs it)."""

from census.translations import compile_catalogs

for path in compile_catalogs():
    print(path)
