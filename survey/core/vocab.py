"""Fixed vocabularies of the domain.

Stored in the database as their string values (portable across SQLite and PostgreSQL, and
readable in exports); labels in zh-CN and en live in the i18n catalog under
``<vocabulary>.<value>``. Regions, teams and segments are the operator's own data and are
free strings.
"""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    DIAMOND = "diamond"
    GOLD = "gold"
    SILVER = "silver"
    STANDARD = "standard"


VIP_TIERS = (Tier.DIAMOND, Tier.GOLD, Tier.SILVER)


class TouchPoint(StrEnum):
    BUSINESS_HALL = "business_hall"  # 营业厅
    HOTLINE = "hotline"  # 10000号
    ONLINE_HALL = "online_hall"  # 网厅/掌厅
    FIELD_CREW = "field_crew"  # 装移维
    GOV_ENTERPRISE = "gov_enterprise"  # 政企一站式
    ACCOUNT_MANAGER = "account_manager"  # 客户经理


class EventKind(StrEnum):
    INSTALL = "install"
    MOVE = "move"
    REPAIR = "repair"
    COMPLAINT = "complaint"
    HALL_VISIT = "hall_visit"
    HOTLINE_CALL = "hotline_call"
    ONLINE_ORDER = "online_order"
    ACCOUNT_VISIT = "account_visit"


class Dimension(StrEnum):
    """Service dimensions a question measures (also the complaint/root-cause categories)."""

    OVERALL = "overall"
    NETWORK_QUALITY = "network_quality"  # 网络质量
    BILLING = "billing"  # 计费
    BUSINESS_HANDLING = "business_handling"  # 业务办理
    FAULT_REPAIR = "fault_repair"  # 故障修复
    REPEATED_FAULT = "repeated_fault"  # 重复障碍
    STAFF_ATTITUDE = "staff_attitude"  # 服务态度
    LOYALTY = "loyalty"  # NPS
    EFFORT = "effort"  # CES
    OTHER = "other"


class Role(StrEnum):
    ADMIN = "admin"
    QUALITY = "quality"
    AGENT = "agent"
    EXECUTIVE = "executive"


class Channel(StrEnum):
    """How an invitation reaches a customer."""

    SMS = "sms"
    EMAIL = "email"
    EXPORT = "export"  # the operator's own SMS platform sends it
    PHONE = "phone"  # an agent calls


class ResponseChannel(StrEnum):
    """How a response was collected."""

    LINK = "link"
    AGENT = "agent"
    PUBLIC = "public"
    IMPORT = "import"


class InvitationStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    OPENED = "opened"
    STARTED = "started"
    COMPLETED = "completed"
    EXPIRED = "expired"
    OPTED_OUT = "opted_out"
    SUPERSEDED = "superseded"  # a newer link about the same event replaced it (survey.distribution.live_links)


class SurveyStatus(StrEnum):
    DRAFT = "draft"
    LIVE = "live"
    CLOSED = "closed"


class VersionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class CallOutcome(StrEnum):
    """How a phone-revisit call ended (survey.collect.phone keeps every attempt)."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    REFUSED = "refused"
    WRONG_NUMBER = "wrong_number"
    CALL_BACK = "call_back"  # the customer asked to be called at another time


class CaseStatus(StrEnum):
    OPEN = "open"
    CONTACTED = "contacted"
    RESOLVED = "resolved"
    UNREACHABLE = "unreachable"


class ChangeKind(StrEnum):
    SERVICE_CHANGE = "service_change"  # something we did
    EXTERNAL_EVENT = "external_event"  # something that happened to us (holiday, outage)


LANGUAGES = ("zh-CN", "en")
