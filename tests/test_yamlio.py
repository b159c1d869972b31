"""Hostile and ambiguous YAML through modelserve.load.yamlio: refused with rule id and position."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelserve.load.yamlio import (
    MAX_FILE_BYTES,
    Document,
    YamlError,
    decode,
    load_file,
    load_text,
    read_text,
)


def load_one(text: str) -> object:
    [doc] = load_text(text, multi=False)
    return doc.data


def refused(text: str, *, multi: bool = False) -> YamlError:
    with pytest.raises(YamlError) as info:
        load_text(text, multi=multi)
    return info.value


def refused_bytes(raw: bytes) -> YamlError:
    with pytest.raises(YamlError) as info:
        decode(raw)
    return info.value


# ---------------------------------------------------------------------------------------------
# Duplicate keys


@pytest.mark.parametrize(
    "text, line, col, first",
    [
        ("a: 1\nb: 2\na: 3\n", 3, 1, 1),
        ("x:\n  a: 1\n  b: 2\n  a: 3\n", 4, 3, 2),
        ("- {a: 1, a: 2}\n", 1, 10, 1),
        ("'a': 1\n\"a\": 2\n", 2, 1, 1),  # quoting does not make two keys different
    ],
)
def test_duplicate_key_names_the_first_line(text: str, line: int, col: int, first: int) -> None:
    err = refused(text)
    assert (err.rule, err.line, err.col) == ("yaml-duplicate-key", line, col)
    assert f"duplicate key 'a' (first defined on line {first})" == err.message


def test_same_key_in_sibling_mappings_is_fine() -> None:
    assert load_one("- a: 1\n- a: 2\n") == [{"a": 1}, {"a": 2}]


# ---------------------------------------------------------------------------------------------
# YAML 1.1 surprises: what Kubernetes (go-yaml) reads differently


@pytest.mark.parametrize(
    "text, line, col, value",
    [
        ("enabled: on\n", 1, 10, "on"),
        ("x: 1\nprune: yes\n", 2, 8, "yes"),
        ("a: No\n", 1, 4, "No"),
        ("flags: [true, Y]\n", 1, 15, "Y"),
        ("off: 1\n", 1, 1, "off"),  # as a key too
        ("x: 1\nmode: 0755\n", 2, 7, "0755"),
        ("mode: -0644\n", 1, 7, "-0644"),
        ("time: 1:30\n", 1, 7, "1:30"),
        ("t: 190:20:30.5\n", 1, 4, "190:20:30.5"),
    ],
)
def test_yaml11_ambiguous_scalars_are_refused(text: str, line: int, col: int, value: str) -> None:
    err = refused(text)
    assert (err.rule, err.line, err.col) == ("yaml-ambiguous", line, col)
    assert f"'{value}'" in err.message and f'"{value}"' in err.hint  # the hint says how to quote it


@pytest.mark.parametrize(
    "text, expected",
    [
        ('version: "1.10"\n', "1.10"),
        ("version: '1.3.3'\n", "1.3.3"),
        ("mode: '0755'\n", "0755"),
        ('enabled: "on"\n', "on"),
        ("answer: 'no'\n", "no"),
        ('time: "1:30"\n', "1:30"),
        ("v: !!str 0755\n", "0755"),
        ("kubernetesVersion: |-\n  1.33\n", "1.33"),
    ],
)
def test_quoted_scalars_stay_strings(text: str, expected: str) -> None:
    [value] = load_one(text).values()  # type: ignore[union-attr]
    assert value == expected and isinstance(value, str)


def test_plain_scalars_are_typed_like_yaml_12() -> None:
    data = load_one(
        "v: [42, -7, +12, 0, 3.14, 1e3, .5, 0x1F, null, Null, ~, true, False, TRUE, "
        ".inf, -.inf, .nan, 1.10, text, 1.2.3]\nempty:\n"
    )
    assert isinstance(data, dict)
    v = data["v"]
    assert v[:8] == [42, -7, 12, 0, 3.14, 1000.0, 0.5, 31]
    assert [type(x) for x in v[:8]] == [int, int, int, int, float, float, float, int]
    assert v[8:14] == [None, None, None, True, False, True]
    assert v[14] == math.inf and v[15] == -math.inf and math.isnan(v[16])
    assert v[17] == 1.1 and v[18:] == ["text", "1.2.3"]
    assert data["empty"] is None


def test_true_and_false_are_real_booleans() -> None:
    assert load_one("a: true\nb: false\n") == {"a": True, "b": False}


# ---------------------------------------------------------------------------------------------
# Bombs and depth


def billion_laughs(levels: int = 9) -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    previous = "a"
    for name in "bcdefghijklmnop"[: levels - 1]:
        text += f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]\n"
        previous = name
    return text


def test_alias_bomb_is_refused() -> None:
    err = refused(billion_laughs())
    assert err.rule == "yaml-alias-bomb"
    assert 2 <= err.line <= 9 and err.col > 1


def test_wide_alias_fan_out_is_refused() -> None:
    # Not exponential, just big: 2,000 references to a 100-item list expand to 200,000 nodes.
    text = "a: &a [" + ", ".join(["x"] * 100) + "]\nb: [" + ", ".join(["*a"] * 2000) + "]\n"
    assert refused(text).rule == "yaml-alias-bomb"


def test_ordinary_aliases_load() -> None:
    assert load_one("base: &b [1, 2]\ncopy: *b\n") == {"base": [1, 2], "copy": [1, 2]}


def test_unknown_alias() -> None:
    err = refused("a: *nope\n")
    assert (err.line, err.col) == (1, 4) and "nope" in err.message


DEEP = 10_000


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a: [" * DEEP + "]" * DEEP, id="flow-in-mapping"),
        pytest.param("{a: " * DEEP + "}" * DEEP, id="flow-mappings"),
        pytest.param("[\n" * DEEP + "]\n" * DEEP, id="flow-sequences-one-per-line"),
        pytest.param("- " * DEEP + "x\n", id="block-sequences-one-line"),
        pytest.param("".join("  " * i + "a:\n" for i in range(2_000)), id="block-mappings"),
        pytest.param("[" * DEEP + "]" * DEEP, id="flow-sequences-one-line"),
    ],
)
def test_deep_nesting_is_refused_without_recursion(text: str) -> None:
    err = refused(text)
    assert err.rule == "yaml-too-deep" and "64" in err.message
    assert err.line >= 1 and err.col >= 1


def test_nesting_at_the_limit_loads() -> None:
    value = load_one("a: " + "[" * 63 + "]" * 63)
    depth = 0
    while isinstance(value, (dict, list)) and value:
        value = value["a"] if isinstance(value, dict) else value[0]
        depth += 1
    assert depth == 63


# ---------------------------------------------------------------------------------------------
# Syntax and structure


@pytest.mark.parametrize(
    "text, line",
    [
        ("name: x\nspec:\n\tport: 80\n", 3),
        ("a:\n  b: 1\n\tc: 2\n", 3),
    ],
)
def test_tab_indentation_is_a_syntax_error_with_its_line(text: str, line: int) -> None:
    err = refused(text)
    assert (err.rule, err.line, err.col) == ("yaml-syntax", line, 1)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("name: x\nspec:\n\tport: 80\n", id="tab-starts-block"),
        pytest.param("a:\n  b: 1\n\tc: 2\n", id="tab-in-block"),
    ],
)
def test_tab_indentation_hint_mentions_tabs(text: str) -> None:
    assert "tab" in refused(text).hint


@pytest.mark.parametrize(
    "text, line, col, problem",
    [
        (
            "a: 1\nb: [1, 2\nc: 3\n",
            3,
            2,
            "did not find expected ',' or ']'",
        ),  # where libyaml notices
        ("a: 1\n  b: 2\n", 2, 4, "mapping values are not allowed"),
        ('a: 1\nb: "open\nc: 3\n', 4, 1, "unexpected end of stream"),
    ],
)
def test_syntax_error_position(text: str, line: int, col: int, problem: str) -> None:
    err = refused(text)
    assert (err.rule, err.line, err.col) == ("yaml-syntax", line, col)
    assert err.message.startswith("YAML syntax error") and problem in err.message


@pytest.mark.parametrize(
    "text, line",
    [
        ("a: 1\n---\nb: 2\n", 2),
        ("---\na: 1\n---\nb: 2\n", 3),
        ("a: 1\n---\n", 2),  # an empty second document still counts
    ],
)
def test_second_document_where_one_is_expected(text: str, line: int) -> None:
    err = refused(text)
    assert (err.rule, err.line, err.col) == ("yaml-multiple-documents", line, 1)
    assert len(load_text(text, multi=True)) == 2


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_no_document(text: str) -> None:
    assert load_text(text, multi=False) == []


@pytest.mark.parametrize(
    "text",
    [
        "a: !!binary aGVsbG8=\n",
        "a: !!python/name:os.system ''\n",
        "a: !!timestamp 2001-12-14\n",
        "a: !custom value\n",
    ],
)
def test_unknown_tags_on_scalars_are_refused(text: str) -> None:
    err = refused(text)
    assert (err.rule, err.line, err.col) == ("yaml-tag", 1, 4) and "tag" in err.message


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system [echo hi]\n",
        "!!python/object:os.system {}\n",
        "a: !custom [1]\n",
        "a: !!set {x, z}\n",
        "a: !!omap [b: 1]\n",
    ],
)
def test_unknown_tags_on_collections_are_refused(text: str) -> None:
    assert refused(text).rule == "yaml-tag"


def test_standard_tags_load() -> None:
    assert load_one("a: !!str 1\nb: !!int 2\nc: !!null ''\n") == {"a": "1", "b": 2, "c": None}


def test_merge_keys_are_refused() -> None:
    err = refused("base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n")
    assert (err.rule, err.line, err.col) == ("yaml-merge-key", 3, 3)


def test_quoted_merge_key_is_a_plain_key() -> None:
    assert load_one("'<<': 1\n") == {"<<": 1}


@pytest.mark.parametrize(
    "text, col",
    [
        ("? [a]\n: 1\n", 3),
        ("? {a: 1}\n: x\n", 3),
        ("k: &k v\n*k : x\n", 1),
        ("1.5: x\n", 1),
        ("~: x\n", 1),
        ("true: x\n", 1),
    ],
)
def test_non_string_keys_are_refused(text: str, col: int) -> None:
    err = refused(text)
    assert err.rule == "yaml-key" and err.col == col


def test_integer_keys_become_strings() -> None:
    assert load_one("8080: http\n") == {"8080": "http"}


# ---------------------------------------------------------------------------------------------
# Encoding (decode, read_text)


@pytest.mark.parametrize(
    "raw, line, col",
    [
        (b"a: \xff\n", 1, 4),
        (b"a: 1\nb: caf\xe9\n", 2, 7),
        (b"a: 1\n\n  c: \xc3\x28\n", 3, 6),  # a broken two-byte sequence
    ],
)
def test_invalid_utf8_is_located(raw: bytes, line: int, col: int) -> None:
    err = refused_bytes(raw)
    assert (err.rule, err.line, err.col) == ("yaml-encoding", line, col)
    assert "UTF-8" in err.message


@pytest.mark.parametrize(
    "raw",
    [
        "\ufeffa: 1\n".encode("utf-8"),
        b"\xff\xfe" + "a: 1\n".encode("utf-16-le"),
        b"\xfe\xff" + "a: 1\n".encode("utf-16-be"),
        "a: 1\n".encode("utf-16"),  # Python writes the BOM itself
    ],
    ids=["utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "utf-16-native"],
)
def test_byte_order_marks_are_refused(raw: bytes) -> None:
    err = refused_bytes(raw)
    assert (err.rule, err.line, err.col) == (
        "yaml-encoding",
        1,
        1,
    ) and "byte-order mark" in err.message


def test_utf16_without_bom_is_refused() -> None:
    assert refused_bytes("a: 1\n".encode("utf-16-le")).rule == "yaml-encoding"


@pytest.mark.parametrize(
    "text, line, col, code",
    [
        ("a: b\x00c\n", 1, 5, "U+0000"),
        ("a: 1\nb: \x1b[31mred\n", 2, 4, "U+001B"),
        ("a: 1\nb: x\x7f\n", 2, 5, "U+007F"),
        ("a: x\x85y\n", 1, 5, "U+0085"),
        ("a: 1\nb: x\ufeff\n", 2, 5, "U+FEFF"),
        ("a: 1\n\x0c\n", 2, 1, "U+000C"),
    ],
)
def test_control_characters_are_located(text: str, line: int, col: int, code: str) -> None:
    err = refused_bytes(text.encode("utf-8"))
    assert (err.rule, err.line, err.col) == ("yaml-encoding", line, col) and code in err.message


def test_tabs_newlines_and_non_ascii_text_decode() -> None:
    text = "a: 'x\ty'\r\nname: café 模型 🚀\n"
    assert decode(text.encode("utf-8")) == text
    assert load_one(text) == {"a": "x\ty", "name": "café 模型 🚀"}


def test_read_text_refuses_a_file_over_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text("a: " + "x" * 97)  # 100 bytes
    assert read_text(path, max_bytes=100) == "a: " + "x" * 97
    err = pytest.raises(YamlError, read_text, path, max_bytes=99).value
    assert (err.rule, err.line, err.col) == ("yaml-too-large", 1, 1)
    assert "100 bytes" in err.message and "99" in err.message
    assert pytest.raises(YamlError, load_file, path, max_bytes=99).value.rule == "yaml-too-large"


def test_size_is_checked_before_reading(tmp_path: Path) -> None:
    # A sparse file of NUL bytes: read and decoded it would be yaml-encoding; sized first it
    # is yaml-too-large, and no byte of it has to be read.
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    err = pytest.raises(YamlError, read_text, path).value
    assert err.rule == "yaml-too-large" and str(MAX_FILE_BYTES + 1) in err.message


def test_load_file_reads_positions(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("# comment\nname: x\n", encoding="utf-8")
    [doc] = load_file(path)
    assert doc.data == {"name": "x"} and doc.locate(("name",)) == (2, 1)


# ---------------------------------------------------------------------------------------------
# Positions

NESTED = """\
a:
  b:
    - x
    - c: 1
      d: [1, 2]
e: {f: g}
"""


@pytest.mark.parametrize(
    "path, pos",
    [
        (("a",), (1, 1)),
        (("a", "b"), (2, 3)),
        (("a", "b", 0), (3, 7)),
        (("a", "b", 1), (4, 7)),
        (("a", "b", 1, "c"), (4, 7)),
        (("a", "b", 1, "d"), (5, 7)),
        (("a", "b", 1, "d", 1), (5, 14)),
        (("e", "f"), (6, 5)),
    ],
)
def test_locate_nested_keys_and_items(path: tuple[object, ...], pos: tuple[int, int]) -> None:
    [doc] = load_text(NESTED, multi=False)
    assert doc.locate(path) == pos


@pytest.mark.parametrize(
    "path, pos",
    [
        (("a", "b", 1, "missing"), (4, 7)),  # nearest located ancestor
        (("a", "b", 9, "c"), (2, 3)),
        (("e", "f", "g", "h"), (6, 5)),
        (("nope",), (1, 1)),  # the document itself
        ((), (1, 1)),
    ],
)
def test_locate_falls_back_to_the_nearest_ancestor(
    path: tuple[object, ...], pos: tuple[int, int]
) -> None:
    [doc] = load_text(NESTED, multi=False)
    assert doc.locate(path) == pos


def test_locate_in_a_later_document() -> None:
    first, second = load_text("a: 1\n---\n# note\nb:\n  c: 2\n", multi=True)
    assert isinstance(first, Document) and second.data == {"b": {"c": 2}}
    assert second.locate(("b", "c")) == (5, 3)
    assert second.locate(("zzz",)) == (second.line, 1) == (2, 1)


# ---------------------------------------------------------------------------------------------
# Property: nothing but YamlError ever escapes

# YAML-ish text: single indicator characters mixed with whole tokens that reach deeper code paths.
YAML_TOKENS = st.sampled_from(
    list("-:?,[]{}&*!|>'\"#%@`~ \t\n\r.0123456789abcnoyxTF<=\\")
    + [
        "\x00",
        "\x85",
        "\ufeff",
        "\u2028",
        "é",
        "---\n",
        "...\n",
        "!!",
        "<<: ",
        "&a ",
        "*a",
        "\n  ",
        "\n- ",
        "on",
        "0755",
        "1:30",
        "!!python/object ",
        "? ",
    ]
)
YAMLISH = st.lists(YAML_TOKENS, max_size=60).map("".join)


@settings(max_examples=300, deadline=None, database=None)
@given(st.one_of(st.text(), YAMLISH))
def test_arbitrary_text_raises_only_yaml_error(text: str) -> None:
    try:
        docs = load_text(text, multi=True)
    except YamlError as exc:
        assert exc.rule.startswith("yaml-") and exc.line >= 1 and exc.col >= 1
    else:
        assert all(isinstance(doc, Document) for doc in docs)


@settings(max_examples=100, deadline=None, database=None)
@given(st.binary(max_size=80))
def test_arbitrary_bytes_raise_only_yaml_error(raw: bytes) -> None:
    try:
        load_text(decode(raw), multi=True)
    except YamlError as exc:
        assert exc.rule.startswith("yaml-") and exc.line >= 1 and exc.col >= 1
