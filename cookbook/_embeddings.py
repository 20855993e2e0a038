"""A small but real embedding for the cookbook's retrieval examples, so that they need no download."""

from __future__ import annotations

import hashlib
import math
import re

from langchain_core.embeddings import Embeddings


class HashingEmbeddings(Embeddings):
    """Lowercase word tokens hashed (sha256) into ``dims`` buckets, L2-normalised: a stand-in embedding model.

    To use an Azure OpenAI embedding deployment instead, pass ``langchain_openai.AzureOpenAIEmbeddings(...)`` (any
    LangChain ``Embeddings`` works); nothing else in the examples changes.
    """

    def __init__(self, dims: int = 256) -> None:
        self.dims = dims

    def _embed(self, text: str) -> list[float]:
        vector = [0.0] * self.dims
        for token in re.findall(r"[a-z0-9]+", text.lower()):
            digest = hashlib.sha256(token.encode()).digest()
            vector[int.from_bytes(digest[:4], "big") % self.dims] += 1.0 if digest[4] % 2 else -1.0
        norm = math.sqrt(sum(value * value for value in vector)) or 1.0
        return [value / norm for value in vector]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._embed(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)
