"""The ground truth of planted scenarios, in words (``truth.json`` descriptions)."""

from __future__ import annotations

from kerio_watch.simulate.clock import SiteClock
from kerio_watch.simulate.mail import TagStats
from kerio_watch.simulate.plan import Plan
from kerio_watch.simulate.site import ERP_IP, NEWSLETTER_IP


def describe(plan: Plan, st: TagStats, c: SiteClock, subscribers: int) -> str:
    """The ground truth of one planted scenario, in words."""
    a, ip, n = plan.account, plan.source_ip, st.messages
    first, last = c.local_text(st.first), c.local_text(st.last_recv)
    span = f"{first}–{last[11:] if first[:10] == last[:10] else last} local"
    bounces = (
        f"{st.failed} deliveries failed, {st.delayed} were delayed and {st.dsns} bounces came back"
    )
    if "describe" in plan.notes:
        return plan.notes["describe"].format(
            a=a, ip=ip, n=n, recipients=st.recipients, span=span, bounces=bounces
        )
    texts = {
        "night_burst": f"Hijack: {a} sent {n} spam messages to {st.recipients} recipients at "
        f"night ({span}) over SMTP from {ip}, an address it never used before, right after "
        f"an SMTP login from it; {bounces}.",
        "spoofed_from": f"Hijack: {a} authenticated from {ip} and sent {n} phishing messages "
        f"({span}) with From addresses that are not its own: external senders and the "
        f"colleague {plan.notes.get('local_from')}.",
        "webmail_takeover": f"Hijack: a webmail login for {a} from {ip} with the unusual "
        f"browser '{plan.notes.get('agent')}' was followed by {n} messages to "
        f"{st.recipients} unknown external recipients ({span}) via Kerio Connect Client, "
        "although the user normally sends with Outlook over SMTP from the LAN; the attacker "
        "then deleted sent items.",
        "guess_then_spam": f"Hijack: {ip} failed {plan.notes.get('failures')} logins for "
        f"{a} (plus others, and an AntiHammering block), then logged in successfully and "
        f"sent {n} spam messages to {st.recipients} recipients ({span}); {bounces}.",
        "low_and_slow": f"Hijack: {a}, normally a webmail user, sent {n} messages to "
        f"{st.recipients} never-seen external recipients over two office days ({span}) "
        f"over SMTP from the new address {ip} with a different mail client.",
        "traveller": f"Benign: {a} travelled and worked from the hotel network {ip} for "
        f"three days ({span}), sending {n} ordinary messages to usual correspondents with "
        "the usual client.",
        "late_worker": f"Benign: {a} answered {n} messages to usual correspondents late in "
        f"the evening (22:00–23:30) on a few days ({span}) from the usual address {ip}.",
        "newsletter": f"Benign: {a} sends the weekly newsletter every Tuesday at 10:00 to "
        f"the same ~{subscribers} subscribers over SMTP from "
        f"{NEWSLETTER_IP}; {n} messages in the period.",
        "erp_invoices": f"Benign: {a} sends 80–150 invoices every weekday 06:30–07:00 from "
        f"the ERP host {ERP_IP} to a stable customer pool; {n} messages in the period.",
        "helpdesk": f"Benign: {a} answers 150–250 customer requests a day via webmail, "
        f"mostly replies to people who wrote first; {n} replies in the period.",
    }
    return texts[plan.kind]
