"""Broken catalog and environment files: each is reported at file:line:col, by the library and
by the real ``modelserve validate``; usage errors exit 2; the example repository validates.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modelserve.deploy.tree import build_tree
from modelserve.findings import Finding, Severity
from modelserve.load.repository import Repository, load_repository
from modelserve.load.yamlio import MAX_FILE_BYTES
from modelserve.rules import run_rules
from modelserve.rules.base import Context
from modelserve.rules.examples import ENVIRONMENT, MODEL, files_for

MODEL_FILE = "catalog/models/llama.yaml"
ENV_FILE = "environments/dev.yaml"


@dataclass(frozen=True)
class Broken:
    """One broken input and the finding it must give."""

    files: dict[str, str]
    file: str
    line: int
    col: int
    rule: str
    says: str = ""  # in the message
    hint: str = ""  # in the hint

    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: error {self.rule}"


CASES = {
    "bad-yaml": Broken(
        {MODEL_FILE: MODEL.replace("runtime: vllm-runtime", "runtime: vllm-runtime: x")},
        MODEL_FILE,
        2,
        22,
        "yaml-syntax",
        "mapping values are not allowed",
    ),
    "bad-indentation": Broken(
        {MODEL_FILE: MODEL.replace("  count: 1\n", "  count: 1\n   extra: 2\n")},
        MODEL_FILE,
        9,
        9,
        "yaml-syntax",
    ),
    "duplicate-key": Broken(
        {MODEL_FILE: MODEL + "runtime: other\n"},
        MODEL_FILE,
        12,
        1,
        "yaml-duplicate-key",
        "duplicate key 'runtime' (first defined on line 2)",
    ),
    "yaml11-boolean": Broken(
        {ENV_FILE: ENVIRONMENT.replace("  requireDigest: true", "  requireDigest: yes")},
        ENV_FILE,
        12,
        18,
        "yaml-ambiguous",
        "'yes'",
    ),
    "second-document": Broken(
        {MODEL_FILE: MODEL + "---\nname: other\n"}, MODEL_FILE, 12, 1, "yaml-multiple-documents"
    ),
    "unknown-field": Broken(
        {MODEL_FILE: MODEL + "descripton: Llama 3.1 8B\n"},
        MODEL_FILE,
        12,
        1,
        "schema",
        "unknown field 'descripton'",
        "did you mean 'description'?",
    ),
    "unknown-nested-field": Broken(
        {MODEL_FILE: MODEL.replace("  count: 1\n", "  count: 1\n  minMemoryGB: 40\n")},
        MODEL_FILE,
        9,
        3,
        "schema",
        "unknown field 'gpu.minMemoryGB'",
        "did you mean 'minMemoryGiB'?",
    ),
    "missing-required": Broken(
        {
            MODEL_FILE: MODEL.replace(
                'format:\n  name: nvidia-nim-llama-3.1-8b-instruct\n  version: "1.3.3"\n', ""
            )
        },
        MODEL_FILE,
        1,
        1,
        "schema",
        "missing required field 'format'",
        "add 'format'",
    ),
    "missing-nested-required": Broken(
        {MODEL_FILE: MODEL.replace("  name: nvidia-nim-llama-3.1-8b-instruct\n", "")},
        MODEL_FILE,
        3,
        1,
        "schema",
        "missing required field 'format.name'",
    ),
    "wrong-type": Broken(
        {MODEL_FILE: MODEL.replace("count: 1", "count: two")},
        MODEL_FILE,
        8,
        3,
        "schema",
        'gpu.count: "two" is not of type "integer"',
    ),
    "unquoted-version": Broken(
        {ENV_FILE: ENVIRONMENT.replace('kubernetesVersion: "1.33"', "kubernetesVersion: 1.30")},
        ENV_FILE,
        4,
        1,
        "schema",
        "kubernetesVersion",
        '"1.33"',
    ),
    "missing-runtime": Broken(
        {MODEL_FILE: MODEL.replace("runtime: vllm-runtime", "runtime: vllm-runtme")},
        MODEL_FILE,
        2,
        1,
        "ref-runtime",
        "'vllm-runtme'",
        "did you mean 'vllm-runtime'?",
    ),
    "unsupported-format": Broken(
        {MODEL_FILE: MODEL.replace("  name: nvidia-nim-llama-3.1-8b-instruct", "  name: vllm")},
        MODEL_FILE,
        4,
        3,
        "runtime-format",
        "does not serve format 'vllm'",
    ),
    "empty-file": Broken(
        {"catalog/models/empty.yaml": ""},
        "catalog/models/empty.yaml",
        1,
        1,
        "file-empty",
        "holds no model",
    ),
    "comments-only": Broken(
        {"catalog/runtimes/todo.yaml": "# TODO: the Triton runtime\n"},
        "catalog/runtimes/todo.yaml",
        1,
        1,
        "file-empty",
        "holds no runtime",
    ),
    "not-a-mapping": Broken(
        {MODEL_FILE: "- name: llama\n"}, MODEL_FILE, 1, 1, "schema", 'not of type "object"'
    ),
    "duplicate-name": Broken(
        {"catalog/models/zz-llama.yaml": MODEL},
        "catalog/models/zz-llama.yaml",
        1,
        1,
        "duplicate-name",
        "already defined in catalog/models/llama.yaml",
    ),
    "environment-name": Broken(
        {ENV_FILE: ENVIRONMENT.replace("name: dev\n", "name: develop\n")},
        ENV_FILE,
        1,
        1,
        "env-name-file",
        "'develop'",
        "name: dev",
    ),
}


def all_findings(root: Path) -> list[Finding]:
    """What the library reports before any Kustomize build: loader findings plus every rule."""
    loaded = load_repository(Repository(root))
    return loaded.findings + list(run_rules(Context(loaded.catalog, build_tree(loaded.catalog))))


def validate(run_cli: Any, root: Path, fmt: str = "text", *extra: str) -> tuple[int, str, str]:
    return run_cli("validate", "--root", root, "--no-cache", "--format", fmt, *extra)


# ---------------------------------------------------------------------------------------------
# Each broken input, through the library and through the CLI


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_library_locates_the_problem(case: Broken, tmp_path: Path, write_repo: Any) -> None:
    found = all_findings(write_repo(tmp_path, files_for(case.files)))
    matching = [
        f
        for f in found
        if (f.file, f.line, f.col, f.rule) == (case.file, case.line, case.col, case.rule)
    ]
    assert matching, (
        f"expected {case.location()}, got {[(f.file, f.line, f.col, f.rule) for f in found]}"
    )
    [finding] = matching
    assert finding.severity is Severity.ERROR
    assert case.says in finding.message and case.hint in finding.hint


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_cli_reports_file_line_col_and_exits_1(
    case: Broken, tmp_path: Path, write_repo: Any, run_cli: Any
) -> None:
    code, out, err = validate(run_cli, write_repo(tmp_path, files_for(case.files)))
    assert code == 1, out + err
    [line] = [line for line in out.splitlines() if line.startswith(case.location())]
    assert case.says in line and case.hint in line
    assert "error(s)" in out.splitlines()[-1] and err == ""


def test_sound_files_are_still_loaded_when_one_is_broken(tmp_path: Path, write_repo: Any) -> None:
    files = files_for(
        {
            "catalog/models/broken.yaml": "name: broken\nruntime: [\n",
            "catalog/models/other.yaml": MODEL.replace("name: llama", "name: other"),
        }
    )
    loaded = load_repository(Repository(write_repo(tmp_path, files)))
    assert set(loaded.catalog.models) == {"llama", "other"}
    assert [f.file for f in loaded.findings] == ["catalog/models/broken.yaml"]
    assert set(loaded.files) == set(files)


# ---------------------------------------------------------------------------------------------
# Files that are hostile at the byte or filesystem level


def test_non_utf8_file(tmp_path: Path, write_repo: Any, run_cli: Any) -> None:
    root = write_repo(tmp_path, files_for({}))
    (root / MODEL_FILE).write_bytes(
        MODEL.encode() + "description: Caf\xe9 model\n".encode("latin-1")
    )
    [finding] = load_repository(Repository(root)).findings
    assert (finding.file, finding.line, finding.col, finding.rule) == (
        MODEL_FILE,
        MODEL.count("\n") + 1,
        17,
        "yaml-encoding",
    )
    code, out, _ = validate(run_cli, root)
    assert code == 1 and f"{MODEL_FILE}:{MODEL.count(chr(10)) + 1}:17: error yaml-encoding" in out


def test_oversized_file_is_refused_unread(tmp_path: Path, write_repo: Any) -> None:
    root = write_repo(tmp_path, files_for({}))
    with (root / "catalog/models/huge.yaml").open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing to read, all NUL if it were read
    [finding] = load_repository(Repository(root)).findings
    assert (finding.file, finding.line, finding.rule) == (
        "catalog/models/huge.yaml",
        1,
        "yaml-too-large",
    )


@pytest.fixture
def outside_link(tmp_path: Path, write_repo: Any) -> Path:
    """A repository whose catalog/models/stolen.yaml links to a valid model outside it."""
    root = write_repo(tmp_path / "repo", files_for({}))
    (tmp_path / "elsewhere.yaml").write_text(
        MODEL.replace("name: llama", "name: stolen"), encoding="utf-8"
    )
    os.symlink(tmp_path / "elsewhere.yaml", root / "catalog/models/stolen.yaml")
    return root


def test_symlink_outside_the_repository_is_refused(outside_link: Path, run_cli: Any) -> None:
    loaded = load_repository(Repository(outside_link))
    assert "stolen" not in loaded.catalog.models
    [finding] = loaded.findings
    assert (finding.file, finding.rule, finding.severity) == (
        "catalog/models/stolen.yaml",
        "file-outside-repo",
        Severity.ERROR,
    )
    assert "elsewhere.yaml" in finding.message
    code, out, _ = validate(run_cli, outside_link)
    assert code == 1 and "catalog/models/stolen.yaml" in out and "file-outside-repo" in out


def test_symlink_outside_the_repository_has_a_position(outside_link: Path, run_cli: Any) -> None:
    code, out, _ = validate(run_cli, outside_link)
    assert "catalog/models/stolen.yaml:1:1: error file-outside-repo" in out


def test_symlink_inside_the_repository_is_followed(tmp_path: Path, write_repo: Any) -> None:
    root = write_repo(
        tmp_path, files_for({"shared/llama2.yaml": MODEL.replace("name: llama", "name: llama2")})
    )
    os.symlink("../../shared/llama2.yaml", root / "catalog/models/llama2.yaml")
    loaded = load_repository(Repository(root))
    assert loaded.findings == [] and "llama2" in loaded.catalog.models


def test_hidden_and_non_yaml_files_are_ignored(tmp_path: Path, write_repo: Any) -> None:
    files = files_for(
        {
            "catalog/models/.llama.yaml.swp": "garbage: [",
            "catalog/models/README.md": "# models\n",
            "catalog/models/other.yml": MODEL.replace("name: llama", "name: other"),
        }
    )
    loaded = load_repository(Repository(write_repo(tmp_path, files)))
    assert loaded.findings == [] and set(loaded.catalog.models) == {"llama", "other"}


# ---------------------------------------------------------------------------------------------
# Every problem is reported, not only the first one at a position


def test_every_missing_field_is_reported(tmp_path: Path, write_repo: Any, run_cli: Any) -> None:
    root = write_repo(tmp_path, files_for({MODEL_FILE: "name: llama\n"}))
    _, out, _ = validate(run_cli, root)
    assert "missing required field 'runtime'" in out and "missing required field 'format'" in out


def test_every_unknown_field_is_reported(tmp_path: Path, write_repo: Any) -> None:
    root = write_repo(tmp_path, files_for({MODEL_FILE: MODEL + "descripton: x\nowner: someone\n"}))
    messages = {f.message for f in load_repository(Repository(root)).findings}
    assert messages == {"unknown field 'descripton'", "unknown field 'owner'"}


# ---------------------------------------------------------------------------------------------
# Usage errors and the clean example


def test_root_without_catalog_or_environments_exits_2(tmp_path: Path, run_cli: Any) -> None:
    (tmp_path / "deploy").mkdir()
    code, out, err = validate(run_cli, tmp_path)
    assert code == 2 and out == ""
    assert "no catalog/ or environments/" in err


def test_root_that_is_not_a_folder_exits_2(tmp_path: Path, run_cli: Any) -> None:
    code, _, err = validate(run_cli, tmp_path / "missing")
    assert code == 2 and "is not a folder" in err


def test_empty_catalog_folders_exit_2(tmp_path: Path, run_cli: Any) -> None:
    (tmp_path / "catalog" / "models").mkdir(parents=True)
    (tmp_path / "environments").mkdir()
    code, _, err = validate(run_cli, tmp_path)
    assert code == 2 and "nothing to validate" in err


@pytest.mark.parametrize(
    "args",
    [
        ("--format", "xml"),
        ("--env", "nope"),
        ("--bogus",),
        ("--jobs", "-1"),
        ("--jobs", "0"),
        ("--jobs", "many"),
    ],
)
def test_bad_options_exit_2(args: tuple[str, ...], example_repo: Path, run_cli: Any) -> None:
    code, out, err = run_cli("validate", "--root", example_repo, "--no-cache", *args)
    assert code == 2 and err and "Traceback" not in err


def test_example_repository_loads_cleanly(example_repo: Path) -> None:
    loaded = load_repository(Repository(example_repo))
    assert loaded.findings == []
    assert len(loaded.catalog.models) == len(list((example_repo / "catalog/models").glob("*.yaml")))
    assert set(loaded.catalog.environments) == {"dev", "staging", "prod"}


def test_example_repository_validates(example_repo: Path, run_cli: Any) -> None:
    code, out, err = validate(run_cli, example_repo)
    assert code == 0, out + err
    assert out.splitlines()[-1].startswith("0 error(s)")
    assert ": error " not in out


def test_validate_defaults_to_the_current_folder(example_repo: Path, run_cli: Any) -> None:
    code, out, _ = run_cli("validate", "--no-cache", "--format", "text", cwd=example_repo)
    assert code == 0 and out.splitlines()[-1].startswith("0 error(s)")


# ---------------------------------------------------------------------------------------------
# Report formats

UNKNOWN = CASES["unknown-field"]


@pytest.fixture
def broken_repo(tmp_path: Path, write_repo: Any) -> Path:
    return write_repo(tmp_path, files_for(UNKNOWN.files))


def test_json_report(broken_repo: Path, run_cli: Any) -> None:
    code, out, _ = validate(run_cli, broken_repo, "json")
    report = json.loads(out)
    assert code == 1
    assert (
        report["summary"]["errors"]
        == sum(f["severity"] == "error" for f in report["findings"])
        >= 1
    )
    schema = next(f for f in report["findings"] if f["rule"] == "schema")
    assert (schema["file"], schema["line"], schema["col"], schema["severity"]) == (
        UNKNOWN.file,
        UNKNOWN.line,
        UNKNOWN.col,
        "error",
    )
    assert (
        schema["message"] == "unknown field 'descripton'"
        and schema["hint"] == "did you mean 'description'?"
    )


def test_json_report_of_a_clean_repository(example_repo: Path, run_cli: Any) -> None:
    code, out, _ = validate(run_cli, example_repo, "json")
    assert code == 0 and json.loads(out)["summary"]["errors"] == 0


def test_github_report(broken_repo: Path, run_cli: Any) -> None:
    code, out, _ = validate(run_cli, broken_repo, "github")
    assert code == 1
    annotations = [line for line in out.splitlines() if line.startswith("::")]
    assert annotations and all(
        line.startswith(("::error file=", "::warning file=", "::notice file="))
        for line in annotations
    )
    assert (
        f"::error file={UNKNOWN.file},line={UNKNOWN.line},col={UNKNOWN.col},title=schema::" in out
    )


def test_sarif_report(broken_repo: Path, run_cli: Any) -> None:
    code, out, _ = validate(run_cli, broken_repo, "sarif")
    sarif = json.loads(out)
    assert code == 1 and sarif["version"] == "2.1.0"
    [run] = sarif["runs"]
    results = run["results"]
    assert results and all(r["ruleId"] for r in results)
    schema = next(r for r in results if r["ruleId"] == "schema")
    location = schema["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == UNKNOWN.file
    assert location["region"] == {"startLine": UNKNOWN.line, "startColumn": UNKNOWN.col}
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} >= {r["ruleId"] for r in results}


# --- files that look like catalog files but would not be loaded ----------------------------------


@pytest.mark.parametrize(
    ("name", "severity"),
    [
        ("prod.YAML", "error"),
        ("prod.Yml", "error"),
        ("prod.yaml~", "warning"),
        ("prod.yaml.bak", "warning"),
        ("team-a/prod.yaml", "error"),
    ],
)
def test_a_yaml_looking_file_that_is_not_loaded_is_a_finding(
    name: str, severity: str, tmp_path: Path, write_repo: Any, run_cli: Any
) -> None:
    files = files_for({f"environments/{name}": ENVIRONMENT.replace("name: dev", "name: prod")})
    root = write_repo(tmp_path, files)
    code, out, _ = run_cli("validate", "--root", root, "--format", "json")
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "file-not-loaded"]
    shown = f"environments/{name.split('/')[0]}"
    assert [(f["file"], f["severity"]) for f in found] == [(shown, severity)], found
    assert code == (1 if severity == "error" else 0)


def test_a_case_variant_suffix_stops_generate_from_removing_the_environment(
    tmp_path: Path, write_repo: Any, run_cli: Any
) -> None:
    root = write_repo(tmp_path, files_for({}))
    assert run_cli("generate", "--root", root)[0] == 0
    before = sorted(p.relative_to(root).as_posix() for p in (root / "deploy").rglob("*"))
    (root / "environments/dev.yaml").rename(root / "environments/dev.YAML")
    code, out, _ = run_cli("generate", "--root", root)
    assert code == 1 and "file-not-loaded" in out
    assert sorted(p.relative_to(root).as_posix() for p in (root / "deploy").rglob("*")) == before


def test_yaml_in_the_catalog_folder_itself_or_a_stray_folder_is_a_finding(
    tmp_path: Path, write_repo: Any
) -> None:
    files = files_for({"catalog/other.yaml": MODEL, "catalog/model/other.yaml": MODEL})
    loaded = load_repository(Repository(write_repo(tmp_path, files)))
    assert sorted((f.file, f.rule, str(f.severity)) for f in loaded.findings) == [
        ("catalog/model", "file-not-loaded", "error"),
        ("catalog/other.yaml", "file-not-loaded", "error"),
    ]


def test_an_unreadable_catalog_folder_is_a_finding_not_a_crash(
    tmp_path: Path, write_repo: Any, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root no permission stops a read, so the refusal is simulated at os.scandir there."""
    root = write_repo(tmp_path, files_for({}))
    models = root / "catalog/models"
    if os.geteuid() == 0:
        real = os.scandir

        def scandir(path: Any = ".") -> Any:
            if isinstance(path, (str, os.PathLike)) and os.fspath(path) == str(models):
                raise PermissionError(13, "Permission denied", str(models))
            return real(path)

        monkeypatch.setattr(os, "scandir", scandir)
    else:
        models.chmod(0)
    try:
        for command in ("validate", "generate"):
            code, out, err = run_cli(command, "--root", root)
            assert code == 1 and "file-unreadable" in out and "catalog/models" in out, out + err
    finally:
        models.chmod(0o755)
