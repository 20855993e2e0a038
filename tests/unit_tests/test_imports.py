"""What importing costs: the package loads its public names on first use, the emulator comes without the chat model,
Pillow and PyAV only with media, and the command line's parser without the chat model, the emulator or ingest.

Each check runs in a fresh interpreter and looks at ``sys.modules`` there: this process has long imported everything.
No wall-clock time is asserted here (bench/startup.py measures those).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import langchain_azure_multimodal
from langchain_azure_multimodal import ingest

ROOT = Path(__file__).resolve().parents[2]
CHAT_MODEL = "langchain_azure_multimodal.chat_models"
#: langchain-core's chat-model machinery (callbacks, runnables, tracers), which the emulator does not need.
LC_CHAT_MODEL = "langchain_core.language_models.chat_models"


def loaded_after(code: str, *modules: str) -> dict[str, bool]:
    """Run ``code`` in a fresh interpreter; which of ``modules`` it left in ``sys.modules``."""
    script = textwrap.dedent(code) + (
        f"\nimport json as _json, sys as _sys\n_sys.stdout.write('\\n' + _json.dumps({{m: m in _sys.modules for m in "
        f"{list(modules)!r}}}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, bool] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_importing_the_emulator_does_not_import_the_chat_model() -> None:
    loaded = loaded_after("import langchain_azure_multimodal.emulator", CHAT_MODEL, LC_CHAT_MODEL, "aiohttp")
    assert loaded == {CHAT_MODEL: False, LC_CHAT_MODEL: False, "aiohttp": True}


def test_the_chat_model_comes_without_pillow_or_pyav() -> None:
    loaded = loaded_after(
        """
        import langchain_azure_multimodal
        assert langchain_azure_multimodal.ChatAzureMultimodal.__name__ == "ChatAzureMultimodal"
        from langchain_azure_multimodal import ChatAzureMultimodal
        """,
        CHAT_MODEL,
        "PIL",
        "av",
    )
    assert loaded == {CHAT_MODEL: True, "PIL": False, "av": False}


def test_dir_lists_every_public_name_without_importing_them() -> None:
    loaded = loaded_after(
        """
        import langchain_azure_multimodal as package
        missing = set(package.__all__) - set(dir(package))
        assert not missing, missing
        assert "__version__" in dir(package)
        """,
        CHAT_MODEL,
        "langchain_azure_multimodal.estimates",
    )
    assert loaded == {CHAT_MODEL: False, "langchain_azure_multimodal.estimates": False}


def test_an_unknown_name_raises_the_usual_attribute_error() -> None:
    loaded = loaded_after(
        """
        import langchain_azure_multimodal as package
        try:
            package.ChatAzureMultimodel
        except AttributeError as error:
            assert str(error) == "module 'langchain_azure_multimodal' has no attribute 'ChatAzureMultimodel'", error
        else:
            raise AssertionError("no AttributeError")
        assert not hasattr(package, "nothing_here")
        """,
        CHAT_MODEL,
    )
    assert loaded == {CHAT_MODEL: False}


def test_an_unknown_name_raises_attribute_error_here_too() -> None:
    with pytest.raises(AttributeError, match=r"^module 'langchain_azure_multimodal' has no attribute 'nope'$"):
        _ = langchain_azure_multimodal.nope  # type: ignore[attr-defined]
    with pytest.raises(ImportError, match="cannot import name 'nope'"):
        exec("from langchain_azure_multimodal import nope", {})


def test_every_public_name_is_the_object_its_module_defines() -> None:
    namespace: dict[str, object] = {}
    exec("from langchain_azure_multimodal import *", namespace)
    assert set(langchain_azure_multimodal.__all__) <= set(namespace)
    from langchain_azure_multimodal import chat_models, errors, parts, profiles

    assert langchain_azure_multimodal.ChatAzureMultimodal is chat_models.ChatAzureMultimodal
    assert langchain_azure_multimodal.MediaError is errors.MediaError
    assert langchain_azure_multimodal.image_part is parts.image_part
    assert langchain_azure_multimodal.PROFILES is profiles.PROFILES
    assert isinstance(langchain_azure_multimodal.__version__, str)


def test_the_lazy_table_matches_what_type_checkers_see() -> None:
    """``_SOURCES`` (what ``__getattr__`` imports) and the ``if TYPE_CHECKING:`` imports name the same modules."""
    tree = ast.parse(Path(langchain_azure_multimodal.__file__).read_text(encoding="utf-8"))
    guarded = next(node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    seen = {
        alias.asname or alias.name: node.module
        for node in guarded.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen == langchain_azure_multimodal._SOURCES
    assert set(seen) == set(langchain_azure_multimodal.__all__)


def test_ingest_still_exports_task() -> None:
    from langchain_azure_multimodal import _ingest_task  # where the command line's parser takes it from

    assert ingest.Task is _ingest_task.Task
    assert "Task" in ingest.__all__
    assert ingest.Task.parse("translate:es").prompt == "Translate this audio to es."


HEAVY = (CHAT_MODEL, "langchain_azure_multimodal.emulator", "langchain_azure_multimodal.ingest", "aiohttp")


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["ingest", "--help"], id="help"),
        pytest.param(["ingest"], id="missing-arguments"),
        pytest.param(["ingest", "x", "--out", "o.jsonl", "--task", "summarise"], id="bad-task"),
    ],
)
def test_the_command_line_parses_without_the_chat_model(argv: list[str]) -> None:
    loaded = loaded_after(
        f"""
        import runpy, sys
        sys.argv = ["azure-multimodal", *{argv!r}]
        try:
            runpy.run_module("langchain_azure_multimodal.cli", run_name="__main__")
        except SystemExit as stop:
            assert stop.code == (0 if "--help" in sys.argv else 2), stop.code
        else:
            raise AssertionError("argparse did not stop")
        """,
        *HEAVY,
    )
    assert loaded == dict.fromkeys(HEAVY, False)
