"""Model-specific parameters (``model_extras``) and the ``extra-parameters`` header.

Parameters outside the Azure AI Model Inference API (``top_k``, ``safe_prompt``...) go in the body as they are; the
header tells the service what to do with them: ``pass-through`` (the default when there are extras), ``drop`` or
``error``. Per-call extras merge over the instance's.

Runs offline against the embedded emulator: ``python cookbook/model_extras.py``.
"""

from __future__ import annotations

from azure.core.exceptions import HttpResponseError

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.emulator import Emulator


def main() -> None:
    with Emulator(model="mistral-small-2503", api_key="cookbook-key") as emulator:
        endpoint = emulator.endpoint_for("foundry")
        llm = ChatAzureMultimodal(
            endpoint=endpoint, api_key="cookbook-key", model="mistral-small-2503", model_extras={"safe_prompt": True}
        )
        reply = llm.invoke("Hello", model_extras={"top_k": 40})
        print(reply.text)
        print("header sent:", emulator.requests[-1].header("extra-parameters"))

        dropping = llm.model_copy(update={"extra_parameters": "drop"})
        print(dropping.invoke("Hello again").text)

        strict = llm.model_copy(update={"extra_parameters": "error"})
        try:
            strict.invoke("And once more")
        except HttpResponseError as error:
            print(f"with extra-parameters: error the service refuses them ({error.status_code})")


if __name__ == "__main__":
    main()
