"""An agent that uses ``translate_audio`` as a tool.

The agent (``langchain.agents.create_agent``) gets the tool; the user asks, in plain words, for a translation of a
recording; the model calls the tool with the path and the language, the tool sends the audio to the model, and the
agent answers. Against the embedded emulator the call's arguments come from the user's words by its agent rules
(README, "How the emulator answers agents"), the "translation" is the emulator's account of what it received (an
audio clip of the right length), and the final answer quotes the tool's result: the whole loop without a real model.

Runs offline: ``python cookbook/translate_audio_agent.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _media import voice_memo
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.emulator import Emulator
from langchain_azure_multimodal.tools import translate_audio_tool


def main() -> None:
    memo = voice_memo(Path(tempfile.mkdtemp()) / "memo.wav")
    with Emulator(model="phi-4-multimodal-instruct", api_key="cookbook-key") as emulator:
        llm = ChatAzureMultimodal(endpoint=emulator.endpoint, api_key="cookbook-key", model=emulator.model)
        agent = create_agent(model=llm, tools=[translate_audio_tool(llm)])
        question = f"Please translate the recording {memo} into Spanish, then tell me what it says."
        state = agent.invoke({"messages": [{"role": "user", "content": question}]})
        for message in state["messages"]:
            if isinstance(message, AIMessage) and message.tool_calls:
                call = message.tool_calls[0]
                print(f"tool call: {call['name']}({call['args']})")
            elif isinstance(message, ToolMessage):
                print(f"tool result: {message.content}")
        print(f"answer: {state['messages'][-1].text}")
        print(f"the emulator saw {len(emulator.requests)} requests (agent turn, the tool's audio request, final turn)")


if __name__ == "__main__":
    main()
