"""One catalog for every UI string, in zh-CN and en."""

import re
from pathlib import Path

import pytest

from survey.core import i18n

ROOT = Path(__file__).resolve().parent.parent
# tr("x.y") / t("x.y") in pages, and key="x.y" where a refusal names its words
KEY_CALL = re.compile(r"""(?:\b(?:tr|t)\(\s*|\bkey=)["']([a-z_]+\.[a-zA-Z0-9_.]+)["']""")


def test_every_key_has_both_languages_and_is_defined_once():
    i18n.catalog.cache_clear()
    catalog = i18n.catalog()
    assert catalog and all(set(v) >= {"zh-CN", "en"} for v in catalog.values())


def test_every_key_used_in_the_code_exists():
    used = set()
    for folder in ("pages", "ui", "survey"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(KEY_CALL.findall(path.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in i18n.catalog())
    assert not missing, f"keys used but not in survey/core/locales: {missing}"


def test_translation_lookup_and_fallbacks():
    assert i18n.t("login.submit", "en") == "Sign in"
    assert i18n.t("login.submit", "zh-CN") == "登录"
    assert i18n.t("login.submit", "zh") == "登录"
    assert i18n.t("login.locked", "en", seconds=4) == "Too many failed attempts. Try again in 4 seconds."
    assert i18n.label("tier", "gold", "zh-CN") == "金卡"
    assert i18n.label("region", "Somewhere New", "en") == "Somewhere New"
    assert i18n.text_in({"zh-CN": "你好", "en": ""}, "en") == "你好"


def test_a_duplicate_key_across_files_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "a.json").write_text('{"x.y": {"zh-CN": "a", "en": "a"}}', encoding="utf-8")
    (tmp_path / "b.json").write_text('{"x.y": {"zh-CN": "b", "en": "b"}}', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    i18n.catalog.cache_clear()
    with pytest.raises(i18n.CatalogError, match="already defined"):
        i18n.catalog()
    i18n.catalog.cache_clear()
