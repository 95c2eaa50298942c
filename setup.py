"""Builds the PCAP analyzer's compiled kernel (agents/performance/pcap/csrc/); the rest is pyproject.toml.

The extension is optional: without a C compiler or Python's headers, `uv sync` still succeeds
and the analyzer takes its pure-Python path (agents/performance/pcap/kernel.py says so once).
The sources' hash is compiled in, so a module older than its sources is never used.
"""

import hashlib
from pathlib import Path

from setuptools import Extension, setup

ROOT = Path(__file__).parent
SOURCES = "agents/performance/pcap/csrc"


def sources_hash(folder: Path) -> str:
    """The first 16 hex digits of the SHA-256 of every source file, in name order (kernel.source_hash)."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.suffix in (".c", ".h"):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


setup(
    ext_modules=[
        Extension(
            "agents.performance.pcap._kernel",
            sorted(f"{SOURCES}/{path.name}" for path in (ROOT / SOURCES).glob("*.c")),
            include_dirs=[SOURCES],
            depends=[f"{SOURCES}/kernel.h"],
            define_macros=[("KERNEL_SOURCE_HASH", f'"{sources_hash(ROOT / SOURCES)}"')],
            extra_compile_args=["-O2", "-std=c11"],
            optional=True,
        )
    ]
)
