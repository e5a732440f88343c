"""What to suggest when a time zone is not one drillbit accepts.

People write the abbreviation on their calendar (``PST``, ``CET``) or the city they
live in (``America/San_Francisco``); neither is a zone a clock can follow through
daylight saving. A spelling check alone suggests nonsense for these (``PST`` is closest
to ``MST``), so abbreviations and common cities are looked up first.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from zoneinfo import available_timezones

# Abbreviation -> the zones it may mean. More than one: the hint lists them all.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("PST", "PDT", "PT"), ("America/Los_Angeles",)),
    **dict.fromkeys(("MST", "MDT", "MT"), ("America/Denver", "America/Phoenix")),
    **dict.fromkeys(("CDT", "CT"), ("America/Chicago",)),
    "CST": ("America/Chicago", "Asia/Shanghai"),
    **dict.fromkeys(("EST", "EDT", "ET"), ("America/New_York",)),
    **dict.fromkeys(("AKST", "AKDT"), ("America/Anchorage",)),
    **dict.fromkeys(("HST", "HDT"), ("Pacific/Honolulu",)),
    **dict.fromkeys(("CET", "CEST", "MET", "MEST"), ("Europe/Berlin", "Europe/Paris")),
    **dict.fromkeys(("EET", "EEST"), ("Europe/Athens", "Europe/Helsinki")),
    **dict.fromkeys(("WET", "WEST"), ("Europe/Lisbon",)),
    "BST": ("Europe/London",),
    "IST": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"),
    "MSK": ("Europe/Moscow",),
    "JST": ("Asia/Tokyo",),
    "KST": ("Asia/Seoul",),
    "HKT": ("Asia/Hong_Kong",),
    "SGT": ("Asia/Singapore",),
    **dict.fromkeys(("AEST", "AEDT"), ("Australia/Sydney", "Australia/Melbourne")),
    **dict.fromkeys(("NZST", "NZDT"), ("Pacific/Auckland",)),
    "BRT": ("America/Sao_Paulo",),
    "CST6CDT": ("America/Chicago",),
    "EST5EDT": ("America/New_York",),
    "MST7MDT": ("America/Denver",),
    "PST8PDT": ("America/Los_Angeles",),
}
# Where an abbreviation means different places, name them so the reader can choose.
_PLACES = {"Asia/Kolkata": "India", "Europe/Dublin": "Ireland", "Asia/Jerusalem": "Israel",
           "America/Chicago": "US Central", "Asia/Shanghai": "China"}
AMBIGUOUS = {"IST", "CST"}

# Cities with no zone of their own -> the zone whose clock they keep.
CITIES: dict[str, str] = {
    **dict.fromkeys(("san_francisco", "seattle", "portland", "san_diego", "san_jose", "silicon_valley", "las_vegas"), "America/Los_Angeles"),
    **dict.fromkeys(("boston", "washington", "miami", "atlanta", "philadelphia", "pittsburgh", "raleigh"), "America/New_York"),
    **dict.fromkeys(("dallas", "houston", "austin", "minneapolis", "new_orleans", "st_louis"), "America/Chicago"),
    **dict.fromkeys(("salt_lake_city", "albuquerque"), "America/Denver"),
    "montreal": "America/Toronto", "ottawa": "America/Toronto", "calgary": "America/Edmonton",
    **dict.fromkeys(("munich", "frankfurt", "hamburg", "cologne", "dusseldorf", "stuttgart"), "Europe/Berlin"),
    **dict.fromkeys(("lyon", "marseille", "toulouse"), "Europe/Paris"),
    **dict.fromkeys(("barcelona", "valencia", "seville"), "Europe/Madrid"),
    **dict.fromkeys(("milan", "naples", "turin"), "Europe/Rome"),
    **dict.fromkeys(("geneva", "basel", "bern", "lausanne"), "Europe/Zurich"),
    **dict.fromkeys(("manchester", "edinburgh", "glasgow", "birmingham", "cardiff", "belfast"), "Europe/London"),
    **dict.fromkeys(("rotterdam", "the_hague", "eindhoven"), "Europe/Amsterdam"),
    "krakow": "Europe/Warsaw", "gothenburg": "Europe/Stockholm", "cork": "Europe/Dublin",
    "st_petersburg": "Europe/Moscow", "tel_aviv": "Asia/Jerusalem", "abu_dhabi": "Asia/Dubai",
    **dict.fromkeys(("bangalore", "bengaluru", "mumbai", "bombay", "delhi", "new_delhi", "chennai", "hyderabad", "pune"), "Asia/Kolkata"),
    **dict.fromkeys(("beijing", "shenzhen", "guangzhou", "hangzhou"), "Asia/Shanghai"),
    "osaka": "Asia/Tokyo", "kyoto": "Asia/Tokyo", "busan": "Asia/Seoul",
    "canberra": "Australia/Sydney", "wellington": "Pacific/Auckland",
    "rio_de_janeiro": "America/Sao_Paulo", "buenos_aires": "America/Argentina/Buenos_Aires",
}


@lru_cache(maxsize=1)
def _zones_by_city() -> dict[str, str]:
    out: dict[str, str] = {}
    for name in sorted(available_timezones()):
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/")):
            out.setdefault(name.rsplit("/", 1)[-1].lower(), name)
    return out


def _quoted(zones: tuple[str, ...]) -> str:
    quoted = [f"'{z}'" for z in zones]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def zone_hint(value: str) -> str:
    """A hint for a time zone drillbit does not accept, starting with '; ', or ''."""
    text = value.strip()
    upper = text.upper()
    if upper in ABBREVIATIONS:
        zones = ABBREVIATIONS[upper]
        if upper in AMBIGUOUS:
            options = ", ".join(f"{_PLACES.get(z, z)} '{z}'" for z in zones)
            return f"; '{text}' is ambiguous: it names the time of more than one place ({options}); write the zone of the place meant"
        return (f"; '{text}' is an abbreviation, not a place: write {_quoted(zones)}, "
                "which also knows when daylight saving starts and ends")
    if upper.startswith(("UTC+", "UTC-", "GMT+", "GMT-", "+", "-")):
        return "; a fixed offset does not follow daylight saving: write the zone of a place, such as 'Europe/Berlin', or 'UTC'"
    in_region = sorted(z for z in available_timezones() if z.startswith(text.rstrip("/") + "/")) if text else []
    if in_region:
        return f"; '{text.rstrip('/')}' is a region, not a zone: write the zone of a place in it, such as '{in_region[0]}'"
    city = text.replace(" ", "_").rsplit("/", 1)[-1].lower()
    if city in CITIES:
        return f"; {city.replace('_', ' ').title()} has no zone of its own: write '{CITIES[city]}', whose clock it keeps"
    by_city = _zones_by_city()
    if city in by_city and by_city[city] != text:
        return f"; did you mean '{by_city[city]}'?"
    guess = difflib.get_close_matches(city, list(by_city), n=1, cutoff=0.75)
    if guess:
        return f"; did you mean '{by_city[guess[0]]}'?"
    return ""
