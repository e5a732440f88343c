"""Compiled report templates kept between commands (reports.template_cache): a second
process loads what the first compiled, renders the same text, and a cache that cannot
be kept safely is not used at all."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from reports import render
from reports.template_cache import cache_folder, use_cache

TEMPLATE = "{% for x in xs %}<{{ x }}>{% endfor %}"


def _env(templates: Path, **options) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(templates), **options)


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "t.j2").write_text(TEMPLATE, encoding="utf-8")
    return folder


def _never_compiles(monkeypatch) -> None:
    def compile(*args, **kwargs):
        raise AssertionError("compiled although the cache holds the template")
    monkeypatch.setattr(jinja2.Environment, "compile", compile)


def test_a_second_environment_loads_the_compiled_template_instead_of_compiling_it(templates, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = use_cache(_env(templates, autoescape=True), "t", cache).get_template("t.j2").render(xs=["a&b"])
    assert len(list(cache.iterdir())) == 1
    _never_compiles(monkeypatch)
    again = use_cache(_env(templates, autoescape=True), "t", cache).get_template("t.j2").render(xs=["a&b"])
    assert again == first == "<a&amp;b>"


def test_an_environment_with_other_options_does_not_reuse_the_compiled_code(templates, tmp_path):
    cache = tmp_path / "cache"
    escaped = use_cache(_env(templates, autoescape=True), "t", cache).get_template("t.j2").render(xs=["a&b"])
    plain = use_cache(_env(templates, autoescape=False), "t", cache).get_template("t.j2").render(xs=["a&b"])
    assert (escaped, plain) == ("<a&amp;b>", "<a&b>")
    assert len(list(cache.iterdir())) == 2


def test_an_edited_template_is_compiled_again(templates, tmp_path):
    cache = tmp_path / "cache"
    use_cache(_env(templates), "t", cache).get_template("t.j2").render(xs=[1])
    (templates / "t.j2").write_text("[{{ xs | length }}]", encoding="utf-8")
    assert use_cache(_env(templates), "t", cache).get_template("t.j2").render(xs=[1, 2]) == "[2]"


def test_the_cache_is_a_private_folder(templates, tmp_path):
    cache = tmp_path / "a" / "cache"
    use_cache(_env(templates), "t", cache).get_template("t.j2")
    assert cache.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("spoil", ["others_may_write", "symlink", "a_file"])
def test_a_folder_that_is_not_private_is_not_used(templates, tmp_path, spoil):
    cache = tmp_path / "cache"
    if spoil == "others_may_write":
        cache.mkdir()
        cache.chmod(0o777)
    elif spoil == "symlink":
        (tmp_path / "elsewhere").mkdir(mode=0o700)
        cache.symlink_to(tmp_path / "elsewhere")
    else:
        cache.write_text("")
    env = use_cache(_env(templates), "t", cache)
    assert env.bytecode_cache is None
    assert env.get_template("t.j2").render(xs=[1]) == "<1>"


def test_a_cache_folder_gone_after_start_up_only_costs_a_compile(templates, tmp_path):
    cache = tmp_path / "cache"
    env = use_cache(_env(templates), "t", cache)
    cache.rmdir()
    assert env.get_template("t.j2").render(xs=[1]) == "<1>"


def test_a_damaged_cache_file_is_compiled_again(templates, tmp_path):
    cache = tmp_path / "cache"
    use_cache(_env(templates), "t", cache).get_template("t.j2")
    [kept] = cache.iterdir()
    kept.write_bytes(kept.read_bytes()[:40])
    assert use_cache(_env(templates), "t", cache).get_template("t.j2").render(xs=[2]) == "<2>"


@pytest.mark.parametrize(("env", "expected"), [
    ({"XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"}, "/x/cache/drillbit/templates"),
    ({"XDG_CACHE_HOME": "relative", "HOME": "/home/u"}, "/home/u/.cache/drillbit/templates"),
    ({"HOME": "/home/u"}, "/home/u/.cache/drillbit/templates"),
    ({"HOME": "relative"}, None),
    ({}, None),
])
def test_the_cache_folder_follows_the_xdg_base_directories(env, expected):
    folder = cache_folder(env)
    assert (None if folder is None else str(folder)) == expected


@pytest.fixture
def fresh_report_envs():
    render._env.cache_clear()
    yield
    render._env.cache_clear()


def test_every_report_loaded_from_the_cache_is_the_report_compiled_from_its_template(
        single_case, batch_case, tmp_path, monkeypatch, fresh_report_envs):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    formats = [f for f in render.FORMATS if f != "junit"]  # JUnit XML is not a template
    compiled = {(case.name, f): case.render(f) for case in (single_case, batch_case) for f in formats}
    kept = list((tmp_path / "cache" / "drillbit" / "templates").iterdir())
    # the html and md scorecards, the status page, the post-mortem, the after-action report, the style sheet they include
    assert len(kept) == 6
    render._env.cache_clear()
    _never_compiles(monkeypatch)
    assert {(case.name, f): case.render(f) for case in (single_case, batch_case) for f in formats} == compiled
