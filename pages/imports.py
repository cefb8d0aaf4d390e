"""Import customers and service events (quality): encoding, column mapping, per-row errors,
"import only valid rows", and the rejected rows to download and fix."""

import pandas as pd
import streamlit as st

from survey.distribution import service
from survey.distribution.imports import (
    FIELDS,
    ImportFileError,
    ImportRejected,
    cell_text,
    guess_mapping,
    read_table,
    validate,
)
from ui import feedback
from ui.session import require_page, tr
from ui.text import plain

user = require_page(__file__)
st.title(tr("dist.page.imports"))
NOT_MAPPED = ""

kind = st.radio(
    tr("dist.import_kind"),
    ("customers", "events"),
    horizontal=True,
    key="imp_kind",
    format_func=lambda k: tr(f"dist.import_kind.{k}"),
)
st.caption(tr(f"dist.import_help.{kind}"))
upload = st.file_uploader(tr("dist.import_file"), type=["csv", "txt", "xlsx"], key="imp_file")
encoding = st.selectbox(
    tr("dist.encoding"), ("auto", "utf-8", "gbk"), key="imp_encoding", format_func=lambda e: tr(f"dist.encoding.{e}")
)


def mapping_form(columns: list[str], guessed: dict[str, str]) -> dict[str, str]:
    st.subheader(tr("dist.mapping"))
    mapping = {}
    grid = st.columns(4)
    for index, spec in enumerate(FIELDS[kind]):
        options = [NOT_MAPPED, *columns]
        default = guessed.get(spec.name, NOT_MAPPED)
        mapping[spec.name] = grid[index % 4].selectbox(
            f"{spec.name}{' *' if spec.required else ''}",
            options,
            index=options.index(default),
            key=f"imp_map_{kind}_{spec.name}",
            format_func=lambda c: c or tr("dist.not_mapped"),
        )
    return mapping


def show_report(report) -> None:
    cols = st.columns(3)
    cols[0].metric(tr("dist.rows"), report.total)
    cols[1].metric(tr("dist.valid_rows"), len(report.valid))
    cols[2].metric(tr("dist.rejected_rows"), len(report.rejected))
    if report.rejected:
        st.dataframe(
            pd.DataFrame(
                [
                    {tr("dist.line"): row.line, tr("dist.field"): name, tr("dist.problem"): message}
                    for row in report.rejected
                    for name, message in row.errors
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        st.download_button(
            tr("dist.download_rejected"),
            report.rejected_csv().encode("utf-8"),
            file_name=f"rejected-{kind}.csv",
            mime="text/csv",
            key="imp_rejected_download",
        )


if upload is not None:
    try:
        table = read_table(upload.getvalue(), upload.name, encoding=encoding)
    except ImportFileError as exc:  # it may quote the file
        st.error(plain(feedback.refusal_text(exc)))
        st.stop()
    if table.encoding:
        st.caption(tr("dist.encoding_used", encoding=table.encoding))
    st.dataframe(
        pd.DataFrame([dict(zip(table.columns, map(cell_text, cells))) for _, cells in table.rows[:10]]),
        hide_index=True,
        width="stretch",
    )
    mapping = mapping_form(table.columns, guess_mapping(table.columns, kind))
    try:
        report = validate(table, kind, mapping)
    except ImportFileError as exc:
        st.error(plain(feedback.refusal_text(exc)))
        st.stop()
    show_report(report)
    valid_only = st.checkbox(tr("dist.valid_only"), key="imp_valid_only", disabled=not report.rejected)
    if st.button(tr("dist.import"), key="imp_submit", type="primary"):
        try:
            done = service.import_rows(user.id, report, valid_only=valid_only)
        except ImportRejected as exc:
            st.error(tr("dist.import_rejected", n=len(exc.report.rejected), total=exc.report.total))
        else:
            st.success(tr("dist.imported", inserted=done.inserted, updated=done.updated, rejected=len(done.rejected)))
