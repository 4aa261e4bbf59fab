"""Documents: the links published items carry, checked (杜绝错链、断链), and the copies
of what was published, kept.

- ``fetch``: one URL fetched as a careful client does (per-host limits, redirects kept,
  HEAD where allowed, public addresses only);
- ``classify``: what a fetch means (ok, moved, broken, wrong, changed), as pure functions;
- ``store``: the content-addressed document store (a directory; one small interface);
- ``scan``: the text of a kept attachment searched for personal data;
- ``checker``: the run over every public link, its records, states and reports.
"""
