"""Tokens per article on the LLM path: what each sample page costs in prompt and answer tokens.

    python bench/llm_tokens.py                 # against the local stand-in (tests/harness/openai_server.py)
    python bench/llm_tokens.py --configured    # against the server in OPENAI_* settings (spends tokens)
    python bench/llm_tokens.py FILE.html ...   # other pages

By default the extractor talks to the repository's local OpenAI-compatible stand-in, which answers like
a model would (a summary and up to five claims quoting the article's own sentences) and counts tokens
its own way (words and punctuation marks): those counts approximate, not reproduce, a real tokenizer.
The prompt is what the bot really sends (system prompt, the article cut to OPENAI_ARTICLE_TOKENS); the
bot's own estimate (`estimate_tokens`, 4 ASCII characters or 1 other character a token) is printed
beside it. With --configured the numbers are the real server's `usage`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def model_like_answer(request: dict[str, Any]) -> str:
    """What a cooperative model answers: up to five sentences with figures, quoted verbatim."""
    user = request["messages"][-1]["content"]
    body = re.sub(r"^<article-[0-9a-f]+>\n|\n</article-[0-9a-f]+>$", "", user)
    from bot.articles.reading import word_count
    from bot.claims.sentences import split_sentences

    sentences = [s for line in body.split("\n")[1:] for s in split_sentences(line) if word_count(s) >= 8]
    picked = [s for s in sentences if re.search(r"\d", s)][:5] or sentences[:5]
    return json.dumps({"summary": " ".join(sentences[:2]),
                       "claims": [{"claim": s, "quote": s, "speaker": None} for s in picked]})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages", nargs="*", help="HTML files (default: samples/*.html and tests/fixtures/pages/*.html)")
    parser.add_argument("--configured", action="store_true", help="use the OPENAI_* settings instead of the stand-in")
    args = parser.parse_args(argv)

    from bot.articles.fetch import FetchError
    from bot.articles.reading import parse_article
    from bot.claims import build_extractor
    from bot.claims.llm import estimate_tokens
    from bot.config.settings import load_settings

    pages = [Path(p) for p in args.pages] or [*sorted((ROOT / "samples").glob("*.html")),
                                              *sorted((ROOT / "tests" / "fixtures" / "pages").glob("*.html"))]
    server = None
    if args.configured:
        settings = load_settings(claim_extractor="openai", openai_cache_dir="")
        where = f"the configured server ({settings.openai_base_url or 'api.openai.com'}, {settings.openai_model})"
    else:
        from tests.harness.openai_server import OpenAIStandIn

        server = OpenAIStandIn().start()
        server.responder = model_like_answer
        settings = load_settings(_env_file=None, claim_extractor="openai", openai_api_key="sk-bench-standin",
                                 openai_base_url=server.base_url, openai_model="stand-in", openai_cache_dir="")
        where = "the local stand-in (its own token count, not a real tokenizer's)"
    extractor = build_extractor(settings)
    print(f"tokens per article, measured against {where}")
    print(f"{'page':34s} {'chars':>7s} {'est. article':>12s} {'prompt':>7s} {'answer':>7s} {'total':>7s}"
          "  claims  extractor")
    totals: list[int] = []
    try:
        for page in pages:
            try:
                article = parse_article(page.read_bytes(), page.resolve().as_uri())
            except FetchError as error:
                print(f"{page.name:34s} not an article ({error.code})")
                continue
            result = extractor.extract(article, settings.max_claims_per_article)
            usage = result.usage
            totals.append(usage.total_tokens)
            print(f"{page.name:34s} {len(article.text):7,d} {estimate_tokens(article.text):12,d} "
                  f"{usage.prompt_tokens:7,d} {usage.completion_tokens:7,d} {usage.total_tokens:7,d}  "
                  f"{len(result.claims):6d}  {result.extractor}{' (partial)' if result.partial else ''}")
    finally:
        if server is not None:
            server.stop()
    if totals:
        print(f"mean {sum(totals) / len(totals):,.0f} tokens per article over {len(totals)} pages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
