"""The config schema: entities, sources, rules, channels and users in one YAML file.

Every model forbids unknown keys and is frozen after load. Durations are written as ``30s``,
``10m``, ``2h``, ``7d`` (or a number of seconds). Secrets are never written in the file: a key
ending in ``_env`` names the environment variable that holds the secret.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

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

    @model_validator(mode="after")
    def _replacing_needs_topics(self) -> "EntityConfig":
        if self.topics_replace and not self.topics:
            raise ValueError("topics_replace is true but no topics are given: reviews about "
                             "this entity would get no topics at all")
        return self


class SourceBase(Strict):
    name: Name
    base_url: str | None = None  # point the source at a mirror or a local fixture server
    interval: Duration = timedelta(minutes=15)
    entities: list[str] = []     # entities every review of this source is about
    enabled: bool = True
    user_agent: str | None = None
    obey_robots: bool = True


class AppStoreSource(SourceBase):
    type: Literal["appstore"]
    app_id: Annotated[str, Field(pattern=r"^\d+$")]
    country: Annotated[str, Field(pattern=r"^[a-z]{2}$")] = "cn"
    max_pages: Annotated[int, Field(ge=1, le=10)] = 10


class FileSource(SourceBase):
    """Files exported by platforms or customer-service systems (CSV, JSONL, XLSX). ``path`` is
    one file, or a folder watched for new files (each imported once)."""
    type: Literal["file"]
    path: str | None = None
    mapping: dict[str, str] = {}  # review field -> column name in the file
    timezone: str = "Asia/Shanghai"  # for times written without an offset


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


class BilibiliSource(PagedSource):
    type: Literal["bilibili"]
    oid: Annotated[str, Field(pattern=r"^\d+$")]  # the video's numeric aid
    api: Literal["page", "cursor"] = "page"


class DoubanSource(PagedSource):
    type: Literal["douban"]
    subject_id: Annotated[str, Field(pattern=r"^\d+$")]
    kind: Literal["movie", "book"] = "movie"


class JdSource(PagedSource):
    type: Literal["jd"]
    sku: Annotated[str, Field(pattern=r"^\d+$")]


class WeiboSource(PagedSource):
    """Comments of one post; sorted by popularity, so every crawl re-reads the first pages."""
    type: Literal["weibo"]
    mid: Annotated[str, Field(pattern=r"^\d+$")]
    max_pages: MaxPages = 3


class CtripSource(PagedSource):
    type: Literal["ctrip"]
    poi_id: Annotated[str, Field(pattern=r"^\d+$")]


class UrlSource(PagedSource):
    """A generic source read from ``url``: absolute, or a path under ``base_url``."""
    url: str

    @model_validator(mode="after")
    def _url_is_reachable(self) -> "UrlSource":
        if "://" not in self.url and not self.base_url:
            raise ValueError(f"url {self.url!r} is not absolute (http://...) and no base_url "
                             "is given")
        return self


class RssSource(UrlSource):
    """An RSS 2.0 or Atom feed."""
    type: Literal["rss"]
    max_pages: MaxPages = 1


class ReadSettings(UrlSource):
    """How the generic types read times and ratings."""
    time_format: str | None = None  # strptime format; default: the formats parse_time knows
    timezone: Zone = "Asia/Shanghai"  # for times written without an offset
    rating_scale: Annotated[float, Field(gt=0)] = 5.0


class HtmlFields(Strict):
    """Selectors inside one review item: CSS (``::text``, ``::attr(name)`` allowed) or XPath
    written as ``xpath:...``."""
    text: str
    id: str | None = None
    author: str | None = None
    title: str | None = None
    rating: str | None = None
    time: str | None = None
    link: str | None = None
    likes: str | None = None


class HtmlSource(ReadSettings):
    type: Literal["html"]
    item: str                      # selector of one review on the list page
    fields: HtmlFields
    next_page: str | None = None   # selector of the next page's link (its href)


def _jmespath(value: str | None) -> str | None:
    import jmespath  # here: only configs with a jsonapi source need it
    from jmespath.exceptions import JMESPathError

    if value is not None:
        try:
            jmespath.compile(value)
        except JMESPathError as exc:
            raise ValueError(f"not a valid JMESPath expression {value!r}: {exc}") from None
    return value


JmesPath = Annotated[str, AfterValidator(_jmespath)]


class JsonApiFields(Strict):
    """JMESPath expressions inside one item."""
    text: JmesPath
    id: JmesPath | None = None
    author: JmesPath | None = None
    title: JmesPath | None = None
    rating: JmesPath | None = None
    time: JmesPath | None = None
    link: JmesPath | None = None
    likes: JmesPath | None = None
    replies: JmesPath | None = None


class JsonApiSource(ReadSettings):
    type: Literal["jsonapi"]
    items: JmesPath                     # JMESPath of the item list
    fields: JsonApiFields
    method: Literal["GET", "POST"] = "GET"
    body: dict[str, object] = {}    # POST: JSON body; the page/cursor goes in it, not the URL
    pagination: Literal["page", "cursor", "none"] = "page"
    page_param: str = "page"
    first_page: int = 1
    cursor_param: str = "cursor"
    next_cursor: JmesPath | None = None  # JMESPath of the next cursor (pagination: cursor)
    stop: JmesPath | None = None         # JMESPath; a true value means this is the last page


SourceConfig = Annotated[Union[AppStoreSource, FileSource, BilibiliSource, DoubanSource,
                               JdSource, WeiboSource, CtripSource, RssSource, HtmlSource,
                               JsonApiSource], Field(discriminator="type")]


class RuleBase(Strict):
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


class NegativeSpikeRule(RuleBase):
    """Negative reviews in the current window against the rate expected from a baseline."""
    type: Literal["negative_spike"]
    window: Duration = timedelta(minutes=10)
    baseline: Duration = timedelta(days=7)
    min_count: Annotated[int, Field(ge=1)] = 5
    p_value: Annotated[float, Field(gt=0, lt=0.5)] = 0.001
    min_ratio: Annotated[float, Field(ge=1)] = 2.0
    seasonal: bool = True          # expected count follows hour-of-day and day-of-week
    volume_window: Duration | None = None  # non-negative volume read for the volume factor
    elevated_p_value: Annotated[float, Field(gt=0, lt=1)] = 0.05  # still high: keep firing


class NegativeShareRule(RuleBase):
    """The share of negative reviews in the window against the baseline share (binomial)."""
    type: Literal["negative_share"]
    window: Duration = timedelta(minutes=30)
    baseline: Duration = timedelta(days=7)
    min_count: Annotated[int, Field(ge=1)] = 5
    p_value: Annotated[float, Field(gt=0, lt=0.5)] = 0.001
    min_increase: Annotated[float, Field(ge=0, lt=1)] = 0.15  # share points above baseline


class VolumeSpikeRule(RuleBase):
    """All mentions rise (virality) or fall (outage of interest) against the seasonal rate."""
    type: Literal["volume_spike"]
    window: Duration = timedelta(minutes=30)
    baseline: Duration = timedelta(days=7)
    direction: Literal["up", "down", "both"] = "both"
    min_count: Annotated[int, Field(ge=1)] = 10     # at least this many (up) or expected (down)
    p_value: Annotated[float, Field(gt=0, lt=0.5)] = 0.001
    min_ratio: Annotated[float, Field(ge=1)] = 3.0  # count/expected (up) or expected/count


class RatingDropRule(RuleBase):
    """The average star rating in the window falls against the baseline's (z-test)."""
    type: Literal["rating_drop"]
    window: Duration = timedelta(hours=1)
    baseline: Duration = timedelta(days=7)
    min_count: Annotated[int, Field(ge=1)] = 5
    min_drop: Annotated[float, Field(gt=0, le=5)] = 1.0
    p_value: Annotated[float, Field(gt=0, lt=0.5)] = 0.001


class EmergingTopicRule(RuleBase):
    """A term or topic rare in the baseline's negative reviews becomes frequent in the
    window's."""
    type: Literal["emerging_topic"]
    window: Duration = timedelta(hours=1)
    baseline: Duration = timedelta(days=7)
    min_count: Annotated[int, Field(ge=2)] = 5
    min_ratio: Annotated[float, Field(ge=1)] = 5.0
    p_value: Annotated[float, Field(gt=0, lt=0.5)] = 0.001
    fields: list[Literal["term", "topic"]] = ["term", "topic"]


class SourceSilentRule(RuleBase):
    """A source that normally produces reviews is quiet, or its crawls are recorded broken."""
    type: Literal["source_silent"]
    window: Duration = timedelta(hours=2)
    baseline: Duration = timedelta(days=7)
    min_expected: Annotated[float, Field(gt=0)] = 5.0  # quiet only means something past this
    p_value: Annotated[float, Field(gt=0, lt=0.5)] = 0.001


class CrisisKeywordRule(RuleBase):
    """One review with a crisis term opens an incident as soon as it is stored."""
    type: Literal["crisis_keyword"]
    terms: list[str] = []          # extra terms; the review's ``crisis:`` flags always count
    window: Duration = timedelta(hours=1)  # how far back a detection tick looks


RuleConfig = Annotated[Union[NegativeSpikeRule, NegativeShareRule, VolumeSpikeRule,
                             RatingDropRule, EmergingTopicRule, SourceSilentRule,
                             CrisisKeywordRule], Field(discriminator="type")]


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


class WebhookChannel(Strict):
    name: Name
    type: Literal["webhook"]
    url: str
    secret_env: str | None = None  # HMAC-SHA256 signing secret, from this variable
    headers: dict[str, str] = {}
    timeout: Duration = timedelta(seconds=10)


class EmailChannel(Strict):
    name: Name
    type: Literal["email"]
    host: str
    port: Annotated[int, Field(ge=1, le=65535)] = 25
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str | None = None
    password_env: str | None = None
    sender: str
    recipients: list[str] = Field(min_length=1)
    timeout: Duration = timedelta(seconds=10)


class ChatBotChannel(Strict):
    """A chat group bot reached through its webhook URL. The URL carries the bot's key, so it
    may come from the environment variable named by ``url_env`` instead of ``url``."""
    name: Name
    url: str | None = None
    url_env: str | None = None
    timeout: Duration = timedelta(seconds=10)


class WeComChannel(ChatBotChannel):
    """企业微信 group bot (``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...``)."""
    type: Literal["wecom"]


class DingTalkChannel(ChatBotChannel):
    """钉钉 custom robot; ``secret_env`` names the 加签 secret (``SEC...``)."""
    type: Literal["dingtalk"]
    secret_env: str | None = None
    at_mobiles: list[str] = []


class FeishuChannel(ChatBotChannel):
    """飞书 / Lark custom bot; ``secret_env`` names the 签名校验 secret."""
    type: Literal["feishu"]
    secret_env: str | None = None


class SlackChannel(ChatBotChannel):
    """Slack incoming webhook (``https://hooks.slack.com/services/...``)."""
    type: Literal["slack"]


class SmsChannel(Strict):
    """Text messages through an SMS gateway's HTTP webhook (JSON, HMAC-signed like
    ``webhook``)."""
    name: Name
    type: Literal["sms"]
    url: str
    recipients: list[str] = Field(min_length=1)  # phone numbers, e.g. +8613800000000
    secret_env: str | None = None
    timeout: Duration = timedelta(seconds=10)


ChannelConfig = Annotated[Union[WebhookChannel, EmailChannel, WeComChannel, DingTalkChannel,
                                FeishuChannel, SlackChannel, SmsChannel],
                          Field(discriminator="type")]


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

    @property
    def base_url(self) -> str:
        """Where links in notifications and reports point: ``public_url``, else this server."""
        return self.public_url or f"http://{self.host}:{self.port}"


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ReportConfig(Strict):
    """A report mailed on a schedule: ``weekly`` sends the last complete week's report
    (``koubei report weekly``) every ``weekday`` at ``at`` (local time) to ``channels``
    (e-mail channels), for ``entities`` (default: all)."""
    name: Name
    type: Literal["weekly"] = "weekly"
    channels: list[str] = Field(min_length=1)
    weekday: Literal[WEEKDAYS] = "mon"
    at: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "09:00"
    entities: list[str] = []


class KoubeiConfig(Strict):
    timezone: Zone = "Asia/Shanghai"
    language: Literal["zh-CN", "en"] = "zh-CN"
    store: StoreConfig = StoreConfig()
    state_url: str | None = None  # SQLAlchemy URL; default: SQLite file in the data directory
    detection_interval: Duration = timedelta(minutes=1)
    web: WebConfig = WebConfig()
    entities: list[EntityConfig] = []
    sources: list[SourceConfig] = []
    rules: list[RuleConfig] = []
    channels: list[ChannelConfig] = []
    users: list[UserConfig] = []
    events: list[CalendarEvent] = []
    teams: list[TeamConfig] = []
    reports: list[ReportConfig] = []

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)

    def channel(self, name: str) -> ChannelConfig:
        for channel in self.channels:
            if channel.name == name:
                return channel
        raise KeyError(name)
