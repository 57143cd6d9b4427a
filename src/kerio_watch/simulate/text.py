"""Pre-expanded subjects, sizes and Message-IDs, so the hot path only indexes lists."""

from __future__ import annotations

import random
import string

from kerio_watch.simulate.data import (
    BUSINESS_SUBJECTS,
    FOREIGN_SUBJECTS,
    NOTIFY_SUBJECTS,
    PHISH_SUBJECTS,
    SPAM_SUBJECTS,
    SUPPORT_SUBJECTS,
)


def _expand(rng: random.Random, templates: tuple[str, ...], n: int) -> list[str]:
    out = []
    for _ in range(n):
        template = rng.choice(templates)
        out.append(
            template.format(
                n=rng.randrange(10000, 999999),
                d=rng.randrange(1, 29),
                w=rng.randrange(1, 53),
                v=rng.randrange(2, 9),
                y=rng.choice((2025, 2026)),
            )
        )
    return out


class Text:
    """Pools the generators pick from with ``pool[int(random() * len(pool))]``."""

    def __init__(self, rng: random.Random, hostname: str) -> None:
        self.rng = rng
        self.hostname = hostname
        self.business = _expand(rng, BUSINESS_SUBJECTS, 3000)
        self.foreign = _expand(rng, FOREIGN_SUBJECTS, 200)
        self.notify = _expand(rng, NOTIFY_SUBJECTS, 400)
        self.spam = _expand(rng, SPAM_SUBJECTS, 400)
        self.phish = _expand(rng, PHISH_SUBJECTS, 300)
        self.support = _expand(rng, SUPPORT_SUBJECTS, 600)
        self.sizes = [
            min(15_000_000, max(600, int(rng.lognormvariate(8.7, 1.1)))) for _ in range(4096)
        ]
        self.small = [int(rng.uniform(1800, 9000)) for _ in range(1024)]
        self.replies = ("AW: ", "AW: ", "Re: ", "RE: ", "WG: ", "Fwd: ")
        self._web = rng.randrange(1000, 30000)

    def pick(self, pool: list[str]) -> str:
        return pool[int(self.rng.random() * len(pool))]

    def size(self) -> int:
        return self.sizes[int(self.rng.random() * 4096)]

    def small_size(self) -> int:
        return self.small[int(self.rng.random() * 1024)]

    def mid(self, style: str, domain: str) -> str:
        """A Message-ID (without angle brackets) as the named client writes them."""
        bits = self.rng.getrandbits
        if style == "webmail":
            self._web += 1
            return f"{bits(31) + 1_000_000_000}-{self._web}@{self.hostname}"
        if style == "outlook":
            return f"000001{bits(24):06x}${bits(32):08x}${bits(32):08x}$@{domain}"
        if style in ("thunderbird", "iphone"):
            h = f"{bits(128):032x}"
            u = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
            return f"{u.upper() if style == 'iphone' else u}@{domain}"
        if style == "gmail":
            return f"CA{bits(160):040X}@mail.gmail.com"
        if style == "bot":
            return f"{bits(40):010x}${bits(16):04x}@{domain}"
        return f"{bits(88):022x}@{domain}"

    def token(self, n: int) -> str:
        return "".join(self.rng.choices(string.ascii_lowercase + string.digits, k=n))
