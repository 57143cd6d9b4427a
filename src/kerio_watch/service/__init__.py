"""The long-running follower behind ``kerio-watch follow`` (and its systemd unit).

One loop: poll the logs, run the pipeline over what is new, and save. Every save is
one transaction holding the pipeline's state, its alerts, the alert delivery queue and
the file checkpoints, so ``kill -9`` at any moment loses nothing and repeats nothing:
a restart resumes after the last line whose effects were committed. Alerts are printed
and handed to the sinks only after their save commits; one committed but not printed
(nor noted in the journal) when the process died is printed at the next start.

- Saves happen at most every ``save_every`` seconds or ``save_lines`` lines, and at
  once when a batch raised an alert, so an alert is out within about a poll interval.
- Each sink is sent to from its own worker thread (see :mod:`kerio_watch.alerts.router`):
  the loop never waits on the network, so a hanging sink delays neither reading nor
  the other sinks.
- SIGHUP reloads the configuration (an invalid one is refused and the old one kept);
  SIGTERM and SIGINT stop after a final save.
- A failed write at run time (database locked past its timeout, disk full) is logged
  and retried with a growing pause: the state is reopened from the last commit and
  reading resumes from its checkpoints. A read-only database, and any failure while
  starting, stop the service with one clear message.
- The service's own log (stderr) is one ``key=value`` (or JSON) line per event.

The wall clock is used to schedule only; detection uses the time written in the log.
"""

from kerio_watch.log import KeyValueFormatter, configure_logging
from kerio_watch.service.failures import DAMAGE_TRIES
from kerio_watch.service.loop import FollowService
from kerio_watch.service.session import AlertOutput
from kerio_watch.service.state import (
    META_PREFIX,
    FollowLock,
    ServiceOptions,
    Totals,
    follower_running,
)

__all__ = [
    "DAMAGE_TRIES",
    "META_PREFIX",
    "AlertOutput",
    "FollowLock",
    "FollowService",
    "KeyValueFormatter",
    "ServiceOptions",
    "Totals",
    "configure_logging",
    "follower_running",
]
