"""Builds the PCAP analyzer's compiled kernel; everything else is in pyproject.toml.

The extension is optional: without a C compiler or Python's headers, `uv sync` still succeeds
and the analyzer takes its pure-Python path (agents/performance/pcap/kernel.py says so once).
The source's hash is compiled in, so a module older than its source is never used.
"""

import hashlib
from pathlib import Path

from setuptools import Extension, setup

SOURCE = "agents/performance/pcap/_kernel.c"
DIGEST = hashlib.sha256((Path(__file__).parent / SOURCE).read_bytes()).hexdigest()[:16]

setup(
    ext_modules=[
        Extension(
            "agents.performance.pcap._kernel",
            [SOURCE],
            define_macros=[("KERNEL_SOURCE_HASH", f'"{DIGEST}"')],
            extra_compile_args=["-O2", "-std=c11"],
            optional=True,
        )
    ]
)
