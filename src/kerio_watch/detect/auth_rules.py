"""The auth detector's rules: their ids, and what each means (``kerio-watch list``).

The rules themselves are in :mod:`kerio_watch.detect.auth`.
"""

from __future__ import annotations

from kerio_watch.detect.base import RuleDoc

RULE_BRUTE = "kerio.auth.bruteforce"
RULE_SPRAY = "kerio.auth.spray"
RULE_BLOCKED = "kerio.auth.blocked"
RULE_ACCOUNT = "kerio.auth.account_failures"
RULE_GUESSED = "kerio.auth.login_after_guessing"
RULE_SENT = "kerio.auth.guessed_then_sent"
RULE_MANY_IPS = "kerio.auth.many_ips"

RULES: tuple[RuleDoc, ...] = (
    RuleDoc(
        RULE_BRUTE,
        "Password guessing from an address",
        "An outside address failed to log in many times within an hour (10 by default).",
        "Brute force against the server's logins; on its own it is background noise, "
        "kept at low severity, but it marks the address for the rules below.",
        "A misconfigured phone or mail program with an old password (then the "
        "failures name one account and come from one of the user's usual networks).",
        side="context",
    ),
    RuleDoc(
        RULE_SPRAY,
        "Password spraying",
        "An outside address failed to log in for many different accounts within a "
        "day (5 by default).",
        "Spraying tries a few common passwords against every account, staying under "
        "per-account lockouts; low on its own.",
        "A shared NAT address (a hotel, a carrier) where several users mistype.",
        side="context",
    ),
    RuleDoc(
        RULE_BLOCKED,
        "Address blocked by AntiHammering",
        "Kerio's AntiHammering blocked an outside address for too many failed logins.",
        "Kerio itself saw an attack; low on its own, it marks the address.",
        "Clients stuck with an old password.",
        side="context",
    ),
    RuleDoc(
        RULE_ACCOUNT,
        "Failed logins for an account",
        "Many failed logins (10 by default) for one account within an hour, from "
        "outside addresses.",
        "Someone is guessing this account's password. Weak on its own (attackers "
        "take names from the web), it adds context to the account's other signals.",
        "The owner's phone with an old password after a password change.",
        side="context",
    ),
    RuleDoc(
        RULE_GUESSED,
        "Login after password guessing",
        "A successful login for an account from an outside address that was failing "
        "logins (5 failures within a day, several accounts, or an AntiHammering block). "
        "Not from a place of the account's own: an address in a /24 or a phone carrier's "
        "range it regularly uses that never tried its password (a CGNAT address a "
        "sprayer shares), or one that tried only its password, of a network it regularly "
        "uses or itself used by the account before it failed (its own phone or PC with "
        "the old password after a change). Not from "
        "a place of the staff: an address three colleagues without suspicion use (the "
        "office's line when the trusted networks do not name it; their typos).",
        "This is the compromise itself: the guess worked. At least medium on its own.",
        "A user who mistyped five times from a hotel and then got it right; a sprayer "
        "that tried this account among others from an address the owner shares.",
        side="access",
    ),
    RuleDoc(
        RULE_SENT,
        "Mail sent after a guessed login",
        "An account sent mail from outside the trusted networks within a day after a "
        "login from a guessing address, or sent mail from such an address (mail from "
        "the office or the VPN is the owner's).",
        "The stolen account is being used: high severity.",
        "As for the login rule.",
        side="decisive",
    ),
    RuleDoc(
        RULE_MANY_IPS,
        "Account used from many addresses",
        "Successful logins from more distinct outside addresses within a day than "
        "the account's daily usual (at least 5, and 3 times its busiest day); an "
        "account seen for less than a day has no usual yet and is not judged.",
        "A sold or shared password is used by several parties, or a botnet spreads its logins.",
        "A user moving between phone networks, Wi-Fi and travel in one day.",
        side="access",
    ),
)
