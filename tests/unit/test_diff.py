"""`agentpprof diff`: two report folders -> two-column folded, pprof -diff_base, red/blue SVGs."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentpprof.cli import app
from agentpprof.output.diff import group, pair, parse_two_column, run_diff
from agentpprof.output.flamegraph import Node, build_diff_tree, build_tree, layout
from agentpprof.pipeline import ReportOptions, run_report
from agentpprof.sources.discover import DiscoverOptions
from tests.conftest import stacks
from tests.scripted import ScriptedBackend
from tests.synth import claude_session, sessions


def _report(tmp: Path, name: str, files: list[Path], tag: str = "testing") -> Path:
    out = tmp / name
    opts = ReportOptions(
        discover=DiscoverOptions(project_root=tmp, session_files=files),
        out=out,
        project_name="demo",
    )
    run_report(opts, backend=ScriptedBackend(default=tag))
    return out


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("diff")
    files = sessions(tmp / "in")
    base = _report(tmp, "base", files[:2], "testing")
    (tmp / "in2").mkdir()
    more = claude_session(
        tmp / "in2", n_prompts=4, session_id="bbbbbbbb-0000-4000-8000-0000000000b2"
    )
    new = _report(tmp, "new", files + more, "debugging")
    return base, new


def test_self_diff_is_all_zero(reports: tuple[Path, Path], tmp_path: Path) -> None:
    base, _ = reports
    result = run_diff(base, base, tmp_path / "d")
    assert result.comparable and result.warnings == []
    assert all(p.delta == 0 and p.stacks_changed == 0 for p in result.profiles)
    assert all(r.delta == 0 for r in result.totals)
    assert all(not d.growth and not d.shrink for d in result.dimensions)
    for p in result.profiles:
        pairs = parse_two_column((tmp_path / "d" / p.files["two_column"]).read_text())
        assert all(b == n for b, n in pairs.values())


def test_diff_columns_match_both_reports(reports: tuple[Path, Path], tmp_path: Path) -> None:
    base, new = reports
    out = tmp_path / "d"
    result = run_diff(base, new, out)
    names = {p.folded for p in result.profiles}
    assert {"semantic-system.folded.txt", "semantic-token.folded.txt"} <= names
    for p in result.profiles:
        pairs = parse_two_column((out / p.files["two_column"]).read_text())
        assert sum(b for b, _ in pairs.values()) == p.base_total
        assert sum(n for _, n in pairs.values()) == p.new_total
        if p.folded not in (
            "semantic-system.folded.txt",
            "semantic-token.folded.txt",
            "semantic-cost.folded.txt",
            "semantic-time.folded.txt",
        ):
            assert set(p.files) == {"two_column"}
            continue
        for kind in ("pprof", "svg", "svg_base"):
            assert (out / p.files[kind]).is_file()
        with gzip.open(out / p.files["pprof"]) as fh:
            assert b"pprof::base" in fh.read()
    token = next(p for p in result.profiles if p.folded == "semantic-token.folded.txt")
    assert token.new_total > token.base_total
    # the tags changed from testing to debugging: the dimensions say so
    prompts = next(d for d in result.dimensions if d.name == "prompt tag · tokens")
    assert prompts.growth[0].name == "prompt:debugging" and prompts.growth[0].base == 0
    assert prompts.shrink[0].name == "prompt:testing" and prompts.shrink[0].new == 0
    svg = (out / token.files["svg"]).read_text()
    assert "rgb(255," in svg  # grew: red
    svg_base = (out / token.files["svg_base"]).read_text()
    assert "rgb(" in svg_base and ",255)" in svg_base  # shrank: blue
    html = (out / "diff.html").read_text()
    assert "prompt:debugging" in html and "diff.json" in html
    doc = json.loads((out / "diff.json").read_text())
    assert doc["comparable"] is True and doc["profiles"][0]["files"]


def test_normalize_scales_base_to_new_total() -> None:
    base = stacks({"a;b": 10, "a;c": 10})
    new = stacks({"a;b": 30, "a;c": 10})
    pairs = pair(base, new, scale=40 / 20)
    assert pairs == {("a", "b"): (20, 30), ("a", "c"): (20, 10)}
    assert group(pairs, "a") == {"a": (40, 40)}
    calls = {("x:1", "call:llm/a", "y"): (1, 2), ("call:llm/b",): (3, 0)}
    assert group(calls, "call:llm/") == {
        "call:llm/a": (1, 2),
        "call:llm/b": (3, 0),
    }


def test_cli_warns_on_other_model_and_errors_on_bad_folders(
    reports: tuple[Path, Path], tmp_path: Path
) -> None:
    base, new = reports
    other = tmp_path / "other"
    shutil.copytree(new, other)
    doc = json.loads((other / "agentpprof.json").read_text())
    doc["llm_tagger"]["model"] = "another-model.gguf"
    (other / "agentpprof.json").write_text(json.dumps(doc))
    (other / "semantic-system.folded.txt").write_text(
        (other / "semantic-system.folded.txt").read_text() + "garbage line\n"
    )
    runner = CliRunner()
    res = runner.invoke(
        app, ["diff", str(base), str(other), "--out", str(tmp_path / "d"), "--json"]
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["comparable"] is False
    assert any("different models" in w for w in summary["warnings"])
    assert any(
        "semantic-system.folded.txt:" in w and "not a folded" in w for w in summary["warnings"]
    )

    res = runner.invoke(app, ["diff", str(tmp_path / "missing"), str(new)])
    assert res.exit_code == 1 and "not found" in res.output
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "agentpprof.json").write_text('{"schema_version": 1, "summ')
    res = runner.invoke(app, ["diff", str(broken), str(new), "--out", str(tmp_path / "d2")])
    assert res.exit_code == 1 and "not valid JSON" in res.output
    (broken / "agentpprof.json").write_text('{"schema_version": 7, "summary": {}}')
    res = runner.invoke(app, ["diff", str(broken), str(new), "--out", str(tmp_path / "d2")])
    assert res.exit_code == 1 and "schema version 1" in res.output
    assert not (tmp_path / "d2").exists()
    res = runner.invoke(app, ["diff", str(base), str(new), "--out", str(new)])
    assert res.exit_code == 1 and "being compared" in res.output


def test_diff_tree_sums_equal_the_plain_trees() -> None:
    base = stacks({"a;b;c": 3, "a;b": 2, "a;d": 5, "e": 1})
    new = stacks({"a;b;c": 1, "a;d;f": 4, "g;h": 7})
    tree = build_diff_tree(pair(base, new))

    def flat(node: Node, attr: str, path: str = "") -> dict[str, int]:
        out = {path or "all": getattr(node, attr)}
        for name, child in node.children.items():
            out.update(flat(child, attr, f"{path};{name}" if path else name))
        return {k: v for k, v in out.items() if v}

    assert flat(tree, "value") == flat(build_tree(new), "value")
    assert flat(tree, "base") == flat(build_tree(base), "value")


def test_pruned_diff_tree_draws_the_same_frames() -> None:
    import random

    rng = random.Random(5)
    pairs = {
        tuple(f"f{rng.randrange(k + 2)}" for k in range(rng.randrange(1, 9))): (
            rng.choice([0, rng.randrange(1, 900)]),
            rng.choice([0, rng.randrange(1, 900)]),
        )
        for _ in range(3000)
    }
    full, pruned = build_diff_tree(pairs), build_diff_tree(pairs, min_frac=0.5 / 1180)
    for by_base in (False, True):
        assert layout(full, 1180, 0.5, by_base) == layout(pruned, 1180, 0.5, by_base)


def test_hostile_report_folders_are_clear_errors(
    reports: tuple[Path, Path], tmp_path: Path
) -> None:
    """#23: bad weights are skipped lines; a report of the wrong shape or nested too deep is
    one clear error (exit 1), never a traceback."""
    base, _new = reports
    runner = CliRunner()
    weird = tmp_path / "weird"
    shutil.copytree(base, weird)
    with (weird / "semantic-system.folded.txt").open("a") as f:
        f.write("a;b ²\n" + "a;b " + "9" * 5000 + "\n")
    ok = runner.invoke(app, ["diff", str(base), str(weird), "--out", str(tmp_path / "d1")])
    assert ok.exit_code == 0, ok.output
    assert "not a folded stack line" in ok.output
    doc = json.loads((base / "agentpprof.json").read_text())
    for name, change in (
        ("tagger", {"llm_tagger": "x"}),
        ("totals", {"summary": {**doc["summary"], "totals": {"sessions": "many"}}}),
    ):
        bad = tmp_path / name
        shutil.copytree(base, bad)
        (bad / "agentpprof.json").write_text(json.dumps({**doc, **change}))
        res = runner.invoke(app, ["diff", str(base), str(bad), "--out", str(tmp_path / "d2")])
        assert res.exit_code == 1 and "not a valid agentpprof report" in res.output, name
    deep = tmp_path / "deep"
    shutil.copytree(base, deep)
    (deep / "agentpprof.json").write_text('{"a":' * 100000 + "1" + "}" * 100000)
    res = runner.invoke(app, ["diff", str(base), str(deep), "--out", str(tmp_path / "d3")])
    assert res.exit_code == 1 and "nested too deep" in res.output
