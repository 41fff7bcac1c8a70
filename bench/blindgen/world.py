"""The world the log lives in: networks, clients, e-mail and card issuers, time zones, models and the clock.

Everything here is plain data plus small samplers. Network blocks are real public allocations (the ISP, cloud,
VPN and university networks named beside each block announce them), so that `ip` and `asn` agree the way a
provider's GeoIP/ASN lookup would make them agree; only the host part of each address is random.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

# The log covers three weeks starting on a Monday; every archetype places its traffic inside this window.
T0 = 1_777_852_800.0  # 2026-05-04T00:00:00Z, a Monday
DAY = 86_400.0
HOUR = 3_600.0
# A new reasoning model ships on day 11 at 17:00 UTC; campaigns in the reports moved traffic to a new model
# within 24 hours (Anthropic, Feb 2026: MiniMax "pivoted within 24 hours"), and so do curious benign users.
NEW_MODEL_AT = T0 + 10 * DAY + 17 * HOUR

CHAT_MODELS = ("aurora-3", "aurora-3-mini")
REASONING_MODELS = ("aurora-3-think", "aurora-3-think-mini")
NEW_REASONING_MODEL = "aurora-3.5-think"
LEGACY_COMPLETION_MODEL = "aurora-2-instruct"


@dataclass(frozen=True)
class Network:
    """An address block family owned by one autonomous system."""

    name: str
    kind: str  # residential | mobile | cloud | vpn | university | enterprise
    asn: int
    v4: tuple[str, ...]  # /16 prefixes "a.b"
    v6: str = ""  # a /32-ish prefix "2601:" style; empty when the network has no v6 in this log
    country: str = ""


@dataclass(frozen=True)
class Country:
    code: str
    utc_offset: float  # offset in May (summer time where it applies)
    weight: float


COUNTRIES: tuple[Country, ...] = (
    Country("US-E", -4, 16),
    Country("US-C", -5, 6),
    Country("US-W", -7, 9),
    Country("CA", -4, 3),
    Country("GB", 1, 5),
    Country("DE", 2, 5),
    Country("FR", 2, 3),
    Country("ES", 2, 2),
    Country("PL", 2, 2),
    Country("TR", 3, 1.5),
    Country("IN", 5.5, 8),
    Country("SG", 8, 1.5),
    Country("JP", 9, 3),
    Country("KR", 9, 2),
    Country("VN", 7, 1.5),
    Country("ID", 7, 2),
    Country("AU", 10, 2),
    Country("BR", -3, 4),
    Country("MX", -6, 2),
    Country("NG", 1, 1.5),
    Country("TW", 8, 1),
    Country("HK", 8, 1),
)
COUNTRY = {c.code: c for c in COUNTRIES}

RESIDENTIAL: tuple[Network, ...] = (
    Network("Comcast", "residential", 7922, ("73.15", "73.92", "73.170", "98.33", "24.6", "67.180"), "2601:", "US-E"),
    Network("Comcast", "residential", 7922, ("73.221", "76.21", "98.207"), "2601:", "US-W"),
    Network("Charter", "residential", 20115, ("71.85", "76.167", "97.90", "24.178"), "2603:", "US-C"),
    Network("AT&T", "residential", 7018, ("99.8", "107.77", "108.228", "76.252"), "2600:1700:", "US-C"),
    Network("Verizon Fios", "residential", 701, ("71.191", "108.46", "173.48"), "2600:4040:", "US-E"),
    Network("Cox", "residential", 22773, ("68.4", "70.176", "98.174"), "", "US-W"),
    Network("Rogers", "residential", 812, ("99.224", "174.112", "72.137"), "", "CA"),
    Network("BT", "residential", 2856, ("86.128", "81.129", "109.144"), "2a00:23c5:", "GB"),
    Network("Virgin Media", "residential", 5089, ("82.22", "86.4", "92.238"), "", "GB"),
    Network("Deutsche Telekom", "residential", 3320, ("79.192", "87.150", "91.54", "93.199"), "2003:e6:", "DE"),
    Network("Vodafone DE", "residential", 3209, ("88.64", "94.134"), "2a02:8108:", "DE"),
    Network("Orange FR", "residential", 3215, ("90.3", "86.246", "92.154"), "2a01:cb00:", "FR"),
    Network("Telefonica ES", "residential", 3352, ("83.45", "88.26"), "", "ES"),
    Network("Orange PL", "residential", 5617, ("83.24", "31.61"), "", "PL"),
    Network("Turk Telekom", "residential", 9121, ("78.180", "88.230"), "", "TR"),
    Network("Reliance Jio", "residential", 55836, ("49.36", "157.32", "106.195"), "2409:4050:", "IN"),
    Network("Airtel", "residential", 24560, ("122.161", "182.68", "106.51"), "", "IN"),
    Network("SingNet", "residential", 9506, ("116.87", "118.189"), "", "SG"),
    Network("NTT OCN", "residential", 4713, ("153.203", "114.150", "60.113"), "2400:4050:", "JP"),
    Network("KT", "residential", 4766, ("211.104", "121.133", "175.223"), "", "KR"),
    Network("Viettel", "residential", 7552, ("27.72", "171.224"), "", "VN"),
    Network("Telkom Indonesia", "residential", 7713, ("36.68", "180.244"), "", "ID"),
    Network("Telstra", "residential", 1221, ("58.96", "120.144", "101.186"), "", "AU"),
    Network("Vivo", "residential", 26599, ("177.139", "189.100", "191.34"), "2804:14c:", "BR"),
    Network("Telmex", "residential", 8151, ("187.190", "189.203"), "", "MX"),
    Network("MTN NG", "residential", 29465, ("102.89", "105.112"), "", "NG"),
    Network("HiNet", "residential", 3462, ("114.36", "36.224", "1.164"), "", "TW"),
    Network("HKBN", "residential", 9269, ("112.118", "61.244"), "", "HK"),
)

MOBILE: tuple[Network, ...] = (
    Network("T-Mobile US", "mobile", 21928, ("172.56", "172.58"), "2607:fb90:", "US-E"),
    Network("T-Mobile US", "mobile", 21928, ("172.59", "172.57"), "2607:fb90:", "US-W"),
    Network("Verizon Wireless", "mobile", 6167, ("174.192", "174.205"), "2600:1000:", "US-C"),
    Network("Jio Mobile", "mobile", 55836, ("152.58", "152.59"), "2409:40c0:", "IN"),
    Network("Vodafone UK", "mobile", 25135, ("148.252", "92.40"), "", "GB"),
    Network("Claro BR", "mobile", 28573, ("179.218", "177.79"), "", "BR"),
    Network("Telkomsel", "mobile", 23693, ("114.125", "182.2"), "", "ID"),
)

CLOUD: dict[str, Network] = {
    "aws-us": Network("Amazon AWS", "cloud", 16509, ("3.80", "18.204", "52.14", "54.167", "34.226")),
    "aws-ap": Network("Amazon AWS", "cloud", 16509, ("13.250", "18.138", "54.254")),
    "aws-eu": Network("Amazon AWS", "cloud", 16509, ("3.120", "18.185", "52.58")),
    "gcp": Network("Google Cloud", "cloud", 396982, ("34.80", "35.184", "35.240", "34.118")),
    "azure": Network("Microsoft Azure", "cloud", 8075, ("20.42", "40.78", "52.151", "20.115")),
    "digitalocean": Network("DigitalOcean", "cloud", 14061, ("159.89", "167.99", "143.198", "164.90")),
    "hetzner": Network("Hetzner", "cloud", 24940, ("95.216", "49.12", "135.181", "65.108")),
    "ovh": Network("OVH", "cloud", 16276, ("51.75", "54.36", "146.59")),
    "alibaba": Network("Alibaba Cloud", "cloud", 45102, ("47.74", "47.88", "8.219", "47.245")),
    "tencent": Network("Tencent Cloud", "cloud", 132203, ("43.134", "43.156", "43.163")),
    "linode": Network("Akamai Linode", "cloud", 63949, ("172.104", "139.162", "45.79")),
    "vultr": Network("Vultr", "cloud", 20473, ("45.32", "149.28", "66.42", "45.76")),
}

VPN: dict[str, Network] = {
    "m247": Network("M247", "vpn", 9009, ("37.120", "185.156", "89.44")),
    "datacamp": Network("Datacamp", "vpn", 60068, ("89.187", "185.59", "156.146")),
    "warp": Network("Cloudflare WARP", "vpn", 13335, ("104.28",), "2a09:bac1:"),
    "zscaler": Network("Zscaler", "enterprise", 53813, ("165.225", "136.226")),
}


@dataclass(frozen=True)
class University:
    name: str
    asn: int
    prefix: str  # a /16 "a.b"
    domain: str
    country: str


UNIVERSITIES: tuple[University, ...] = (
    University("MIT", 3, "18.25", "mit.edu", "US-E"),
    University("Stanford", 32, "171.64", "stanford.edu", "US-W"),
    University("UC Berkeley", 25, "128.32", "berkeley.edu", "US-W"),
    University("Carnegie Mellon", 9, "128.2", "cmu.edu", "US-E"),
    University("University of Washington", 73, "128.95", "uw.edu", "US-W"),
    University("UIUC", 38, "130.126", "illinois.edu", "US-C"),
    University("University of Toronto", 239, "128.100", "utoronto.ca", "CA"),
    University("ETH Zurich", 559, "129.132", "ethz.ch", "DE"),
    University("EPFL", 559, "128.178", "epfl.ch", "FR"),
    University("University of Oxford", 786, "129.67", "ox.ac.uk", "GB"),
    University("TU Munich", 12816, "129.187", "tum.de", "DE"),
    University("KAIST", 1781, "143.248", "kaist.ac.kr", "KR"),
    University("National University of Singapore", 7472, "137.132", "nus.edu.sg", "SG"),
    University("University of Tokyo", 2907, "133.11", "u-tokyo.ac.jp", "JP"),
)

WEBMAIL = (
    ("gmail.com", 40),
    ("outlook.com", 8),
    ("hotmail.com", 6),
    ("yahoo.com", 5),
    ("icloud.com", 6),
    ("proton.me", 2),
    ("gmx.de", 1.5),
    ("web.de", 1),
    ("orange.fr", 1),
    ("naver.com", 1.5),
    ("yahoo.co.jp", 1),
    ("uol.com.br", 1),
    ("hotmail.co.uk", 1),
    ("rediffmail.com", 0.5),
)
DISPOSABLE = (
    "mailinator.com",
    "guerrillamail.com",
    "sharklasers.com",
    "grr.la",
    "yopmail.com",
    "10minutemail.com",
    "trashmail.com",
    "maildrop.cc",
    "dispostable.com",
    "mail.tm",
)

# User agents of real clients. openai-python sends "OpenAI/Python <version>" (AsyncOpenAI for the async client);
# openai-node "OpenAI/JS <version>"; agent harnesses that set their own header name themselves
# (langchain4j "langchain4j-openai"; aider, OpenHands, SWE-agent and smolagents "<name>/<version>"; see benign.py).
OPENAI_PY = ("1.35.10", "1.40.6", "1.51.2", "1.54.4", "1.59.7", "1.68.2", "1.76.0", "1.99.9", "2.8.1", "2.54.0")
OPENAI_JS = ("4.52.7", "4.67.3", "4.77.0", "4.91.1", "5.10.2", "5.23.0")
BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{m} "
    "Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 "
    "Safari/537.36 Edg/{v}.0.0.0",
)
MOBILE_BROWSERS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{m} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.{m} Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Mobile "
    "Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Mobile "
    "Safari/537.36",
)
SCRIPT_UAS = (
    "python-requests/2.31.0",
    "python-requests/2.32.3",
    "curl/8.5.0",
    "curl/7.81.0",
    "Python/3.11 aiohttp/3.9.5",
    "Python/3.12 aiohttp/3.10.10",
    "python-httpx/0.27.2",
    "Go-http-client/2.0",
    "Go-http-client/1.1",
    "axios/1.7.7",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "okhttp/4.12.0",
)


def openai_python(rng: random.Random, *, asynchronous: bool = False) -> str:
    name = "AsyncOpenAI" if asynchronous else "OpenAI"
    return f"{name}/Python {rng.choice(OPENAI_PY)}"


def openai_js(rng: random.Random) -> str:
    return f"OpenAI/JS {rng.choice(OPENAI_JS)}"


def browser(rng: random.Random, *, mobile: bool = False) -> str:
    template = rng.choice(MOBILE_BROWSERS if mobile else BROWSERS)
    return template.format(v=rng.randint(118, 131), m=rng.randint(0, 6))


def pick_weighted(rng: random.Random, pairs: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def personal_email(rng: random.Random) -> str:
    """A person's sign-up domain: mostly webmail, and now and then a throwaway address (privacy-minded people use
    them too)."""
    return rng.choice(DISPOSABLE) if rng.random() < 0.015 else pick_weighted(rng, WEBMAIL)


def script_or_sdk(rng: random.Random) -> str:
    """A developer's own client: the official SDK most of the time, otherwise a plain HTTP library."""
    return rng.choice(SCRIPT_UAS) if rng.random() < 0.3 else openai_python(rng)


def pick_country(rng: random.Random) -> Country:
    return rng.choices(COUNTRIES, weights=[c.weight for c in COUNTRIES])[0]


def residential_for(rng: random.Random, country: str) -> Network:
    local = [n for n in RESIDENTIAL if n.country == country]
    return rng.choice(local or list(RESIDENTIAL))


def mobile_for(rng: random.Random, country: str) -> Network:
    local = [n for n in MOBILE if n.country == country]
    return rng.choice(local or list(MOBILE))


def v4_in(rng: random.Random, net: Network, third: int | None = None) -> str:
    """A host in one of the network's /16s (or in the given /24 of its first /16)."""
    prefix = rng.choice(net.v4) if third is None else net.v4[0]
    octet3 = rng.randint(0, 255) if third is None else third
    return f"{prefix}.{octet3}.{rng.randint(2, 254)}"


def subnet24(rng: random.Random, prefix16: str) -> str:
    return f"{prefix16}.{rng.randint(0, 255)}"


def host_in24(rng: random.Random, prefix24: str, lo: int = 2, hi: int = 254) -> str:
    return f"{prefix24}.{rng.randint(lo, hi)}"


def v6_prefix64(rng: random.Random, net: Network) -> str:
    """A household's delegated /64 inside the ISP's v6 block."""
    head = net.v6.rstrip(":")
    groups = head.split(":")
    while len(groups) < 4:
        groups.append(f"{rng.randint(0, 0xFFFF):x}")
    return ":".join(groups[:4])


def v6_host(rng: random.Random, prefix64: str) -> str:
    """A privacy-extension address: the interface half changes, the /64 stays (RFC 8981)."""
    tail = ":".join(f"{rng.randint(0, 0xFFFF):x}" for _ in range(4))
    return f"{prefix64}:{tail}"


# Card BINs. Ordinary users' banks are many; virtual-card and prepaid issuers are few and shared by many
# customers, benign and not (fintech cards are popular with developers, and with card-farming campaigns).
VIRTUAL_BINS = ("535522", "559292", "428837", "404038", "531993", "485953")


def bank_bin(rng: random.Random) -> str:
    return f"{rng.choice('45')}{rng.randint(10000, 99999)}"


def card(rng: random.Random, bin6: str | None = None) -> str:
    """An opaque payment fingerprint; the issuer BIN is kept as its prefix the way card vaults expose it. Without a
    BIN given, about one card in twelve is a fintech virtual card, as many developers pay with one."""
    if bin6 is None:
        bin6 = rng.choice(VIRTUAL_BINS) if rng.random() < 0.08 else bank_bin(rng)
    return f"card_{bin6}_{rng.getrandbits(48):012x}"


# Human activity by local hour (0..23); office work; app traffic that mixes a whole region's users.
HUMAN_HOURS = (
    0.35, 0.2, 0.1, 0.06, 0.05, 0.07, 0.2, 0.45, 0.8, 1.0, 1.15, 1.2,
    1.05, 1.1, 1.2, 1.2, 1.15, 1.05, 1.0, 1.1, 1.25, 1.2, 0.95, 0.6,
)  # fmt: skip
STUDENT_HOURS = (
    0.5, 0.3, 0.15, 0.05, 0.03, 0.03, 0.08, 0.25, 0.5, 0.6, 0.7, 0.75,
    0.7, 0.75, 0.9, 1.1, 1.3, 1.3, 1.2, 1.4, 1.6, 1.6, 1.3, 0.9,
)  # fmt: skip
OFFICE_HOURS = (
    0.0, 0.0, 0.0, 0.0, 0.0, 0.01, 0.05, 0.3, 0.9, 1.2, 1.3, 1.2,
    0.8, 1.1, 1.25, 1.2, 1.05, 0.7, 0.3, 0.15, 0.1, 0.05, 0.02, 0.0,
)  # fmt: skip
APP_HOURS = (
    0.45, 0.35, 0.28, 0.25, 0.25, 0.3, 0.45, 0.65, 0.85, 0.95, 1.0, 1.05,
    1.05, 1.05, 1.05, 1.0, 1.0, 1.0, 1.0, 1.05, 1.05, 0.95, 0.8, 0.6,
)  # fmt: skip
FLAT_HOURS = (1.0,) * 24


def local_hour(rng: random.Random, weights: tuple[float, ...]) -> float:
    """A local time of day in hours, drawn from a 24-bin profile."""
    return rng.choices(range(24), weights=weights)[0] + rng.random()


def at_local(day: int, hour: float, utc_offset: float) -> float:
    """Unix time of `hour` local time on day `day` of the window."""
    return T0 + day * DAY + (hour - utc_offset) * HOUR


def is_weekend(day: int) -> bool:
    return day % 7 in (5, 6)


# The provider's log is merged from gateways in several regions: each writes its own time format (Unix seconds,
# or RFC 3339 in its own zone). The format therefore says where a request was logged, never who sent it.
GATEWAY_OFFSETS = ((0.0, 60), (-7.0, 15), (2.0, 15), (9.0, 10))


def log_time(ts: float, rng: random.Random) -> float | str:
    if rng.random() < 0.3:
        return round(ts, 3)
    offset = rng.choices([g[0] for g in GATEWAY_OFFSETS], weights=[g[1] for g in GATEWAY_OFFSETS])[0]
    return rfc3339(ts, offset, rng)


def rfc3339(ts: float, utc_offset: float, rng: random.Random) -> str:
    """RFC 3339 text in the given zone (UTC as `Z` or `+00:00`), with milliseconds half the time."""
    tz = dt.timezone(dt.timedelta(hours=utc_offset))
    text = dt.datetime.fromtimestamp(ts, tz).isoformat(timespec="milliseconds" if rng.random() < 0.5 else "seconds")
    return text.replace("+00:00", "Z") if rng.random() < 0.6 else text
