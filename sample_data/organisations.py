"""The practices of the sample system at a given scale, their LSOA pools and the organisations feed.

Scale rule: up to scale 2 the 60 base practices simply grow (list sizes x scale). From scale 2
the base system is replicated network by network: each of the 11 networks gets
m = floor(scale) copies (new network and practice codes), and each list is scale / m times its
base size, so lists stay near England's mean (about 9,000). Every COPIES_PER_AREA_COPY network
copies in turn make a new copy of the two areas and their six localities (new codes), so that
England's size (scale about 114: about 6,800 practices, 1,250 networks, 126 localities and 42
areas) has England's shape. Stories that name a practice, network, locality or area apply to
the first copy only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, timedelta
from statistics import NormalDist

import numpy as np
import pyarrow as pa

from . import system as S
from .timeline import Window, to_date

TRAITS_SEED = 20190701  # fixed: the structure does not depend on the user's seed
PCN_START = date(2019, 7, 1)
PEOPLE_PER_LSOA = 1600
#: England: about 1,250 networks in 42 areas, 30 a area; a base area has 5.5 networks.
COPIES_PER_AREA_COPY = 5.5
#: The codes below have room for this many network copies (the command line's largest scale).
MAX_COPIES = 500
DECILE_SD = 1.6  # spread of people's deprivation decile around their practice's centre
_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(frozen=True)
class Practice:
    """One practice with the traits that drive its people."""

    index: int
    copy: int
    code: str
    name: str
    network_code: str
    network_name: str
    locality: S.Locality
    area: S.Area
    list_size: int
    age_tilt: float
    deprivation: float
    effect: float
    story_network: bool
    postcode: str


def _base_lists(n: int, total: int, rng) -> np.ndarray:
    """Skewed list sizes (lognormal quantiles, 2,000-20,000) summing to about `total`."""
    z = np.array([NormalDist().inv_cdf((i + 0.5) / n) for i in range(n)])
    sizes = np.clip(7000 * np.exp(0.56 * z), 2000, 20000)
    sizes = np.clip(sizes * total / sizes.sum(), 2000, 20000)
    return rng.permutation(np.round(sizes).astype(int))


def _base_traits() -> list[dict]:
    """Traits of the 60 base practices, in network order within each area."""
    rng = np.random.default_rng(TRAITS_SEED)
    loc = {x.code: x for x in S.LOCALITIES}
    out = []
    for area in S.AREAS:
        nets = [n for n in S.NETWORKS if loc[n.locality].area == area.number]
        n_prac = sum(n.n_practices for n in nets)
        lists = _base_lists(n_prac, S.AREA_LIST_TOTALS[area.number], rng)
        seq = 0
        for nseq, net in enumerate(nets, start=1):
            for _ in range(net.n_practices):
                lc = loc[net.locality]
                out.append(
                    {
                        "area": area,
                        "locality": lc,
                        "net_seq": nseq,
                        "net": net,
                        "seq": seq + 1,
                        "list": int(lists[seq]),
                        "tilt": lc.age_tilt + rng.normal(0, 0.18),
                        "dep": float(np.clip(lc.deprivation + rng.normal(0, 1.1), 1.5, 9.5)),
                        "effect": float(np.clip(np.exp(rng.normal(0, 0.05)), 0.93, 1.07)),
                    }
                )
                seq += 1
    return out


def _story_traits(t: dict, code: str) -> dict:
    """Applies the outlier-practice story to a base practice's traits."""
    if code == S.HIGH_OUTLIER_PRACTICE:
        t = {**t, "tilt": -0.55, "dep": 5.0, "list": 9800, "effect": S.HIGH_OUTLIER_FACTOR}
    elif code == S.LOW_OUTLIER_PRACTICE:
        t = {**t, "tilt": 0.55, "dep": 5.5, "list": 9400, "effect": S.LOW_OUTLIER_FACTOR}
    return t


def _postcode(area: int, i: int) -> str:
    district = f"NE8{i % 10}" if area == 1 else f"DL1{8 + i % 2}"
    a, b = _POSTCODE_LETTERS[i % 20], _POSTCODE_LETTERS[(i * 7 + 3) % 20]
    return f"{district} {1 + i % 9}{a}{b}"


def _numbered(area: int, n: int, digits: int) -> str:
    """Area digit and serial number, e.g. 10003; past 10**digits the area digit moves on by 2
    (1, 3, 5, ... for area 1), so codes keep their length (X + 5 digits, U9 + 4 digits)."""
    block, rest = divmod(n, 10**digits)
    return f"{area + 2 * block}{rest:0{digits}d}"


def network_copies(scale: float) -> int:
    """How many copies of each base network the system has at this scale."""
    return 1 if scale < 2 else int(scale)


def area_copy(copy: int) -> int:
    """Which copy of the two areas (and their localities) network copy `copy` belongs to."""
    return int(copy // COPIES_PER_AREA_COPY)


def copied_area(area: S.Area, j: int) -> S.Area:
    """Area copy `j` of a base area: made-up ONS codes E38jjj99n and council E0xjjj099."""
    if j == 0:
        return area
    first, *rest = area.name.split(" ")
    name = " ".join([first, str(j + 1), *rest])
    return replace(area, code=f"E38{j:03d}{area.code[6:]}", name=name,
                   la_code=f"{area.la_code[:3]}{j:03d}{area.la_code[6:]}")  # fmt: skip


def copied_locality(locality: S.Locality, j: int) -> S.Locality:
    """Locality copy `j` of a base locality (code suffixed with the copy number)."""
    if j == 0:
        return locality
    return replace(locality, code=f"{locality.code}{j + 1}", name=f"{locality.name} {j + 1}")


def build_practices(scale: float) -> list[Practice]:
    """Returns the practices of the system at this scale (see the module docstring)."""
    copies = network_copies(scale)
    if copies > MAX_COPIES:
        raise ValueError(
            f"scale {scale} is too large for the sample's codes (at most {MAX_COPIES})"
        )
    per_copy = scale / copies
    base = _base_traits()
    n_area = {a.number: sum(1 for t in base if t["area"] is a) for a in S.AREAS}
    nets_area = {a.number: max(t["net_seq"] for t in base if t["area"] is a) for a in S.AREAS}
    out = []
    for copy in range(copies):
        j = area_copy(copy)
        for t in base:
            a = t["area"].number
            code = "X" + _numbered(a, t["seq"] + copy * n_area[a], 4)
            t = _story_traits(t, code) if copy == 0 else t
            net_code = "U9" + _numbered(a, t["net_seq"] + copy * nets_area[a], 3)
            name = S.PRACTICE_NAMES[(t["seq"] - 1 + 36 * (a - 1)) % len(S.PRACTICE_NAMES)]
            name = f"{name} {S.PRACTICE_SUFFIXES[(t['seq'] + a) % len(S.PRACTICE_SUFFIXES)]}"
            out.append(
                Practice(
                    index=len(out),
                    copy=copy,
                    code=code,
                    name=name if copy == 0 else f"{name} (Site {copy + 1})",
                    network_code=net_code,
                    network_name=t["net"].name if copy == 0 else f"{t['net'].name} {copy + 1}",
                    locality=copied_locality(t["locality"], j),
                    area=copied_area(t["area"], j),
                    list_size=max(1, round(t["list"] * per_copy)),
                    age_tilt=t["tilt"],
                    deprivation=t["dep"],
                    effect=t["effect"],
                    story_network=copy == 0 and net_code == S.STORY_NETWORK,
                    postcode=_postcode(a, len(out)),
                )
            )
    return out


def decile_probabilities(centre: float) -> np.ndarray:
    """P(person's IMD decile = 1..10) around a practice's deprivation centre."""
    cdf = [0.5 * (1 + math.erf((d + 0.5 - centre) / (DECILE_SD * math.sqrt(2)))) for d in range(11)]
    cdf[0], cdf[10] = 0.0, 1.0
    return np.diff(cdf)


@dataclass(frozen=True)
class Lsoas:
    """Made-up LSOAs: code E019 + (decile - 1) + 4 digits, pooled by locality and decile; past
    10,000 in a decile, E018, E017 and on (real LSOAs stop below E01040000)."""

    codes: pa.Array
    start: np.ndarray  # (locality, decile-1) -> first index into codes
    count: np.ndarray  # (locality, decile-1) -> number of LSOAs
    localities: dict[str, int]  # locality code -> its row in start and count
    areas: tuple[S.Area, ...]  # each locality's area, by row


def build_lsoas(practices: list[Practice]) -> Lsoas:
    """Returns the LSOA pools, sized at about 1,600 registered people per LSOA."""
    localities: dict[str, int] = {}
    areas: list[S.Area] = []
    for p in practices:
        if p.locality.code not in localities:
            localities[p.locality.code] = len(areas)
            areas.append(p.area)
    people = np.zeros((len(areas), 10))
    for p in practices:
        people[localities[p.locality.code]] += p.list_size * decile_probabilities(p.deprivation)
    count = np.maximum(1, np.round(people / PEOPLE_PER_LSOA)).astype(np.int64)
    # Codes are listed locality by locality, decile by decile.
    start = (np.cumsum(count.ravel()) - count.ravel()).reshape(count.shape)
    # Serial numbers run on within each decile, locality after locality.
    serial = np.cumsum(count, axis=0) - count
    codes = [
        f"E01{9 - s // 10_000}{d}{s % 10_000:04d}"
        for li in range(len(areas))
        for d in range(10)
        for s in range(serial[li, d], serial[li, d] + count[li, d])
    ]
    return Lsoas(pa.array(codes, pa.string()), start, count, localities,
                 tuple(areas))  # fmt: skip


def imd_decile(lsoa_code: str) -> int:
    """Returns the IMD decile (1 = most deprived) encoded in a sample LSOA code."""
    return int(lsoa_code[4]) + 1


def move_date(window: Window) -> date:
    """The day MOVER_PRACTICE joins its new network: the first day of window month 13 of 36."""
    return to_date(window.month_starts[window.months // 3])


def organisations_table(practices: list[Practice], window: Window) -> pa.Table:
    """Returns the organisations feed: one row per practice membership."""
    since = min(PCN_START, to_date(window.start) - timedelta(days=365))
    rows = []
    for p in practices:
        row = {
            "practice_code": p.code,
            "practice_name": p.name,
            "network_code": p.network_code,
            "network_name": p.network_name,
            "locality_code": p.locality.code,
            "locality_name": p.locality.name,
            "area_code": p.area.code,
            "area_name": p.area.name,
            "la_code": p.area.la_code,
            "valid_from": since,
            "valid_to": None,
        }
        if p.code == S.MOVER_PRACTICE:
            moved = move_date(window)
            new = next(q for q in practices if q.network_code == S.MOVER_TO_NETWORK)
            rows.append({**row, "valid_to": moved - timedelta(days=1)})
            row = {
                **row,
                "network_code": new.network_code,
                "network_name": new.network_name,
                "valid_from": moved,
            }
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=ORGANISATIONS_SCHEMA)


ORGANISATION_TEXT_COLUMNS = (
    "practice_code",
    "practice_name",
    "network_code",
    "network_name",
    "locality_code",
    "locality_name",
    "area_code",
    "area_name",
    "la_code",
)
ORGANISATIONS_SCHEMA = pa.schema(
    [(c, pa.string()) for c in ORGANISATION_TEXT_COLUMNS]
    + [("valid_from", pa.date32()), ("valid_to", pa.date32())]
)
