"""The config schema: entities, sources, rules, channels and users in one YAML file.

This is the core of the schema. Each source, rule and channel type defines its own config
model beside its implementation, on the bases here (``SourceBase``, ``PagedSource``,
``UrlSource``, ``ReadSettings``, ``RuleBase``, ``ChannelBase``); ``config_model(plugins)``
builds the full schema from the registries in ``plugins`` (see ``models.plugins``), with one
discriminated union by ``type`` for each of ``sources``, ``rules`` and ``channels``.

Every model forbids unknown keys and is frozen after load. Durations are written as ``30s``,
``10m``, ``2h``, ``7d`` (or a number of seconds). Secrets are never written in the file: a key
ending in ``_env`` names the environment variable that holds the secret.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import cache
from typing import Annotated, Any, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from models.plugins import Plugins

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


def parse_duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 10m, 2h or 7d")
    if isinstance(value, (int, float)):
        return timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"expected a duration such as 30s, 10m, 2h or 7d, got {value!r}")
    return timedelta(seconds=float(match[1]) * _UNITS[match[2]])


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Name = Annotated[str, Field(pattern=NAME_PATTERN)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EntityConfig(Strict):
    """A brand or product. A review mentions it when a keyword or alias occurs in the text and
    no exclusion phrase covers that occurrence (小米 the brand, not 小米粥)."""
    id: Name
    name: str
    kind: Literal["brand", "product"] = "brand"
    parent: str | None = None
    keywords: list[str] = Field(min_length=1)
    aliases: list[str] = []
    exclude: list[str] = []
    topics: dict[str, list[str]] = {}  # extra topic keywords for this entity's reviews
    # True: this entity's reviews get only its own ``topics`` (a car dealer or a bank has
    # little use for 口味 or 包装); False: its topics extend the default taxonomy.
    topics_replace: bool = False
    # The industry whose topic taxonomy this entity's reviews get (nlp.topics.INDUSTRY_TOPICS):
    # a phone brand ("electronics") gets no 卫生安全 for 干净. None: the general taxonomy.
    industry: Literal["general", "electronics", "apps", "food", "hotel", "finance",
                      "auto"] | None = None

    @model_validator(mode="after")
    def _replacing_needs_topics(self) -> "EntityConfig":
        if self.topics_replace and not self.topics:
            raise ValueError("topics_replace is true but no topics are given: reviews about "
                             "this entity would get no topics at all")
        return self


class SourceBase(Strict):
    """What every source type's config has; a type adds ``type: Literal["its_name"]`` and its
    own keys."""
    name: Name
    base_url: str | None = None  # point the source at a mirror or a local fixture server
    interval: Duration = timedelta(minutes=15)
    entities: list[str] = []     # entities every review of this source is about
    enabled: bool = True
    user_agent: str | None = None
    obey_robots: bool = True
    # Pages are attacker-controlled: "next" links are followed only over http(s) to the
    # source's own host or one of these; a response larger than max_response_bytes fails.
    follow_hosts: list[str] = []
    max_response_bytes: Annotated[int, Field(ge=1024)] = 16 * 1024 * 1024


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"expected an IANA timezone such as Asia/Shanghai, got {value!r}")
    return value


Zone = Annotated[str, AfterValidator(_known_zone)]
MaxPages = Annotated[int, Field(ge=1, le=100)]


class PagedSource(SourceBase):
    """Options shared by the paged site types. ``order: unordered`` (a site not sorted newest
    first) re-reads ``max_pages`` pages every crawl instead of stopping at known reviews."""
    max_pages: MaxPages = 10
    concurrency: Annotated[int, Field(ge=1, le=4)] = 1  # requests at a time to this site
    order: Literal["newest_first", "unordered"] = "newest_first"


class UrlSource(PagedSource):
    """A generic source read from ``url``: absolute, or a path under ``base_url``."""
    url: str

    @model_validator(mode="after")
    def _url_is_reachable(self) -> "UrlSource":
        if "://" not in self.url and not self.base_url:
            raise ValueError(f"url {self.url!r} is not absolute (http://...) and no base_url "
                             "is given")
        return self


class ReadSettings(UrlSource):
    """How the generic types read times and ratings."""
    time_format: str | None = None  # strptime format; default: the formats parse_time knows
    timezone: Zone = "Asia/Shanghai"  # for times written without an offset
    rating_scale: Annotated[float, Field(gt=0)] = 5.0


class RuleBase(Strict):
    """What every rule type's config has: scope, routing and incident timing; a type adds
    ``type: Literal["its_name"]`` and its own thresholds."""
    name: Name
    entities: list[str] = []
    sources: list[str] = []
    group_by: Literal["entity", "source", "topic", "aspect"] | None = None
    channels: list[str] = []
    team: str | None = None  # route to this team: its channels, on-call, quiet hours, escalation
    realert: Duration = timedelta(minutes=30)
    resolve_after: Duration = timedelta(minutes=30)
    reopen_within: Duration = timedelta(0)  # a firing this soon after auto-resolve reopens it
    join_within: Duration = timedelta(0)  # join an active incident with shared terms this recent
    # None: the rule type's own (critical for crisis_keyword, else warning). Critical incidents
    # are notified in quiet hours and through silences that do not name their rule.
    severity: Literal["warning", "critical"] | None = None
    enabled: bool = True


class ChannelBase(Strict):
    """What every channel type's config has; a type adds ``type: Literal["its_name"]`` and
    where and how to deliver."""
    name: Name


class CalendarEvent(Strict):
    """A declared event (618, 双11, a launch, a planned outage): its hours are left out of
    baselines; while it runs, expected counts of the rules it covers are multiplied by
    ``scale``, and a planned ``outage`` silences ``source_silent`` and volume falls."""
    name: str
    kind: Literal["sale", "launch", "outage", "other"] = "other"
    start: datetime
    end: datetime
    entities: list[str] = []   # empty: every entity
    sources: list[str] = []    # empty: every source
    scale: Annotated[float, Field(gt=0)] = 1.0

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("write the time with its offset, e.g. 2026-11-11T00:00+08:00")
        return value


_CLOCK = r"^([01]\d|2[0-3]):[0-5]\d$"


class QuietHours(Strict):
    """Local times (the config timezone); ``start`` after ``end`` spans midnight."""
    start: Annotated[str, Field(pattern=_CLOCK)]
    end: Annotated[str, Field(pattern=_CLOCK)]


class TeamConfig(Strict):
    """People who answer a set of rules. ``members`` (usernames) take the on-call week in turn
    (weeks start Monday 00:00 local); non-critical notifications in ``quiet_hours`` wait until
    they end; an incident not acknowledged ``escalate_after`` its first notification goes to
    ``escalation_channels`` and the next member."""
    name: Name
    members: list[str] = []
    channels: list[str] = []
    quiet_hours: QuietHours | None = None
    escalate_after: Duration | None = None
    escalation_channels: list[str] = []


class UserConfig(Strict):
    username: Name
    display_name: str | None = None
    role: Literal["admin", "analyst", "handler"] = "analyst"
    entities: list[str] = ["*"]  # brand scope; "*" means every entity
    email: str | None = None


class ElasticsearchOptions(Strict):
    """``store.options`` when ``store.backend`` is ``elasticsearch``. Secrets come from the
    variables named by ``password_env`` / ``api_key_env``; ``KOUBEI_ES_URL`` overrides ``url``."""
    url: str | None = None
    index_prefix: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,47}$")] = "koubei"
    username: str | None = None
    password_env: str = "KOUBEI_ES_PASSWORD"
    api_key_env: str = "KOUBEI_ES_API_KEY"
    ca_certs: str | None = None
    verify: bool = True
    request_timeout: Annotated[float, Field(gt=0)] = 30.0
    batch_size: Annotated[int, Field(ge=1, le=100_000)] = 2000


class StoreConfig(Strict):
    backend: str = "sqlite"
    options: dict[str, object] = {}

    @model_validator(mode="after")
    def _known_backend_options(self) -> "StoreConfig":
        if self.backend == "elasticsearch":
            try:
                ElasticsearchOptions.model_validate(self.options)
            except ValidationError as exc:
                first = exc.errors()[0]
                key = ".".join(str(part) for part in first["loc"])
                raise ValueError(f"options.{key}: {first['msg']}") from None
        return self


class WebConfig(Strict):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8080
    # Used in links inside notifications; an https:// URL also marks the session cookie Secure.
    public_url: str | None = None
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are believed (0:
    # none, the headers are ignored, so nobody can pose as another address to the login lock).
    trusted_proxies: Annotated[int, Field(ge=0, le=5)] = 0

    @property
    def base_url(self) -> str:
        """Where links in notifications and reports point: ``public_url``, else this server."""
        return self.public_url or f"http://{self.host}:{self.port}"


class TouchpointStage(Strict):
    """One stage of the customer journey and the topics whose reviews speak about it."""
    stage: Annotated[str, Field(min_length=1)]
    topics: list[Annotated[str, Field(min_length=1)]] = []


# The e-commerce journey over the built-in topic taxonomy (``nlp.topics``). 下单支付 has no
# built-in topic: an entity's own topic (``entities[].topics``) can be mapped to it.
DEFAULT_TOUCHPOINTS = (
    TouchpointStage(stage="售前咨询", topics=["价格"]),
    TouchpointStage(stage="下单支付", topics=[]),
    TouchpointStage(stage="物流配送", topics=["物流配送", "包装"]),
    TouchpointStage(stage="使用体验", topics=["产品质量", "功能性能", "电池续航", "外观设计",
                                          "口味", "卫生安全", "环境", "服务速度"]),
    TouchpointStage(stage="售后服务", topics=["售后退换", "客服态度"]),
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ReportConfig(Strict):
    """A briefing mailed on a schedule to ``channels`` (e-mail channels), for ``entities``
    (default: all) at ``at`` (local time): ``daily`` sends yesterday's briefing every day,
    ``weekly`` last week's every ``weekday`` (``koubei report send NAME``)."""
    name: Name
    type: Literal["daily", "weekly"] = "weekly"
    channels: list[str] = Field(min_length=1)
    weekday: Literal[WEEKDAYS] = "mon"
    at: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "09:00"
    entities: list[str] = []


class KoubeiConfig(Strict):
    """The whole file. Here ``sources``, ``rules`` and ``channels`` accept instances of their
    bases only; the class ``config_model(plugins)`` returns validates them from the file."""
    timezone: Zone = "Asia/Shanghai"
    language: Literal["zh-CN", "en"] = "zh-CN"
    store: StoreConfig = StoreConfig()
    state_url: str | None = None  # SQLAlchemy URL; default: SQLite file in the data directory
    detection_interval: Duration = timedelta(minutes=1)
    # Also run detection within seconds of a crawl that stored new reviews, instead of
    # waiting for the next ``detection_interval`` tick (read when the scheduler starts).
    detect_after_crawl: bool = True
    web: WebConfig = WebConfig()
    entities: list[EntityConfig] = []
    sources: list[SourceBase] = []
    rules: list[RuleBase] = []
    channels: list[ChannelBase] = []
    users: list[UserConfig] = []
    events: list[CalendarEvent] = []
    teams: list[TeamConfig] = []
    reports: list[ReportConfig] = []
    # the customer journey's stages in order, each with its topics (web: CX touchpoints)
    touchpoints: list[TouchpointStage] = list(DEFAULT_TOUCHPOINTS)

    def source(self, name: str) -> SourceBase:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)

    def channel(self, name: str) -> ChannelBase:
        for channel in self.channels:
            if channel.name == name:
                return channel
        raise KeyError(name)


def config_model(plugins: Plugins) -> type[KoubeiConfig]:
    """The ``KoubeiConfig`` subclass whose ``sources``, ``rules`` and ``channels`` are lists of
    the discriminated union (by ``type``) of the config models of ``plugins``' types. Built once
    per set of config models."""
    return _config_model(*(registry.config_models()
                           for registry in plugins.sections().values()))


@cache
def _config_model(sources: tuple[type[SourceBase], ...], rules: tuple[type[RuleBase], ...],
                  channels: tuple[type[ChannelBase], ...]) -> type[KoubeiConfig]:
    return create_model("KoubeiConfig", __base__=KoubeiConfig, __module__=__name__,
                        sources=(list[_tagged(sources)], []), rules=(list[_tagged(rules)], []),
                        channels=(list[_tagged(channels)], []))


def _tagged(models: tuple[type[BaseModel], ...]) -> Any:
    return Annotated[Union[models], Field(discriminator="type")]

