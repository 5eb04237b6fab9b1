"""Postal addresses: US street lines, "City, ST 12345", French street lines ("12 bis, rue de la Paix") and,
after a street line or an address label, French "75011 Paris" lines. A bare ZIP code is read only after a
label or cue (readers.py)."""

from __future__ import annotations

from typing import Final

from phileak.model import DataCategory
from phileak.phi.patterns.shapes import CAP_WORD, US_STATES, WORD, alternation, words
from phileak.phi.spec import PatternSpec

# USPS Publication 28, appendix C1 (common street suffixes and their standard abbreviations).
_US_SUFFIXES: Final = words(
    "Alley Aly Avenue Ave Av Branch Bridge Brook Brooks Burg Burgs Bypass Byp Camp Canyon Cape Causeway Center "
    "Ctr Centers Circle Cir Circles Cliff Cliffs Club Common Commons Corner Corners Course Court Ct Courts Cove "
    "Coves Creek Crescent Cres Crest Crossing Xing Crossroad Curve Dale Dam Divide Drive Dr Drives Estate Estates "
    "Expressway Expy Extension Ext Extensions Fall Falls Ferry Field Fields Flat Flats Ford Fords Forest Forge "
    "Forges Fork Forks Fort Freeway Fwy Garden Gardens Gdns Gateway Glen Glens Green Greens Grove Groves Harbor "
    "Harbors Haven Heights Hts Highway Hwy Hill Hills Hollow Inlet Island Islands Isle Junction Jct Junctions Key "
    "Keys Knoll Knolls Lake Lakes Land Landing Lane Ln Light Lights Loaf Lock Locks Lodge Loop Mall Manor Manors "
    "Meadow Meadows Mews Mill Mills Mission Motorway Mount Mountain Mountains Neck Orchard Oval Overpass Park "
    "Parks Parkway Pkwy Parkways Pass Passage Path Pike Pine Pines Place Pl Plain Plains Plaza Plz Point Pt "
    "Points Port Ports Prairie Radial Ramp Ranch Rapid Rapids Rest Ridge Ridges River Road Rd Roads Route Rte Row "
    "Rue Run Shoal Shoals Shore Shores Skyway Spring Springs Spur Spurs Square Sq Squares Station Sta Stravenue "
    "Stream Street St Streets Summit Terrace Ter Throughway Trace Track Trafficway Trail Trl Tunnel Turnpike Tpke "
    "Underpass Union Unions Valley Valleys Via Viaduct View Views Village Villages Ville Vista Walk Walks Wall "
    "Way Ways Well Wells"
)
_US_SUFFIX: Final = alternation([*_US_SUFFIXES, *(s.upper() for s in _US_SUFFIXES)])
_US_UNIT: Final = (
    r"(?:,?[ ](?:Apt|APT|Suite|SUITE|Ste|STE|Unit|UNIT|#|Bldg|Fl|Floor|Room|Rm)\.?[ ]?#?[A-Za-z0-9\-]{1,6})?"
)
_DIRECTION: Final = r"(?:(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?[ ])?"

US_STREET = PatternSpec(
    name="address-us-street",
    category=DataCategory.ADDRESS,
    regex=(
        rf"\b\d{{1,6}}[A-Z]?[ ]{_DIRECTION}(?:(?:{CAP_WORD}|\d{{1,3}}(?:st|nd|rd|th|ST|ND|RD|TH))[ ]){{1,4}}"
        rf"{_US_SUFFIX}\b\.?(?:[ ](?:N|S|E|W|NE|NW|SE|SW)\b)?{_US_UNIT}"
    ),
    confidence=0.85,
)
US_PO_BOX = PatternSpec(
    name="address-us-po-box",
    category=DataCategory.ADDRESS,
    regex=r"\b(?:P\.[ ]?O\.|PO|P O)[ ]?(?:Box|BOX)[ ]\d{1,6}\b",
    confidence=0.85,
)
_STATE: Final = alternation(US_STATES)
US_CITY_STATE_ZIP = PatternSpec(
    name="address-us-city-state-zip",
    category=DataCategory.ADDRESS,
    regex=rf"(?:\b{CAP_WORD}(?:[ ]{CAP_WORD}){{0,3}},?[ ])?\b{_STATE}[ ]{{1,2}}\d{{5}}(?:-\d{{4}})?\b",
    confidence=0.9,
)
_FR_STREET_TYPES: Final = words(
    "rue avenue av. ave bd bd. boulevard blvd place pl. chemin ch. allée allee impasse imp. quai route rte cours "
    "square passage voie résidence rond-point sentier lotissement hameau faubourg fg cité villa parvis promenade "
    "esplanade traverse montée clos domaine lieu-dit rampe sente ruelle chaussée"
)
_FR_PARTICLE: Final = alternation(
    ["de la", "de l'", "du", "des", "de", "d'", "la", "le", "les", "l'", "aux", "au", "à", "sur", "en", "et"], case=True
)
FR_STREET = PatternSpec(
    name="address-fr-street",
    category=DataCategory.ADDRESS,
    regex=(
        rf"\b\d{{1,4}}(?:[ ]?(?:bis|ter|quater|BIS|TER|[A-D]))?,?[ ]{alternation(_FR_STREET_TYPES, case=True)}"
        rf"(?:[ ]{_FR_PARTICLE})*(?:[ ]?{CAP_WORD}|[ ]\d{{1,4}}(?:er|e)?)"
        rf"(?:[ ](?:{_FR_PARTICLE}[ ]?)?{CAP_WORD}){{0,4}}\b"
    ),
    confidence=0.85,
)
FR_POSTCODE_CITY = PatternSpec(  # "69002 Lyon": an address only right after a street line, a label or a cue
    name="address-fr-postcode-city",
    category=DataCategory.ADDRESS,
    regex=(
        rf"\b(?:0[1-9]|[1-8]\d|9[0-8])\d{{3}}[ ]{{1,2}}{CAP_WORD}(?:[ \-](?:{CAP_WORD}|{WORD})){{0,4}}\b"
        rf"(?:[ ](?:CEDEX|Cedex|cedex)(?:[ ]\d{{1,2}})?)?"
    ),
    needs_context=True,
    confidence=0.8,
)

PATTERNS: Final = (US_STREET, US_PO_BOX, US_CITY_STATE_ZIP, FR_STREET, FR_POSTCODE_CITY)
