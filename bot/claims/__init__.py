"""ExtractedClaim extraction: the ClaimExtractor interface, its two implementations and the choice between them."""

from __future__ import annotations

from collections.abc import Callable

from bot.claims.base import ClaimExtractor, ExtractedClaim, Extraction, Usage
from bot.config.settings import Settings

__all__ = ["ClaimExtractor", "ExtractedClaim", "Extraction", "Usage", "build_extractor"]


def build_extractor(settings: Settings, *, cache: bool = False,
                    canonical: Callable[[str], str | None] | None = None) -> ClaimExtractor:
    """The LLM extractor when a key is set (or CLAIM_EXTRACTOR=openai), else the embedded one.

    `cache`: keep LLM answers in OPENAI_CACHE_DIR, keyed by `canonical(url)` (for `check`, which has no
    database; in Slack the article row keyed by canonical URL is the cache).
    """
    from bot.claims.embedded import EmbeddedExtractor

    embedded = EmbeddedExtractor()
    if settings.extractor_kind == "embedded":
        return embedded
    from bot.claims.cache import AnswerCache
    from bot.claims.llm import LLMOptions, OpenAIExtractor

    options = LLMOptions(
        model=settings.openai_model, base_url=settings.openai_base_url, api_version=settings.openai_api_version,
        timeout=settings.openai_timeout, reasoning=settings.openai_reasoning, json_mode=settings.openai_json_mode,
        max_output_tokens=settings.openai_max_output_tokens, article_tokens=settings.openai_article_tokens,
        context_tokens=settings.openai_context_tokens, send_num_ctx=settings.openai_send_num_ctx)
    answers = AnswerCache(settings.openai_cache_dir, settings.openai_cache_days) \
        if cache and settings.openai_cache_dir else None
    return OpenAIExtractor(api_key=settings.secret("openai_api_key"), model=settings.openai_model, fallback=embedded,
                           options=options, cache=answers, canonical=canonical)
