"""Case rules (quality, admin): the rules that open follow-up cases, the SLA per tier, how far back
the rules look, which team takes a case, and who is in which team."""

from collections.abc import Callable

import pandas as pd
import streamlit as st

from survey.accounts import service as accounts
from survey.cases import service as config
from survey.core.i18n import label, team_label
from survey.core.vocab import TouchPoint
from survey.distribution.service import audience_options
from ui import feedback
from ui.session import lang, require_page, tr
from ui.text import plain

PAGE = "case_settings"
user = require_page(__file__)
st.title(tr("cases.settings_page"))


def saved(save: Callable[[], object], success_key: str) -> None:
    """Save one setting; what happened shows after the rerun."""
    try:
        save()
    except ValueError as exc:  # the settings' own refusals: what is wrong with the input
        feedback.refused(PAGE, exc)
    else:
        feedback.success(PAGE, tr(success_key))
    st.rerun()


def name_of(rule) -> str:
    return rule.name_zh if lang() == "zh-CN" else rule.name_en


def words(vocabulary: str, values) -> str:
    """Chosen values in words; none chosen reads "any"."""
    return tr("words.list_separator").join(label(vocabulary, v, lang()) for v in values) or tr("words.any")


NEW_ROUTE = -1


def route_form(routes: list, regions: list[str], teams: list[str]) -> None:
    """Edit one route (or add one): which cases, by region, touch point, tier and the complaint's
    category, go to which team. The routes are saved whole, in order."""
    picks = [*range(len(routes)), NEW_ROUTE]
    chosen = st.selectbox(
        tr("cases.route_pick"),
        picks,
        key="case_route_pick",
        format_func=lambda i: (
            tr("cases.route_new") if i == NEW_ROUTE else f"{i + 1}. {team_label(routes[i].team, lang())}"
        ),
    )
    route = routes[chosen] if chosen != NEW_ROUTE else config.RouteSpec("")
    with st.form(f"case_route_{chosen}"):
        team = st.text_input(
            tr("cases.team"),
            route.team,
            key="case_route_team",
            help=plain(", ".join(team_label(t, lang()) for t in teams)) or None,
        )
        categories = st.multiselect(
            tr("cases.route_categories"),
            list(config.ROOT_CAUSES),
            list(route.categories),
            key="case_route_categories",
            placeholder=tr("app.choose"),
            format_func=lambda c: label("dimension", c, lang()),
            help=tr("cases.categories_help"),
        )
        row = st.columns(3)
        region_choices = sorted({*regions, *route.regions})
        chosen_regions = row[0].multiselect(
            tr("cases.route_regions"),
            region_choices,
            list(route.regions),
            key="case_route_regions",
            placeholder=tr("app.choose"),
            format_func=lambda r: label("region", r, lang()),
        )
        touch_points = row[1].multiselect(
            tr("cases.route_touch_points"),
            [t.value for t in TouchPoint],
            list(route.touch_points),
            key="case_route_touch_points",
            placeholder=tr("app.choose"),
            format_func=lambda t: label("touch_point", t, lang()),
        )
        tiers = row[2].multiselect(
            tr("cases.route_tiers"),
            list(config.TIERS),
            list(route.tiers),
            key="case_route_tiers",
            placeholder=tr("app.choose"),
            format_func=lambda t: label("tier", t, lang()),
        )
        if st.form_submit_button(tr("cases.save"), key="case_route_save", type="primary"):
            edited = config.RouteSpec(
                team.strip(), tuple(chosen_regions), tuple(touch_points), tuple(tiers), tuple(categories)
            )
            kept = [edited if i == chosen else r for i, r in enumerate(routes)]
            saved(
                lambda: config.save_routes(user.id, kept if chosen != NEW_ROUTE else [*routes, edited]),
                "cases.saved_routes",
            )
    if chosen != NEW_ROUTE and st.button(tr("cases.route_delete"), key="case_route_delete"):
        saved(
            lambda: config.save_routes(user.id, [r for i, r in enumerate(routes) if i != chosen]), "cases.route_deleted"
        )


feedback.show(PAGE)
current_settings = config.case_settings()
stored_rules, loop = current_settings.rules, current_settings.loop
stored_routes, people = current_settings.routes, current_settings.workers

rules_tab, sla_tab, routes_tab, teams_tab = st.tabs(
    [tr("cases.rules"), tr("cases.sla"), tr("cases.routes"), tr("cases.members")]
)

with rules_tab:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    tr("cases.rule_code"): r.code,
                    tr("cases.rule_name"): name_of(r),
                    tr("cases.rule_kind"): tr(f"cases.kind_{r.kind}"),
                    tr("cases.priority"): label("cases.priority", r.priority, lang()),
                    tr("cases.rule_tiers"): ", ".join(label("tier", t, lang()) for t in r.params.get("tiers", []))
                    or tr("cases.any"),
                    tr("cases.rule_enabled"): r.enabled,
                }
                for r in stored_rules
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    codes = [r.code for r in stored_rules]
    chosen = st.selectbox(tr("cases.edit_rule"), codes, key="case_rule_pick")
    rule = next(r for r in stored_rules if r.code == chosen)
    with st.form(f"case_rule_{rule.code}"):
        names = st.columns(2)
        name_zh = names[0].text_input(tr("cases.name_zh"), rule.name_zh, key="case_rule_name_zh")
        name_en = names[1].text_input(tr("cases.name_en"), rule.name_en, key="case_rule_name_en")
        row = st.columns(3)
        priority = row[0].selectbox(
            tr("cases.priority"),
            [p.value for p in config.Priority],
            key="case_rule_priority",
            index=[p.value for p in config.Priority].index(rule.priority),
            format_func=lambda p: label("cases.priority", p, lang()),
        )
        position = row[1].number_input(tr("cases.rule_position"), 0, 999, rule.position, key="case_rule_position")
        enabled = row[2].checkbox(tr("cases.rule_enabled"), rule.enabled, key="case_rule_enabled")
        tiers = st.multiselect(
            tr("cases.rule_tiers"),
            list(config.TIERS),
            rule.params.get("tiers", []),
            key="case_rule_tiers",
            placeholder=tr("app.choose"),
            format_func=lambda t: label("tier", t, lang()),
            help=tr("cases.rule_tiers_help"),
        )
        params = {"tiers": tiers}
        if rule.kind == config.RuleKind.SCORE:
            score = st.columns(2)
            params["question"] = score[0].text_input(
                tr("cases.rule_question"), rule.params["question"], key="case_rule_question"
            )
            params["at_most"] = score[1].number_input(
                tr("cases.rule_at_most"), 0, 10, int(rule.params["at_most"]), key="case_rule_at_most"
            )
        if rule.kind == config.RuleKind.COMMENT_THEME:
            params["themes"] = st.multiselect(
                tr("cases.rule_themes"),
                list(config.THEMES),
                rule.params.get("themes", []),
                key="case_rule_themes",
                placeholder=tr("app.choose"),
                format_func=lambda t: label("dimension", t, lang()),
            )
        if st.form_submit_button(tr("cases.save"), key="case_rule_save", type="primary"):
            spec = config.RuleSpec(rule.code, name_zh, name_en, rule.kind, params, priority, enabled, int(position))
            saved(lambda: config.save_rule(user.id, spec), "cases.saved_rule")

with sla_tab, st.form("case_sla"):
    cols = st.columns(len(config.TIERS))
    hours = {
        tier: cols[i].number_input(label("tier", tier, lang()), 1, 720, loop.sla_for(tier), key=f"case_sla_{tier}")
        for i, tier in enumerate(config.TIERS)
    }
    lookback = st.number_input(
        tr("cases.lookback"), 1, 365, loop.lookback_days, key="case_lookback", help=tr("cases.lookback_help")
    )
    fallback = st.radio(
        tr("cases.fallback"),
        [f.value for f in config.Fallback],
        key="case_fallback",
        index=[f.value for f in config.Fallback].index(loop.fallback),
        format_func=lambda f: tr(f"cases.fallback_{f}"),
    )
    if st.form_submit_button(tr("cases.save"), key="case_sla_save", type="primary"):
        new = config.LoopSettings({t: int(h) for t, h in hours.items()}, int(lookback), fallback)
        saved(lambda: config.save_loop_settings(user.id, new), "cases.saved_settings")

with routes_tab:
    st.caption(tr("cases.routes_help"))
    st.dataframe(
        pd.DataFrame(
            [
                {
                    tr("cases.rule_position"): i,
                    tr("cases.team"): team_label(r.team, lang()),
                    tr("cases.category"): words("dimension", r.categories),
                    tr("cases.region"): words("region", r.regions),
                    tr("cases.touch_point"): words("touch_point", r.touch_points),
                    tr("cases.rule_tiers"): words("tier", r.tiers),
                }
                for i, r in enumerate(stored_routes, start=1)
            ],
            columns=[
                tr("cases.rule_position"),
                tr("cases.team"),
                tr("cases.category"),
                tr("cases.region"),
                tr("cases.touch_point"),
                tr("cases.rule_tiers"),
            ],
        ),
        hide_index=True,
        width="stretch",
    )
    options = audience_options()
    route_form(stored_routes, options["regions"], sorted({*options["teams"], *(p.team for p in people if p.team)}))

with teams_tab:
    st.caption(tr("cases.members_help"))
    member = st.selectbox(
        tr("cases.member"),
        [p.id for p in people],
        key="case_member",
        format_func=lambda i: next(f"{p.username} ({label('role', p.role, lang())})" for p in people if p.id == i),
    )
    current = next(p for p in people if p.id == member)
    with st.form("case_member_team"):
        team = st.text_input(tr("cases.team"), current.team or "", key="case_member_team")
        if st.form_submit_button(tr("cases.save"), key="case_member_save"):
            saved(lambda: accounts.set_team(user.id, member, team), "cases.saved_member")
    st.dataframe(
        pd.DataFrame([{tr("cases.member"): p.username, tr("cases.team"): team_label(p.team, lang())} for p in people]),
        hide_index=True,
        width="stretch",
    )
