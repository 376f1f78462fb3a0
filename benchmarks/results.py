"""benchmarks/RESULTS.md: each benchmark owns one "## <name>" section and replaces only that one."""
from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def write_section(name: str, markdown: str) -> None:
    """Replace (or append) the section "## `name`" of RESULTS.md with `markdown` (its body)."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    block = f"## {name}\n\n{markdown.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: block + "\n", text).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + block
    RESULTS.write_text(text)
    print(f"wrote section '{name}' of {RESULTS}")
