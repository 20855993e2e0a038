"""Streaming tokens to a callback handler, with token usage at the end of the stream.

Runs offline against the embedded emulator: ``python cookbook/streaming_with_callbacks.py``.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import BaseCallbackHandler

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.emulator import Emulator


class PrintTokens(BaseCallbackHandler):
    """Prints each token as it arrives and counts them."""

    def __init__(self) -> None:
        self.tokens = 0

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens += 1
        print(token, end="", flush=True)


def main() -> None:
    with Emulator(model="phi-4-multimodal-instruct", api_key="cookbook-key") as emulator:
        handler = PrintTokens()
        llm = ChatAzureMultimodal(
            endpoint=emulator.endpoint_for("foundry"),
            api_key="cookbook-key",
            model="phi-4-multimodal-instruct",
            streaming=True,
            callbacks=[handler],
        )
        reply = llm.invoke("Tell me about multimodal models.")
        print(f"\n{handler.tokens} tokens streamed to the callback; usage: {reply.usage_metadata}")


if __name__ == "__main__":
    main()
