"""Reports: a digest of a period, an account's timeline, hardening advice, SVG charts.

:func:`~kerio_watch.report.build.build_report` gathers a period's data from the state
database into a :class:`~kerio_watch.report.model.Report`; ``text``, ``html`` and
:func:`~kerio_watch.report.model.jsonable` render it. Needs only the core install
(Jinja2 for HTML); the dashboard (``kerio_watch.web``) reuses the same pieces.
"""
