"""Survey templates in zh-CN and en, in the survey definition format of ``survey.design``.

Question codes are shared across templates on purpose: ``overall``, ``nps``, ``staff_attitude``
... mean the same thing in every survey, so metrics and trends can pool or compare them.
"""

from __future__ import annotations

import copy


def _t(zh: str, en: str) -> dict[str, str]:
    return {"zh-CN": zh, "en": en}


SATISFIED_LABELS = {"low": _t("非常不满意", "Very dissatisfied"), "high": _t("非常满意", "Very satisfied")}
NPS_LABELS = {"low": _t("完全不可能", "Not at all likely"), "high": _t("非常可能", "Extremely likely")}
CES_LABELS = {"low": _t("非常容易", "Very easy"), "high": _t("非常费力", "Very difficult")}


def rating(code: str, dimension: str, zh: str, en: str, **extra) -> dict:
    return {
        "code": code,
        "type": "rating",
        "dimension": dimension,
        "scale": [1, 5],
        "labels": SATISFIED_LABELS,
        "text": _t(zh, en),
        "required": True,
        **extra,
    }


def nps_question(
    zh: str = "您有多大可能向亲友推荐我们的服务？",
    en: str = "How likely are you to recommend us to a friend or relative?",
) -> dict:
    return {
        "code": "nps",
        "type": "nps",
        "dimension": "loyalty",
        "scale": [0, 10],
        "labels": NPS_LABELS,
        "text": _t(zh, en),
        "required": True,
    }


def what_went_wrong() -> dict:
    return {
        "code": "what_wrong",
        "type": "multi",
        "dimension": "other",
        "required": True,
        "text": _t("很抱歉让您不满意。主要是哪些方面的问题？", "We are sorry. What went wrong?"),
        "condition": {"question": "overall", "op": "<=", "value": 2},
        "options": [
            {"value": "network_quality", **_t("网络质量", "Network quality")},
            {"value": "billing", **_t("计费/账单", "Billing")},
            {"value": "business_handling", **_t("业务办理", "Business handling")},
            {"value": "fault_repair", **_t("故障修复", "Fault repair")},
            {"value": "repeated_fault", **_t("反复出现故障", "The fault keeps coming back")},
            {"value": "staff_attitude", **_t("服务态度", "Staff attitude")},
            {"value": "other", **_t("其他", "Other")},
        ],
    }


def comment(zh: str = "还有什么想告诉我们的吗？", en: str = "Anything else you would like to tell us?") -> dict:
    return {
        "code": "comment",
        "type": "text",
        "dimension": "other",
        "required": False,
        "max_length": 500,
        "text": _t(zh, en),
    }


TEMPLATES: dict[str, dict] = {
    "repair-revisit": {
        "code": "repair-revisit",
        "name": _t("装移维服务回访", "Install & repair revisit"),
        "title": _t("装维服务满意度回访", "How did our install/repair visit go?"),
        "intro": _t(
            "{name}您好，您于{event_date}办理的装维服务已完成，占用您一分钟评价一下好吗？",
            "Hello {name}, our crew visited you on {event_date}. Could you spare a minute to rate it?",
        ),
        "thanks": _t("感谢您的评价，我们会持续改进！", "Thank you. Your answers help us improve."),
        "questions": [
            rating(
                "overall",
                "overall",
                "您对本次装维服务的总体满意度如何？",
                "Overall, how satisfied are you with this install/repair service?",
            ),
            rating(
                "fault_repair",
                "fault_repair",
                "您对上门及时性和修复速度满意吗？",
                "How satisfied are you with how quickly we came and fixed it?",
            ),
            rating(
                "staff_attitude",
                "staff_attitude",
                "您对装维人员的服务态度满意吗？",
                "How satisfied are you with the technician's attitude?",
            ),
            {
                "code": "resolved",
                "type": "yes_no",
                "dimension": "fault_repair",
                "required": True,
                "text": _t("您的问题是否已经彻底解决？", "Is your problem fully solved?"),
            },
            what_went_wrong(),
            nps_question(),
            comment(),
        ],
    },
    "complaint-revisit": {
        "code": "complaint-revisit",
        "name": _t("投诉处理回访", "Complaint handling revisit"),
        "title": _t("投诉处理满意度回访", "How did we handle your complaint?"),
        "intro": _t(
            "{name}您好，关于您{event_date}反映的问题，想听听您对处理结果的评价。",
            "Hello {name}, we would like to hear how we handled the issue you raised on {event_date}.",
        ),
        "thanks": _t("感谢您的反馈！", "Thank you for your feedback."),
        "questions": [
            rating(
                "overall",
                "overall",
                "您对本次投诉处理的总体满意度如何？",
                "Overall, how satisfied are you with how we handled your complaint?",
            ),
            {
                "code": "resolved",
                "type": "yes_no",
                "dimension": "business_handling",
                "required": True,
                "text": _t("您反映的问题是否已经解决？", "Has the issue been resolved?"),
            },
            rating(
                "handling_speed",
                "business_handling",
                "您对处理速度满意吗？",
                "How satisfied are you with how fast we handled it?",
            ),
            rating(
                "staff_attitude",
                "staff_attitude",
                "您对处理人员的服务态度满意吗？",
                "How satisfied are you with the attitude of the staff who handled it?",
            ),
            what_went_wrong(),
            nps_question(),
            comment(),
        ],
    },
    "hall-visit": {
        "code": "hall-visit",
        "name": _t("营业厅服务回访", "Business hall visit revisit"),
        "title": _t("营业厅服务评价", "How was your visit to our business hall?"),
        "intro": _t(
            "{name}您好，感谢您{event_date}光临{touch_point}，请对本次服务进行评价。",
            "Hello {name}, thank you for visiting our {touch_point} on {event_date}. Please rate your visit.",
        ),
        "thanks": _t("感谢您的评价！", "Thank you for rating your visit."),
        "questions": [
            rating(
                "overall",
                "overall",
                "您对本次营业厅服务的总体满意度如何？",
                "Overall, how satisfied are you with your visit?",
            ),
            rating(
                "business_handling",
                "business_handling",
                "您对业务办理的效率满意吗？",
                "How satisfied are you with how efficiently your business was handled?",
            ),
            {
                "code": "wait_time",
                "type": "single",
                "dimension": "business_handling",
                "required": True,
                "text": _t("您大约等候了多长时间？", "About how long did you wait?"),
                "options": [
                    {"value": "lt5", **_t("5分钟以内", "Under 5 minutes")},
                    {"value": "5to15", **_t("5-15分钟", "5 to 15 minutes")},
                    {"value": "15to30", **_t("15-30分钟", "15 to 30 minutes")},
                    {"value": "gt30", **_t("30分钟以上", "Over 30 minutes")},
                ],
            },
            rating(
                "staff_attitude",
                "staff_attitude",
                "您对营业员的服务态度满意吗？",
                "How satisfied are you with the staff's attitude?",
            ),
            {
                "code": "ces",
                "type": "ces",
                "dimension": "effort",
                "scale": [1, 7],
                "labels": CES_LABELS,
                "required": True,
                "text": _t("办理这项业务费力吗？", "How much effort did it take to get this done?"),
            },
            what_went_wrong(),
            nps_question(),
            comment(),
        ],
    },
    "vip-quarterly": {
        "code": "vip-quarterly",
        "name": _t("VIP客户季度满意度调查", "Quarterly VIP satisfaction survey"),
        "title": _t("尊敬的VIP客户，邀请您评价本季度服务", "Dear VIP customer, please rate our service this quarter"),
        "intro": _t(
            "{name}您好，作为我们的VIP客户，您的评价对我们非常重要。",
            "Hello {name}. As one of our VIP customers, your opinion matters a great deal to us.",
        ),
        "thanks": _t(
            "感谢您的宝贵意见！您的客户经理会关注您的反馈。",
            "Thank you. Your account manager will follow up on your feedback.",
        ),
        "questions": [
            rating(
                "network_quality",
                "network_quality",
                "您对网络质量（信号、网速、稳定性）满意吗？",
                "How satisfied are you with network quality (coverage, speed, stability)?",
                page=1,
            ),
            rating(
                "billing",
                "billing",
                "您对话费计费与账单的准确清晰满意吗？",
                "How satisfied are you with the accuracy and clarity of billing?",
                page=1,
            ),
            rating(
                "business_handling",
                "business_handling",
                "您对业务办理的便捷性满意吗？",
                "How satisfied are you with how easy it is to get things done?",
                page=1,
            ),
            rating(
                "fault_repair",
                "fault_repair",
                "您对故障报修的处理满意吗？",
                "How satisfied are you with how we fix faults?",
                page=1,
            ),
            rating(
                "staff_attitude",
                "staff_attitude",
                "您对客户经理和服务人员的态度满意吗？",
                "How satisfied are you with the attitude of your account manager and our staff?",
                page=1,
            ),
            {
                **rating(
                    "overall",
                    "overall",
                    "总体而言，您对我们的服务满意吗？",
                    "Overall, how satisfied are you with our service?",
                ),
                "page": 2,
            },
            {**what_went_wrong(), "page": 2},
            {**nps_question(), "page": 2},
            {**comment("您对我们的服务有什么建议？", "What should we do better?"), "page": 2},
        ],
    },
}


def template(key: str) -> dict:
    """A deep copy of a template definition (callers may edit it freely)."""
    try:
        return copy.deepcopy(TEMPLATES[key])
    except KeyError:
        raise KeyError(f"unknown template '{key}'; choose one of: {', '.join(TEMPLATES)}") from None
