"""Responding through Kerio Connect's Administration API: queue watch and containment.

- :mod:`~kerio_watch.respond.settings`: the ``[kerio_api]`` configuration and the password.
- :mod:`~kerio_watch.respond.client`: a JSON-RPC 2.0 session over verified HTTPS.
- :mod:`~kerio_watch.respond.queue`: polls ``Queue.get`` and sums it up per sender.
- :mod:`~kerio_watch.respond.contain`: plans containment (allowlist, hourly cap, dry run).
- :mod:`~kerio_watch.respond.actions`: carries out, reconciles and reverses each action.
- :mod:`~kerio_watch.respond.worker`: the background thread ``follow`` runs them in.

The methods used, and the public sources they were read in, are in docs/kerio-api.md.
"""
