"""The caches can change how fast validate runs, never what it reports, and never keep a credential.

A cache folder may be restored from a CI cache that a pull request wrote, so each test writes
the cache the way an attacker would (poisoned shapes, forged entries, entries signed with
another secret) and checks that validate reports exactly what a run without a cache reports.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from modelserve.cache.findings import FindingsCache, read_signed_json, write_signed_json
from modelserve.load.repository import Repository
from modelserve.rules.examples import MODEL, RUNTIME, files_for
from modelserve.validate.pipeline import Options, validate_repository

NGC = "nvapi-" + "Zx81kQm2vB7LrT0pYw5sNd3Hc9Jf6Ga4Ue1Xi8Ko"
MODEL_FILE = "catalog/models/llama.yaml"
RUNTIME_FILE = "catalog/runtimes/vllm-runtime.yaml"
SECRET_REF = "    secretKeyRef: {name: nvidia-nim-secrets, key: NGC_API_KEY}"


def cache_dir() -> Path:
    return Path(os.environ["MODELSERVE_CACHE_DIR"])


def cached_bytes() -> bytes:
    return b"".join(p.read_bytes() for p in sorted(cache_dir().rglob("*")) if p.is_file())


def test_nothing_holding_a_refused_credential_is_cached(
    tmp_path: Path, write_repo, run_cli
) -> None:
    runtime = RUNTIME.replace(SECRET_REF, f"    value: {NGC}")
    root = write_repo(tmp_path, files_for({RUNTIME_FILE: runtime}))
    code, out, _ = run_cli("validate", "--root", root)
    assert code == 1 and "secret-literal" in out
    assert list(cache_dir().rglob("*.json")), "the run did cache what it could"
    assert NGC.encode() not in cached_bytes() and NGC[6:].encode() not in cached_bytes()


def test_cache_files_are_signed_and_unsigned_ones_are_misses(
    tmp_path: Path, write_repo, run_cli
) -> None:
    root = write_repo(tmp_path, files_for({}))
    run_cli("validate", "--root", root)
    parsed = next(p for p in cache_dir().glob("parsed-*.json") if read_signed_json(p))
    data = read_signed_json(parsed)
    parsed.write_text(json.dumps(data))  # the same content, without the signature
    assert read_signed_json(parsed) is None


def _parse_cache_shards() -> list[Path]:
    shards = sorted(cache_dir().glob("parsed-*.json"))
    assert shards, "the run wrote no parse cache"
    return shards


def _poison_parse_cache(entry_for) -> None:
    """Rewrite every entry of the parse cache with ``entry_for(old entry)``, signed properly."""
    for parsed in _parse_cache_shards():
        data = read_signed_json(parsed)
        write_signed_json(parsed, {digest: entry_for(entry) for digest, entry in data.items()})


POISONS = {
    "string-positions": lambda e: [e[0], [[*p[:-2], "1", "x"] for p in e[1]], e[2], e[3]],
    "negative-line": lambda e: [e[0], e[1], -5, e[3]],
    "positions-not-a-list": lambda e: [e[0], {"a": 1}, e[2], e[3]],
    "short-entry": lambda e: [e[0]],
    "nested-paths": lambda e: [e[0], [[{"k": 1}, 1, 1]], e[2], e[3]],
    "waivers-not-triples": lambda e: [e[0], e[1], e[2], [["x"]]],
    "waiver-line-a-string": lambda e: [e[0], e[1], e[2], [["1", "schema", "why"]]],
}


@pytest.mark.parametrize("poison", sorted(POISONS))
def test_a_poisoned_parse_cache_entry_is_a_miss_not_a_crash(
    poison: str, tmp_path: Path, write_repo, run_cli
) -> None:
    root = write_repo(tmp_path, files_for({MODEL_FILE: MODEL + "bogus: 1\n"}))
    run_cli("validate", "--root", root)
    fresh = run_cli("validate", "--root", root, "--no-cache", "--format", "json")
    _poison_parse_cache(POISONS[poison])
    poisoned = run_cli("validate", "--root", root, "--format", "json")
    assert poisoned[0] == fresh[0] == 1
    assert json.loads(poisoned[1])["findings"] == json.loads(fresh[1])["findings"]


def test_signed_nonsense_data_is_checked_like_any_file(tmp_path: Path, write_repo, run_cli) -> None:
    """Data in the entry is checked against the schema as a parsed file is: no crash."""
    root = write_repo(tmp_path, files_for({}))
    run_cli("validate", "--root", root)
    _poison_parse_cache(lambda e: [["not", "a", "mapping"], e[1], e[2], e[3]])
    code, out, err = run_cli("validate", "--root", root)
    assert code == 1 and "schema" in out and "internal error" not in err


def test_a_forged_parse_cache_cannot_hide_a_literal_key(
    tmp_path: Path, write_repo, run_cli
) -> None:
    """The attacker's cache says the file with the key parses to the clean catalog."""
    clean = write_repo(tmp_path / "clean", files_for({}))
    run_cli("validate", "--root", clean)
    clean_entries = {k: v for p in _parse_cache_shards() for k, v in read_signed_json(p).items()}
    runtime = RUNTIME.replace(SECRET_REF, f"    value: {NGC}")
    dirty = write_repo(tmp_path / "dirty", files_for({RUNTIME_FILE: runtime}))
    import hashlib

    digest = hashlib.sha256(runtime.encode()).hexdigest()
    clean_digest = hashlib.sha256(RUNTIME.encode()).hexdigest()
    forged = {**clean_entries, digest: clean_entries[clean_digest]}
    any_shard = _parse_cache_shards()[0]
    parsed = any_shard.with_name(
        any_shard.stem[:-1] + digest[0] + ".json"
    )  # the one it is read from
    # Forged as someone without this machine's cache secret must: unsigned, or signed with another.
    for body in (json.dumps(forged).encode(), b"0" * 64 + b"\n" + json.dumps(forged).encode()):
        parsed.write_bytes(body)
        code, out, _ = run_cli("validate", "--root", dirty)
        assert code == 1 and "secret-literal" in out


def test_a_forged_findings_entry_cannot_pass_a_broken_root(
    tmp_path: Path, write_repo, run_cli
) -> None:
    root = write_repo(
        tmp_path, files_for({MODEL_FILE: MODEL.replace("  count: 1", '  count: "1"')})
    )
    code, out, _ = run_cli("validate", "--root", root)
    assert code == 1
    for path in cache_dir().glob("??/*.json"):  # each root's findings, replaced by "no findings"
        path.write_text("[]")
    code_again, again, _ = run_cli("validate", "--root", root)
    assert code_again == 1 and again.splitlines()[:-1] == out.splitlines()[:-1]


def test_a_cache_file_that_is_a_fifo_or_huge_is_ignored(
    tmp_path: Path, write_repo, run_cli
) -> None:
    root = write_repo(tmp_path, files_for({}))
    run_cli("validate", "--root", root)
    parsed = next(cache_dir().glob("parsed-*.json"))
    parsed.unlink()
    os.mkfifo(parsed)
    code, _, err = run_cli(
        "validate", "--root", root
    )  # would block forever if the FIFO were opened to read
    assert code == 0, err


def test_without_a_secret_the_caches_are_off(
    tmp_path: Path, write_repo, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    state.write_text("a file where the state folder should be")
    monkeypatch.setenv("MODELSERVE_STATE_DIR", str(state / "modelserve"))
    root = write_repo(tmp_path / "repo", files_for({}))
    code, _, _ = run_cli("validate", "--root", root)
    assert code == 0 and not list(cache_dir().rglob("*.json"))


def test_a_secret_readable_by_others_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelserve.cache import findings as cache

    state = tmp_path / "state"
    monkeypatch.setenv("MODELSERVE_STATE_DIR", str(state))
    assert cache.cache_secret() is not None
    (state / "cache-secret").chmod(0o644)
    cache._secret_in.cache_clear()
    assert cache.cache_secret() is None


def test_validation_with_a_cache_matches_without(example_repo: Path) -> None:
    layout = Repository(example_repo)
    from modelserve.cache.findings import FindingsCache

    warm = FindingsCache(None)
    validate_repository(layout, Options(cache=warm))
    assert (
        validate_repository(layout, Options(cache=warm)).findings
        == validate_repository(layout).findings
    )


FORGED = {
    "file": MODEL_FILE,
    "line": 1,
    "col": 1,
    "severity": "error",
    "rule": "forged-rule",
    "message": "a finding only the cache holds",
    "path": "",
    "object": "",
    "hint": "",
}
FINDINGS_POISONS = {
    "control": lambda e: [e],  # well formed and signed: used, which shows the cache is read
    "not-a-list": lambda e: e,
    "entry-not-a-mapping": lambda e: [[e]],
    "rule-missing": lambda e: [{k: v for k, v in e.items() if k != "rule"}],
    "message-not-text": lambda e: [{**e, "message": 5}],
    "line-a-string": lambda e: [{**e, "line": "1"}],
    "line-a-boolean": lambda e: [{**e, "line": True}],
    "negative-col": lambda e: [{**e, "col": -1}],
    "unknown-severity": lambda e: [{**e, "severity": "fatal"}],
    "one-good-one-bad": lambda e: [e, {**e, "severity": None}],
}


@pytest.mark.parametrize("poison", sorted(FINDINGS_POISONS))
def test_a_signed_findings_entry_of_the_wrong_shape_is_a_miss(
    poison: str, tmp_path: Path, write_repo, run_cli
) -> None:
    root = write_repo(tmp_path, files_for({}))
    assert run_cli("validate", "--root", root)[0] == 0
    entries = sorted(cache_dir().glob("??/*.json"))
    assert entries, "each built root's findings are cached"
    for path in entries:
        write_signed_json(path, FINDINGS_POISONS[poison](dict(FORGED)))
    code, out, err = run_cli("validate", "--root", root, "--format", "json")
    found = [f["rule"] for f in json.loads(out)["findings"]]
    if poison == "control":
        assert code == 1 and "forged-rule" in found, out + err
    else:
        assert code == 0 and found == [], out + err
        assert "internal error" not in err


def test_a_signed_cache_file_that_is_not_json_is_a_miss(
    tmp_path: Path, write_repo, run_cli
) -> None:
    from modelserve.cache import findings as cache

    root = write_repo(tmp_path, files_for({MODEL_FILE: MODEL + "bogus: 1\n"}))
    code, out, _ = run_cli("validate", "--root", root, "--format", "json")
    assert code == 1
    secret = cache.cache_secret()
    assert secret is not None
    body = b'[{"file": "x", "line": 1,'  # cut off mid-write, yet signed
    for path in [*cache_dir().glob("??/*.json"), *cache_dir().glob("parsed-*.json")]:
        path.write_bytes(cache._tag(secret, body) + b"\n" + body)
        assert read_signed_json(path) is None
    again = run_cli("validate", "--root", root, "--format", "json")
    assert again[0] == 1
    assert json.loads(again[1])["findings"] == json.loads(out)["findings"]


def test_without_a_cache_setting_the_caches_live_under_xdg_cache_home(
    tmp_path: Path, write_repo, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelserve.cache.findings import default_dir

    monkeypatch.delenv("MODELSERVE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_dir() == tmp_path / "xdg" / "modelserve"
    root = write_repo(tmp_path / "repo", files_for({}))
    assert run_cli("validate", "--root", root)[0] == 0
    assert list((tmp_path / "xdg" / "modelserve").rglob("*.json"))
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_dir() == tmp_path / "home" / ".cache" / "modelserve"


def test_a_cache_folder_that_cannot_be_written_only_costs_time(
    tmp_path: Path, write_repo, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("where the cache folder should be\n")
    monkeypatch.setenv("MODELSERVE_CACHE_DIR", str(blocked / "modelserve"))
    root = write_repo(tmp_path / "repo", files_for({MODEL_FILE: MODEL + "bogus: 1\n"}))
    fresh = run_cli("validate", "--root", root, "--no-cache", "--format", "json")
    for _ in range(2):
        code, out, err = run_cli("validate", "--root", root, "--format", "json")
        assert code == fresh[0] == 1 and "internal error" not in err, err
        assert json.loads(out)["findings"] == json.loads(fresh[1])["findings"]
    assert blocked.read_text() == "where the cache folder should be\n"


# --- the parse cache's stats: an unchanged file is not read again, a changed one always is ------


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    import modelserve.load.repository as repository

    reads: list[Path] = []
    real = repository.read_bytes

    def counting(path: Path, *args: object) -> bytes:
        reads.append(path)
        return real(path, *args)

    monkeypatch.setattr(repository, "read_bytes", counting)
    return reads


def _validate(root: Path) -> list[str]:
    result = validate_repository(Repository(root), Options(cache=FindingsCache(cache_dir())))
    return [f.rule for f in result.findings]


def test_a_file_whose_stat_is_unchanged_is_not_read_again(
    tmp_path: Path, write_repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    import modelserve.cache.parse as parse

    monkeypatch.setattr(parse, "RACY_MARGIN_NS", 0)  # as if the files were checked out long ago
    root = write_repo(tmp_path, files_for({}))
    time.sleep(0.01)
    assert _validate(root) == []
    reads = _reads(monkeypatch)
    assert _validate(root) == [] and reads == []


def test_an_edit_that_keeps_size_and_mtime_is_still_read(
    tmp_path: Path, write_repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stat includes ctime, which no user-space call can set back."""
    import modelserve.cache.parse as parse

    monkeypatch.setattr(parse, "RACY_MARGIN_NS", 0)
    root = write_repo(tmp_path, files_for({}))
    time.sleep(0.01)
    assert _validate(root) == []
    model = root / MODEL_FILE
    before = model.stat()
    model.write_text(model.read_text().replace("  count: 1", "  count: x"))  # a schema error
    os.utime(model, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert model.stat().st_size == before.st_size and model.stat().st_mtime_ns == before.st_mtime_ns
    reads = _reads(monkeypatch)
    assert "schema" in _validate(root)
    assert model in reads


def test_a_file_changed_just_before_the_run_is_not_trusted_by_stat(
    tmp_path: Path, write_repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Racily clean, as git calls it: an edit in the same clock tick could keep the stat."""
    root = write_repo(tmp_path, files_for({}))
    assert _validate(root) == []  # the files are younger than RACY_MARGIN_NS
    reads = _reads(monkeypatch)
    assert _validate(root) == []
    assert (root / MODEL_FILE) in reads and (root / RUNTIME_FILE) in reads
