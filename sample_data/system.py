"""The made-up sample system: its areas, localities, networks, practice traits and four stories.

Everything here is fixed, not drawn from the seed, so that the codes named in the README and in
the tests are the same for every seed and scale. Codes are well formed but made up: ONS codes
E38000991/2 and E08000099/E06000099 (and, for the copies of larger scales, E38jjj991/2 and
E08jjj099/E06jjj099) are not real bodies, practice codes start with X and network
codes with U9, and LSOA codes start E019 (real LSOAs stop below E01040000).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    """An integration-board footprint (one council area)."""

    number: int
    code: str
    name: str
    la_code: str
    providers: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Locality:
    """A locality: typical deprivation decile (1 = most deprived) and age tilt (+ = older)."""

    code: str
    name: str
    area: int
    deprivation: float
    age_tilt: float


@dataclass(frozen=True)
class Network:
    """A GP network (PCN) of the base system."""

    name: str
    locality: str
    n_practices: int


AREAS = (
    Area(
        1, "E38000991", "Tynebridge Place", "E08000099", (("RTF", 0.6), ("RTD", 0.3), ("RXP", 0.1))
    ),
    Area(
        2,
        "E38000992",
        "Hollinsdale Place",
        "E06000099",
        (("RXP", 0.65), ("RTF", 0.25), ("RTD", 0.1)),
    ),
)

LOCALITIES = (
    Locality("TBN", "Tynebridge North", 1, 4.8, 0.0),
    Locality("TBC", "Tynebridge Central", 1, 3.0, -0.45),
    Locality("TBR", "Tynebridge Riverside", 1, 5.5, 0.1),
    Locality("HDT", "Hollinsdale Town", 2, 5.0, 0.0),
    Locality("HDC", "Hollinsdale Coast", 2, 4.0, 0.4),
    Locality("HDR", "Hollinsdale Rural", 2, 7.5, 0.5),
)

NETWORKS = (
    Network("Wallside PCN", "TBN", 6),
    Network("Seaton Vale PCN", "TBN", 6),
    Network("Central Quays PCN", "TBC", 7),
    Network("Old Town PCN", "TBC", 5),
    Network("Riverside West PCN", "TBR", 6),
    Network("Riverside East PCN", "TBR", 6),
    Network("Hollinsdale Town East PCN", "HDT", 5),
    Network("Hollinsdale Town West PCN", "HDT", 5),
    Network("Coastline PCN", "HDC", 5),
    Network("Saltmarsh PCN", "HDC", 4),
    Network("Three Dales PCN", "HDR", 5),
)

#: Registered people per area at scale 1.
AREA_LIST_TOTALS = {1: 300_000, 2: 200_000}

PRACTICE_NAMES = (
    "Riverside",
    "Castle View",
    "Elm Tree",
    "Northgate",
    "Westfield",
    "Oakwood",
    "Priory",
    "Market Street",
    "Bridge House",
    "Park Lane",
    "Station Road",
    "Church View",
    "Meadowbank",
    "Hillcrest",
    "Harbour",
    "Quayside",
    "Abbey",
    "Moorland",
    "Beacon",
    "Willow Bank",
    "Low Fell",
    "High Street",
    "Victoria",
    "Albion",
    "Jubilee",
    "Millfield",
    "Rosehill",
    "Ashgrove",
    "Beechwood",
    "Coastal",
    "Valley",
    "Greenside",
    "Southgate",
    "Eastfield",
    "Fellside",
    "Dale View",
    "Marsden Road",
    "Cragside",
    "Brookside",
    "Heathfield",
    "Kingsway",
    "Queensway",
    "Chapel Lane",
    "The Grange",
    "Stonehill",
    "Larchwood",
    "Redburn",
    "Whitley Road",
    "Seaview",
    "Headland",
    "Cedar House",
    "Holly Tree",
    "Fairfield",
    "Woodlands",
    "Orchard",
    "Springwell",
    "Lakeside",
    "Windmill Hill",
    "Saltwell",
    "Ferry Lane",
)
PRACTICE_SUFFIXES = (
    "Medical Centre",
    "Surgery",
    "Health Centre",
    "Medical Practice",
    "Family Practice",
    "Group Practice",
)

# --- The four stories -------------------------------------------------------------------------

#: Story 1: this locality's emergency admissions step down from the middle month of the window
#: (month 18 of 36) and stay down: STEP_FACTOR on the underlying rate, which shows as about -20%
#: in all emergency admissions (end-of-life admissions and readmissions dilute it a little).
STEP_LOCALITY = "TBC"
STEP_FACTOR = 0.77

#: Story 2: this area's emergency admissions fall gradually over the first two thirds of the
#: window (to TREND_LOW times the start) and the gains reverse over the last third (TREND_END).
TREND_AREA = "E38000992"
TREND_LOW = 0.80
TREND_END = 0.98

#: Story 3: two practices that stand out after age standardisation. The high one has a young
#: list (its crude rate looks ordinary); the low one an old list.
HIGH_OUTLIER_PRACTICE = "X10003"
HIGH_OUTLIER_FACTOR = 1.40
LOW_OUTLIER_PRACTICE = "X10028"
LOW_OUTLIER_FACTOR = 0.65

#: Story 4: this network is far ahead on diabetes targets (HbA1c, blood pressure, cholesterol,
#: structured education).
STORY_NETWORK = "U92001"

#: A practice that moves network part-way through the window (organisations has two rows).
MOVER_PRACTICE = "X10012"
MOVER_TO_NETWORK = "U91001"
