"""The default keyword rules of comment themes (survey.cases.themes), seeded into the
``themekeyword`` table on first use; quality staff edit them in the app from then on.

A phrase is one or more terms separated by spaces; it matches when every term is found in the
same clause of a comment, close together, in any order. Chinese terms are matched against jieba's
words (a term may be part of a longer word: "慢" in "太慢"); English terms are stemmed like the
comment's words ("charged" and "charges" both match "charge"). A negative weight argues against
a theme ("信号 好": a comment praising the signal does not complain about the network).
"""

from __future__ import annotations

# theme -> language -> [(phrase, weight)]
DEFAULT_KEYWORDS: dict[str, dict[str, list[tuple[str, float]]]] = {
    "network_quality": {
        "zh-CN": [
            ("信号", 1), ("掉线", 1), ("断网", 1), ("断线", 1), ("网速", 1), ("卡顿", 1), ("不稳定", 1),
            ("上不了网", 1), ("上不去", 1), ("无法 上网", 1), ("没 网", 1), ("网络 慢", 1), ("网络 差", 1),
            ("网络 问题", 1), ("宽带 慢", 1), ("延迟", 1), ("覆盖", 1), ("打不通", 1), ("通话 断", 1),
            ("4G", 0.5), ("5G", 0.5), ("信号 好", -1), ("网速 快", -1), ("信号 满格", -1),
        ],
        "en": [
            ("signal", 1), ("coverage", 1), ("network", 1), ("broadband slow", 1), ("internet slow", 1),
            ("connection drop", 1), ("drop", 1), ("disconnect", 1), ("unstable", 1), ("internet", 1), ("speed", 0.5),
            ("lag", 1), ("freeze", 1), ("buffer", 1), ("no service", 1), ("wifi", 1), ("mobile data", 1),
            ("5g", 0.5), ("4g", 0.5), ("signal good", -1), ("network fine", -1),
        ],
    },
    "billing": {
        "zh-CN": [
            ("话费", 1), ("扣费", 1), ("账单", 1), ("计费", 1), ("多收", 1), ("乱收费", 1), ("收费", 1),
            ("流量费", 1), ("退费", 1), ("扣钱", 1), ("多扣", 1), ("乱扣", 1), ("费用", 1), ("发票", 1),
            ("欠费", 1), ("套餐 外", 1), ("莫名", 0.5),
        ],
        "en": [
            ("bill", 1), ("charge", 1), ("overcharge", 1), ("fee", 1), ("refund", 1), ("invoice", 1),
            ("billing", 1), ("price went up", 1), ("deducted", 1), ("payment", 1),
        ],
    },
    "business_handling": {
        "zh-CN": [
            ("排队", 1), ("手续", 1), ("繁琐", 1), ("麻烦", 0.5), ("跑 趟", 1), ("效率 低", 1),
            ("办理 慢", 1), ("办理 失败", 1), ("办不了", 1), ("办理 不了", 1), ("过户", 1), ("销户", 1),
            ("携号转网", 1), ("流程 复杂", 1), ("材料", 1), ("等 营业厅", 1), ("等 窗口", 1), ("取号", 1),
            ("叫号", 1), ("半天", 0.5), ("业务 办理", 0.5),
        ],
        "en": [
            ("queue", 1), ("paperwork", 1), ("several visit", 1), ("many visit", 1), ("form", 0.5),
            ("application fail", 1), ("handling slow", 1), ("took half day", 1), ("counter wait", 1),
            ("waited hall", 1), ("wait hall", 1), ("number ticket", 1), ("transfer ownership", 1),
            ("cancel contract", 1), ("process complicated", 1), ("bureaucracy", 1), ("online order fail", 1),
        ],
    },
    "repeated_fault": {
        "zh-CN": [
            ("又 坏", 1), ("反复", 1), ("多次 报修", 1), ("第二次", 0.5), ("第三次", 0.5), ("报修 次", 1),
            ("再次 故障", 1), ("老是 坏", 1), ("总是 坏", 1), ("没 修好", 1), ("没修好", 1), ("重复", 1), ("屡次", 1),
            ("又 出现", 1), ("又 断", 1), ("同样 问题", 1), ("同一个 故障", 1),
        ],
        "en": [
            ("again", 0.5), ("broke again", 1), ("fail again", 1), ("down again", 1), ("same fault", 1), ("same problem", 1), ("same issue", 1), ("second time", 1),
            ("third time", 1), ("repeatedly", 1), ("recurring", 1), ("keeps coming back", 1),
            ("still not fixed", 1), ("still broken", 1), ("times reported", 1), ("reported times", 1),
        ],
    },
    "fault_repair": {
        "zh-CN": [
            ("报修", 1), ("维修", 1), ("修复", 1), ("上门", 1), ("迟到", 1), ("装维", 1), ("故障", 1),
            ("修 慢", 1), ("没人 来", 1), ("安装 慢", 1), ("装机", 1), ("爽约", 1), ("光猫", 0.5),
            ("师傅 迟到", 1),
        ],
        "en": [
            ("repair", 1), ("technician late", 1), ("engineer late", 1), ("technician", 0.5),
            ("engineer", 0.5), ("appointment", 1), ("fault", 1), ("fix slow", 1), ("installation", 1),
            ("nobody came", 1), ("no one came", 1), ("no show", 1), ("broken", 0.5), ("router", 0.5),
            ("modem", 0.5),
        ],
    },
    "staff_attitude": {
        "zh-CN": [
            ("态度 差", 1), ("态度 不好", 1), ("态度 恶劣", 1), ("态度 改进", 1), ("不耐烦", 1),
            ("爱理不理", 1), ("推诿", 1), ("踢皮球", 1), ("敷衍", 1), ("不 耐心", 1), ("没 礼貌", 1),
            ("不 礼貌", 1), ("冷淡", 1), ("凶", 1), ("骂", 1), ("不理", 1), ("甩锅", 1), ("态度 好", -1),
        ],
        "en": [
            ("rude", 1), ("impatient", 1), ("ignored", 1), ("attitude", 1), ("unfriendly", 1),
            ("unhelpful", 1), ("impolite", 1), ("arrogant", 1), ("shouted", 1), ("nobody took responsibility", 1),
            ("passed around", 1), ("did not care", 1), ("dismissive", 1), ("attitude good", -1),
            ("attitude great", -1),
        ],
    },
}
