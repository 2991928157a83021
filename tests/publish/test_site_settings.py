"""The site's settings: its folder (``[paths] site``), address and 文号 pattern (``[site]``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualrandom.config import DEFAULT_DOC_NO, SiteSettings, load_settings
from dualrandom.errors import ConfigError


def test_the_site_folder_is_var_site_unless_configured(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[paths]\nvar = "work"\n', encoding="utf-8")
    assert load_settings(config, environ={}).site_dir == tmp_path / "work" / "site"
    config.write_text('[paths]\nvar = "work"\nsite = "public/site"\n', encoding="utf-8")
    assert load_settings(config, environ={}).site_dir == tmp_path / "public" / "site"
    config.write_text(f'[paths]\nsite = "{(tmp_path / "abs").as_posix()}"\n', encoding="utf-8")
    assert load_settings(config, environ={}).site_dir == tmp_path / "abs"


def test_site_defaults_have_no_address_and_the_documented_pattern(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    site = load_settings(config, environ={}).site
    assert site == SiteSettings() and site.base_url == ""
    assert site.doc_no == DEFAULT_DOC_NO == "{dept}抽〔{year}〕{n}号"


def test_the_base_url_is_an_http_address_that_ends_in_a_slash(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[site]\nbase_url = "https://example.gov.cn/sjsgk"\n', encoding="utf-8")
    assert load_settings(config, environ={}).site.base_url == "https://example.gov.cn/sjsgk/"


@pytest.mark.parametrize(
    "line",
    [
        'base_url = "ftp://example.gov.cn/"',
        'base_url = "example.gov.cn"',
        'base_url = "https://x/?a=1"',
        "base_url = 3",
        'doc_no = "{dept}抽〔{year}〕号"',
        'doc_no = "{dept}抽〔{year}〕{n}号{kind}"',
        'doc_no = "{dept}抽〔{year}〕{}号"',
        'doc_no = "{dept}抽〔{year}〕{n:s}号"',
    ],
)
def test_a_bad_site_setting_names_the_file_and_the_key_in_chinese_first(
    tmp_path: Path, line: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"[site]\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    key = line.split(" ")[0]
    assert caught.value.message.startswith(f"{config}: [site] {key}")
    assert caught.value.english.startswith(f"{config}: [site] {key}")
    assert "应" in caught.value.message or "须" in caught.value.message


def test_a_padded_number_is_a_valid_pattern() -> None:
    assert SiteSettings(doc_no="{dept}抽〔{year}〕{n:03d}号").doc_no.format(
        dept="SCJG", year=2027, n=7
    ) == "SCJG抽〔2027〕007号"
