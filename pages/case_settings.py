"""Case rules (quality, admin): the rules that open follow-up cases, the SLA per tier, how far back
the rules look, which team takes a case, and who is in which team."""

from collections.abc import Callable

import pandas as pd
import streamlit as st

from survey.accounts import service as accounts
from survey.cases import service as config
from survey.core.i18n import label
from survey.core.vocab import TouchPoint
from ui import feedback
from ui.session import lang, require_page, tr

PAGE = "case_settings"
user = require_page(__file__)
st.title(tr("cases.settings_page"))


def saved(save: Callable[[], object], success_key: str) -> None:
    """Save one setting; what happened shows after the rerun."""
    try:
        save()
    except ValueError as exc:     # the settings' own refusals: what is wrong with the input
        feedback.error(PAGE, str(exc))
    else:
        feedback.success(PAGE, tr(success_key))
    st.rerun()


def name_of(rule) -> str:
    return rule.name_zh if lang() == "zh-CN" else rule.name_en


feedback.show(PAGE)
current_settings = config.case_settings()
stored_rules, loop = current_settings.rules, current_settings.loop
stored_routes, people = current_settings.routes, current_settings.workers

rules_tab, sla_tab, routes_tab, teams_tab = st.tabs(
    [tr("cases.rules"), tr("cases.sla"), tr("cases.routes"), tr("cases.members")])

with rules_tab:
    st.dataframe(pd.DataFrame([{
        tr("cases.rule_code"): r.code, tr("cases.rule_name"): name_of(r),
        tr("cases.rule_kind"): tr(f"cases.kind_{r.kind}"), tr("cases.priority"): label("cases.priority", r.priority, lang()),
        tr("cases.rule_tiers"): ", ".join(label("tier", t, lang()) for t in r.params.get("tiers", [])) or tr("cases.any"),
        tr("cases.rule_enabled"): r.enabled,
    } for r in stored_rules]), hide_index=True, width="stretch")
    codes = [r.code for r in stored_rules]
    chosen = st.selectbox(tr("cases.edit_rule"), codes, key="case_rule_pick")
    rule = next(r for r in stored_rules if r.code == chosen)
    with st.form(f"case_rule_{rule.code}"):
        names = st.columns(2)
        name_zh = names[0].text_input(tr("cases.name_zh"), rule.name_zh, key="case_rule_name_zh")
        name_en = names[1].text_input(tr("cases.name_en"), rule.name_en, key="case_rule_name_en")
        row = st.columns(3)
        priority = row[0].selectbox(tr("cases.priority"), [p.value for p in config.Priority], key="case_rule_priority",
                                    index=[p.value for p in config.Priority].index(rule.priority),
                                    format_func=lambda p: label("cases.priority", p, lang()))
        position = row[1].number_input(tr("cases.rule_position"), 0, 999, rule.position, key="case_rule_position")
        enabled = row[2].checkbox(tr("cases.rule_enabled"), rule.enabled, key="case_rule_enabled")
        tiers = st.multiselect(tr("cases.rule_tiers"), list(config.TIERS), rule.params.get("tiers", []),
                               key="case_rule_tiers", placeholder=tr("app.choose"),
                               format_func=lambda t: label("tier", t, lang()),
                               help=tr("cases.rule_tiers_help"))
        params = {"tiers": tiers}
        if rule.kind == config.RuleKind.SCORE:
            score = st.columns(2)
            params["question"] = score[0].text_input(tr("cases.rule_question"), rule.params["question"],
                                                     key="case_rule_question")
            params["at_most"] = score[1].number_input(tr("cases.rule_at_most"), 0, 10, int(rule.params["at_most"]),
                                                      key="case_rule_at_most")
        if rule.kind == config.RuleKind.COMMENT_THEME:
            params["themes"] = st.multiselect(tr("cases.rule_themes"), list(config.THEMES), rule.params.get("themes", []),
                                              key="case_rule_themes", placeholder=tr("app.choose"),
                                              format_func=lambda t: label("dimension", t, lang()))
        if st.form_submit_button(tr("cases.save"), key="case_rule_save", type="primary"):
            spec = config.RuleSpec(rule.code, name_zh, name_en, rule.kind, params, priority, enabled, int(position))
            saved(lambda: config.save_rule(user.id, spec), "cases.saved_rule")

with sla_tab, st.form("case_sla"):
    cols = st.columns(len(config.TIERS))
    hours = {tier: cols[i].number_input(label("tier", tier, lang()), 1, 720, loop.sla_for(tier), key=f"case_sla_{tier}")
             for i, tier in enumerate(config.TIERS)}
    lookback = st.number_input(tr("cases.lookback"), 1, 365, loop.lookback_days, key="case_lookback",
                               help=tr("cases.lookback_help"))
    fallback = st.radio(tr("cases.fallback"), [f.value for f in config.Fallback], key="case_fallback",
                        index=[f.value for f in config.Fallback].index(loop.fallback),
                        format_func=lambda f: tr(f"cases.fallback_{f}"))
    if st.form_submit_button(tr("cases.save"), key="case_sla_save", type="primary"):
        new = config.LoopSettings({t: int(h) for t, h in hours.items()}, int(lookback), fallback)
        saved(lambda: config.save_loop_settings(user.id, new), "cases.saved_settings")

with routes_tab:
    st.caption(tr("cases.routes_help"))
    edited = st.data_editor(pd.DataFrame(
        [{"team": r.team, "regions": ", ".join(r.regions), "touch_points": ", ".join(r.touch_points),
          "tiers": ", ".join(r.tiers)} for r in stored_routes],
        columns=["team", "regions", "touch_points", "tiers"], dtype=str), num_rows="dynamic", key="case_routes_editor",
        column_config={"team": tr("cases.team"), "regions": tr("cases.regions"),
                       "touch_points": st.column_config.TextColumn(
                           tr("cases.touch_points"), help=", ".join(t.value for t in TouchPoint)),
                       "tiers": st.column_config.TextColumn(tr("cases.rule_tiers"), help=", ".join(config.TIERS))},
        hide_index=True, width="stretch")
    if st.button(tr("cases.save"), key="case_routes_save", type="primary"):
        def split(value) -> tuple[str, ...]:
            return tuple(p.strip() for p in str(value or "").split(",") if p.strip())

        specs = [config.RouteSpec(str(row["team"] or ""), split(row["regions"]), split(row["touch_points"]),
                                  split(row["tiers"])) for row in edited.to_dict("records")]
        saved(lambda: config.save_routes(user.id, specs), "cases.saved_routes")

with teams_tab:
    st.caption(tr("cases.members_help"))
    member = st.selectbox(tr("cases.member"), [p.id for p in people], key="case_member",
                          format_func=lambda i: next(f"{p.username} ({label('role', p.role, lang())})"
                                                     for p in people if p.id == i))
    current = next(p for p in people if p.id == member)
    with st.form("case_member_team"):
        team = st.text_input(tr("cases.team"), current.team or "", key="case_member_team")
        if st.form_submit_button(tr("cases.save"), key="case_member_save"):
            saved(lambda: accounts.set_team(user.id, member, team), "cases.saved_member")
    st.dataframe(pd.DataFrame([{tr("cases.member"): p.username, tr("cases.team"): p.team or ""} for p in people]),
                 hide_index=True, width="stretch")
