"""The web dashboard (``kerio-watch serve``; needs the ``web`` extra: Flask and waitress).

:mod:`kerio_watch.web.settings` needs no Flask; :mod:`kerio_watch.web.app` and
:mod:`kerio_watch.web.server` do, and are imported only by ``serve``.
"""
