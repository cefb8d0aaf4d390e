"""The page registry: every staff page, its nav section and the roles that may open it.

The one place that declares who sees what: st.navigation lists only a user's pages, and each
page re-checks its own roles through ``ui.session.require_page``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from survey.core.vocab import Role

ALL_ROLES = frozenset(r.value for r in Role)
STAFF_APP_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to the project root (where staff_app.py lives)
    title_key: str  # i18n key of the title
    icon: str
    roles: frozenset[str]
    section: str  # i18n key of the navigation section
    default: bool = False

    @property
    def url_path(self) -> str:
        return Path(self.path).stem


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/home.py", "page.home", ":material/home:", ALL_ROLES, "nav.overview", default=True),
    PageSpec(
        "pages/executive.py",
        "page.executive",
        ":material/monitoring:",
        frozenset({"executive", "quality", "admin"}),
        "insight.nav",
    ),
    PageSpec(
        "pages/changes.py",
        "page.changes",
        ":material/published_with_changes:",
        frozenset({"quality", "executive", "admin"}),
        "insight.nav",
    ),
    PageSpec("pages/design.py", "page.design", ":material/edit_note:", frozenset({"quality", "admin"}), "nav.surveys"),
    PageSpec("pages/phone.py", "page.phone", ":material/call:", frozenset({"agent"}), "nav.revisits"),
    PageSpec("pages/users.py", "page.users", ":material/group:", frozenset({"admin"}), "nav.admin"),
    PageSpec("pages/audit.py", "page.audit", ":material/history:", frozenset({"admin"}), "nav.admin"),
    PageSpec("pages/jobs.py", "page.jobs", ":material/schedule:", frozenset({"admin", "quality"}), "nav.admin"),
    PageSpec("pages/campaigns.py", "dist.page.campaigns", ":material/send:", frozenset({"quality"}), "dist.nav"),
    PageSpec("pages/imports.py", "dist.page.imports", ":material/upload_file:", frozenset({"quality"}), "dist.nav"),
    PageSpec("pages/rules.py", "dist.page.rules", ":material/rule:", frozenset({"quality"}), "dist.nav"),
    PageSpec("pages/cases.py", "cases.page", ":material/support_agent:", ALL_ROLES, "cases.nav"),
    PageSpec(
        "pages/case_reports.py",
        "cases.reports_page",
        ":material/monitoring:",
        frozenset({"quality", "executive", "admin"}),
        "cases.nav",
    ),
    PageSpec(
        "pages/themes.py", "themes.page", ":material/forum:", frozenset({"quality", "executive", "admin"}), "cases.nav"
    ),
    PageSpec(
        "pages/case_settings.py", "cases.settings_page", ":material/tune:", frozenset({"quality", "admin"}), "cases.nav"
    ),
    PageSpec(
        "pages/export.py",
        "export.page",
        ":material/download:",
        frozenset({"quality", "executive", "admin"}),
        "cases.nav",
    ),
    PageSpec("pages/privacy.py", "privacy.page", ":material/person_remove:", frozenset({"admin"}), "nav.admin"),
)


def pages_for(role: str) -> list[PageSpec]:
    return [page for page in PAGES if role in page.roles]


def spec_for(script_path: str) -> PageSpec:
    """The registry entry of a page script (by its file path)."""
    resolved = Path(script_path).resolve()
    for page in PAGES:
        if (STAFF_APP_DIR / page.path).resolve() == resolved:
            return page
    raise LookupError(f"{script_path} is not in ui/registry.py PAGES")
