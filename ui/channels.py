"""Whether SMS and email can be sent, as the distribution pages say it: which channels are
configured, and for those that are not, the settings to fill in. Nothing waits without a word."""

from __future__ import annotations

import streamlit as st

from survey.core.i18n import label
from survey.distribution.service import ChannelStatus
from ui.session import lang, tr


def channel_name(channel: str) -> str:
    return label("channel", channel, lang())


def missing_text(channel: str, settings: tuple[str, ...]) -> str:
    """ "SMS is not configured: set SURVEY_SMS_URL, SURVEY_SMS_TOKEN." in the user's language."""
    return tr("dist.channel_missing", channel=channel_name(channel), settings=", ".join(settings))


def status_text(status: ChannelStatus) -> str:
    if status.configured:
        return tr("dist.channel_ready", channel=channel_name(status.channel))
    return missing_text(status.channel, status.missing or status.settings)


def show_statuses(statuses: list[ChannelStatus]) -> None:
    """One line per channel we send: ready, or what to set."""
    st.caption(
        tr("dist.channels_title")
        + "  \n"
        + "  \n".join(("✅ " if s.configured else "⚠️ ") + status_text(s) for s in statuses)
    )


def unconfigured(statuses: list[ChannelStatus], channel: str) -> ChannelStatus | None:
    """The channel's status when we send on it and it is not configured; None otherwise."""
    return next((s for s in statuses if s.channel == channel and not s.configured), None)
