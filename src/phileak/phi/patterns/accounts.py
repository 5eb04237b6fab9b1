"""Account numbers with a checksum (IBAN, grouped payment card numbers) and GS1 device identifiers with a serial.
Other account, licence and device numbers (an IMEI, a serial) are read after a label or cue."""

from __future__ import annotations

from typing import Final

from phileak.model import DataCategory
from phileak.phi.spec import PatternSpec
from phileak.phi.validators import gs1_valid, iban_valid, payment_card_valid

IBAN = PatternSpec(
    name="iban",
    category=DataCategory.ACCOUNT_NUMBER,
    regex=r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b",
    validate=iban_valid,
    confidence=0.95,
)
PAYMENT_CARD = PatternSpec(
    name="payment-card",
    category=DataCategory.ACCOUNT_NUMBER,
    regex=r"\b\d{4}[ \-]\d{4}[ \-]\d{4}[ \-]\d{4}\b|\b3[47]\d{2}[ \-]\d{6}[ \-]\d{5}\b",
    validate=payment_card_valid,
    confidence=0.9,
)
UDI_WITH_SERIAL = PatternSpec(  # GS1 UDI: device identifier (01) and a serial number (21) make one device
    name="udi-gs1-serial",
    category=DataCategory.DEVICE_ID,
    regex=r"\(01\)\d{14}(?:\(\d{2,4}\)[A-Za-z0-9\-]{1,20}){0,3}\(21\)[A-Za-z0-9\-]{1,20}",
    validate=lambda value: gs1_valid(value[4:18]),
    confidence=0.9,
)

PATTERNS: Final = (IBAN, PAYMENT_CARD, UDI_WITH_SERIAL)
