"""People, not files: resolve sightings of the same person across documents, count distinct individuals, and
estimate that count with a 95 % interval when only a uniform random sample of the documents was read.

Inputs are PersonRecords (keyed hashes only); nothing here ever sees a raw identifier.

Resolution is union-find over attribute hashes. Personal identifiers link on their own (MRN, SSN, NIR,
health-plan id, licence number, and the composites name + birth date and name + address). Contact points and
accounts a household may share (phone, email, account or device id) link only when nothing contradicts them: two
groups sharing one merge unless they carry a different birth date, MRN, SSN, NIR or plan id. A name alone
links only when nothing contradicts it: two groups carrying one name merge when neither has a birth date, MRN,
SSN, NIR or plan id that differs from the other's and each is the other's only candidate; a sighting with nothing
but a name joins the one person known by that name, and when several people share it the sighting is counted as
ambiguous (one of them, not a new person).

Estimation. Reading n of N documents uniformly at random, a person who appears in k documents is seen
X ~ Binomial(k, q) times, q = n/N. The sample gives the frequency counts f_j (people seen in exactly j documents)
and the total number of person-document incidences M = sum_k k * D_k (exact when every document holds one
person). The estimate is the profile maximum likelihood of D = sum_k D_k with the distribution of k left free
(a nonparametric mixture, constrained to the known mean M/D), and the 95 % interval is where the profile
log-likelihood is within chi2(1, .95)/2 of its maximum, widened for the sampling error in M.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from phileak.model import Estimate
from phileak.phi.identity import HASHED_ID_KINDS
from phileak.phi.spec import PersonRecord

CONFIDENCE: Final = 0.95

# --- attribute kinds -----------------------------------------------------------------------------------------------

NAME: Final = "person-name"
BIRTH_DATE: Final = "date-of-birth"
ADDRESS: Final = "address"
_ALIASES: Final = {
    "name": NAME, "person": NAME, "dob": BIRTH_DATE, "birth-date": BIRTH_DATE, "birthdate": BIRTH_DATE,
    "nir": "fr-nir", "mbi": "health-plan-id", "zip": ADDRESS, "postcode": ADDRESS, "postal-code": ADDRESS,
    "name+dob": "name+birth-date", "person/name+birth-date": "name+birth-date", "person/id": "person-id",
}  # fmt: skip
# Contact points and accounts a household shares (a landline, a family e-mail, a guarantor's account): they
# link two sightings only when nothing tells them apart (a different birth date, MRN, SSN, NIR or plan id).
SHARED_KINDS: Final = frozenset({"email", "phone", "account-number", "device-id", *HASHED_ID_KINDS})
_HOUSEHOLD_MAX: Final = 16  # people told apart under one shared value, beyond which it stops linking (bounds the work)
# Any of these shared by two sightings makes them one person; SHARED_KINDS only when compatible.
STRONG_KINDS: Final = frozenset(
    {"mrn", "ssn", "fr-nir", "health-plan-id", "licence-number", "name+birth-date", "person-id", *SHARED_KINDS}
)
# A person has one value of each: two different values mean two people (for name-only linking).
EXCLUSIVE_KINDS: Final = frozenset({BIRTH_DATE, "ssn", "fr-nir", "mrn", "health-plan-id"})


@functools.lru_cache(maxsize=1024)
def attribute_kind(kind: str) -> str:
    """The canonical attribute kind ("dob" -> "date-of-birth", "nir" -> "fr-nir", ...)."""
    name = kind.strip().lower()
    return _ALIASES.get(name, name)


# --- the counter ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeopleEstimate:
    """How many distinct people the documents hold: exact when every document was read, else a 95 % interval."""

    point: int
    low: int
    high: int
    exact: bool
    sampled_docs: int
    total_docs: int
    confidence: float = CONFIDENCE

    def to_model(self) -> Estimate:
        """The Finding.estimate form (low, high, confidence)."""
        return Estimate(low=self.low, high=self.high, confidence=self.confidence)


@dataclass(slots=True)
class _Group:
    """A union-find root's summary: its names and its exclusive attribute values."""

    names: set[str] = field(default_factory=set)
    exclusive: dict[str, set[str]] = field(default_factory=dict)

    def anchored(self) -> bool:
        return bool(self.exclusive)

    def compatible(self, other: _Group) -> bool:
        return all(self.exclusive[kind] & values for kind, values in other.exclusive.items() if kind in self.exclusive)

    def absorb(self, other: _Group) -> None:
        self.names |= other.names
        for kind, values in other.exclusive.items():
            self.exclusive.setdefault(kind, set()).update(values)


class _UnionFind:
    __slots__ = ("_parent",)

    def __init__(self, size: int) -> None:
        self._parent = list(range(size))

    def find(self, item: int) -> int:
        parent = self._parent
        root = item
        while parent[root] != root:
            root = parent[root]
        while parent[item] != root:
            parent[item], item = root, parent[item]
        return root

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)
        return min(ra, rb)


@dataclass(frozen=True, slots=True)
class _Resolution:
    person_of: tuple[int | None, ...]  # per sighting: a person index, or None when ambiguous
    people: int
    ambiguous: int


class PeopleCounter:
    """Collects the PersonRecords found in each document read, and counts the people behind them."""

    def __init__(self) -> None:
        self._doc_index: dict[str, int] = {}
        self._sightings: list[tuple[int, PersonRecord]] = []
        self._resolved: _Resolution | None = None

    def add(self, doc_id: str, records: Iterable[PersonRecord]) -> None:
        """Record one document read (with no records when it names nobody). Adding a document id again adds
        its records to that document; it is still one document."""
        doc = self._doc_index.setdefault(doc_id, len(self._doc_index))
        for record in records:
            self._sightings.append((doc, record))
            self._resolved = None

    @property
    def documents(self) -> int:
        """Documents read, with or without people in them."""
        return len(self._doc_index)

    def distinct(self) -> int:
        """Distinct people among the documents read."""
        return self._resolution().people

    def ambiguous(self) -> int:
        """Name-only sightings of a name several known people share (attributed to one of them, not counted)."""
        return self._resolution().ambiguous

    def files_per_person(self) -> float:
        """Mean number of documents each distinct person appears in (0.0 with nobody)."""
        people = self.distinct()
        return sum(self._docs_per_person()) / people if people else 0.0

    def frequencies(self) -> dict[int, int]:
        """{j: number of people seen in exactly j of the documents read}."""
        return dict(sorted(Counter(self._docs_per_person()).items()))

    def estimate(self, total_docs: int) -> PeopleEstimate:
        """Distinct people among `total_docs` documents when the ones read were a uniform random sample of them
        (without replacement); exact when all of them were read."""
        read = self.documents
        if total_docs < read:
            raise ValueError(f"total_docs ({total_docs}) is less than the {read} documents read")
        seen = self.distinct()
        if total_docs == read:
            return PeopleEstimate(seen, seen, seen, exact=True, sampled_docs=read, total_docs=total_docs)
        if read == 0:
            raise ValueError("no document was read: nothing to estimate from")
        per_doc = self._people_per_document()
        point, low, high = estimate_distinct(self.frequencies(), per_doc, total_docs)
        return PeopleEstimate(point, low, high, exact=False, sampled_docs=read, total_docs=total_docs)

    # -- internals --

    def _docs_per_person(self) -> list[int]:
        resolution = self._resolution()
        docs: dict[int, set[int]] = {}
        for (doc, _), person in zip(self._sightings, resolution.person_of, strict=True):
            if person is not None:
                docs.setdefault(person, set()).add(doc)
        return [len(d) for d in docs.values()]

    def _people_per_document(self) -> list[int]:
        resolution = self._resolution()
        people: list[set[int]] = [set() for _ in range(self.documents)]
        for (doc, _), person in zip(self._sightings, resolution.person_of, strict=True):
            if person is not None:
                people[doc].add(person)
        return [len(p) for p in people]

    def _resolution(self) -> _Resolution:
        if self._resolved is None:
            self._resolved = _resolve([record for _, record in self._sightings])
        return self._resolved


# --- resolution ----------------------------------------------------------------------------------------------------


def _linking_keys(record: PersonRecord) -> tuple[set[tuple[str, str]], set[str], dict[str, set[str]]]:
    """(strong keys, name hashes, exclusive values) of one sighting."""
    by_kind: dict[str, set[str]] = {}
    for kind, value in record.attributes:
        by_kind.setdefault(attribute_kind(kind), set()).add(value)
    strong = {(kind, value) for kind in STRONG_KINDS & by_kind.keys() for value in by_kind[kind]}
    names = by_kind.get(NAME, set())
    for other in (BIRTH_DATE, ADDRESS):
        strong |= {(f"{NAME}+{other}", f"{n}\x1f{v}") for n in names for v in by_kind.get(other, ())}
    if not strong and not names:
        strong.add(("key", record.key))
    exclusive = {kind: values for kind, values in by_kind.items() if kind in EXCLUSIVE_KINDS}
    return strong, names, exclusive


def _resolve(records: Sequence[PersonRecord]) -> _Resolution:
    linking: dict[PersonRecord, tuple[set[tuple[str, str]], set[str], dict[str, set[str]]]] = {}
    for record in records:  # a person seen in many documents is the same record each time: read it once
        if record not in linking:
            linking[record] = _linking_keys(record)
    keys = [linking[record] for record in records]
    sets = _UnionFind(len(records))
    first_with: dict[tuple[str, str], int] = {}
    shared_by: dict[tuple[str, str], list[int]] = {}
    for index, (strong, _, _) in enumerate(keys):
        for key in strong:
            if key[0] in SHARED_KINDS:
                shared_by.setdefault(key, []).append(index)
            else:
                sets.union(first_with.setdefault(key, index), index)
    groups: dict[int, _Group] = {}
    for index, (_, names, exclusive) in enumerate(keys):
        group = groups.setdefault(sets.find(index), _Group())
        group.absorb(_Group(set(names), {k: set(v) for k, v in exclusive.items()}))
    _link_shared(shared_by, groups, sets)
    ambiguous_roots = _link_by_name(groups, sets)
    roots = sorted({sets.find(i) for i in range(len(records))} - ambiguous_roots)
    number = {root: n for n, root in enumerate(roots)}
    person_of = tuple(number.get(sets.find(i)) for i in range(len(records)))
    ambiguous = sum(1 for p in person_of if p is None)
    return _Resolution(person_of, len(roots), ambiguous)


def _link_shared(shared_by: Mapping[tuple[str, str], list[int]], groups: dict[int, _Group], sets: _UnionFind) -> None:
    """Merge the groups that share a contact point or account, each into the first one it is compatible with
    (siblings on their parents' phone stay apart: their birth dates or MRNs differ)."""
    for sightings in shared_by.values():
        distinct: list[int] = []
        for index in sightings:
            root = sets.find(index)
            if root in distinct:
                continue
            for position, other in enumerate(distinct):
                if groups[root].compatible(groups[other]):
                    distinct[position] = _merge(groups, sets, other, root)
                    break
            else:
                if len(distinct) == _HOUSEHOLD_MAX:  # a clinic's number, not a household's: it links nobody more
                    break
                distinct.append(root)


def _link_by_name(groups: dict[int, _Group], sets: _UnionFind) -> set[int]:
    """Merge groups that share a name and cannot be told apart; return the roots of ambiguous name-only groups."""
    changed = True
    while changed:
        changed = False
        for roots in _roots_by_name(groups).values():
            anchored = [r for r in roots if r in groups and groups[r].anchored()]
            if len(anchored) < 2:
                continue
            candidates = _compatible_peers(groups, anchored)
            for a in anchored:
                (b,) = candidates[a] if len(candidates[a]) == 1 else (None,)
                if b is not None and candidates[b] == {a} and a < b and a in groups and b in groups:
                    _merge(groups, sets, a, b)
                    changed = True
    ambiguous: set[int] = set()
    for roots in _roots_by_name(groups).values():
        live = [r for r in roots if r in groups]
        anchored = [r for r in live if groups[r].anchored()]
        floating = [r for r in live if not groups[r].anchored()]
        if not floating:
            continue
        if len(anchored) > 1:
            ambiguous.update(floating)
            continue
        target = anchored[0] if anchored else floating[0]
        for root in floating:
            if root != target and root in groups and target in groups:
                target = _merge(groups, sets, target, root)
    return {sets.find(r) for r in ambiguous}


def _roots_by_name(groups: Mapping[int, _Group]) -> dict[str, list[int]]:
    by_name: dict[str, list[int]] = {}
    for root, group in groups.items():
        for name in group.names:
            by_name.setdefault(name, []).append(root)
    return by_name


def _compatible_peers(groups: Mapping[int, _Group], roots: Sequence[int]) -> dict[int, set[int]]:
    """For each of `roots` (groups sharing a name), the others it is compatible with (_Group.compatible), found
    through an index of exclusive values instead of comparing every pair: a name thousands of people share
    (a common name in a large export) costs about as much as it has groups."""
    kinds = {kind for root in roots for kind in groups[root].exclusive}
    holding: dict[tuple[str, str], set[int]] = {}
    lacking: dict[str, set[int]] = {kind: set() for kind in kinds}
    for root in roots:
        exclusive = groups[root].exclusive
        for kind in kinds:
            if kind in exclusive:
                for value in exclusive[kind]:
                    holding.setdefault((kind, value), set()).add(root)
            else:
                lacking[kind].add(root)
    peers: dict[int, set[int]] = {}
    for root in roots:
        found: set[int] | None = None
        for kind, values in sorted(groups[root].exclusive.items(), key=lambda item: len(lacking[item[0]])):
            agreeing = set().union(*(holding[(kind, value)] for value in values))
            agreeing |= lacking[kind] if found is None else lacking[kind] & found
            found = agreeing if found is None else found & agreeing
            if len(found) <= 1:
                break
        peers[root] = (found if found is not None else set(roots)) - {root}
    return peers


def _merge(groups: dict[int, _Group], sets: _UnionFind, a: int, b: int) -> int:
    root = sets.union(a, b)
    merged = _Group()
    merged.absorb(groups.pop(a))
    merged.absorb(groups.pop(b))
    groups[root] = merged
    return root


# --- estimation ----------------------------------------------------------------------------------------------------

_HALF_CHI2_95: Final = 1.920729410347062  # chi-square(1 df) 95 % quantile / 2
_Z95: Final = 1.959963984540054
_POOL_FROM: Final = 6  # sample counts >= this are one observation type (keeps the optimisation small)
_DENSE_K: Final = 24  # files-per-person values tried one by one up to here, then on a geometric grid
_MAX_K: Final = 5000
_SEARCH_TOLERANCE: Final = 0.002  # relative, on D


def estimate_distinct(
    frequencies: Mapping[int, int], people_per_doc: Sequence[int], total_docs: int
) -> tuple[int, int, int]:
    """(point, low, high) distinct people among `total_docs` documents, from a uniform random sample of them:
    `frequencies` {j: people seen in exactly j sampled documents}, `people_per_doc` one entry per sampled
    document (0 for a document that names nobody)."""
    read = len(people_per_doc)
    if not 0 < read <= total_docs:
        raise ValueError("the sample must hold between 1 and total_docs documents")
    fraction = read / total_docs
    seen = sum(frequencies.values())
    incidences = sum(people_per_doc)
    if seen == 0:
        # Nobody in the sample: at most ~3/read of all documents name anyone (the "rule of three").
        return 0, 0, min(total_docs, math.ceil(3 * total_docs / read))
    mean = incidences / read
    variance = sum((x - mean) ** 2 for x in people_per_doc) / max(read - 1, 1)
    total_incidences = mean * total_docs
    incidence_se = total_docs * math.sqrt(max(0.0, (1 - fraction) * variance / read))
    profile = _Profile(frequencies, fraction, total_incidences)
    point, low, high = profile.interval()
    relative = _Z95 * incidence_se / total_incidences
    low = point - math.hypot(point - low, point * relative)
    high = point + math.hypot(high - point, point * relative)
    return round(point), max(seen, math.floor(low)), max(round(point), math.ceil(high))


class _Profile:
    """Profile log-likelihood of the number of people D, maximised over the files-per-person distribution."""

    def __init__(self, frequencies: Mapping[int, int], fraction: float, incidences: float) -> None:
        observed = {j: c for j, c in frequencies.items() if c > 0 and j > 0}
        self.seen = sum(observed.values())
        self.incidences = max(incidences, float(sum(j * c for j, c in observed.items())))
        pooled: Counter[int] = Counter()
        for j, count in observed.items():
            pooled[min(j, _POOL_FROM)] += count
        self.types = sorted(pooled)
        self.counts = [pooled[j] for j in self.types]
        largest = max(observed)
        k_max = min(_MAX_K, max(12, math.ceil(3 * (largest + 1) / fraction), math.ceil(3 * incidences / self.seen)))
        self.ks = _k_grid(k_max)
        self.rows = {k: _type_probabilities(k, fraction, self.types) for k in self.ks}

    def interval(self) -> tuple[float, float, float]:
        low, high = self.seen + 0.5, self.incidences - 0.5
        if high <= low:
            return float(self.seen), float(self.seen), float(self.seen)
        point, best = _golden_max(self.loglik, low, high)
        cut = best - _HALF_CHI2_95
        return point, self._edge(point, low, cut), self._edge(point, high, cut)

    def _edge(self, inside: float, outside: float, cut: float) -> float:
        if self.loglik(outside) >= cut:
            return outside
        scale = inside
        while abs(outside - inside) > _SEARCH_TOLERANCE * scale:
            middle = (inside + outside) / 2
            if self.loglik(middle) >= cut:
                inside = middle
            else:
                outside = middle
        return (inside + outside) / 2

    def loglik(self, people: float) -> float:
        mean = self.incidences / people
        vertices = self._vertices(mean)
        unseen = people - self.seen
        counts = [unseen, *self.counts]
        return math.lgamma(people + 1) - math.lgamma(unseen + 1) + _max_mixture_loglik(counts, vertices)

    def _vertices(self, mean: float) -> list[list[float]]:
        """The observation-type probabilities of every two-point files-per-person distribution with this mean:
        the corners of the set of all distributions with that mean."""
        below = [k for k in self.ks if k <= mean]
        above = [k for k in self.ks if k > mean]
        vertices: list[list[float]] = []
        for k1 in below:
            row1 = self.rows[k1]
            if k1 == mean:
                vertices.append(row1)
                continue
            for k2 in above:
                weight = (k2 - mean) / (k2 - k1)
                vertices.append([weight * a + (1 - weight) * b for a, b in zip(row1, self.rows[k2], strict=True)])
        return vertices


def _k_grid(k_max: int) -> list[int]:
    ks = list(range(1, min(k_max, _DENSE_K) + 1))
    k = _DENSE_K
    while k < k_max:
        k = min(k_max, max(k + 1, round(k * 1.12)))
        ks.append(k)
    return ks


def _type_probabilities(k: int, q: float, types: Sequence[int]) -> list[float]:
    """P(seen 0 times), then P(seen j times) for each observed type j (the last, _POOL_FROM, meaning >= it)."""

    def exactly(j: int) -> float:
        if j > k:
            return 0.0
        return math.exp(
            math.lgamma(k + 1)
            - math.lgamma(j + 1)
            - math.lgamma(k - j + 1)
            + j * math.log(q)
            + (k - j) * math.log1p(-q)
        )

    row = [exactly(0)]
    for j in types:
        if j < _POOL_FROM:
            row.append(exactly(j))
        else:
            row.append(max(0.0, 1.0 - sum(exactly(i) for i in range(_POOL_FROM))))
    return row


def _golden_max(function: Callable[[float], float], low: float, high: float) -> tuple[float, float]:
    ratio = (math.sqrt(5) - 1) / 2
    a, b = low, high
    x1, x2 = b - ratio * (b - a), a + ratio * (b - a)
    f1, f2 = function(x1), function(x2)
    while b - a > _SEARCH_TOLERANCE * a:
        if f1 > f2:
            b, x2, f2 = x2, x1, f1
            x1 = b - ratio * (b - a)
            f1 = function(x1)
        else:
            a, x1, f1 = x1, x2, f2
            x2 = a + ratio * (b - a)
            f2 = function(x2)
    return (x1, f1) if f1 > f2 else (x2, f2)


# max_w sum_j c_j log(sum_v w_v y_vj) over mixture weights w, solved through its dual
#   min_u  sum_j c_j log(c_j / u_j) - C log C   s.t.  u . y_v <= 1 for every vertex v
# with a log-barrier Newton method on a growing set of active vertices (column generation): the dual has one
# variable per observation type (at most _POOL_FROM + 1), whatever the number of vertices.

_GAP: Final = 1e-4
_CENTRING: Final = 1e-6
_BATCH: Final = 24


def _max_mixture_loglik(counts: Sequence[float], vertices: Sequence[Sequence[float]]) -> float:
    total = sum(counts)
    active = _initial_vertices(vertices, len(counts))
    u = [0.5 / max(sum(vertices[v]) for v in active)] * len(counts)
    t = len(active) / total
    while True:
        u, t = _barrier_solve(counts, [vertices[v] for v in active], u, t)
        loads = [sum(a * b for a, b in zip(u, y, strict=True)) for y in vertices]
        worst = max(loads)
        if worst <= 1.0 + 1e-9:
            break
        violated = sorted((i for i, load in enumerate(loads) if load > 1.0), key=lambda i: -loads[i])
        active = sorted(set(active) | set(violated[:_BATCH]))
        u = [x / (worst * (1 + 1e-3)) for x in u]
        t = max(len(active) / total, t / 1000)
    u = [x / max(worst, 1.0) for x in u]
    return sum(c * math.log(c / x) for c, x in zip(counts, u, strict=True) if c > 0) - total * math.log(total)


def _initial_vertices(vertices: Sequence[Sequence[float]], dims: int) -> list[int]:
    """A few vertices that best explain each observation type."""
    chosen: set[int] = set()
    for j in range(dims):
        ranked = sorted(range(len(vertices)), key=lambda v: -vertices[v][j])
        chosen.update(ranked[:2])
    return sorted(chosen)


def _barrier_solve(
    counts: Sequence[float], rows: Sequence[Sequence[float]], u: list[float], t: float
) -> tuple[list[float], float]:
    """Follow the central path from (u, t) until the duality gap len(rows)/t is below _GAP."""
    while True:
        for _ in range(200):
            step, decrement = _newton_step(counts, rows, u, t)
            if decrement / 2 < _CENTRING * t:  # the dual objective is then within _CENTRING of the centre's
                break
            u = _line_search(counts, rows, u, step, decrement, t)
        if len(rows) / t < _GAP:
            return u, t
        t *= 20.0


def _newton_step(
    counts: Sequence[float], rows: Sequence[Sequence[float]], u: Sequence[float], t: float
) -> tuple[list[float], float]:
    dims = len(u)
    gradient = [-t * c / x for c, x in zip(counts, u, strict=True)]
    hessian = [[0.0] * dims for _ in range(dims)]
    for j in range(dims):
        hessian[j][j] = t * counts[j] / (u[j] * u[j])
    for y in rows:
        inverse = 1.0 / (1.0 - sum(a * b for a, b in zip(u, y, strict=True)))
        squared = inverse * inverse
        for a in range(dims):
            ya = y[a]
            if ya:
                gradient[a] += ya * inverse
                line = hessian[a]
                for b in range(dims):
                    line[b] += ya * y[b] * squared
    step = _solve(hessian, [-g for g in gradient])
    return step, -sum(g * s for g, s in zip(gradient, step, strict=True))


def _barrier_value(counts: Sequence[float], rows: Sequence[Sequence[float]], u: Sequence[float], t: float) -> float:
    value = -t * sum(c * math.log(x) for c, x in zip(counts, u, strict=True))
    for y in rows:
        value -= math.log(1.0 - sum(a * b for a, b in zip(u, y, strict=True)))
    return value


def _max_feasible_step(rows: Sequence[Sequence[float]], u: Sequence[float], step: Sequence[float]) -> float:
    """The largest s with u + s * step strictly inside the dual's feasible set."""
    largest = math.inf
    for x, d in zip(u, step, strict=True):
        if d < 0:
            largest = min(largest, -x / d)
    for y in rows:
        growth = sum(d * b for d, b in zip(step, y, strict=True))
        if growth > 0:
            largest = min(largest, (1.0 - sum(a * b for a, b in zip(u, y, strict=True))) / growth)
    return largest


def _line_search(
    counts: Sequence[float], rows: Sequence[Sequence[float]], u: list[float], step: Sequence[float],
    decrement: float, t: float,
) -> list[float]:  # fmt: skip
    current = _barrier_value(counts, rows, u, t)
    size = min(1.0, 0.99 * _max_feasible_step(rows, u, step))
    while size > 1e-10:
        candidate = [x + size * s for x, s in zip(u, step, strict=True)]
        if _barrier_value(counts, rows, candidate, t) <= current - 0.25 * size * decrement:
            return candidate
        size /= 2
    return u


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the systems here are at most 7 x 7)."""
    n = len(vector)
    rows = [[*matrix[i], vector[i]] for i in range(n)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(col + 1, n):
            factor = rows[r][col] / rows[col][col]
            if factor:
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    solution = [0.0] * n
    for r in range(n - 1, -1, -1):
        solution[r] = (rows[r][n] - sum(rows[r][c] * solution[c] for c in range(r + 1, n))) / rows[r][r]
    return solution


def resolve_people(records: Sequence[PersonRecord]) -> tuple[tuple[int | None, ...], int]:
    """Resolve `records` as one population: per record, the index of the person it is (None for a name-only
    sighting of a name several people share: one of them, not a new person), and the number of people."""
    resolution = _resolve(records)
    return resolution.person_of, resolution.people
