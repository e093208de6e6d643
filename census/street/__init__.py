"""A street office (街道): several communities served by one deployment, and their roll-up.

Each community keeps its records in a store of its own (``census.street.places``): a
folder ``communities/<code>/`` of the data folder (TinyDB), or a schema ``census_<code>`` of
the one PostgreSQL database. Its pages are the whole app, at the same addresses as every
community's, chosen per request by ``?community=<code>``, a cookie or a header
(``census.street.deployment``), with its own accounts, secret key, surveys and print jobs,
so that one community's staff never meet another community's records: no query has to
remember to filter, because no store holds two communities.

The deployment's own data folder (or database) is the first community, as a single
installation always was, and keeps the list of the others (``queries.communities``). Its
street pages (``/street/``) put every community's 基本情况 and register counts side by side
with the street's total (``census.domain.rollup``), for the ``street`` role.
"""
