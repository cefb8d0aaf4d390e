"""Personal data (admin): find a customer and erase their personal data; their responses stay,
anonymous, so the statistics do not change."""

import streamlit as st

from survey.core.i18n import label
from survey.privacy import service as privacy
from ui import feedback
from ui.format import local_day
from ui.session import lang, require_page, tr
from ui.text import plain

PAGE = "privacy"
user = require_page(__file__)
st.title(tr("privacy.page"))
st.caption(tr("privacy.intro"))


def erase(external_id: str) -> None:
    try:
        done = privacy.erase_customer(user.id, external_id)
    except ValueError as exc:  # erasure refuses an unknown or already erased customer
        feedback.refused(PAGE, exc)
    else:
        feedback.success(
            PAGE, tr("privacy.erased", responses=done.responses, answers=done.answers_redacted, cases=done.cases)
        )
    st.rerun()


feedback.show(PAGE)
query = st.text_input(tr("privacy.search"), key="privacy_search", placeholder=tr("privacy.search_placeholder"))
found = privacy.find_customers(query)
if query and not found:
    st.info(tr("privacy.none"))
for customer in found:
    with st.container(border=True):
        st.markdown(
            f"**{plain(customer.external_id)}** · "
            + " · ".join(
                plain(value or "—")
                for value in (
                    customer.name,
                    customer.phone,
                    customer.email,
                    label("tier", customer.tier, lang()),
                    customer.region,
                )
            )
        )
        if customer.erased_at is not None:
            st.caption(tr("privacy.already", day=local_day(customer.erased_at)))
            continue
        confirm = st.text_input(
            tr("privacy.confirm", id=plain(customer.external_id)), key=f"privacy_confirm_{customer.id}"
        )
        if st.button(
            tr("privacy.erase"),
            key=f"privacy_erase_{customer.id}",
            type="primary",
            disabled=confirm.strip() != customer.external_id,
        ):
            erase(customer.external_id)
