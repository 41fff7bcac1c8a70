"""Built-in linkers, one per kind of shared evidence the published reports name.

Benign life shares things too (a lab's card, a university /24, a corporate
egress), so a link only proposes that accounts belong together; whether the
group is a campaign is judged on the group's behaviour and content.
"""

from __future__ import annotations

from typing import ClassVar

from distillshield.detect.link.base import Linker
from distillshield.features.sql import NETWORK
from distillshield.settings import Settings


class SharedPayment(Linker):
    """Accounts paying with the same payment instrument."""

    kind: ClassVar[str] = "payment"
    weight: ClassVar[float] = 1.0

    def key_sql(self) -> str:
        return (
            "SELECT DISTINCT account_id, payment_fingerprint AS key FROM requests WHERE payment_fingerprint IS NOT NULL"
        )


class SharedNetwork(Linker):
    """Accounts seen on the same /24 (IPv4) or /48 (IPv6); several shared networks saturate the link."""

    kind: ClassVar[str] = "network"
    weight: ClassVar[float] = 0.6
    saturation: ClassVar[int] = 3
    specific: ClassVar[bool] = True

    def key_sql(self) -> str:
        return f"SELECT DISTINCT account_id, {NETWORK} AS key FROM requests WHERE ip IS NOT NULL"


class SharedTemplate(Linker):
    """Accounts sending the same system prompt, or user prompts with the same fixed head or tail.

    A throwaway pool is hundreds of accounts behind one instruction block, so a template links groups
    up to ``template_max_accounts``; beyond ``shared_infra_max_accounts`` only a long system prompt or
    a fixed 100-character head still links (as a star): a short wrapper or a common closing line
    ("Let's think step by step.") is a convention strangers share.
    """

    kind: ClassVar[str] = "template"
    weight: ClassVar[float] = 0.8
    copyable: ClassVar[bool] = True

    def max_accounts(self, settings: Settings) -> int:
        return settings.template_max_accounts

    def hub_filter(self) -> str:
        return "x.key NOT LIKE 'suffix:%'"

    def key_sql(self) -> str:
        return "SELECT DISTINCT account_id, kind || ':' || template_key AS key FROM account_templates"


class CreationBurst(Linker):
    """Accounts created within the same ten minutes (sign-up bursts of a farm)."""

    kind: ClassVar[str] = "creation_burst"
    weight: ClassVar[float] = 0.3

    def key_sql(self) -> str:
        return (
            # The ten-minute bucket written as text (2026-05-01 10:20:00), in SQL that Spark runs as well.
            "SELECT DISTINCT account_id, strftime(account_created_at, '%Y-%m-%d %H:')"
            " || CAST(CAST(floor(minute(account_created_at) / 10) AS BIGINT) AS VARCHAR) || '0:00' AS key "
            "FROM requests WHERE account_created_at IS NOT NULL"
        )


class SharedAsn(Linker):
    """Accounts on the same autonomous system: weak alone (every ISP customer shares one), support for others."""

    kind: ClassVar[str] = "asn"
    weight: ClassVar[float] = 0.15
    specific: ClassVar[bool] = True

    def key_sql(self) -> str:
        return "SELECT DISTINCT account_id, CAST(asn AS VARCHAR) AS key FROM requests WHERE asn IS NOT NULL"


class SharedUserAgent(Linker):
    """Accounts sending the same User-Agent string: weak alone, telling when the string is rare."""

    kind: ClassVar[str] = "user_agent"
    weight: ClassVar[float] = 0.15
    copyable: ClassVar[bool] = True

    def key_sql(self) -> str:
        return "SELECT DISTINCT account_id, user_agent AS key FROM requests WHERE user_agent IS NOT NULL"
