"""The seam holds: only ``langchain_azure_multimodal/_azure/`` imports ``azure.*`` (in code and in doctests), it imports
azure's public modules only, and the parts that handle plain wire JSON (the emulator above all) load no azure-core."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "langchain_azure_multimodal"
SEAM = PACKAGE / "_azure"
# An import statement in a doctest line (">>> from azure.core ..." or "... import azure.identity").
DOCTEST_IMPORT = re.compile(r"^\s*(?:>>>|\.\.\.)\s+(?:from\s+(azure[\w.]*)\s+import|import\s+(azure[\w.]*))", re.M)


def _azure_imports(path: Path) -> Iterator[tuple[int, str]]:
    """``(line, module)`` of every ``azure.*`` import in the file, in code (wherever it is) and in docstrings."""
    source = path.read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "azure")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "azure":
            yield node.lineno, str(node.module)
    for match in DOCTEST_IMPORT.finditer(source):
        yield source.count("\n", 0, match.start()) + 1, match.group(1) or match.group(2)


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_helper_finds_imports_in_code_and_doctests(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('"""\n>>> from azure.core import x\n"""\ndef f():\n    import azure.identity\n')
    assert sorted(_azure_imports(sample)) == [(2, "azure.core"), (5, "azure.identity")]


def test_only_the_seam_imports_azure() -> None:
    outside = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {module}"
        for path in _modules()
        if SEAM not in path.parents
        for line, module in _azure_imports(path)
    ]
    assert outside == [], "azure.* imported outside langchain_azure_multimodal/_azure/:\n" + "\n".join(outside)
    assert any(True for path in SEAM.rglob("*.py") for _ in _azure_imports(path))  # the scan does see the seam's


def test_the_seam_imports_only_public_azure_modules() -> None:
    private = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {module}"
        for path in _modules()
        for line, module in _azure_imports(path)
        if any(part.startswith("_") for part in module.split("."))
    ]
    assert private == [], "private azure modules imported (an azure release may change them):\n" + "\n".join(private)


@pytest.mark.parametrize(
    "module",
    [
        "langchain_azure_multimodal.emulator",
        "langchain_azure_multimodal.errors",
        "langchain_azure_multimodal.endpoints",
        "langchain_azure_multimodal._messages",
        "langchain_azure_multimodal._responses",
        "langchain_azure_multimodal._azure.interface",
        "langchain_azure_multimodal.testing",
    ],
)
def test_plain_json_parts_load_no_azure(module: str) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        import {module}
        from langchain_azure_multimodal.errors import EndpointError, UnsupportedContentError
        print(sorted(name for name in sys.modules if name == "azure" or name.startswith("azure.")))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_service_errors_come_from_errors_on_first_use() -> None:
    from azure.core.exceptions import AzureError

    from langchain_azure_multimodal import errors

    assert issubclass(errors.StreamError, AzureError) and issubclass(errors.MalformedResponseError, AzureError)
    # errors.py names them without importing the seam; the two lists must stay one.
    from langchain_azure_multimodal._azure import service_errors

    offered = {name for name in dir(errors) if name.endswith("Error") and hasattr(service_errors, name)}
    assert offered == set(service_errors.__all__)
    assert all(getattr(errors, name) is getattr(service_errors, name) for name in service_errors.__all__)
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchError'"):
        _ = errors.NoSuchError
