"""Hosting and cloud networks: where rented servers, VPN and Tor exits and phishing proxies run.

Country and AS data (GeoLite2, geoip2fast) say who owns a network, not what it is for.
A login from a cloud region or a rented server is unusual for a person reading mail, and
an adversary-in-the-middle phishing proxy or a spam bot runs exactly there. This list
names well-known hosting and cloud autonomous systems by number and by words in their
names; ``[enrich] hosting`` adds a site's own (AS numbers like ``"AS12345"`` or words of
an AS name). A MaxMind Anonymous-IP database, when configured, adds its
``is_hosting_provider`` flag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

HOSTING_ASNS: frozenset[int] = frozenset(
    {
        16509, 14618, 8987,  # Amazon (AWS)
        15169, 396982, 19527,  # Google, Google Cloud
        8075, 8068,  # Microsoft (Azure)
        14061,  # DigitalOcean
        16276,  # OVH
        24940, 213230,  # Hetzner
        63949,  # Linode (Akamai)
        20473,  # Vultr (Choopa)
        51167,  # Contabo
        60781, 28753, 16265,  # LeaseWeb
        9009,  # M247
        60068, 212238,  # Datacamp (CDN77)
        12876,  # Scaleway (Online SAS)
        45102, 37963,  # Alibaba Cloud
        132203, 45090,  # Tencent Cloud
        31898,  # Oracle Cloud
        8560,  # IONOS
        6724,  # Strato
        47583,  # Hostinger
        44477,  # Stark Industries
        209588,  # Flyservers
        204957, 210644,  # Aeza
        53667,  # FranTech (BuyVM)
        36352,  # ColoCrossing
        40676,  # Psychz
        8100,  # QuadraNet
        62240,  # Clouvider
        43350,  # NForce
        57043,  # HostKey
        49505,  # Selectel
        51659,  # LLC Baxet
        49392, 50673,  # Serverius
        200019,  # AlexHost
        207459, 206728,  # Media Land
        61272,  # UAB Host Baltic
        13335,  # Cloudflare (WARP, Workers)
        9370, 7684,  # SAKURA Internet (Japan)
        4694,  # IDC Frontier (Japan)
        27357, 19994,  # Rackspace
        26496, 30083,  # GoDaddy
        32244,  # Liquid Web
        54290,  # Hostwinds
        29802,  # Hivelocity
        36351,  # SoftLayer (IBM Cloud)
        26347,  # DreamHost
        199524,  # G-Core Labs
        21859,  # Zenlayer
        21409,  # Ikoula (France)
        9123,  # TimeWeb (Russia)
        198610,  # Beget (Russia)
    }
)  # fmt: skip

HOSTING_WORDS = re.compile(
    r"\b(?:amazon|aws|google[- ]cloud|microsoft|azure|digitalocean|ovh|hetzner|linode|"
    r"akamai connected cloud|choopa|vultr|contabo|leaseweb|m247|datacamp|cdn77|scaleway|"
    r"alibaba|aliyun|tencent|oracle|ionos|strato|hostinger|stark industries|flyservers|"
    r"aeza|frantech|buyvm|colocrossing|psychz|quadranet|clouvider|nforce|hostkey|selectel|"
    r"serverius|alexhost|media land|host baltic|cloudflare|hosting|datacenter|data center|"
    r"data-center|server|servers|vps|colocation|clouds?|netcup|flokinet|ponynet|proton66|"
    # Hosters of other regions, whose names say nothing of it:
    r"sakura internet|idc frontier|xserver|kagoya|rackspace|go daddy|liquid ?web|hostwinds|"
    r"hivelocity|softlayer|dreamhost|kamatera|upcloud|g core labs|zenlayer|ucloud|ikoula|"
    r"timeweb|beget|nhn ?cloud|wedos|active 24|internet cz|vshosting|aruba s\.p\.a|locaweb|"
    # Operators of Tor exit relays (an anonymizing network is no place to read one's mail):
    r"stiftung erneuerbare freiheit|f3 netze|applied privacy|emerald[- ]onion|"
    r"digitala fri|zwiebelfreunde|calyx institute|quintex|tor exit)\b",
    re.IGNORECASE,
)
"""Words in the name of a hosting, cloud or data-centre network."""

HOSTING_NAMES: frozenset[str] = frozenset({"google", "google 2"})
"""Whole names of hosting networks whose words would also name others: Google's AS15169
and AS19527 as GeoLite2 names them (``GOOGLE``, ``GOOGLE-2``; its cloud's IPv6 ranges
are there), not Google Fiber or Google's public Wi-Fi (``GOOGLE-FIBER``, ``GOOGLEWIFI``)."""


class HostingList:
    """Answers "is this AS a hosting network?" from numbers and name words."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self.numbers = set(HOSTING_ASNS)
        self.words: list[str] = []
        for item in extra:
            text = item.strip()
            digits = text[2:] if text.upper().startswith("AS") else text
            if digits.isdigit():
                self.numbers.add(int(digits))
            elif text:
                self.words.append(text.lower())

    def matches(self, asn: int, name: str) -> bool:
        """Whether the AS (by number, or by a word of its name) is a hosting network.

        >>> HostingList(["AS64500"]).matches(64500, ""), HostingList().matches(0, "AMAZON-02")
        (True, True)
        >>> HostingList().matches(3320, "Deutsche Telekom AG")
        False
        """
        if asn and asn in self.numbers:
            return True
        if not name:
            return False
        spaced = name.replace("-", " ").replace("_", " ")
        if HOSTING_WORDS.search(spaced) or spaced.strip().lower() in HOSTING_NAMES:
            return True
        lowered = name.lower()
        return any(w in lowered for w in self.words)
