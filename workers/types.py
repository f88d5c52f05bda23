"""Message shapes that flow between the stages.

Each TypedDict mirrors one topic's JSON Schema in ``schemas/`` (the schema is
the contract on the wire; these types are the contract in code). Stages take
and return these dicts, so what a stage returns is exactly what goes on Kafka.

    articles.raw         RawArticle          (input, validated at ingress)
    articles.normalized  NormalizedArticle   (normalize stage)
    articles.entities    ArticleEntities     (entity stage, spaCy)
    events.enriched      EnrichedEvent       (casualty stage + event assembly)
    actors.counts        ActorCounts         (per-actor running counts)
    articles.dead-letter workers.dlq.DeadLetter (anything that failed)
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict, get_args

# ---------------------------------------------------------------- input


class RawArticle(TypedDict):
    id: str
    title: NotRequired[str | None]  # missing or empty: the first sentence serves as headline
    body: str
    source: str
    url: str | None
    # ISO 8601 date-time with offset, or a plain date; missing: inferred from the text
    published_at: NotRequired[str | None]
    language: NotRequired[str]


# ---------------------------------------------------------------- normalize


class Sentence(TypedDict):
    """A sentence of ``NormalizedArticle.text``: ``text[start:end]``."""

    start: int
    end: int


class NormalizedArticle(TypedDict):
    schema_version: int
    id: str
    source: str
    url: str | None
    published_at: str
    language: str
    title: str
    text: str  # cleaned body: paragraphs joined by "\n\n"
    sentences: list[Sentence]  # offsets into ``text``
    content_hash: str  # sha256 of the case-folded, whitespace-collapsed title + text
    removed: list[str]  # boilerplate lines that were stripped (for audit)
    published_at_inferred: NotRequired[bool]  # present (True) when published_at was read from the text


# ---------------------------------------------------------------- entities

# state_force: military and security forces of a state; police: police and gendarmerie;
# government: officials, ministries, courts and other state bodies; pro_government_militia:
# armed groups acting with a state's backing; armed_group: rebels, insurgents, jihadist groups;
# criminal_group: cartels and gangs; unidentified: "unknown gunmen", "bandits", "militiamen";
# international_org: UN, AU and other inter-state bodies.
ActorKind = Literal[
    "state_force",
    "police",
    "government",
    "pro_government_militia",
    "armed_group",
    "criminal_group",
    "unidentified",
    "international_org",
    "civilian",
    "monitor",
    "other",
]
ActorRole = Literal["perpetrator", "target", "speaker", "mentioned"]


class ActorMention(TypedDict):
    actor_id: str | None  # canonical id from the gazetteer; None = unresolved
    text: str  # surface text as written
    kind: ActorKind
    role: ActorRole
    sentence: int  # index into ``sentences``; -1 = the title
    start: int  # char offsets into ``text`` (or the title when sentence == -1)
    end: int


class PlaceMention(TypedDict):
    text: str
    name: str  # resolved gazetteer name (or the text when unresolved)
    admin1: str | None  # governorate / province
    country: str | None  # ISO 3166-1 alpha-2
    lat: float | None
    lon: float | None
    sentence: int
    start: int
    end: int


class ArticleEntities(TypedDict):
    schema_version: int
    id: str
    source: str
    url: str | None
    published_at: str
    title: str
    text: str
    sentences: list[Sentence]
    content_hash: str
    published_at_inferred: NotRequired[bool]
    actors: list[ActorMention]
    places: list[PlaceMention]


# ---------------------------------------------------------------- events

# what kind of doer an event has (workers.stages.event_perpetrator.perpetrator_type):
# state_forces: military, police, security services; state_authority: government, ministries,
# courts, officials; pro_government_armed: militias acting with a state's backing;
# non_state_armed: armed groups, gangs, unidentified gunmen; private: companies and private
# persons (the accused of a prosecuted crime); international: UN, AU and other inter-state
# bodies; unknown: the text names no doer.
PerpetratorType = Literal[
    "state_forces",
    "state_authority",
    "pro_government_armed",
    "non_state_armed",
    "private",
    "international",
    "unknown",
]
PERPETRATOR_TYPES: tuple[PerpetratorType, ...] = get_args(PerpetratorType)

VictimKind = Literal["civilians", "children", "women", "fighters", "soldiers", "unspecified"]


class Quantity(TypedDict):
    """A reported figure: ``low`` None = no lower bound stated, ``high`` None = open-ended."""

    low: int | None
    high: int | None


class Evidence(TypedDict):
    field: str  # killed | injured | displaced | kidnapped | missing | perpetrator | location | date | type
    text: str  # the sentence (or title) the figure or fact was read from
    start: int  # char span of the figure within ``text`` of the article
    end: int
    sentence: int


class Location(TypedDict):
    name: str | None
    admin1: str | None
    country: str | None
    lat: float | None
    lon: float | None


class EventDate(TypedDict):
    value: str | None  # ISO date (YYYY-MM-DD) of the event, grounded on published_at
    precision: Literal["day", "week", "month", "year", "unknown"]
    # text: read from the article's words; published: the publication date stands in;
    # inferred: the publication time itself was missing and was inferred from the text
    source: NotRequired[Literal["text", "published", "inferred"]]


class SourceRef(TypedDict):
    article_id: str
    source: str
    url: str | None
    published_at: str


class EnrichedEvent(TypedDict):
    schema_version: int
    event_id: str
    version: int
    type: str
    violent: bool
    perpetrator: str | None
    perpetrator_type: NotRequired[PerpetratorType]  # what kind of doer (see PerpetratorType)
    co_perpetrators: list[str]
    targets: list[str]
    speakers: list[str]
    location: Location
    date: EventDate
    killed: Quantity | None
    # the part of ``killed`` that is non-combatants (civilians, children, people not said to fight)
    killed_noncombatants: NotRequired[Quantity | None]
    injured: Quantity | None
    displaced: Quantity | None
    kidnapped: Quantity | None
    victims: VictimKind
    evidence: list[Evidence]
    confidence: float
    article_id: str
    sources: list[SourceRef]


# ---------------------------------------------------------------- counts


class ActorCounts(TypedDict):
    schema_version: int
    actor_id: str
    day: str | None  # None: all-time totals (key: actor id); else one daily window (key: actor|day)
    events: int
    killed_low: int
    injured_low: int
    updated_at: str


# dead letters: ``workers.dlq.DeadLetter`` (articles.dead-letter v1)
