"""What a batch ingest does with each file (:class:`Task`), in a module light enough for the command line's parser.

``azure-multimodal``'s ``--task`` option is parsed with :meth:`Task.parse`, and ``--help`` or a bad option must not
wait for the chat model, langchain-core or the ingest machinery to import, so this module imports none of them (the
default prompts, in :mod:`langchain_azure_multimodal.parsers`, are read when a task's prompt is first asked for).
:mod:`langchain_azure_multimodal.ingest` re-exports :class:`Task`, where users import it from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Task:
    """What to do with each file: ``describe`` (images), ``transcribe`` or ``translate:<language>`` (audio).

    ``custom_prompt`` replaces the default prompt (it is part of the run's identity).

    Example:
        >>> Task.parse("translate:es").prompt, Task.parse("describe", prompt="List the objects.").prompt
        ('Translate this audio to es.', 'List the objects.')
    """

    kind: Literal["describe", "transcribe", "translate"]
    language: str | None = None
    custom_prompt: str | None = None

    @classmethod
    def parse(cls, text: str, *, prompt: str | None = None) -> Task:
        """``describe``, ``transcribe`` or ``translate:<language>``; a clear ``ValueError`` for anything else."""
        if prompt is not None and not prompt.strip():
            raise ValueError("the prompt is empty: give the words to send with each file, or leave it out")
        kind, _, language = text.strip().partition(":")
        if kind in ("describe", "transcribe") and not language:
            return cls(kind, custom_prompt=prompt)  # type: ignore[arg-type]
        if kind == "translate" and language.strip():
            return cls("translate", language.strip(), prompt)
        raise ValueError(f"unknown task {text!r}: use describe, transcribe or translate:<language> (translate:es)")

    @property
    def name(self) -> str:
        return f"translate:{self.language}" if self.kind == "translate" else self.kind

    @property
    def media(self) -> Literal["image", "audio"]:
        """The kind of file the task takes."""
        return "image" if self.kind == "describe" else "audio"

    @property
    def prompt(self) -> str:
        if self.custom_prompt:
            return self.custom_prompt
        # Here, not at the top: parsers imports langchain-core's chat-model and loader machinery (see the module doc).
        from .parsers import DESCRIBE_PROMPT, TRANSCRIBE_PROMPT, TRANSLATE_PROMPT

        defaults = {"describe": DESCRIBE_PROMPT, "transcribe": TRANSCRIBE_PROMPT, "translate": TRANSLATE_PROMPT}
        return defaults[self.kind].format(language=self.language)
