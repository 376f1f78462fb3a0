"""benchmarks/results.py: a benchmark rewrites its own section's body and nothing else of RESULTS.md."""
import sys

sys.path.insert(0, "benchmarks")
import results  # noqa: E402

BEFORE = """# Benchmark results

## Annotate

Old table.

### A dated note (2026-12-01)

Kept by hand.

## Flows

Other section.
"""


def test_a_rewrite_keeps_the_dated_subsections_and_the_other_sections(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(results, "RESULTS", tmp_path / "RESULTS.md")
    results.RESULTS.write_text(BEFORE)
    results.write_section("Annotate", "New table.\n")
    assert results.RESULTS.read_text() == BEFORE.replace("Old table.", "New table.")
    results.write_section("Stage II (GRPO)", "Appended.")  # a new section goes at the end
    assert results.RESULTS.read_text().endswith("Other section.\n\n## Stage II (GRPO)\n\nAppended.\n")
    assert "wrote section 'Annotate'" in capsys.readouterr().out
