"""benchmarks/RESULTS.md: each benchmark owns one "## <name>" section and replaces only that one: the section's
body up to its first "### " subsection. The dated subsections below it are people's notes on earlier runs
(what was tried, why a figure moved) that no rerun of the script can rewrite, so they stay."""
from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def write_section(name: str, markdown: str) -> None:
    """Replace (or append) the body of section "## `name`" of RESULTS.md (up to its first "### ") with `markdown`."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    block = f"## {name}\n\n{markdown.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^##+ |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: block + "\n", text).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + block
    RESULTS.write_text(text)
    print(f"wrote section '{name}' of {RESULTS}")
