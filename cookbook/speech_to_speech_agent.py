"""A speech-to-speech translation agent: a recording in, a spoken translation out, written to a file.

The agent (``langchain.agents.create_agent``) on a model that speaks (gpt-4o-audio-preview) gets
``translate_audio_tool(llm, speak=True, output_dir=...)``. Asked in plain words, it calls the tool with the
recording's path and the language; the tool sends the audio with ``modalities=["text", "audio"]``, writes the spoken
answer to a file and returns its transcript and path; the agent's answer quotes them. The model's own spoken reply
is then saved too. Against the embedded emulator the "speech" is a tone per word (its length follows the
transcript) and the transcript is the emulator's account of what it heard: the whole loop, offline.

Runs offline: ``python cookbook/speech_to_speech_agent.py``.
"""

from __future__ import annotations

import base64
import tempfile
import wave
from pathlib import Path

from _media import voice_memo
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.emulator import Emulator
from langchain_azure_multimodal.tools import translate_audio_tool


def seconds_of(path: Path) -> float:
    with wave.open(str(path), "rb") as clip:
        return clip.getnframes() / clip.getframerate()


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    memo = voice_memo(folder / "memo.wav", seconds=2.0)
    with Emulator(model="gpt-4o-audio-preview", api_key="cookbook-key") as emulator:
        llm = ChatAzureMultimodal(
            endpoint=emulator.endpoint_for("azure-openai"), api_key="cookbook-key", model="gpt-4o-audio-preview"
        )
        tool = translate_audio_tool(llm, speak=True, voice="alloy", audio_format="wav", output_dir=folder / "spoken")
        agent = create_agent(model=llm, tools=[tool])
        question = f"Please translate the recording {memo} into French."
        state = agent.invoke({"messages": [{"role": "user", "content": question}]})
        for message in state["messages"]:
            if isinstance(message, AIMessage) and message.tool_calls:
                call = message.tool_calls[0]
                print(f"tool call: {call['name']}({call['args']})")
            elif isinstance(message, ToolMessage):
                spoken = Path(message.text.rsplit("[spoken translation: ", 1)[1].rstrip("]"))
                print(f"spoken translation: {spoken.name}, {seconds_of(spoken):.2f} s of wav")

        # The agent's final answer, spoken as well: ask the model for speech directly and keep the file.
        reply = llm.invoke(question, modalities=["text", "audio"], audio={"voice": "alloy", "format": "wav"})
        (audio,) = [block for block in reply.content if isinstance(block, dict) and block.get("type") == "audio"]
        answer = folder / "reply.wav"
        answer.write_bytes(base64.b64decode(audio["base64"]))
        print(f"spoken reply: {answer.name}, {seconds_of(answer):.2f} s; transcript starts {reply.text[:40]!r}")
        print(f"audio id {audio['id'][:6]}..., refer to it in the next turn instead of sending the bytes again")


if __name__ == "__main__":
    main()
