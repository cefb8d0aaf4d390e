"""Personal data (admin): find a customer and erase their personal data; their responses stay,
anonymous, so the statistics do not change."""

import streamlit as st

from survey.accounts import auth
from survey.core import db as database
from survey.core.i18n import label
from survey.privacy.erasure import erase_customer, find_customers
from ui.session import lang, require_page, tr

user = require_page(__file__)
st.title(tr("privacy.page"))
st.caption(tr("privacy.intro"))
RESULT_KEY = "privacy_result"

if RESULT_KEY in st.session_state:
    st.success(st.session_state.pop(RESULT_KEY))
query = st.text_input(tr("privacy.search"), key="privacy_search", placeholder=tr("privacy.search_placeholder"))
with database.session() as db:
    found = find_customers(db, query)
if query and not found:
    st.info(tr("privacy.none"))
for customer in found:
    with st.container(border=True):
        st.markdown(f"**{customer.external_id}** · {customer.name or '—'} · {customer.phone or '—'} · "
                    f"{customer.email or '—'} · {label('tier', customer.tier, lang())} · {customer.region}")
        if customer.erased_at is not None:
            st.caption(tr("privacy.already", day=f"{customer.erased_at:%Y-%m-%d}"))
            continue
        confirm = st.text_input(tr("privacy.confirm", id=customer.external_id), key=f"privacy_confirm_{customer.id}")
        if st.button(tr("privacy.erase"), key=f"privacy_erase_{customer.id}", type="primary",
                     disabled=confirm.strip() != customer.external_id):
            with database.session() as db:
                done = erase_customer(db, customer.external_id, actor=auth.acting_user(db, user.id))
            st.session_state[RESULT_KEY] = tr("privacy.erased", responses=done.responses,
                                              answers=done.answers_redacted, cases=done.cases)
            st.rerun()
