"""Exports (pprof, speedscope), the SVG renderer, the dashboard and its escaping."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from agentpprof.models import Inputs, Project, TaggerStats
from agentpprof.output.export import pprof_bytes, speedscope_json
from agentpprof.output.flamegraph import build_tree, layout, render_flamegraph
from agentpprof.output.render import render_all, rerender
from agentpprof.pipeline import folded_files
from agentpprof.profile.fold import fold_sessions
from agentpprof.profile.summary import build_report
from agentpprof.schema import render_schemas
from agentpprof.sources.records import Agent, LlmCall, Prompt, Session, Tokens, ToolCall, ToolFacts
from agentpprof.tagging.tags import Tags
from tests.conftest import fixed_tags, stacks

EVIL = "</script><img src=x onerror=alert(1)>"
REPO = Path(__file__).resolve().parents[2]


def _report(sessions: list[Session], out: Path, tags: Tags | None = None) -> None:
    tags = tags if tags is not None else fixed_tags(sessions, "testing", "debugging", "testing")
    prof = fold_sessions(sessions, tags, "proj")
    rep = build_report(
        sessions=sessions,
        tags=tags,
        profiles=prof,
        project=Project(name="proj", root="~/proj"),
        inputs=Inputs.none(len(sessions)),
        tagger=TaggerStats.none(),
        artifacts={},
        warnings=[],
        include_previews=False,
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / "agentpprof.json").write_text(rep.model_dump_json())
    for name, counter in folded_files(prof).items():
        (out / name).write_text("".join(f"{k} {v}\n" for k, v in counter.items()))
    render_all(out, rep, folded_files(prof))


def _evil_session() -> Session:
    s = Session(agent=Agent.CLAUDE, file="/x/evil.jsonl", session_id="e", cwd="/p", models=[EVIL])
    s.prompts = [Prompt(0, 1, "2026-01-01T00:00:00Z", "secret prompt text")]
    s.llm_calls = [LlmCall(0, 2, None, EVIL, 0, Tokens(input=10, output=3))]
    facts = ToolFacts("tool", "rm -rf /secret", [], "process", [f"src/{EVIL}"], [], [])
    s.tool_calls = [ToolCall.of(facts, 0, 3, None, EVIL, 0, "")]
    s.tool_calls[0].status = "ok"
    return s


def test_escaping_is_inert(tmp_path: Path) -> None:
    _report([_evil_session()], tmp_path)
    for f in [*tmp_path.glob("*.svg"), tmp_path / "index.html"]:
        text = f.read_text()
        assert "<img src=x" not in text, f.name
        assert "</script><img" not in text, f.name
    html = (tmp_path / "index.html").read_text()
    assert "secret prompt text" not in html and "rm -rf /secret" not in html


def test_empty_report_renders(tmp_path: Path) -> None:
    _report([], tmp_path)
    html = (tmp_path / "index.html").read_text()
    assert "No sessions" in html
    assert (tmp_path / "system-flamegraph.svg").read_text().startswith("<svg")
    assert rerender(tmp_path) == tmp_path / "index.html"


def test_render_rebuilds_from_folder(tmp_path: Path) -> None:
    _report([_evil_session()], tmp_path)
    (tmp_path / "index.html").unlink()
    (tmp_path / "token-flamegraph.svg").unlink()
    rerender(tmp_path)
    assert (tmp_path / "index.html").is_file() and (tmp_path / "token-flamegraph.svg").is_file()


def test_flamegraph_merges_prefixes_and_prunes() -> None:
    c = stacks({"a;b;c": 5, "a;b;d": 3, "a;e": 1, "a;tiny": 0})
    root = build_tree(c)
    assert root.value == 9 and root.children["a"].children["b"].value == 8
    rects, depth = layout(root, 1000, 0.5)
    assert depth == 3 and len([r for r in rects if r.name == "b"]) == 1
    big = stacks({f"x;f{i}": 1 for i in range(5000)} | {"x;big": 100000})
    rects, _ = layout(build_tree(big), 1180, 0.5)
    assert len(rects) < 20  # narrow frames are pruned, their weight stays in the parent
    svg = render_flamegraph(c, title="t", unit="events")
    assert svg.count('class="f"') == 6  # all, a, b, c, d, e


def test_pprof_and_speedscope_shapes() -> None:
    c = stacks({"project:p;agent:a;kind:input": 7, "project:p;agent:a;kind:output": 3})
    data = gzip.decompress(pprof_bytes(c, "tokens"))
    assert b"tokens" in data and b"kind:input" in data
    doc = json.loads(speedscope_json(c, "t"))
    prof = doc["profiles"][0]
    assert prof["weights"] == [7, 3] and prof["endValue"] == 10
    assert [doc["shared"]["frames"][i]["name"] for i in prof["samples"][0]] == [
        "project:p",
        "agent:a",
        "kind:input",
    ]


def test_pprof_decodes_with_protobuf() -> None:
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    fdp = descriptor_pb2.FileDescriptorProto(
        name="p.proto", package="perftools.profiles", syntax="proto3"
    )

    def msg(name: str, fields: list[tuple[str, int, int, int, str | None]]) -> None:
        m = fdp.message_type.add(name=name)
        for fname, num, typ, label, tname in fields:
            f = m.field.add(name=fname, number=num, type=typ, label=label)
            if tname:
                f.type_name = tname

    T, L = descriptor_pb2.FieldDescriptorProto, descriptor_pb2.FieldDescriptorProto
    rep, opt = L.LABEL_REPEATED, L.LABEL_OPTIONAL
    msg("ValueType", [("type", 1, T.TYPE_INT64, opt, None), ("unit", 2, T.TYPE_INT64, opt, None)])
    msg(
        "Sample",
        [("location_id", 1, T.TYPE_UINT64, rep, None), ("value", 2, T.TYPE_INT64, rep, None)],
    )
    msg(
        "Profile",
        [
            ("sample_type", 1, T.TYPE_MESSAGE, rep, ".perftools.profiles.ValueType"),
            ("sample", 2, T.TYPE_MESSAGE, rep, ".perftools.profiles.Sample"),
            ("string_table", 6, T.TYPE_STRING, rep, None),
            ("default_sample_type", 14, T.TYPE_INT64, opt, None),
        ],
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    Profile = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("perftools.profiles.Profile")
    )
    c = stacks({"a;b": 7, "a;c": 3})
    p = Profile.FromString(gzip.decompress(pprof_bytes(c, "events")))
    assert p.string_table[0] == ""
    assert p.string_table[p.sample_type[0].type] == "events"
    assert sorted(s.value[0] for s in p.sample) == [3, 7]
    assert len(p.sample[0].location_id) == 2


def test_schemas_are_current() -> None:
    for name, text in render_schemas().items():
        assert (REPO / "docs" / name).read_text() == text, (
            f"docs/{name} is stale: run `python -m agentpprof.schema docs`"
        )


def test_inventory_rows_are_the_documented_model() -> None:
    """`sessions --json` rows carry the promised fields and validate against the committed
    schema (generated from the same structs)."""
    import jsonschema

    from agentpprof.inventory import InventoryRow, InventoryTokens, encode_json, inventory_row
    from agentpprof.sources.records import Agent, LlmCall, Session, Tokens

    assert list(InventoryRow.__struct_fields__) == [
        "file",
        "agent",
        "session_id",
        "parent_session_id",
        "is_subagent",
        "cwd",
        "models",
        "start",
        "end",
        "prompts",
        "llm_calls",
        "tool_calls",
        "tokens",
        "cost_usd",
        "warnings",
        "subagent_type",
    ]
    assert list(InventoryTokens.__struct_fields__) == [
        "input",
        "cache_read",
        "cache_write",
        "output",
        "reasoning",
        "total",
    ]
    s = Session(agent=Agent.CODEX, file="f.jsonl", session_id="s1", cwd="/p")
    s.llm_calls = [LlmCall(0, 1, None, "m", None, Tokens(input=3, output=4))]
    rows = json.loads(encode_json([inventory_row(s)]))
    jsonschema.validate(rows, json.loads((REPO / "docs" / "sessions.schema.json").read_text()))
    assert rows[0]["agent"] == "codex" and rows[0]["tokens"]["total"] == 7
    assert rows[0]["cost_usd"] is None  # model "m" has no price: unknown, not guessed
    s.llm_calls[0].model = "gpt-5"
    row = json.loads(encode_json([inventory_row(s)]))[0]
    assert row["cost_usd"] == round(3 * 1.25e-6 + 4 * 10e-6, 6)


def test_render_reads_a_report_from_before_prices_and_the_time_view(tmp_path: Path) -> None:
    """`agentpprof render` on a folder written by an earlier agentpprof (no cost or time
    fields, no cost/time folded files, no trace) still rebuilds the dashboard."""
    _report([_evil_session()], tmp_path)
    doc = json.loads((tmp_path / "agentpprof.json").read_text())
    for row in doc["sessions"]:
        row.pop("cost_usd"), row.pop("time")
    doc["summary"].pop("cost"), doc["summary"].pop("time")
    (tmp_path / "agentpprof.json").write_text(json.dumps(doc))
    for name in ("semantic-cost.folded.txt", "semantic-time.folded.txt", "timeline.trace.json"):
        (tmp_path / name).unlink(missing_ok=True)
    (tmp_path / "index.html").unlink()
    assert rerender(tmp_path).is_file()
    assert "Where the time went" in (tmp_path / "index.html").read_text()


def test_tag_confidence_reaches_the_report_and_the_dashboard(tmp_path: Path) -> None:
    s = _evil_session()
    s.prompts.append(Prompt(1, 2, "2026-01-01T00:01:00Z", "another prompt"))
    tags = fixed_tags([s], "testing", "debugging", "testing")
    tags.set(("session", 0, -1), "testing", "llm", 0.61)
    tags.set(("prompt", 0, 0), "debugging", "llm", 0.2)
    tags.set(("prompt", 0, 1), "debugging", "llm", 0.4)
    _report([s], tmp_path, tags)
    rep = json.loads((tmp_path / "agentpprof.json").read_text())
    row = rep["sessions"][0]
    assert row["session_tag_confidence"] == 0.61
    assert [p["tag_confidence"] for p in row["prompts"]] == [0.2, 0.4]
    assert row["llm_calls"]["tag_confidence"] == [None] * len(s.llm_calls)
    by = {c["kind"]: c for c in rep["summary"]["tag_confidence"]}
    assert set(by) == {"session", "prompt"} and by["prompt"]["median"] == pytest.approx(0.3)
    html = (tmp_path / "index.html").read_text()
    assert 'id="confidence-card"' in html and 'confidence 0.20"' in html


def test_hostile_names_keep_html_and_svg_valid(tmp_path: Path) -> None:
    """#23: a model name with U+0001 keeps every SVG valid XML; a crafted agentpprof.json's
    javascript: artifact is not linked; embedded JSON has no raw `<`."""
    import xml.etree.ElementTree as ET

    from agentpprof.output.render import script_json

    s = _evil_session()
    s.models = ["model\x01name"]
    s.llm_calls[0].model = "model\x01name"
    _report([s], tmp_path)
    for f in tmp_path.glob("*.svg"):
        ET.fromstring(f.read_text())  # raises on an XML-invalid character
    data = json.loads((tmp_path / "agentpprof.json").read_text())
    data["artifacts"] = {"evil": "javascript:alert(1)", "up": "../../etc/passwd", "ok": "a.svg"}
    (tmp_path / "agentpprof.json").write_text(json.dumps(data))
    html = rerender(tmp_path).read_text()
    assert "javascript:" not in html and "../../etc/passwd" not in html
    assert '<a href="a.svg">' in html
    payload = script_json({"cmd": "<!--<script>x</script>", "sep": "\u2028"})
    assert "<" not in payload and "\u2028" not in payload
    assert json.loads(payload) == {"cmd": "<!--<script>x</script>", "sep": "\u2028"}


@pytest.mark.parametrize(
    "trace", [b"not json", b"[1, 2]", b'{"traceEvents": [{"ph": "X", "name": "a"}]}', b"\xff\xfe"]
)
def test_render_refuses_a_corrupt_trace_clearly(tmp_path: Path, trace: bytes) -> None:
    from agentpprof.errors import AgentpprofError

    _report([_evil_session()], tmp_path)
    (tmp_path / "timeline.trace.json").write_bytes(trace)
    with pytest.raises(AgentpprofError, match="not the Chrome trace"):
        rerender(tmp_path)


def test_render_skips_bad_folded_lines_and_reports_blocked_outputs(tmp_path: Path) -> None:
    from agentpprof.errors import AgentpprofError, OutputError

    _report([_evil_session()], tmp_path)
    with (tmp_path / "semantic-system.folded.txt").open("ab") as f:
        f.write(b"a;b \xc2\xb2\n\xff\xfe;c 2\n")  # a weight "²" and invalid UTF-8
    assert rerender(tmp_path).is_file()
    (tmp_path / "system-flamegraph.svg").unlink()
    (tmp_path / "system-flamegraph.svg").mkdir()
    with pytest.raises(OutputError, match=r"system-flamegraph\.svg"):
        rerender(tmp_path)
    with pytest.raises(AgentpprofError, match="does not exist"):
        rerender(tmp_path / "agentpprof.json")  # a file given as the folder
