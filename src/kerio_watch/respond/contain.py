"""Containment: from an incident to journaled, reversible actions through Kerio's API.

When an incident reaches a severity listed in ``[kerio_api.contain] actions``, the
actions opted in at that severity (or below) are planned with read calls, then:

- in a dry run (the default) recorded with the exact write calls and logged, nothing
  written to Kerio;
- for real, the intent is recorded (``pending``) and committed *before* each write
  call, the answer after; a crash in between is reconciled on the next start by asking
  the API whether the effect is there (:func:`~kerio_watch.respond.actions.in_effect`).

Never touched: accounts in ``allow_accounts`` and the API's own user; addresses in the
trusted networks or not public. At most ``max_per_hour`` incidents are contained in any
hour (dry runs count, so a dry run shows what a real run would do); the rest are
recorded as skipped. An escalation adds the actions of the higher severity. Once dry
runs are switched off, an action an incident only had in a dry run is taken for real at
its next change. ``kerio-watch contain`` takes the actions an administrator names.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import logging
import time
from collections.abc import Callable
from typing import Any

from kerio_watch.config import Config
from kerio_watch.enrich.network import Networks
from kerio_watch.respond import actions as act
from kerio_watch.respond.client import ApiClient, ApiError, RpcError, mask
from kerio_watch.respond.queue import ToUtc
from kerio_watch.store.sqlite.responses import ActionRecord, ResponseStore
from kerio_watch.values.incident import Incident

logger = logging.getLogger("kerio_watch.respond")
HOUR = 3600.0
CAPPED = "hourly cap reached"
STALE_RELEASE = 300.0
"""A release still under way after this long was interrupted (it is finished on reconcile)."""


def note(level: int, event: str, **fields: Any) -> None:
    """A structured line in the service log."""
    logger.log(level, event, extra={"kv": fields})


class Containment:
    """Plans, carries out, reconciles and releases containment actions.

    Args:
        config: the configuration (``[kerio_api]``, trusted networks).
        journal: the action journal.
        connect: makes an API session (called once, when first needed).
        to_utc: the server's local time -> UTC (queue items carry local times).
        clock: wall-clock seconds (tests may pass their own).
    """

    def __init__(
        self,
        config: Config,
        journal: ResponseStore,
        connect: Callable[[], ApiClient],
        to_utc: ToUtc,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.api = config.kerio_api
        self.journal = journal
        self.connect = connect
        self.to_utc = to_utc
        self.clock = clock
        self.networks = Networks(config.site.trusted_networks)
        self.dry_run = self.api.contain.dry_run
        """Record the write calls without making them (``[kerio_api.contain] dry_run``;
        ``kerio-watch contain`` may say otherwise for one incident)."""
        self._client: ApiClient | None = None

    @property
    def client(self) -> ApiClient:
        """The API session (made on first use)."""
        if self._client is None:
            self._client = self.connect()
        return self._client

    # -- deciding -------------------------------------------------------------------------
    def consider(self, inc: Incident) -> list[ActionRecord]:
        """Contain an incident as far as its severity asks (new actions only).

        Raises:
            ApiError: the API could not be reached while planning (nothing was written;
                the caller retries later).
        """
        wanted = self.api.contain_actions(inc.severity.label)
        if not wanted or not inc.user:
            return []
        existing = self.journal.actions(incident_id=inc.id)
        refused = [r.reason for r in existing if r.status == "skipped" and r.action == "all"]
        if any(not why.startswith(CAPPED) for why in refused):
            return []  # allowlisted: for good
        done = self._done(existing)
        started = any(r.status != "skipped" for r in existing)
        reason = self._refusal(inc, capped=not started)
        if reason is not None:
            if reason.startswith(CAPPED) and refused:
                return []  # still capped, and already said so
            return [self._skip(inc, "all", inc.user, reason)]
        out = []
        for plan in self._plans(inc, wanted):
            if (plan.action, plan.target) in done:
                continue
            out.append(self._carry_out(inc, plan))
        return out

    def contain_now(
        self, inc: Incident, wanted: tuple[str, ...], by: str, reason: str
    ) -> list[ActionRecord]:
        """Contain an incident as an administrator asks (``kerio-watch contain``): the
        ``wanted`` actions not yet in effect, whatever its severity and the hourly cap;
        never an account in ``allow_accounts`` or the API's own.

        Raises:
            ApiError: the API could not be reached while planning.
        """
        if not inc.user:
            return []
        refusal = self._refusal(inc, capped=False)  # a decision, not held to the hourly cap
        if refusal is not None:
            return [self._skip(inc, "all", inc.user, refusal)]
        done = self._done(self.journal.actions(incident_id=inc.id))
        why = f"contained by {by}" + (f": {reason}" if reason else "")
        return [
            self._carry_out(inc, plan, why)
            for plan in self._plans(inc, wanted)
            if (plan.action, plan.target) not in done
        ]

    def _done(self, existing: list[ActionRecord]) -> set[tuple[str, str]]:
        """(action, target) already taken or skipped; what a dry run recorded is not,
        once running for real."""
        return {(r.action, r.target) for r in existing if not (r.dry_run and not self.dry_run)}

    def _refusal(self, inc: Incident, capped: bool) -> str | None:
        """Why ``inc`` must not be contained (None: it may); ``capped``: the hourly cap
        applies (not to an incident already contained, nor to an administrator's ask)."""
        account = (inc.user or "").lower()
        for pattern in self.api.contain.allow_accounts:
            if fnmatch.fnmatchcase(account, pattern.lower()):
                return f"{account} is in allow_accounts ({pattern})"
        own = (self.api.username or "").lower()
        if own and (account == own or ("@" not in own and account.partition("@")[0] == own)):
            return f"{account} is the API's own administrator account"
        cap = self.api.contain.max_per_hour
        if cap and capped:
            recent = self.journal.contained_since(self.clock() - HOUR)
            recent.discard(inc.id)
            if len(recent) >= cap:
                return f"{CAPPED}: {len(recent)} incidents contained in the last hour"
        return None

    def _plans(self, inc: Incident, wanted: tuple[str, ...]) -> list[act.Plan]:
        account = inc.user or ""
        plans: list[act.Plan] = []
        for action in wanted:
            try:
                if action == "stop_sending":
                    plans.append(act.plan_stop(self.client, self.api, account))
                elif action == "block_ip":
                    plans.extend(self._block_plans(inc))
                else:
                    margin = 60 * self.api.contain.queue_margin_minutes
                    since = (inc.first_signal or inc.opened) - margin
                    plans.append(
                        act.plan_remove(self.client, self.api, self.to_utc, account, since)
                    )
            except RpcError as exc:
                plans.append(act.Plan(action, account, skip=f"cannot plan: {exc}"))
        return plans

    def _block_plans(self, inc: Incident) -> list[act.Plan]:
        ips = [ip for ip in inc.worked_from() if self._blockable(ip)]
        if not ips:
            shown = ", ".join(inc.source_ips) or "none"
            return [act.Plan("block_ip", "-", skip=f"no public attacker address ({shown})")]
        note_text = f"kerio-watch incident #{inc.id} ({inc.user})"
        return [act.plan_block(self.client, self.api, ip, note_text) for ip in ips[:5]]

    def _blockable(self, ip: str) -> bool:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return addr.is_global and not self.networks.is_trusted(ip)

    # -- doing ----------------------------------------------------------------------------
    def _record(
        self, inc: Incident, plan: act.Plan, status: str, why: str | None = None
    ) -> ActionRecord:
        now = self.clock()
        why = why or f"incident #{inc.id} reached {inc.severity.label}: {inc.summary()[:300]}"
        return ActionRecord(
            inc.id, inc.user, plan.action, plan.target, inc.severity.label,
            plan.skip or why, self.dry_run, status, now, now,
            calls=[{"call": [m, mask(p)], "planned": True} for m, p in plan.calls],
            undo=plan.undo,
        )  # fmt: skip

    def _skip(self, inc: Incident, action: str, target: str, reason: str) -> ActionRecord:
        record = self._record(inc, act.Plan(action, target, skip=reason), "skipped")
        self.journal.add(record)
        note(logging.WARNING, "containment_skipped", incident=inc.id, action=action,
             target=target, reason=reason)  # fmt: skip
        return record

    def _carry_out(self, inc: Incident, plan: act.Plan, why: str | None = None) -> ActionRecord:
        if plan.skip is not None:
            return self._skip(inc, plan.action, plan.target, plan.skip)
        record = self._record(inc, plan, "dry_run" if self.dry_run else "pending", why)
        # the intent is committed before the first write call, once per incident, action
        # and target, whoever else decided the same at the same instant
        taken = self.journal.add_unless_taken(record)
        if taken is not None:
            note(logging.INFO, "containment_already_taken", incident=inc.id,
                 action=plan.action, target=plan.target, status=taken.status)  # fmt: skip
            return taken
        if self.dry_run:
            for method, params in plan.calls:
                note(logging.WARNING, "containment_dry_run", incident=inc.id, action=plan.action,
                     target=plan.target, would_call=method, params=_json(mask(params)))  # fmt: skip
            return record
        self._execute(record, [(m, p) for m, p in plan.calls])
        return record

    def _execute(self, record: ActionRecord, calls: list[act.Call]) -> None:
        """Make the write calls, recording each answer; the final status."""
        for method, params in calls:
            entry: dict[str, Any] = {"call": [method, mask(params)], "at": self.clock()}
            record.calls.append(entry)
            try:
                result = self.client.call(method, params)
                act.check_answer(method, result, record.undo)
                entry["answer"] = result
            except RpcError as exc:
                entry["error"] = str(exc)
                self._finish(record, "failed", str(exc))
                return
            except ApiError as exc:
                entry["error"] = str(exc)
                self._finish(record, "unknown" if exc.sent else "pending", str(exc))
                return
        self._finish(record, "done", None)

    def _finish(self, record: ActionRecord, status: str, error: str | None) -> None:
        now = self.clock()
        record.status, record.error, record.updated = status, error, now
        hours = self.api.contain.release_after_hours
        if status == "done" and hours and record.action != "remove_queued":
            record.expires = now + hours * HOUR
        if status == "done" and record.action == "remove_queued":
            record.status = "kept"
        self.journal.save(record)
        level = logging.WARNING if status in ("done", "kept") else logging.ERROR
        note(level, "containment", incident=record.incident_id, action=record.action,
             target=record.target, status=record.status, error=error or "")  # fmt: skip

    # -- after a crash ----------------------------------------------------------------------
    def reconcile(self) -> list[ActionRecord]:
        """Settle actions a crash (or a lost answer) left pending, without repeating them.

        Raises:
            ApiError: the API cannot be reached (try again later).
        """
        out = []
        stale = self.clock() - STALE_RELEASE
        for record in self.journal.actions(statuses=("pending", "unknown", "releasing")):
            if record.status == "releasing":
                if record.updated > stale:  # another process may be releasing it right now
                    continue
                self._release_one(record, record.released_by or "reconcile", record.release_reason)
            elif act.in_effect(self.client, self.api, self.to_utc, record):
                record.calls.append({"reconciled": "in effect", "at": self.clock()})
                self._finish(record, "done", None)
            else:
                calls = act.remaining_calls(self.client, self.api, self.to_utc, record)
                self._execute(record, calls)
            out.append(record)
        return out

    # -- releasing ------------------------------------------------------------------------
    def release_incident(self, incident_id: int, by: str, reason: str) -> list[ActionRecord]:
        """Release every action of an incident that is still in effect (or was dry run)."""
        out = []
        for record in self.journal.actions(incident_id=incident_id):
            if record.status in ("done", "release_failed", "dry_run", "releasing"):
                out.append(self._release_one(record, by, reason))
        return out

    def release_due(self) -> list[ActionRecord]:
        """Release actions whose expiry has passed."""
        why = f"released automatically after {self.api.contain.release_after_hours:g} hours"
        return [
            self._release_one(r, "expiry", why) for r in self.journal.due_for_release(self.clock())
        ]

    def _release_one(self, record: ActionRecord, by: str, reason: str | None) -> ActionRecord:
        record.released_by, record.release_reason = by, reason
        if record.status == "dry_run":
            if self.journal.claim(record, ("dry_run",), "released", self.clock()):
                record.error = "dry run: nothing to undo"
                self.journal.save(record)
            return record
        if record.status != "releasing" and not self.journal.claim(
            record, ("done", "release_failed"), "releasing", self.clock()
        ):
            return record
        self.journal.save(record)
        try:
            if not act.is_released(self.client, record):
                for method, params in act.undo_calls(self.client, record):
                    entry: dict[str, Any] = {"undo": [method, mask(params)], "at": self.clock()}
                    record.calls.append(entry)
                    result = self.client.call(method, params)
                    act.check_answer(method, result, {})
                    entry["answer"] = result
        except ApiError as exc:
            record.status, record.error, record.updated = "release_failed", str(exc), self.clock()
            self.journal.save(record)
            note(logging.ERROR, "release_failed", incident=record.incident_id,
                 action=record.action, target=record.target, error=str(exc))  # fmt: skip
            return record
        record.status, record.error, record.updated = "released", None, self.clock()
        self.journal.save(record)
        note(logging.WARNING, "released", incident=record.incident_id, action=record.action,
             target=record.target, by=by)  # fmt: skip
        return record


def _json(value: Any) -> str:
    import json  # noqa: PLC0415

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
