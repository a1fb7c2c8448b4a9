"""ExtractedClaim extraction: the ClaimExtractor interface, its two implementations and the choice between them."""

from __future__ import annotations

from bot.claims.base import ClaimExtractor, ExtractedClaim, Extraction
from bot.config.settings import Settings

__all__ = ["ClaimExtractor", "ExtractedClaim", "Extraction", "build_extractor"]


def build_extractor(settings: Settings) -> ClaimExtractor:
    """The LLM extractor when a key is set (or CLAIM_EXTRACTOR=openai), else the embedded one."""
    from bot.claims.embedded import EmbeddedExtractor

    embedded = EmbeddedExtractor()
    if settings.extractor_kind == "embedded":
        return embedded
    from bot.claims.llm import OpenAIExtractor

    return OpenAIExtractor(
        api_key=settings.secret("openai_api_key"),
        model=settings.openai_model,
        base_url=settings.openai_base_url,
        timeout=settings.openai_timeout,
        fallback=embedded,
    )
