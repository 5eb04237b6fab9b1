"""A parameter's likely meaning from its name alone, for parameters no vendor decoder knows."""

from __future__ import annotations

import re
from typing import Final

from phileak.probes.web.decoders import Meaning

_WORDS: Final[dict[str, Meaning]] = {
    **dict.fromkeys(("email", "e_mail", "mail", "emailaddress", "email_address", "em", "useremail"),
                    Meaning.EMAIL),
    **dict.fromkeys(("phone", "phone_number", "phonenumber", "tel", "telephone", "mobile", "ph", "cell"),
                    Meaning.PHONE),
    **dict.fromkeys(("fn", "fname", "first_name", "firstname", "given_name", "givenname", "prenom"),
                    Meaning.FIRST_NAME),
    **dict.fromkeys(("ln", "lname", "last_name", "lastname", "surname", "family_name", "familyname", "nom"),
                    Meaning.LAST_NAME),
    **dict.fromkeys(("full_name", "fullname", "patient_name", "patientname"), Meaning.FULL_NAME),
    **dict.fromkeys(("dob", "db", "birthdate", "birth_date", "date_of_birth", "birthday"), Meaning.DATE_OF_BIRTH),
    **dict.fromkeys(("address", "street", "address1", "street_address", "addr"), Meaning.STREET),
    **dict.fromkeys(("city", "ct", "town"), Meaning.CITY),
    **dict.fromkeys(("zip", "zp", "zipcode", "zip_code", "postal", "postal_code", "postcode"), Meaning.ZIP),
    **dict.fromkeys(("state", "st", "region"), Meaning.STATE),
    **dict.fromkeys(("country", "co"), Meaning.COUNTRY),
    **dict.fromkeys(("gender", "ge", "sex"), Meaning.GENDER),
    **dict.fromkeys(("external_id", "externalid"), Meaning.EXTERNAL_ID),
    **dict.fromkeys(("uid", "user_id", "userid"), Meaning.USER_ID),
    **dict.fromkeys(("cid", "client_id", "clientid", "anonymous_id", "anonymousid", "device_id"), Meaning.CLIENT_ID),
    **dict.fromkeys(("url", "href", "dl", "page_url", "pageurl", "page_location", "location", "loc", "page",
                     "document_location", "current_url", "pl"), Meaning.PAGE_URL),
    **dict.fromkeys(("ref", "referrer", "referer", "dr", "rl", "page_referrer", "document_referrer", "rf"),
                    Meaning.REFERRER),
    **dict.fromkeys(("title", "dt", "tl", "page_title", "pagetitle", "document_title"), Meaning.PAGE_TITLE),
    **dict.fromkeys(("q", "query", "search", "search_term", "searchterm", "search_string", "term", "keyword",
                     "kw", "s"), Meaning.SEARCH_TERM),
    **dict.fromkeys(("event", "ev", "en", "evt", "event_name", "eventname", "action"), Meaning.EVENT),
}  # fmt: skip
_LAST_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)\]?$")


def guess_meaning(name: str) -> Meaning:
    """From the last key of a path ("context.user.email" -> email, "ud[em]" -> email); OTHER when unknown."""
    match = _LAST_KEY.search(name)
    if match is None:
        return Meaning.OTHER
    key = match.group(1).lower().replace("-", "_")
    return _WORDS.get(key, Meaning.OTHER)
